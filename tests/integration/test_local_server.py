"""The local HTTP server in front of the gateway: bursts of clients, bodies that never arrive, malformed requests."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from kefu_local.gateway import Gateway, HttpRequest, HttpResponse
from kefu_local.server import LISTEN_BACKLOG, ApiServer

PROBLEM = "application/problem+json"


class EchoGateway(Gateway):
    """Answers every request with its body's length, after `hold` (a slow function) if set."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.hold.set()

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.hold.wait(10)
        body = json.dumps({"received": len(request.body)}).encode()
        return HttpResponse(200, [("content-type", "application/json")], body)


@pytest.fixture
def gateway() -> EchoGateway:
    return EchoGateway()


@pytest.fixture
def server(gateway: EchoGateway) -> Iterator[ApiServer]:
    api = ApiServer(gateway, "127.0.0.1", 0, "KEFU_API_PORT", read_timeout=0.5)
    api.start()
    yield api
    gateway.hold.set()
    api.stop()


def exchange(server: ApiServer, raw: bytes, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes the connection after it)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(raw)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_a_burst_of_connections_waits_in_the_listen_backlog_instead_of_being_refused(gateway):
    # Given a server that has not yet accepted anything (its thread busy elsewhere, as under a burst)
    api = ApiServer(gateway, "127.0.0.1", 0, "KEFU_API_PORT", read_timeout=0.5)
    connections: list[socket.socket] = []
    try:
        # When 100 clients connect at once, then every connection is queued by the OS (the stdlib's backlog of 5
        # left all but a handful hanging unanswered, or reset)
        for _ in range(100):
            connections.append(socket.create_connection(("127.0.0.1", api.port), timeout=1))
        assert len(connections) == 100 <= LISTEN_BACKLOG
    finally:
        for conn in connections:
            conn.close()
        api.stop()


def test_a_body_shorter_than_its_content_length_times_out_with_a_408_problem(server):
    # Given a request announcing 100 bytes and sending 10, then waiting
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(b"POST /tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        conn.sendall(b'Content-Length: 100\r\n\r\n{"a": 1234')
        # When the server's read timeout passes, then it answers 408 problem+json and closes the connection
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b"application/problem+json" in head.lower()
    assert json.loads(body)["status"] == 408


def test_the_server_keeps_serving_after_a_client_timed_out(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as stalled:
        stalled.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc")
        status, _, body = exchange(
            server, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
    assert (status, json.loads(body)) == (200, {"received": 3})


@pytest.mark.parametrize(
    "request_line",
    [b"HELLO", b"GET / HTTP/1.1 extra", b"GET / HTTP/x.y", b"GET / HTTP/9.9", b"\x16\x03\x01\x02\x00"],
    ids=["one-word", "four-words", "bad-version", "unsupported-version", "tls-hello"],
)
def test_a_malformed_request_line_gets_a_problem_not_an_html_page(server, request_line):
    status, headers, body = exchange(server, request_line + b"\r\nHost: x\r\n\r\n")
    assert 400 <= status < 600 and status != 500
    assert headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"]


def test_a_malformed_content_length_gets_a_400_problem(server):
    status, headers, body = exchange(server, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
    assert (status, headers["content-type"]) == (400, PROBLEM)
    assert "Content-Length" in json.loads(body)["detail"]
