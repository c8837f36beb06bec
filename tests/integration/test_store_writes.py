"""kefu.store.writes.put_all: items of several kinds put in one BatchWriteItem, what DynamoDB leaves unprocessed sent
again, and a clear failure when it stays unprocessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.store import writes
from kefu.store.group_models import GroupItem, RotationItem
from kefu.store.models import KefuItem, MemberItem

AT = datetime(2026, 12, 5, tzinfo=UTC)


def items() -> list[KefuItem]:
    return [
        GroupItem("GROUP#g", "GROUP", group_id="g", name="G", updated_at=AT),
        MemberItem("GROUP#g", "MEMBER#a", group_id="g", agent_id="a", availability="online"),
        RotationItem("GROUP#g", "ROTATION", last_agent_id="a", turn=1),
    ]


def test_items_of_several_kinds_are_put_in_one_call(aws, aws_calls):
    written = items()

    writes.put_all(written)

    assert [(service, operation) for service, operation, _ in aws_calls.calls] == [("dynamodb", "BatchWriteItem")]
    read = list(KefuItem.partition("GROUP#g", consistent_read=True))
    assert [(type(item), item.attribute_values) for item in read] == [
        (type(item), item.attribute_values) for item in sorted(written, key=lambda item: item.sk)
    ]


class _Throttling:
    """A client that leaves the last item unprocessed `times` times, then takes everything."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.requests: list[int] = []

    def batch_write_item(self, RequestItems):
        (puts,) = RequestItems.values()
        self.requests.append(len(puts))
        if self.times:
            self.times -= 1
            return {"UnprocessedItems": {table: puts[-1:] for table in RequestItems}}
        return {"UnprocessedItems": {}}


@pytest.fixture
def throttled(monkeypatch):
    def with_client(times: int) -> _Throttling:
        client = _Throttling(times)
        monkeypatch.setattr(writes, "connection", lambda: type("Connection", (), {"client": client})())
        monkeypatch.setattr(writes.time, "sleep", lambda seconds: None)
        return client

    return with_client


def test_items_left_unprocessed_are_sent_again_alone(aws, throttled):
    client = throttled(times=2)

    writes.put_all(items())

    assert client.requests == [3, 1, 1]


def test_items_unprocessed_through_every_attempt_fail_the_write(aws, throttled):
    client = throttled(times=100)

    with pytest.raises(writes.Unprocessed, match="1 item"):
        writes.put_all(items())
    assert len(client.requests) == writes._UNPROCESSED_ATTEMPTS


def test_more_items_than_a_call_takes_are_refused(aws):
    many = [RotationItem("GROUP#g", f"ROTATION#{n}", last_agent_id="a", turn=n) for n in range(writes.BATCH_LIMIT + 1)]

    with pytest.raises(ValueError, match="at most 25"):
        writes.put_all(many)


def test_notes_on_a_transactions_items_are_put_in_the_order_pynamodb_sends_the_items():
    added = [("update", "agent"), ("save", "ticket"), ("delete", "view"), ("save", "entry"), ("condition_check", "c")]

    assert writes.in_request_order(added) == ["c", "view", "ticket", "entry", "agent"]


def test_a_transactions_cancellation_reasons_answer_its_items_in_that_order(aws):
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    RotationItem("GROUP#g", "ROTATION", last_agent_id="a", turn=1).save()
    added = [
        ("update", "rotation"),
        ("save", "group"),
    ]
    with pytest.raises(TransactWriteError) as raised, TransactWrite(connection=writes.connection()) as transaction:
        rotation = RotationItem("GROUP#g", "ROTATION")
        transaction.update(rotation, actions=[RotationItem.turn.set(2)], condition=RotationItem.turn == 9)
        transaction.save(GroupItem("GROUP#g", "GROUP", group_id="g", name="G", updated_at=AT))

    codes = writes.cancellation_codes(raised.value)
    assert dict(zip(writes.in_request_order(added), codes, strict=True)) == {
        "group": None,
        "rotation": writes.CONDITION_FAILED,
    }
