"""Where the local stack listens and keeps its state, from the environment (docs/architecture.md, "The local stack")."""

from __future__ import annotations

import errno
import itertools
import os
import socket
from dataclasses import dataclass
from pathlib import Path

#: The checkout this package lives in (the `kefu` command is installed from it in editable mode).
REPO_ROOT = Path(__file__).resolve().parents[2]

API_PORT_VAR = "KEFU_API_PORT"
AWS_PORT_VAR = "KEFU_AWS_PORT"
SMTP_PORT_VAR = "KEFU_SMTP_PORT"
STATE_VAR = "KEFU_LOCAL_STATE"
WEB_PORT_VAR = "KEFU_WEB_PORT"


class LocalStackError(Exception):
    """A problem the person running the local stack can fix; shown without a traceback."""


class PortInUse(LocalStackError):
    def __init__(self, host: str, port: int, env_var: str):
        super().__init__(
            f"port {port} on {host} is already in use (is another `kefu local up` running?). "
            f"Stop what holds it, or choose another port: {env_var}={port + 1} kefu local up"
        )
        self.port = port
        self.env_var = env_var


def _port(env_var: str, default: int) -> int:
    raw = os.environ.get(env_var, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise LocalStackError(f"{env_var} must be a TCP port number (1-65535), got {raw!r}")
    return port


def default_state_dir() -> Path:
    """`KEFU_LOCAL_STATE`, else `.kefu/` in the checkout (git-ignored)."""
    configured = os.environ.get(STATE_VAR, "").strip()
    return Path(configured).expanduser() if configured else REPO_ROOT / ".kefu"


@dataclass(frozen=True)
class LocalConfig:
    host: str
    api_port: int
    aws_port: int
    state_dir: Path
    smtp_port: int = 2525

    @classmethod
    def from_env(cls) -> LocalConfig:
        return cls(
            host="127.0.0.1",
            api_port=_port(API_PORT_VAR, 3000),
            aws_port=_port(AWS_PORT_VAR, 4566),
            state_dir=default_state_dir(),
            smtp_port=_port(SMTP_PORT_VAR, 2525),
        )

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def smtp_address(self) -> str:
        return f"{self.host}:{self.smtp_port}"

    def check_ports_free(self) -> None:
        """Fail with the port and the variable that moves it, before anything starts."""
        ports = ((API_PORT_VAR, self.api_port), (AWS_PORT_VAR, self.aws_port), (SMTP_PORT_VAR, self.smtp_port))
        for (first_var, first), (second_var, second) in itertools.combinations(ports, 2):
            if first == second:
                raise LocalStackError(f"{first_var} and {second_var} are both {first}; give each its own")
        ensure_port_free(self.host, self.aws_port, AWS_PORT_VAR)
        ensure_port_free(self.host, self.api_port, API_PORT_VAR)
        ensure_port_free(self.host, self.smtp_port, SMTP_PORT_VAR)


def ensure_port_free(host: str, port: int, env_var: str) -> None:
    # SO_REUSEADDR as the servers themselves bind: a port in TIME_WAIT from the last run is free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, env_var) from err
            raise LocalStackError(f"cannot listen on {host}:{port} ({err.strerror}); set {env_var}") from err
