"""kefu's idempotency records (kefu.store.idempotency_records) are Powertools' DynamoDB layer's, without boto3: the
same items on the same table, each layer replaying what the other recorded. If a Powertools release changes what its
layer writes or how it reads, these fail."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from kefu.config import settings
from kefu.store.idempotency_records import IdempotencyRecords
from kefu.store.models import dynamodb_client


class Context:
    function_name = "kefu-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kefu-test"
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def powertools() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name, boto3_client=dynamodb_client())


def kefus() -> IdempotencyRecords:
    return IdempotencyRecords(settings().idempotency_table_name, dynamodb_client())


calls: list[dict] = []


def send(request: dict) -> dict:
    calls.append(request)
    return {"sent": request["id"], "n": len(calls)}


def once(layer: Any):
    """`send`, idempotent on the request's id with its body validated, as kefu.idempotency configures it."""
    config = IdempotencyConfig(
        event_key_jmespath="id", payload_validation_jmespath="body", raise_on_no_idempotency_key=True
    )
    config.register_lambda_context(Context())
    return idempotent_function(send, data_keyword_argument="request", persistence_store=layer, config=config)


def items() -> list[dict]:
    return dynamodb_client().scan(TableName=settings().idempotency_table_name, ConsistentRead=True)["Items"]


@pytest.fixture(autouse=True)
def no_calls():
    calls.clear()


def comparable(item: dict) -> dict:
    # The expiries are times: each run writes its own (checked to be there, and numbers).
    assert "N" in item["expiration"] and "N" in item["in_progress_expiration"]
    return {name: value for name, value in item.items() if name not in ("expiration", "in_progress_expiration")}


def test_both_layers_write_the_same_record(aws):
    # Given the same request made idempotent with Powertools' layer, then (its record deleted) with kefu's
    request = {"id": "r-1", "body": "hello"}
    once(powertools())(request=request)
    [by_powertools] = items()
    dynamodb_client().delete_item(TableName=settings().idempotency_table_name, Key={"id": by_powertools["id"]})
    calls.clear()
    once(kefus())(request=request)
    [by_kefu] = items()
    # then the records are the same item: key, status, response, payload hash, both expiries
    assert by_kefu.keys() == by_powertools.keys()
    assert comparable(by_kefu) == comparable(by_powertools)
    assert by_kefu["status"] == {"S": "COMPLETED"}


@pytest.mark.parametrize("first, then", [(powertools, kefus), (kefus, powertools)])
def test_a_record_either_layer_wrote_is_replayed_by_the_other(aws, first, then):
    # Given a request done once through one layer
    request = {"id": "r-2", "body": "hello"}
    answer = once(first())(request=request)
    # when it comes again through the other, then it is answered from the record, not done again
    assert once(then())(request=request) == answer
    assert len(calls) == 1


def test_the_same_key_with_another_payload_is_refused_from_the_record_the_refused_write_returned(aws, aws_calls):
    # Given a request done once
    once(kefus())(request={"id": "r-3", "body": "hello"})
    # when another body comes with its id, then it is refused, without a read of the record after the refused write
    aws_calls.reset()
    with pytest.raises(IdempotencyValidationError):
        once(kefus())(request={"id": "r-3", "body": "something else"})
    assert len(calls) == 1
    assert aws_calls.on_table(settings().idempotency_table_name) == ["PutItem"]


def test_a_layer_hashes_an_invocations_payload_once_and_keeps_nothing_for_the_next(aws, monkeypatch):
    # Given one layer (one per process, as kefu.idempotency makes it), its hashing watched
    layer = kefus()
    hashed: list[Any] = []
    generate = layer._generate_hash
    monkeypatch.setattr(layer, "_generate_hash", lambda data: hashed.append(data) or generate(data))
    idempotent = once(layer)
    # when two requests are done through it in turn
    idempotent(request={"id": "r-4", "body": "hello"})
    idempotent(request={"id": "r-5", "body": "hello"})
    # then each invocation's key and payload are hashed once (Powertools' layer hashes both at each of its two
    # writes), and the second request is recorded under its own key
    assert hashed == ["r-4", "hello", "r-5", "hello"]
    records = sorted(items(), key=lambda item: item["id"]["S"])
    assert len({record["id"]["S"] for record in records}) == 2
    assert [record["status"] for record in records] == [{"S": "COMPLETED"}] * 2
    assert len(calls) == 2
