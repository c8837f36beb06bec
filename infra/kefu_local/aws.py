"""The local AWS endpoint (a moto server) and the resources kefu needs in it."""

from __future__ import annotations

import os

import boto3
from moto.server import ThreadedMotoServer

from kefu_local.config import AWS_PORT_VAR, ensure_port_free
from kefu_local.runtime import LOCAL_REGION

#: The environment every in-process handler sees: only the endpoint and credentials differ from AWS.
CREDENTIALS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
}


def function_env(aws_endpoint: str, table_name: str, idempotency_table_name: str) -> dict[str, str]:
    return {
        **CREDENTIALS_ENV,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "KEFU_TABLE": table_name,
        "KEFU_IDEMPOTENCY_TABLE": idempotency_table_name,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "kefu",
    }


class LocalAws:
    """A moto server in a thread of this process, reached over HTTP like AWS itself."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # ThreadedMotoServer waits forever when its thread cannot bind, so the port is checked first.
        ensure_port_free(self.host, self.port, AWS_PORT_VAR)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def create_domain_table() -> bool:
    """The single table, from the pynamodb model (keys, GSIs, stream). False if it was there already."""
    from kefu.store.models import KefuItem

    if KefuItem.exists():
        return False
    KefuItem.create_table(wait=True)
    return True


def create_idempotency_table(name: str) -> bool:
    """The Powertools idempotency table: key `id`, items expire by `expiration`."""
    client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    try:
        client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"})
    return True
