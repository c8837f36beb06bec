"""The local web server: the built app with its routes falling back to index.html, the runtime config, the demo
users' sign-in (tokens the local authorizer accepts), the API proxied under /api, nothing outside the build served."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from kefu_local import web as web_module
from kefu_local.config import WEB_PORT_VAR, LocalStackError, PortInUse
from kefu_local.seed import DEMO_PEOPLE
from kefu_local.tokens import LocalUserPool
from kefu_local.web import WebServer, WebSettings, start_web
from tests.e2e.local_stack import free_port


class _FakeApi(BaseHTTPRequestHandler):
    """Echoes what reached it, as the API would answer: a status, a problem type, an ETag."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        seen = {
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "ifMatch": self.headers.get("If-Match"),
            "cookie": self.headers.get("Cookie"),
            "body": self.rfile.read(length).decode() if length else "",
        }
        status = 412 if self.headers.get("If-Match") == '"1"' else 200
        payload = json.dumps(seen).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        self.send_header("ETag", '"7"')
        self.send_header("Set-Cookie", "tracking=1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> LocalUserPool:
    return LocalUserPool.load_or_create(tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dist")
    (folder / "index.html").write_text("<!doctype html><title>kefu</title>")
    (folder / "assets").mkdir()
    (folder / "assets" / "index-abc.js").write_text("console.log('kefu')")
    (folder.parent / "secret.txt").write_text("not part of the app")
    return folder


@pytest.fixture(scope="module")
def web(dist: Path, api_url: str, pool: LocalUserPool) -> Iterator[str]:
    server = WebServer(WebSettings("127.0.0.1", free_port(), explicit=True), api_url, pool, dist)
    server.start()
    yield server.url
    server.stop()


def test_every_app_route_serves_the_app_with_its_security_headers(web: str):
    for path in ("/", "/portal", "/tickets/TK-1", "/surveys/abc", "/no/such/page"):
        answer = requests.get(f"{web}{path}", timeout=5)
        assert answer.status_code == 200 and "<title>kefu</title>" in answer.text, path
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


def test_built_assets_are_served_as_immutable(web: str):
    answer = requests.get(f"{web}/assets/index-abc.js", timeout=5)
    assert answer.text == "console.log('kefu')"
    assert "immutable" in answer.headers["Cache-Control"]
    assert answer.headers["Content-Type"] in ("text/javascript", "application/javascript")


def test_nothing_outside_the_build_is_served(web: str):
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        answer = requests.get(f"{web}{path}", timeout=5)
        assert "not part of the app" not in answer.text, path


def test_the_runtime_config_points_at_the_proxied_api_and_the_local_sign_in(web: str):
    config = requests.get(f"{web}/config.json", timeout=5).json()
    assert config == {"apiUrl": "/api", "localSignIn": True, "timeZone": "Asia/Shanghai"}


def test_the_demo_users_are_listed_and_each_signs_in_with_a_token_the_local_authorizer_accepts(
    web: str, pool: LocalUserPool
):
    users = requests.get(f"{web}/local/users", timeout=5).json()
    assert [user["id"] for user in users] == [person.sub for person in DEMO_PEOPLE]
    for person in DEMO_PEOPLE:
        answer = requests.post(f"{web}/local/sign-in", json={"user": person.sub}, timeout=5)
        claims = pool.verifier().verify(answer.json()["token"])
        assert claims["sub"] == person.sub
        # A customer is in no Cognito group; staff are in theirs
        assert bool(claims.get("cognito:groups")) == (person.role.value != "customer")


def test_an_unknown_demo_user_is_a_not_found_problem(web: str):
    answer = requests.post(f"{web}/local/sign-in", json={"user": "mallory"}, timeout=5)
    assert answer.status_code == 404 and answer.headers["Content-Type"] == "application/problem+json"
    broken = requests.post(f"{web}/local/sign-in", data="{not json", timeout=5)
    assert broken.status_code == 404


def test_the_api_is_proxied_with_its_status_etag_and_body_and_without_cookies(web: str):
    answer = requests.patch(
        f"{web}/api/tickets/TK-1?x=1",
        json={"priority": "P1"},
        headers={"Authorization": "Bearer t", "If-Match": '"1"', "Cookie": "a=b"},
        timeout=5,
    )
    seen = answer.json()
    assert answer.status_code == 412 and answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["ETag"] == '"7"' and "Set-Cookie" not in answer.headers
    assert seen["method"] == "PATCH" and seen["path"] == "/tickets/TK-1?x=1"
    assert seen["authorization"] == "Bearer t" and seen["ifMatch"] == '"1"' and seen["cookie"] is None
    assert json.loads(seen["body"]) == {"priority": "P1"}


def test_an_api_that_does_not_answer_is_a_bad_gateway_problem(dist: Path, pool: LocalUserPool):
    server = WebServer(
        WebSettings("127.0.0.1", free_port(), explicit=True), f"http://127.0.0.1:{free_port()}", pool, dist
    )
    server.start()
    try:
        answer = requests.get(f"{server.url}/api/health", timeout=5)
    finally:
        server.stop()
    assert answer.status_code == 502 and answer.headers["Content-Type"] == "application/problem+json"


def test_the_web_app_is_left_out_when_not_built_or_when_the_default_port_is_taken(
    tmp_path: Path, dist: Path, pool: LocalUserPool, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(WEB_PORT_VAR, raising=False)
    assert start_web("127.0.0.1", "http://127.0.0.1:1", pool, tmp_path) is None
    # The default port, held by another local stack
    port = free_port()
    monkeypatch.setattr(web_module, "DEFAULT_WEB_PORT", port)
    holder = WebServer(WebSettings("127.0.0.1", port, explicit=False), "http://127.0.0.1:1", pool, dist)
    try:
        assert start_web("127.0.0.1", "http://127.0.0.1:1", pool, dist) is None
        # Named explicitly, a busy port is an error that names the variable
        monkeypatch.setenv(WEB_PORT_VAR, str(port))
        with pytest.raises(PortInUse, match=WEB_PORT_VAR):
            start_web("127.0.0.1", "http://127.0.0.1:1", pool, dist)
    finally:
        holder.stop()


def test_a_bad_web_port_names_the_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(WEB_PORT_VAR, "http")
    with pytest.raises(LocalStackError, match=WEB_PORT_VAR):
        WebSettings.from_env("127.0.0.1")
