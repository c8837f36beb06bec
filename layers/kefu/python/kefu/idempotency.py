"""Powertools idempotency for domain functions; callers build it on first use (the persistence layer makes a
client), never at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.config import settings


def idempotent(function: Callable[..., Any], *, data: str, key: str, payload: str):
    """`function` made idempotent on the JMESPath `key` of its `data` argument; the same key with another
    `payload` is refused, not replayed. Returns the config (to register the Lambda context on) and the function."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from kefu.store.models import dynamodb_client

    # One persistence layer per function: Powertools configures it with that function's keys. It uses the table
    # models' client: a client of its own would load DynamoDB's service model once more on every cold start.
    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name, boto3_client=dynamodb_client())

    config = IdempotencyConfig(
        event_key_jmespath=key,
        payload_validation_jmespath=payload,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings().idempotency_ttl_seconds,
    )
    once = idempotent_function(function, data_keyword_argument=data, persistence_store=persistence, config=config)
    return config, once
