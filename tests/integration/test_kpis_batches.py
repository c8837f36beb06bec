"""The KPI function refreshing a batch's tickets together (kefu.kpis.service.refresh_together): their facts in shared
transactions, each aggregate moved once by their sum, and still exact under races, duplicates and mixed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kefu.config import settings
from kefu.kpis import service as kpis
from kefu.model.tickets import Category
from kefu.store import kpis as kpi_store
from tests.conftest import LambdaContext, load_function
from tests.integration.conftest import open_ticket
from tests.integration.resolved import add_resolved
from tests.integration.test_kpis_consumer import created_today, kinesis_event, ticket_change


@pytest.fixture(autouse=True)
def utc_desk(monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))


def read(*ticket_ids: str) -> dict:
    return load_function("kpis").lambda_handler(kinesis_event(*map(ticket_change, ticket_ids)), LambdaContext())


def aggregates_are_the_sum_of_the_facts(ticket_ids: list[str]) -> None:
    """Every aggregate the tickets add to holds exactly the sum of what their stored facts add, and refreshing each
    alone finds nothing to move."""
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for stored in kpi_store.read_facts_of(ticket_ids).values():
        for key, values in stored.slots.items():
            total = expected.setdefault(key, {})
            for name, value in values.items():
                total[name] = total.get(name, 0) + value
    days = [(date.fromisoformat(pk.removeprefix("KPI#")), sk) for pk, sk in expected if pk.startswith("KPI#")]
    found = kpi_store.day_items(days)
    for day, sk in days:
        held = {name: value for name, value in found[(day, sk)].items() if value}
        assert held == {n: v for n, v in expected[(f"KPI#{day}", sk)].items() if v}, (day, sk)
    assert [kpis.refresh(ticket_id) for ticket_id in ticket_ids] == [0] * len(ticket_ids)


def test_a_batchs_tickets_share_one_transaction_and_duplicates_count_once(desk, aws_calls):
    first, second = open_ticket(desk), open_ticket(desk)

    aws_calls.reset()
    assert read(first["id"], second["id"], first["id"]) == {"batchItemFailures": []}

    assert aws_calls.on_table(settings().table_name).count("TransactWriteItems") == 1
    assert created_today(first) == 2
    aggregates_are_the_sum_of_the_facts([first["id"], second["id"]])


def test_a_batch_that_loses_a_race_computes_again_and_counts_each_ticket_once(desk, monkeypatch):
    first, second = open_ticket(desk)["id"], open_ticket(desk)["id"]
    transactions: list[list[str]] = []
    write = kpi_store.write_facts_together

    def racing(writes, moves):
        transactions.append([w.ticket_id for w in writes])
        if len(transactions) == 1:
            kpis.refresh(first)  # another reader of the stream stores the first ticket's facts meanwhile
        return write(writes, moves)

    monkeypatch.setattr(kpi_store, "write_facts_together", racing)
    done, changed = kpis.refresh_together([first, second])

    assert transactions == [[first, second], [first], [second]], "lost, the other's write, computed again"
    assert (done, changed) == ({first, second}, 1), "both done in the batch, the first by the other reader"
    assert created_today({"createdAt": datetime.now(UTC).isoformat()}) == 2
    aggregates_are_the_sum_of_the_facts([first, second])


def test_a_batch_mixing_tickets_of_different_days_moves_each_day_by_its_own(desk):
    today = open_ticket(desk)["id"]
    earlier = [add_resolved(datetime(2026, 11, day, 9, tzinfo=UTC), f"CU-{day}").id for day in (3, 17)]

    assert read(today, *earlier) == {"batchItemFailures": []}

    for day in (2, 3, 16, 17):
        assert kpi_store.day_items([(date(2026, 11, day), "all")]), f"2026-11-{day} moved"
    aggregates_are_the_sum_of_the_facts([today, *earlier])


def test_a_batch_refreshes_the_customers_earlier_tickets_its_tickets_repeat(desk):
    opened = open_ticket(desk, category="logistics")
    resolved_at = datetime.now(UTC) - timedelta(days=2)
    before = add_resolved(resolved_at, opened["customerId"], category=Category.PAYMENT).id
    assert read(opened["id"], before) == {"batchItemFailures": []}
    assert kpi_store.read_facts(before).facts["fcr"] is True

    repeat = open_ticket(desk, category="payment")  # the same customer and category, within 7 days of the resolution
    assert read(repeat["id"]) == {"batchItemFailures": []}

    assert "fcr" not in kpi_store.read_facts(before).facts, "the repeat contact ended its first-contact resolution"
    aggregates_are_the_sum_of_the_facts([opened["id"], before, repeat["id"]])


def test_a_ticket_whose_change_is_too_large_for_one_transaction_is_left_to_its_own_record(desk, monkeypatch):
    ticket = open_ticket(desk)["id"]
    monkeypatch.setattr(kpi_store, "MAX_TRANSACTION_ITEMS", 5)

    assert read(ticket) == {"batchItemFailures": [{"itemIdentifier": "1000"}]}, "refreshed alone, it failed alone"
    assert kpi_store.read_facts(ticket).facts is None


def test_a_batch_that_cannot_be_refreshed_together_is_refreshed_record_by_record(desk, monkeypatch):
    first, second = open_ticket(desk), open_ticket(desk)

    def throttled(ticket_ids, **_):
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(kpis, "refresh_together", throttled)
    assert read(first["id"], second["id"]) == {"batchItemFailures": []}

    assert created_today(first) == 2
    aggregates_are_the_sum_of_the_facts([first["id"], second["id"]])
