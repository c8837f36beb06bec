"""Powertools idempotency for domain functions; callers build it on first use (the persistence layer takes the
table's client), never at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu import lazy_packages
from kefu.config import settings


def idempotent(function: Callable[..., Any], *, data: str, key: str, payload: str, result: type | None = None):
    """`function` made idempotent on the JMESPath `key` of its `data` argument; the same key with another
    `payload` is refused, not replayed. Returns the config (to register the Lambda context on) and the function.

    `data` is a JSON-able dict, or a pydantic model (Powertools hashes and keys its JSON dump). `result`: the pydantic
    model `function` returns, stored as its JSON dump and validated back only when a repeat is answered from the
    record (None: `function` returns a JSON-able dict, stored and answered as it is)."""
    # Each name of Powertools' idempotency package loaded from its own module: the package's `__init__` imports its
    # DynamoDB persistence layer, and with it boto3, which kefu's records (below) do without.
    lazy_packages.defer(lazy_packages.IDEMPOTENCY)
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    from kefu.store.idempotency_records import IdempotencyRecords
    from kefu.store.models import dynamodb_client

    # One persistence layer per function: Powertools configures it with that function's keys. It uses the table
    # models' client: a client of its own would load DynamoDB's service model once more on every cold start.
    persistence = IdempotencyRecords(settings().idempotency_table_name, dynamodb_client())

    config = IdempotencyConfig(
        event_key_jmespath=key,
        payload_validation_jmespath=payload,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings().idempotency_ttl_seconds,
    )
    serializer = None
    if result is not None:
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

        serializer = PydanticSerializer(result)
    once = idempotent_function(
        function, data_keyword_argument=data, persistence_store=persistence, config=config, output_serializer=serializer
    )
    return config, once
