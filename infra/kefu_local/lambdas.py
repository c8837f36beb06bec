"""In-process Lambda for moto: a registry of functions (name → handler) that moto's Lambda `Invoke` runs here.

Whatever calls Lambda's Invoke API reaches moto's `LambdaBackend.invoke(function_name, qualifier, body, headers,
response_headers)`: a boto3 `lambda.invoke()` (in `mock_aws` or against the local endpoint), a Step Functions
`arn:aws:states:::lambda:invoke` or `arn:aws:lambda:…:function:…` task (moto's ASL interpreter calls Invoke through
boto3), an EventBridge Scheduler target. `install()` wraps that method (and the Docker-less backend's): a
registered function runs in this process and its result comes back as Lambda returns it —

* the handler's return value, JSON-serialized (`null` for None);
* an exception as `FunctionError: Unhandled` with the Python runtime's error document (`errorType` is the
  exception's class name, `errorMessage`, `requestId`, `stackTrace`), so ASL `Retry`/`Catch` on `States.TaskFailed`,
  `States.ALL` or a custom error name (`TicketNotFound`) behave as in AWS;
* `LambdaServiceException` raised by a handler as the Invoke call failing with Lambda's `ServiceException`
  (HTTP 500, `Lambda.ServiceException` in ASL): how a test exercises the service-error retries CDK adds;
* a run longer than the function's timeout as Lambda's timeout error (`Sandbox.Timedout`; the run is not cut short);
* `InvocationType=Event` run in a background thread, retried on error as Lambda's asynchronous invocations are
  (twice, or the function's `MaximumRetryAttempts`), then handed to its on-failure destination (`on_failure`: the
  record Lambda sends there, condition `RetriesExhausted`) or, without one, logged; `DryRun` not run at all.

The lookup happens *before* moto's own: registered functions need not exist in moto's Lambda backend (the local
stack does not create them there), so moto never looks for their code and never starts a container. An
unregistered name goes on to moto unchanged (usually `ResourceNotFoundException`, `Lambda.ResourceNotFoundException`
in ASL). The registry is process-wide: it serves `mock_aws` and the local stack's moto server (a thread of the
same process) alike.

In tests: `with dispatching({"kefu-dev-service-Sla-Function": handler}): …` — names or ARNs, handlers
`(event, context) -> result` or `LocalFunction`s.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto.core.exceptions import JsonRESTError

from kefu_local import logs
from kefu_local.gateway import LOCAL_ACCOUNT_ID
from kefu_local.runtime import LOCAL_REGION, LambdaContext, LocalFunction

log = logging.getLogger(__name__)

#: A Lambda handler as the Python runtime calls it.
Handler = Callable[[dict[str, Any], Any], Any]

#: Lambda's asynchronous invocations are retried (twice by default); locally after these many seconds (1 and 2
#: minutes in AWS).
ASYNC_RETRY_DELAYS_S = (1.0, 2.0)

#: What receives the record of an asynchronous event whose retries are exhausted (Lambda's on-failure destination).
OnFailure = Callable[[dict[str, Any]], None]


class LambdaServiceException(Exception):
    """Raised by a dispatched handler to make the Invoke call itself fail as when the Lambda service does."""


class ImportModuleError(Exception):
    """A function's handler module could not be imported (Lambda's `Runtime.ImportModuleError`)."""

    error_type = "Runtime.ImportModuleError"


class TemplateFunction:
    """A template's function as the local stack runs it: its handler module imported on the first invocation (the
    cold start), so a module that does not import fails its invocations, as in Lambda, not the whole stack."""

    def __init__(
        self, name: str, handler_file: Path, *, handler: str, memory_mb: int = 512, timeout_seconds: float = 29
    ):
        self.name = name
        self.handler_file = handler_file
        self.handler = handler
        self.memory_mb = memory_mb
        self.timeout_seconds = timeout_seconds
        self._loaded: LocalFunction | None = None
        self._lock = threading.Lock()

    def load(self) -> LocalFunction:
        with self._lock:
            if self._loaded is None:
                try:
                    self._loaded = LocalFunction(
                        self.name,
                        self.handler_file,
                        handler=self.handler,
                        memory_mb=self.memory_mb,
                        timeout_seconds=self.timeout_seconds,
                    )
                except Exception as err:
                    module = self.handler_file.stem
                    raise ImportModuleError(f"Unable to import module '{module}': {err}") from err
            return self._loaded

    def __call__(self, event: Any) -> Any:
        return self.load()(event)


#: What can be registered: a handler, a handler-file function, or a template's function run by the local stack.
Dispatchable = Handler | LocalFunction | TemplateFunction


def function_name(name_or_arn: str) -> str:
    """`arn:aws:lambda:r:a:function:name[:qualifier]`, `a:function:name[:q]` or `name[:q]` → `name`."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def function_arn(name: str, region: str = LOCAL_REGION, account: str = LOCAL_ACCOUNT_ID) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


