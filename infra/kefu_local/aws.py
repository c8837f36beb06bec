"""The local AWS endpoint (a moto server) and the resources kefu needs in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from kefu_local import moto_dispatch, moto_dynamodb
from kefu_local.config import AWS_PORT_VAR, ensure_port_free
from kefu_local.runtime import LOCAL_REGION

#: The environment every in-process handler sees: only the endpoint and credentials differ from AWS.
CREDENTIALS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
}


def base_env(aws_endpoint: str) -> dict[str, str]:
    """What every in-process handler sees besides its template environment: the endpoint and credentials."""
    return {
        **CREDENTIALS_ENV,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "kefu",
    }


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host: moto works it out afresh for every request, by
    listing its package's folders (~180 `stat` calls) and trying its URL patterns, ~1 ms of CPU a request."""

    def __init__(self, create_app: Callable[[Any], Any]):
        super().__init__(create_app)
        self._backends: dict[str, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host is None:
            return None
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class _WrappedMotoServer(ThreadedMotoServer):
    """moto's threaded server with its WSGI app wrapped (the snapshots count the requests going through it)."""

    def __init__(self, ip_address: str, port: int, wrap: Callable[[Any], Any]):
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._wrap = wrap

    def _server_entry(self) -> None:
        app = self._wrap(_Dispatcher(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


class LocalAws:
    """A moto server in a thread of this process, reached over HTTP like AWS itself."""

    def __init__(self, host: str, port: int, wrap: Callable[[Any], Any] = lambda app: app):
        self.host = host
        self.port = port
        self._wrap = wrap
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # ThreadedMotoServer waits forever when its thread cannot bind, so the port is checked first.
        ensure_port_free(self.host, self.port, AWS_PORT_VAR)
        # Queries and transactions cost what they touch, not the whole table (a campaign over 1,000 tickets).
        moto_dynamodb.install()
        moto_dispatch.install()
        self._server = _WrappedMotoServer(self.host, self.port, self._wrap)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
