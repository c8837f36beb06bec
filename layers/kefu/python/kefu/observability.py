"""Logger, Tracer and Metrics singletons shared by every function."""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import PathFinder
from typing import Any

_XRAY_CONNECTOR = "aws_xray_sdk.core.sampling.connector"


class _LazyXrayClient:
    """Stands in for the X-Ray API client of centralized sampling; builds the real one on first use."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._build()
        return getattr(self._client, name)


def _defer(module: Any) -> None:
    connector = module.ServiceConnector
    create = connector._create_xray_client

    def deferred(self: Any, ip: str = "127.0.0.1", port: str = "2000") -> _LazyXrayClient:
        return _LazyXrayClient(lambda: create(self, ip, port))

    connector._create_xray_client = deferred


class _DeferXraySamplingClient(MetaPathFinder):
    """`import aws_xray_sdk.core` builds two X-Ray API clients, each in a new botocore session, for centralized
    sampling (aws/aws-xray-sdk-python#273, #311, open): about a fifth of this function's cold start. In Lambda
    the service decides sampling and those clients are never called, so they are built on first use instead.
    The SDK creates them while its package is being imported, hence a hook on the connector module's import."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != _XRAY_CONNECTOR:
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            _defer(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if _XRAY_CONNECTOR not in sys.modules and not any(isinstance(f, _DeferXraySamplingClient) for f in sys.meta_path):
    sys.meta_path.insert(0, _DeferXraySamplingClient())

from aws_lambda_powertools import Logger, Metrics, Tracer  # noqa: E402

from kefu.log_masking import PersonalDataFilter  # noqa: E402

logger = Logger(service="kefu")
# Personal data (names, contact points, what customers wrote) is masked in every record before it is formatted.
logger.addFilter(PersonalDataFilter())
# Only botocore is patched: every AWS call goes through it (pynamodb too); patching every library X-Ray
# knows (requests, httplib, sqlite3, …) would cost the cold start for calls kefu never makes.
tracer = Tracer(service="kefu", patch_modules=["botocore"])
metrics = Metrics(namespace="kefu", service="kefu")


def _no_call_subsegments_in_unsampled_traces() -> None:
    """X-Ray's botocore patch opens a subsegment around every AWS call, sampled or not: in an unsampled trace (most
    invocations) a dummy one that is never sent, yet it costs ~0.1 ms a call (the trace header parsed from the
    environment again at each of its half-dozen lookups of the current entity; tests/bench, issue 22). Inside an
    unsampled subsegment (the handler's, Powertools' capture) the call is made directly instead. Nothing recorded
    changes: the dummy would have been dropped, and the trace header the call carries is still injected from the
    current subsegment, unsampled as before. A sampled trace, or a call outside any subsegment, goes through X-Ray's
    wrapper as before."""
    client: Any = sys.modules.get("botocore.client")
    if client is None or not getattr(client, "_xray_enabled", False):
        return  # tracing is off (tests, local runs): botocore is not patched
    traced: Any = client.BaseClient.__dict__["_make_api_call"]
    plain = getattr(traced, "__wrapped__", None)
    if plain is None:
        return
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.models.subsegment import Subsegment

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        entity = xray_recorder.get_trace_entity()
        if isinstance(entity, Subsegment) and not entity.sampled:
            return plain(self, operation_name, api_params)
        return traced.__get__(self, type(self))(operation_name, api_params)

    client.BaseClient._make_api_call = _make_api_call
    _refresh_lambda_context_once_per_trace()


def _refresh_lambda_context_once_per_trace() -> None:
    """X-Ray's Lambda context refreshes itself at every lookup of the current entity (each AWS call, each subsegment
    begun or ended, each annotation: 10 to 18 times in opening a ticket): it reads the trace header from the
    environment, parses it into a TraceHeader and compares its root with the current segment's trace id, to start a
    new segment when the invocation changed. Once a header has been found to match a segment, the same header
    string with the same segment object matches again (the root is a function of the header, a segment's trace id
    is set when it is made), so that lookup returns at once; any other header or segment (a new invocation, a
    segment set by hand) is refreshed by X-Ray's own code as before."""
    import os

    from aws_xray_sdk.core.lambda_launcher import LAMBDA_TRACE_HEADER_KEY, LambdaContext
    from aws_xray_sdk.core.models.trace_header import TraceHeader

    refresh: Any = LambdaContext.__dict__.get("_refresh_context")
    if refresh is None or getattr(refresh, "kefu_once_per_trace", False):
        return  # an X-Ray SDK without that method (left as it is), or patched already
    environ = os.environ

    def _refresh_context(self: Any) -> None:
        local = self._local
        header = environ.get(LAMBDA_TRACE_HEADER_KEY)
        matched = getattr(local, "kefu_matched", None)
        if matched is not None and matched[1] is getattr(local, "segment", None) and matched[0] == header:
            return
        refresh(self)
        segment = getattr(local, "segment", None)
        if segment is not None and header is not None:
            root = TraceHeader.from_header_str(header).root
            # X-Ray's own test for keeping the segment (an empty root keeps it too).
            local.kefu_matched = (header, segment) if not root or root == segment.trace_id else None

    _refresh_context.kefu_once_per_trace = True  # type: ignore[attr-defined]
    LambdaContext._refresh_context = _refresh_context


_no_call_subsegments_in_unsampled_traces()