@dataclass
class Invocation:
    """What Lambda's Invoke returns: the payload, and `Unhandled` when the function failed."""

    payload: bytes
    function_error: str | None = None

    @property
    def result(self) -> Any:
        return json.loads(self.payload) if self.payload else None


@dataclass
class DispatchedFunction:
    name: str
    target: Dispatchable
    timeout_seconds: float
    memory_mb: int
    #: Retries of a failed asynchronous event (the function's event invoke config, 2 by default).
    async_retries: int = 2
    #: Where an asynchronous event goes once its retries are exhausted; None: logged only.
    on_failure: OnFailure | None = None
    #: The events it was invoked with, in order (for tests' assertions).
    events: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=function_arn(self.name),
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + self.timeout_seconds,
            log_group_name=f"/aws/lambda/{self.name}",
        )

    def invoke(self, event: Any) -> Invocation:
        """Run the handler once, as one Lambda instance does (one invocation at a time)."""
        self.events.append(event)
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            if isinstance(self.target, LocalFunction | TemplateFunction):
                result = self.target(event)
            else:
                with self._lock:
                    logs.new_invocation()
                    result = self.target(event, self.context())
        except LambdaServiceException:
            raise
        except Exception as err:
            error_type = getattr(err, "error_type", type(err).__name__)
            log.info("%s raised %s: %s", self.name, error_type, err)
            return _error(error_type, str(err), request_id, _handler_frames(err))
        elapsed = time.monotonic() - started
        if elapsed > self.timeout_seconds:
            message = f"RequestId: {request_id} Error: Task timed out after {self.timeout_seconds:.2f} seconds"
            return _error("Sandbox.Timedout", message, request_id, [])
        try:
            return Invocation(json.dumps(result).encode())
        except (TypeError, ValueError) as err:
            return _error("Runtime.MarshalError", f"Unable to marshal response: {err}", request_id, [])


def _handler_frames(err: BaseException) -> list[str]:
    """The traceback's frames from the handler on, as the Lambda runtime reports them (not this dispatcher's)."""
    frames = traceback.extract_tb(err.__traceback__)
    return traceback.format_list([frame for frame in frames if Path(frame.filename).parent != _HERE])


_HERE = Path(__file__).parent


def _error(error_type: str, message: str, request_id: str, stack: list[str]) -> Invocation:
    document = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return Invocation(json.dumps(document).encode(), "Unhandled")


class Registry:
    """Functions run in this process, by function name."""

    def __init__(self) -> None:
        self._functions: dict[str, DispatchedFunction] = {}
        self._lock = threading.Lock()

    def register(
        self,
        name_or_arn: str,
        target: Dispatchable,
        *,
        timeout_seconds: float | None = None,
        memory_mb: int = 512,
        async_retries: int = 2,
        on_failure: OnFailure | None = None,
    ) -> DispatchedFunction:
        name = function_name(name_or_arn)
        if timeout_seconds is None:
            timeout_seconds = float(getattr(target, "timeout_seconds", 900))
        memory_mb = int(getattr(target, "memory_mb", memory_mb))
        dispatched = DispatchedFunction(name, target, timeout_seconds, memory_mb, async_retries, on_failure)
        with self._lock:
            self._functions[name] = dispatched
        return dispatched

    def unregister(self, name_or_arn: str) -> None:
        with self._lock:
            self._functions.pop(function_name(name_or_arn), None)

    def get(self, name_or_arn: str) -> DispatchedFunction | None:
        return self._functions.get(function_name(name_or_arn))

    def names(self) -> list[str]:
        return sorted(self._functions)

    def clear(self) -> None:
        with self._lock:
            self._functions.clear()


#: The process's registry: what moto's Lambda runs in-process once `install()`ed.
registry = Registry()
register = registry.register
unregister = registry.unregister


