"""`kefu local up` as a user starts it: the console script, on free ports, with its own state."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import requests

from tests.xdist_groups import group_names

# A start takes ~10 s on an idle machine, 35-95 s on a shared 2-core one under heavy load (`make test` synthesizes
# the templates first, so no start pays for a synth). A guard against a start that never ends, not a speed check.
STARTUP_TIMEOUT_S = 240
#: The xdist group of the tests that use the shared default-configuration stack (conftest.py `running_stack`): one
#: worker runs them all, one after the other, and starts the stack once (`pytest --dist loadgroup`).
DEFAULT_STACK = pytest.mark.xdist_group(name="default-stack")


def own_stack(name: str) -> pytest.MarkDecorator:
    """The xdist group of a module whose tests share a stack of its own configuration (a module-scoped fixture): on
    one worker, the stack starts once, not once on each worker that gets one of its tests."""
    return pytest.mark.xdist_group(name=f"{name}-stack")


# A clean stop writes the state snapshot (kefu_local.persistence): seconds for a 1,000-ticket desk under load.
STOP_TIMEOUT_S = 60


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc() if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_the_test_process() -> None:
    """In the child before it runs `kefu`: the kernel kills it when the test process dies. A test run killed
    mid-way (Ctrl-C twice, CI's timeout) would otherwise leave `kefu local up` running, holding ports and a core.
    Looked up before the fork, so the child only makes the one call."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kefu_command() -> list[str]:
    """The `kefu` console script of this virtual environment, as the README has people call it."""
    script = Path(sys.executable).with_name("kefu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kefu_local"]


def _ephemeral_ports() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


_EPHEMERAL = _ephemeral_ports()
#: Ports for stacks are drawn below the ephemeral range: a port the kernel hands out as free (bind to 0) comes from
#: that range, where every outgoing connection of the machine (the tests' own requests, the stacks' pollers) takes
#: its source port too, so one could take it in the seconds before a starting stack binds it.
_CANDIDATES = range(20000, _EPHEMERAL.start) if _EPHEMERAL.start > 21000 else range(0)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, outside the ephemeral range."""
    for _ in range(200 if _CANDIDATES else 0):
        port = random.choice(_CANDIDATES)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalStackProcess:
    """One `kefu local up` process and the environment it was started with."""

    workdir: Path
    api_port: int
    aws_port: int
    state_dir: Path
    process: subprocess.Popen | None = None
    runs: int = 0
    #: More environment for `kefu local up` (KEFU_LOCAL_VISIBILITY_TIMEOUT…).
    extra_env: dict[str, str] = field(default_factory=dict)
    smtp_port: int = field(default_factory=lambda: free_port())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "KEFU_", "POWERTOOLS_"))}
        env.update(
            {
                "KEFU_API_PORT": str(self.api_port),
                "KEFU_AWS_PORT": str(self.aws_port),
                "KEFU_SMTP_PORT": str(self.smtp_port),
                "KEFU_LOCAL_STATE": str(self.state_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env | self.extra_env

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def output_file(self) -> Path:
        return self.workdir / f"kefu-local-{self.runs}.out"

    def output(self) -> str:
        return self.output_file.read_text(errors="replace") if self.output_file.exists() else ""

    def start(self) -> None:
        self.runs += 1
        with self.output_file.open("wb") as out:
            self.process = subprocess.Popen(
                [*kefu_command(), "local", "up"],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_the_test_process,
            )
        self.wait_until_healthy()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"kefu local up exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.kill()
        pytest.fail(f"kefu local up was not healthy within {STARTUP_TIMEOUT_S} s:\n{self.output()}")

    def stop(self, signum: int = signal.SIGINT, timeout: float = STOP_TIMEOUT_S) -> int:
        """Send `signum` and wait for the process to end; its exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"kefu local up did not stop within {timeout} s:\n{self.output()}")

    def stop_if_running(self, timeout: float = STOP_TIMEOUT_S) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop(timeout=timeout)

    def client(self, service: str):
        """A boto3 client of the stack's local AWS endpoint."""
        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def token(self, *args: str, state_dir: Path | None = None) -> str:
        env = self.env | ({"KEFU_LOCAL_STATE": str(state_dir)} if state_dir else {})
        done = subprocess.run(
            [*kefu_command(), "local", "token", *args],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def new_stack(workdir: Path, extra_env: dict[str, str] | None = None) -> LocalStackProcess:
    api_port = free_port()
    aws_port = free_port()
    while aws_port == api_port:
        aws_port = free_port()
    smtp_port = free_port()
    while smtp_port in (api_port, aws_port):
        smtp_port = free_port()
    return LocalStackProcess(
        workdir, api_port, aws_port, workdir / "state", extra_env=dict(extra_env or {}), smtp_port=smtp_port
    )


class SharedStack:
    """One stack for the tests of some xdist groups, as their worker runs them (`pytest --dist loadgroup` runs a group
    whole, on one worker): started by the first of them, stopped once each group begun here is done and the worker's
    next test is not one of them (a stack left alive polls, ~3 s of CPU a minute), started again from its saved
    state if another of the groups comes later. Elsewhere (a group split over workers) it lives until the end."""

    def __init__(self, marks: Iterable[pytest.MarkDecorator], make: Callable[[], LocalStackProcess]) -> None:
        self.groups = {mark.mark.kwargs["name"] for mark in marks}
        self._make = make
        self.stack: LocalStackProcess | None = None
        self._left: dict[str, int] | None = None
        self._sizes: dict[str, int] = {}

    def running(self) -> LocalStackProcess:
        if self.stack is None:
            self.stack = self._make()
        if self.stack.process is None or self.stack.process.poll() is not None:
            self.stack.start()
        return self.stack

    def done(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """After `item`'s teardown (its module's included): stop the stack if nothing begun here still needs it."""
        mine = group_names(item) & self.groups
        if not mine:
            return
        if self._left is None:
            self._sizes = {group: 0 for group in self.groups}
            for each in item.session.items:
                for group in group_names(each) & self.groups:
                    self._sizes[group] += 1
            self._left = dict(self._sizes)
        for group in mine:
            self._left[group] -= 1
        begun = [group for group in self.groups if 0 < self._left[group] < self._sizes[group]]
        if self.stack is not None and not begun and not (nextitem is not None and group_names(nextitem) & self.groups):
            self.stack.stop_if_running()

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop_if_running()


#: The shared stacks made in this test process (conftest.py's session fixtures), for `stop_idle_stacks`.
SHARED_STACKS = pytest.StashKey[list[SharedStack]]()


@contextmanager
def shared_stack(
    config: pytest.Config, marks: Iterable[pytest.MarkDecorator], make: Callable[[], LocalStackProcess]
) -> Iterator[SharedStack]:
    """A SharedStack for a session fixture: known to `stop_idle_stacks` while it lives, stopped at its end."""
    shared = SharedStack(marks, make)
    config.stash.setdefault(SHARED_STACKS, []).append(shared)
    try:
        yield shared
    finally:
        shared.stop()


def stop_idle_stacks(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Called by the conftests after each test's teardown: see SharedStack."""
    for shared in item.config.stash.get(SHARED_STACKS, []):
        shared.done(item, nextitem)
