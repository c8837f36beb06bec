"""Runs a function's handler in this process, the way the Lambda runtime would: the module is
imported once (the cold start) and reused; each invocation gets a context and runs alone, as on one
Lambda instance (the handler's module-level state — the Powertools resolver's current event, the
Logger's keys — is not safe to share between concurrent invocations).
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kefu_local import logs
from kefu_local.gateway import LOCAL_ACCOUNT_ID, Route

LOCAL_REGION = "us-east-1"

_module_numbers = itertools.count(1)


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda Python runtime's context that kefu's code uses."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float = field(repr=False)
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def load_module(path: Path, name_hint: str) -> ModuleType:
    """Import a handler file by its path, under a module name nothing else uses."""
    safe = re.sub(r"\W", "_", name_hint)
    name = f"kefu_local_function_{safe}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a Python module from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class LocalFunction:
    """A Lambda function whose handler runs in this process."""

    def __init__(
        self,
        name: str,
        handler_file: Path,
        *,
        handler: str = "lambda_handler",
        memory_mb: int = 512,
        timeout_seconds: float = 29,
        region: str = LOCAL_REGION,
        account_id: str = LOCAL_ACCOUNT_ID,
    ):
        self.name = name
        self.module = load_module(handler_file, name)
        self._handler: Callable[[Any, LambdaContext], Any] = getattr(self.module, handler)
        self.memory_mb = memory_mb
        self.timeout_seconds = timeout_seconds
        self.arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
        self._lock = threading.Lock()

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=self.arn,
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + self.timeout_seconds,
            log_group_name=f"/aws/lambda/{self.name}",
        )

    def __call__(self, event: dict[str, Any]) -> Any:
        with self._lock:
            # The function's log lines carry its own keys only, as in its own Lambda.
            logs.new_invocation()
            return self._handler(event, self.context())


def is_public(path: str, public_paths: Iterable[str]) -> bool:
    """Whether a route's path template is one of `public_paths`: an exact path (`/health`), a prefix
    ending in `/` or `/*` (`/surveys/`, `/surveys/*`), or a template (`/surveys/{token}`)."""
    for public in public_paths:
        if public.endswith("*"):
            if path.startswith(public[:-1]):
                return True
        elif public.endswith("/") and public != "/":
            if path.startswith(public):
                return True
        elif path == public:
            return True
    return False


def declared_routes_of(module: Any) -> list[Route]:
    """The routes a handler module declares with `declared_routes()` (what the infrastructure reads too)."""
    return [Route(method, path, needs_auth) for method, path, needs_auth in module.declared_routes()]


def routes_of(resolver: Any, public_paths: Iterable[str]) -> list[Route]:
    """The routes a Powertools HTTP resolver declares, each needing a token unless it is public."""
    public = list(public_paths)
    declared = [*resolver._static_routes, *resolver._dynamic_routes]
    return [Route(route.method, route.openapi_path, not is_public(route.openapi_path, public)) for route in declared]
