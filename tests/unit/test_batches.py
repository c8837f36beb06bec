"""kefu.batches: every record of a batch handled, each failing one reported alone by its identifier."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kefu.batches import DYNAMODB_STREAMS, KINESIS, SQS, Batch, UnidentifiedFailures


def sqs(*ids: str) -> dict:
    return {"Records": [{"messageId": i, "body": i} for i in ids]}


def failing_on(*bodies: str):
    handled: list[Any] = []

    def handle(record: dict) -> None:
        handled.append(record)
        if record.get("body") in bodies:
            raise RuntimeError(f"cannot take {record['body']}")

    return handle, handled


def test_a_failing_record_is_reported_alone_by_its_message_id_and_the_others_are_all_handled(caplog):
    handle, handled = failing_on("b")
    caplog.set_level(logging.WARNING)

    response = Batch(SQS, failure_log="test record failed").process(sqs("a", "b", "c"), handle)

    assert response == {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert [r["messageId"] for r in handled] == ["a", "b", "c"]
    [line] = [vars(r) for r in caplog.records if r.getMessage() == "test record failed"]
    assert line["messageId"] == "b"
    assert line["reason"] == "RuntimeError: cannot take b"


def test_a_batch_whose_every_record_failed_returns_them_all_and_does_not_raise():
    handle, _ = failing_on("a", "b")

    response = Batch(SQS, failure_log="failed").process(sqs("a", "b"), handle)

    assert response == {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}


def test_a_batch_without_failures_reports_none():
    handle, handled = failing_on()

    assert Batch(SQS, failure_log="failed").process(sqs("a"), handle) == {"batchItemFailures": []}
    assert len(handled) == 1


@pytest.mark.parametrize(
    ("source", "record", "identifier"),
    [
        (KINESIS, {"kinesis": {"sequenceNumber": "4959", "data": ""}, "body": "x"}, "4959"),
        (DYNAMODB_STREAMS, {"dynamodb": {"SequenceNumber": "1100"}, "eventID": "e", "body": "x"}, "1100"),
    ],
)
def test_a_stream_records_failure_is_reported_by_its_sequence_number(source, record, identifier):
    handle, _ = failing_on("x")

    response = Batch(source, failure_log="failed").process({"Records": [record]}, handle)

    assert response == {"batchItemFailures": [{"itemIdentifier": identifier}]}


def test_a_failed_record_without_an_identifier_fails_the_whole_batch_once_every_record_was_handled():
    handle, handled = failing_on("b")
    event = {"Records": [{"messageId": "a", "body": "a"}, {"body": "b"}, {"messageId": "c", "body": "c"}]}

    with pytest.raises(UnidentifiedFailures, match="1 failed record"):
        Batch(SQS, failure_log="failed").process(event, handle)

    assert [r["body"] for r in handled] == ["a", "b", "c"]


def test_a_record_without_an_identifier_that_succeeds_is_no_failure():
    handle, _ = failing_on()

    assert Batch(SQS, failure_log="failed").process({"Records": [{"body": "a"}]}, handle) == {"batchItemFailures": []}


def test_a_failure_its_function_settles_is_not_reported():
    class Settling(Batch):
        def failed(self, record: Any, error: Exception) -> bool:
            self.settled = record["messageId"]
            return True

    handle, _ = failing_on("a")
    batch = Settling(SQS, failure_log="failed")

    assert batch.process(sqs("a", "b"), handle) == {"batchItemFailures": []}
    assert batch.settled == "a"


def test_an_event_without_records_is_refused():
    with pytest.raises(ValueError, match="no Records"):
        Batch(SQS, failure_log="failed").process({"detail": {}}, lambda record: None)
