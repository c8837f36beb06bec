"""The web app on the local stack (`KEFU_WEB_PORT`, default 5173): the built app (`web/dist`), its runtime config,
the local-only sign-in for the demo users, and the HTTP API under `/api` (same origin, so no CORS is needed).

`/config.json` tells the app where the API is and that the local sign-in exists; `/local/users` lists the demo
users and `POST /local/sign-in` gives a token for one of them. Neither exists in AWS, where Cognito signs people in.
"""

from __future__ import annotations

import errno
import json
import logging
import mimetypes
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from kefu_local.config import REPO_ROOT, WEB_PORT_VAR, LocalStackError, PortInUse
from kefu_local.seed import DEMO_PEOPLE, DemoPerson
from kefu_local.tokens import LocalUserPool

log = logging.getLogger("kefu_local.web")

DEFAULT_WEB_PORT = 5173
WEB_DIST = REPO_ROOT / "web" / "dist"
DESK_TIME_ZONE = "Asia/Shanghai"
API_PREFIX = "/api"
#: The local S3 endpoint on the app's origin: pre-signed uploads and downloads of ticket files go through it, as the
#: browser would reach the attachments bucket in AWS (`KEFU_ATTACHMENTS_PUBLIC_URL` points the links here).
S3_PREFIX = "/local/s3"
_S3_REQUEST_HEADERS = ("content-type", "range")
_S3_RESPONSE_HEADERS = ("content-type", "content-disposition", "etag", "location", "last-modified")
#: What the browser may send on to the API, and what comes back from it.
_REQUEST_HEADERS = ("authorization", "content-type", "accept", "if-match", "idempotency-key", "accept-language")
_RESPONSE_HEADERS = ("content-type", "etag", "www-authenticate", "location", "retry-after")
#: The app is one origin: its own scripts and styles, its API under /api. Nothing inline, nothing framed.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
_TOKEN_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class WebSettings:
    host: str
    port: int
    #: True when KEFU_WEB_PORT names the port: then a busy port is an error, not a skipped web app.
    explicit: bool

    @classmethod
    def from_env(cls, host: str) -> WebSettings:
        raw = os.environ.get(WEB_PORT_VAR, "").strip()
        if not raw:
            return cls(host, DEFAULT_WEB_PORT, explicit=False)
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise LocalStackError(f"{WEB_PORT_VAR} must be a TCP port number (1-65535), got {raw!r}")
        return cls(host, int(raw), explicit=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def demo_user(person: DemoPerson) -> dict[str, str]:
    name = person.agent.name if person.agent and person.agent.name else person.email.split("@")[0]
    return {"id": person.sub, "name": name, "email": person.email, "role": person.role.value}


class _WebRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    dist: ClassVar[Path]
    api_url: ClassVar[str]
    aws_url: ClassVar[str | None]
    pool: ClassVar[LocalUserPool]

    def version_string(self) -> str:
        return "kefu-local-web"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith(API_PREFIX + "/"):
            return self._proxy()
        if path.startswith(S3_PREFIX + "/"):
            return self._proxy_s3()
        if path == "/config.json":
            config = {"apiUrl": API_PREFIX, "localSignIn": True, "timeZone": DESK_TIME_ZONE}
            return self._json(200, config)
        if path == "/local/users":
            return self._json(200, [demo_user(person) for person in DEMO_PEOPLE])
        return self._static(path)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith(API_PREFIX + "/"):
            return self._proxy()
        if path.startswith(S3_PREFIX + "/"):
            return self._proxy_s3()
        if path == "/local/sign-in":
            return self._sign_in()
        return self._json(404, {"title": "Not found", "status": 404})

    def do_PUT(self) -> None:
        self._proxy()

    do_PATCH = do_DELETE = do_PUT

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length", "0").strip()
        return self.rfile.read(int(length)) if length.isdigit() and int(length) > 0 else b""

    def _sign_in(self) -> None:
        try:
            wanted = json.loads(self._body() or b"{}").get("user")
        except (ValueError, AttributeError):
            wanted = None
        person = next((p for p in DEMO_PEOPLE if p.sub == wanted), None)
        if person is None:
            return self._json(404, {"title": "Not found", "status": 404, "detail": "no such demo user"})
        token = self.pool.mint_for_role(person.role, person.sub, person.email, ttl_seconds=_TOKEN_TTL_SECONDS)
        self._json(200, {"token": token})

    def _proxy(self) -> None:
        self._forward(self.api_url, API_PREFIX, _REQUEST_HEADERS, _RESPONSE_HEADERS)

    def _proxy_s3(self) -> None:
        """A pre-signed S3 request (a file's upload POST or download GET) passed to the local S3 endpoint."""
        if self.aws_url is None:
            return self._json(404, {"title": "Not found", "status": 404, "detail": "no local S3 endpoint"})
        self._forward(self.aws_url, S3_PREFIX, _S3_REQUEST_HEADERS, _S3_RESPONSE_HEADERS)

    def _forward(self, base: str, prefix: str, sent: tuple[str, ...], returned: tuple[str, ...]) -> None:
        target = base + self.path[len(prefix) :]
        headers = {name: value for name, value in self.headers.items() if name.lower() in sent}
        body = self._body() if self.command in ("POST", "PUT", "PATCH") else None
        request = urllib.request.Request(target, data=body, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, answer_headers, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as err:
            status, answer_headers, payload = err.code, err.headers, err.read()
        except OSError as err:
            detail = f"the local endpoint at {base} did not answer: {err}"
            return self._json(502, {"type": "about:blank", "title": "Bad gateway", "status": 502, "detail": detail})
        forwarded = [(n, v) for n, v in answer_headers.items() if n.lower() in returned]
        self._send(status, forwarded, payload)

    def _static(self, path: str) -> None:
        relative = path.lstrip("/")
        candidate = (self.dist / relative).resolve() if relative else None
        inside = candidate is not None and candidate.is_relative_to(self.dist.resolve()) and candidate.is_file()
        if candidate is None or not inside:
            # Any other path is one of the app's routes: the app decides what it shows (its not-found page too).
            candidate = self.dist / "index.html"
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        immutable = candidate.parent.name == "assets"
        cache = "public, max-age=31536000, immutable" if immutable else "no-store"
        self._send(200, [("Content-Type", content_type), ("Cache-Control", cache)], candidate.read_bytes())

    def _json(self, status: int, data: object) -> None:
        kind = "application/problem+json" if status >= 400 else "application/json"
        payload = json.dumps(data).encode()
        self._send(status, [("Content-Type", kind), ("Cache-Control", "no-store")], payload)

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in [*headers, *SECURITY_HEADERS]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class WebServer:
    """The web app on host:port, serving from a background thread."""

    def __init__(
        self,
        settings: WebSettings,
        api_url: str,
        pool: LocalUserPool,
        dist: Path = WEB_DIST,
        aws_url: str | None = None,
    ):
        attributes = {"dist": dist, "api_url": api_url, "pool": pool, "aws_url": aws_url}
        handler = type("WebRequestHandler", (_WebRequestHandler,), attributes)
        try:
            self._httpd = ThreadingHTTPServer((settings.host, settings.port), handler)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise PortInUse(settings.host, settings.port, WEB_PORT_VAR) from err
            raise LocalStackError(f"cannot listen on {settings.url} ({err.strerror}); set {WEB_PORT_VAR}") from err
        self._httpd.daemon_threads = True
        self.url = settings.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kefu-local-web", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()


def start_web(
    host: str, api_url: str, pool: LocalUserPool, dist: Path = WEB_DIST, aws_url: str | None = None
) -> WebServer | None:
    """The started web server, or None (logged) when the app is not built, or when the default port is taken
    (another local stack has it; tests run several): KEFU_WEB_PORT makes a busy port an error instead."""
    settings = WebSettings.from_env(host)
    if not (dist / "index.html").is_file():
        log.warning("the web app is not built (%s missing): run `make web` to serve it on %s", dist, settings.url)
        return None
    try:
        server = WebServer(settings, api_url, pool, dist, aws_url)
    except PortInUse:
        if settings.explicit:
            raise
        log.warning("port %d is taken: the web app is not served (set %s)", settings.port, WEB_PORT_VAR)
        return None
    server.start()
    return server