def invoke(name_or_arn: str, payload: bytes | str | None, invocation_type: str = "RequestResponse") -> Invocation:
    """Invoke a registered function as Lambda's Invoke API would; KeyError if it is not registered."""
    dispatched = registry.get(name_or_arn)
    if dispatched is None:
        raise KeyError(f"no function {function_name(name_or_arn)!r} is dispatched in this process")
    raw = payload.decode() if isinstance(payload, bytes) else payload
    event = json.loads(raw) if raw and raw.strip() else {}
    if invocation_type == "DryRun":
        return Invocation(b"")
    if invocation_type == "Event":
        threading.Thread(target=_run_async, args=(dispatched, event), name=f"async-{dispatched.name}").start()
        return Invocation(b"")
    return dispatched.invoke(event)


def _run_async(dispatched: DispatchedFunction, event: Any) -> None:
    delays = (
        0.0,
        *(ASYNC_RETRY_DELAYS_S[min(i, len(ASYNC_RETRY_DELAYS_S) - 1)] for i in range(dispatched.async_retries)),
    )
    invocation = Invocation(b"")
    for attempt, delay in enumerate(delays):
        time.sleep(delay)
        try:
            invocation = dispatched.invoke(event)
        except LambdaServiceException as err:
            invocation = _error("ServiceException", str(err), "", [])
        if invocation.function_error is None:
            return
        log.warning("%s failed on an asynchronous event (attempt %d): %s", dispatched.name, attempt + 1, invocation)
    if dispatched.on_failure is None:
        log.error(
            "%s: an asynchronous event's retries are exhausted and it has no on-failure destination; dropped: %s",
            dispatched.name,
            json.dumps(event)[:2000],
        )
        return
    try:
        dispatched.on_failure(failure_record(dispatched.name, event, invocation, len(delays)))
    except Exception:
        log.exception("%s: the on-failure destination refused an exhausted event: %s", dispatched.name, event)


def failure_record(name: str, event: Any, invocation: Invocation, attempts: int) -> dict[str, Any]:
    """The record Lambda sends an asynchronous invocation's on-failure destination once its retries are exhausted."""
    try:
        response = invocation.result
    except ValueError:
        response = invocation.payload.decode(errors="replace")
    error = invocation.function_error or "Unhandled"
    record = destination_record(f"{function_arn(name)}:$LATEST", "RetriesExhausted", attempts, error)
    return {**record, "requestPayload": event, "responsePayload": response}


def destination_record(arn: str, condition: str, invocations: int, function_error: str | None) -> dict[str, Any]:
    """What every record Lambda sends an on-failure destination holds (an asynchronous invocation's, a stream
    batch's): its version and time, the request's context and the response's."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": arn,
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "responseContext": response,
    }


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch moto's Lambda backends so registered functions run in this process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.awslambda.models import LambdaBackend
        from moto.awslambda_simple.models import LambdaSimpleBackend

        for backend in (LambdaBackend, LambdaSimpleBackend):
            backend.invoke = _dispatching_invoke(backend.__dict__["invoke"])
        _installed = True


def _dispatching_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke_backend(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes | str | None:
        if registry.get(function_name) is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        try:
            invocation = invoke(function_name, body, invocation_type)
        except LambdaServiceException as err:
            raise _ServiceException(str(err) or "Lambda service error") from err
        except json.JSONDecodeError as err:
            raise _InvalidRequestContent(f"Could not parse request body into json: {err}") from err
        if invocation.function_error:
            response_headers["x-amz-function-error"] = invocation.function_error
        response_headers["x-amz-executed-version"] = "$LATEST"
        response_headers["Content-Length"] = str(len(invocation.payload))
        return invocation.payload

    return invoke_backend


class _ServiceException(JsonRESTError):
    code = 500

    def __init__(self, message: str):
        super().__init__("ServiceException", message)


class _InvalidRequestContent(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestContentException", message)


@contextmanager
def dispatching(functions: Mapping[str, Dispatchable]) -> Iterator[dict[str, DispatchedFunction]]:
    """Run these functions (name or ARN → handler) in-process for the block; yields them by name, each with the
    `events` it received."""
    install()
    registered = {function_name(name): register(name, target) for name, target in functions.items()}
    try:
        yield registered
    finally:
        for name in registered:
            unregister(name)
