"""moto's dispatch of a request, without the work it repeats identically for every one.

To find the method of a request's action, moto's `BaseResponse.call_action` lists the methods of the service's
response class with `inspect.getmembers` on every request (~0.3 ms, ~5% of an in-process test's AWS calls and of
the local stack's server). A class's methods do not change while it serves, so the list is made once per class.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.core import responses

_original: Any = None


def install() -> None:
    """Idempotent; for this process (the local stack's server thread and `mock_aws` alike)."""
    global _original
    if _original is None:
        _original = responses.method_names_from_class
        responses.method_names_from_class = functools.cache(_original)
