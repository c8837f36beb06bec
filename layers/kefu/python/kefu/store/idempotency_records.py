"""Powertools idempotency's records in DynamoDB, on the table models' botocore client, without boto3.

Powertools' own `DynamoDBPersistenceLayer` imports boto3 at its import (for a boto3 session, which kefu does not use
since it hands the layer its client, for boto3's type deserializer and for boto3's version): about 80 M instructions
of the cold start of every function whose first work is idempotent (the revisit run's selection, outbound mail, the
channel publisher, intake, inbound mail), boto3's resource factory and s3transfer, which imports multiprocessing.

This is Powertools' documented extension point ("bring your own persistent store": `BasePersistenceLayer` and its
four record methods) doing what its DynamoDB layer does, item for item: the same attribute names (the layer's
defaults: a partition key `id`, no sort key), the same conditional put that returns the record in the way, the same
update and delete. A record either layer wrote is read by the other; tests/integration/test_idempotency_records.py
runs both on one table and fails if Powertools' layer ever writes something else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.shared import user_agent
from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord
from botocore.exceptions import ClientError

KEY = "id"
EXPIRY = "expiration"
IN_PROGRESS_EXPIRY = "in_progress_expiration"
STATUS = "status"
DATA = "data"
VALIDATION = "validation"


class IdempotencyRecords(BasePersistenceLayer):
    """Idempotency records in `table_name` (keyed by `id`), read and written with the botocore DynamoDB `client`."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client
        # As Powertools' layer does: its calls say in their User-Agent that idempotency made them.
        user_agent.register_feature_to_client(client=client, feature="idempotency")
        self._deserializer = TypeDeserializer()
        # The payload last hashed and its hashes (see `_get_hashed_idempotency_key`), replaced as one.
        self._hashed: tuple[Any, dict[str, str]] = (None, {})
        super().__init__()

    def _get_hashed_idempotency_key(self, data: dict[str, Any]) -> str | None:
        # Powertools hashes an invocation's payload (its own deep copy, one object per invocation, which nothing
        # changes) for its in-progress record and again for its completed one, each time a JMESPath search, a sorted
        # JSON dump and a digest for the key and as many for the payload hash: each is kept for that object.
        return self._hash_of(data, "key", super()._get_hashed_idempotency_key)

    def _get_hashed_payload(self, data: dict[str, Any]) -> str:
        return self._hash_of(data, "payload", super()._get_hashed_payload) or ""

    def _hash_of(self, data: Any, what: str, hash_of: Callable[[Any], str | None]) -> str | None:
        hashed = self._hashed  # read once: a thread sharing the layer may start on another payload meanwhile
        if hashed[0] is not data:
            hashed = self._hashed = (data, {})
        hashes = hashed[1]
        if what not in hashes:
            value = hash_of(data)
            if value is None:  # no key: Powertools warns (or raises) each time, as before
                return None
            hashes[what] = value
        return hashes[what]

    def _key(self, idempotency_key: str) -> dict[str, Any]:
        return {KEY: {"S": idempotency_key}}

    def _record(self, item: dict[str, Any]) -> DataRecord:
        data = self._deserializer.deserialize({"M": item})
        return DataRecord(
            idempotency_key=data[KEY],
            status=data[STATUS],
            expiry_timestamp=data[EXPIRY],
            in_progress_expiry_timestamp=data.get(IN_PROGRESS_EXPIRY),
            response_data=data.get(DATA),
            payload_hash=data.get(VALIDATION),
        )

    def _get_record(self, idempotency_key: str) -> DataRecord:
        answer = self.client.get_item(TableName=self.table_name, Key=self._key(idempotency_key), ConsistentRead=True)
        if "Item" not in answer:
            raise IdempotencyItemNotFoundError
        return self._record(answer["Item"])

    def _put_record(self, data_record: DataRecord) -> None:
        item = {
            **self._key(data_record.idempotency_key),
            EXPIRY: {"N": str(data_record.expiry_timestamp)},
            STATUS: {"S": data_record.status},
        }
        if data_record.in_progress_expiry_timestamp is not None:
            item[IN_PROGRESS_EXPIRY] = {"N": str(data_record.in_progress_expiry_timestamp)}
        if self.payload_validation_enabled and data_record.payload_hash:
            item[VALIDATION] = {"S": data_record.payload_hash}
        now = dt.datetime.now()
        try:
            # Saved if the key is new, or its record expired, or it is in progress past its in-progress expiry (the
            # invocation that claimed it timed out).
            self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(#id) OR #expiry < :now OR "
                    "(#status = :inprogress AND attribute_exists(#in_progress_expiry) "
                    "AND #in_progress_expiry < :now_in_millis)"
                ),
                ExpressionAttributeNames={
                    "#id": KEY,
                    "#expiry": EXPIRY,
                    "#in_progress_expiry": IN_PROGRESS_EXPIRY,
                    "#status": STATUS,
                },
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now.timestamp()))},
                    ":now_in_millis": {"N": str(int(now.timestamp() * 1000))},
                    ":inprogress": {"S": STATUS_CONSTANTS["INPROGRESS"]},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            if "Item" not in exc.response:
                raise IdempotencyItemAlreadyExistsError() from exc
            # The record in the way came back with the refusal: no second read for it.
            existing = self._record(exc.response["Item"])
            try:
                self._validate_payload(data_payload=data_record, stored_data_record=existing)
                self._save_to_cache(data_record=existing)
            except IdempotencyValidationError as invalid:
                raise invalid from exc
            raise IdempotencyItemAlreadyExistsError(old_data_record=existing) from exc

    def _update_record(self, data_record: DataRecord) -> None:
        expression = "SET #response_data = :response_data, #expiry = :expiry, #status = :status"
        values: dict[str, Any] = {
            ":expiry": {"N": str(data_record.expiry_timestamp)},
            ":response_data": {"S": data_record.response_data},
            ":status": {"S": data_record.status},
        }
        names = {"#expiry": EXPIRY, "#response_data": DATA, "#status": STATUS}
        if self.payload_validation_enabled:
            expression += ", #validation_key = :validation_key"
            values[":validation_key"] = {"S": data_record.payload_hash}
            names["#validation_key"] = VALIDATION
        self.client.update_item(
            TableName=self.table_name,
            Key=self._key(data_record.idempotency_key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def _delete_record(self, data_record: DataRecord) -> None:
        self.client.delete_item(TableName=self.table_name, Key=self._key(data_record.idempotency_key))
