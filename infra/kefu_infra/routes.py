"""The HTTP API's routes, read from the API function itself so the infrastructure cannot drift from the code."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from kefu_infra.paths import FUNCTIONS

API_HANDLER = FUNCTIONS / "api" / "handler.py"


@dataclass(frozen=True)
class Route:
    method: str
    #: The path template as API Gateway and OpenAPI write it: `/tickets/{ticketId}`.
    path: str
    needs_token: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def api_routes(handler: Path = API_HANDLER) -> list[Route]:
    """Every route the API function's resolver declares, with whether it needs a token (PUBLIC_PATHS)."""
    module = _import_by_path(handler, "kefu_api_handler")
    return [Route(method, path, needs_token) for method, path, needs_token in module.declared_routes()]


def _import_by_path(path: Path, module_name: str) -> ModuleType:
    """Import a handler file the way Lambda does, by location, without putting its folder on sys.path."""
    loaded = sys.modules.get(module_name)
    if loaded is not None and Path(loaded.__file__ or "") == path:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
