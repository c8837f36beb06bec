"""The HTTP side of the local API: a threaded stdlib server that hands every request to a `Gateway`."""

from __future__ import annotations

import errno
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from kefu_local.config import LocalStackError, PortInUse
from kefu_local.gateway import Gateway, HttpRequest, HttpResponse

log = logging.getLogger("kefu_local.api")

#: Connections the OS queues before the server accepts them (the stdlib's 5 resets a burst of 20 clients).
LISTEN_BACKLOG = 128
#: Seconds a connection may stay silent (mid-body, mid-headers, or idle between keep-alive requests) before the
#: server answers 408 and closes it: a Content-Length longer than the body sent must not hold a thread forever.
READ_TIMEOUT = 15.0
_PROBLEM = "application/problem+json"


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    gateway: ClassVar[Gateway]
    # StreamRequestHandler puts this timeout on the socket: every read, of the request line, headers or body,
    # raises TimeoutError after it.
    timeout: ClassVar[float] = READ_TIMEOUT

    def version_string(self) -> str:
        return "kefu-local"

    def _serve(self) -> None:
        started = time.perf_counter()
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = self._read_body()
        except ValueError as err:
            self.send_error(400, "Bad request", str(err))
            return
        except TimeoutError:
            self.send_error(408, "Request timeout", f"the body did not arrive within {self.timeout:g} s")
            log.info("%s %s 408 (body not received)", self.command, self.path)
            return
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response = self.gateway.handle(request)
        self._send(response)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.0f ms", self.command, self.path, response.status, elapsed_ms)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.strip().isdigit():
            raise ValueError(f"bad Content-Length {length!r}")
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            # The client closed its side before sending what it announced.
            raise ValueError(f"the body ended after {len(body)} of the {int(length)} bytes announced")
        return body

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The server's own errors (a malformed request line or header, a timeout) as problem+json, as the API's
        are, instead of the stdlib's HTML page; the connection is closed after them."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            # The request line was not understood, so no version was read: answer as HTTP/1.1 (with a status line
            # and headers) rather than as HTTP/0.9 (a bare body).
            self.request_version = "HTTP/1.1"
        title = message or self.responses.get(code, ("Error",))[0]
        problem = {"type": "about:blank", "title": title, "status": code, "detail": explain or title}
        body = json.dumps(problem).encode()
        self.send_response(code, message)
        self.send_header("Content-Type", _PROBLEM)
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        # Requests are logged once, with their status and time, by _serve.
        pass


class ApiServer:
    """The HTTP API on host:port, serving from a background thread."""

    def __init__(
        self, gateway: Gateway, host: str, port: int, port_env_var: str, *, read_timeout: float = READ_TIMEOUT
    ):
        handler = type(
            "GatewayRequestHandler", (_GatewayRequestHandler,), {"gateway": gateway, "timeout": read_timeout}
        )
        try:
            self._httpd = _Server((host, port), handler)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, port_env_var) from err
            raise LocalStackError(f"cannot listen on {host}:{port} ({err.strerror}); set {port_env_var}") from err
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kefu-local-api", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            # shutdown() waits for serve_forever to return, so only when it is running.
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
