"""The templates' state machines in moto, executing their exact ASL, with Lambda tasks run in-process.

moto 5.2.5 runs the ASL of a state machine (its `stepfunctions.parser` interpreter) only when its user config
says `{"stepfunctions": {"execute_state_machine": True}}`; otherwise StartExecution only records an execution.
`install()` switches it on in this process's moto config (inside `mock_aws` the switch ends with the mock, which
restores its config; for the local stack's moto server, a thread of this process, it lasts), dispatches Lambda
invocations to registered handlers (`kefu_local.lambdas`) and patches the interpreter in four places:
Wait states keep the local clock (`kefu.clock`): a wait lasts its virtual duration divided by `KEFU_TIME_SCALE`,
and a `Timestamp(Path)` is measured against the virtual now (moto compares a UTC timestamp with the machine's naive
local time, and loops on fractions of a second); Retry intervals keep it too; an execution started without a
name gets a UUID, as in AWS; and a stopped execution stays ABORTED when the task it was running fails afterwards.

`create_state_machines(templates, client)` creates every `AWS::StepFunctions::StateMachine` of the templates with
its definition resolved: `Definition` or `DefinitionString` with intrinsics resolved to the local names and ARNs,
then `DefinitionSubstitutions` applied as CloudFormation does.

`LocalStepFunctions` is the harness for integration tests (inside `mock_aws`):

    with mock_aws(), LocalStepFunctions(dev.outdir, {"SlaFunction": handler}) as sfn:
        result = sfn.run("SlaEscalation", {"ticketId": "T1"})
        assert result.status == "SUCCEEDED" and result.output == {...}
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3

from kefu import clock
from kefu_local import lambdas, references
from kefu_local.config import LocalStackError
from kefu_local.lambdas import Dispatchable, DispatchedFunction
from kefu_local.resources import BUCKET, FUNCTION, QUEUE, TABLE_TYPES, ResourceBuilder, local_name
from kefu_local.runtime import LOCAL_REGION
from kefu_local.templates import STAGE, Resource, Templates, Unresolvable

log = logging.getLogger(__name__)

STATE_MACHINE = references.STATE_MACHINE
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")
_FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


# -- switching moto on -------------------------------------------------------------------------------------------


def enable_execution() -> None:
    """Make moto's StartExecution run the ASL (a new dict, so `mock_aws` restores the old one when it ends)."""
    from moto.core.config import default_user_config

    current = default_user_config.get("stepfunctions", {})
    if not current.get("execute_state_machine"):
        default_user_config["stepfunctions"] = {**current, "execute_state_machine": True}


_waits_patched = False
_patch_lock = threading.Lock()


def install() -> None:
    """Executions run the ASL, Lambda tasks run registered handlers in-process, waits keep the local clock."""
    global _waits_patched
    enable_execution()
    lambdas.install()
    with _patch_lock:
        if _waits_patched:
            return
        _import_the_interpreter_without_batch()
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
        from moto.stepfunctions.parser.asl.eval.environment import Environment
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        WaitFunction._eval_body = _wait_on_the_local_clock
        Environment.set_error = _unless_stopped(Environment.set_error)
        # moto declares whole seconds; the wait takes fractions, which a scaled local clock needs.
        Timestamp._get_wait_seconds = _virtual_seconds_until_timestamp  # type: ignore[assignment]
        StepFunctionsParserBackend.start_execution = _named(StepFunctionsParserBackend.start_execution)
        # The retrier reads the time module it imported; an object with the functions it calls stands in.
        retrier_decl.time = _RetryIntervals()  # type: ignore[assignment]
        _waits_patched = True


def _import_the_interpreter_without_batch() -> None:
    """Import moto's ASL interpreter without moto's Batch and EC2 models.

    Its Batch task integration imports one enum (`moto.batch.utils.JobStatus`), and the `moto.batch` package imports
    all of Batch's and EC2's models with it: ~0.9 s of CPU, two thirds of the interpreter's import, paid at every
    start of a local stack and in every test process that runs a state machine. kefu's state machines call Lambda,
    SNS and DynamoDB, never Batch. For the import, `moto.batch` is a bare package (its submodules load from its
    folder as usual; its `__init__` does not run); it is taken out of `sys.modules` after, so whatever imports
    `moto.batch` later gets the whole package."""
    import importlib.util
    import sys

    if "moto.batch" in sys.modules or "moto.stepfunctions.parser.models" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or spec.submodule_search_locations is None:
        return
    bare = importlib.util.module_from_spec(spec)  # the package's folder, its __init__ not run
    sys.modules["moto.batch"] = bare
    try:
        import moto.stepfunctions.parser.models  # noqa: F401
    finally:
        if sys.modules.get("moto.batch") is bare:
            del sys.modules["moto.batch"]


def _unless_stopped(set_error: Any) -> Any:
    """A stopped execution stays ABORTED, as in AWS: moto would turn it FAILED when the task that was running at
    StopExecution then failed (its interpreter unwinds the stopped task with an error)."""
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    def set_error_unless_stopped(self: Any, error: Any) -> None:
        if isinstance(self._program_state, ProgramStopped):
            return
        set_error(self, error)

    return set_error_unless_stopped


def _named(start_execution: Any) -> Any:
    """StartExecution without a name gets a UUID, as in AWS (moto's interpreter would name every such one `None`,
    and refuse the second as a duplicate)."""

    def start_named_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kw: Any) -> Any:
        return start_execution(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kw)

    return start_named_execution


class _RetryIntervals:
    """moto's retrier module's `time`: it only sleeps a Retry's interval, which keeps the local clock here too."""

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(clock.real_seconds(seconds))


def _wait_on_the_local_clock(self: Any, env: Any) -> None:
    """A Wait state: its (virtual) seconds, slept N times faster; interrupted when the execution stops."""
    deadline = time.monotonic() + clock.real_seconds(max(0.0, float(self._get_wait_seconds(env=env))))
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        env.program_state_event.wait(remaining)


def _virtual_seconds_until_timestamp(self: Any, env: Any) -> float:
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException

    self.string.eval(env=env)
    text = env.stack.pop()
    moment = self._from_timestamp_string(timestamp=text) if isinstance(text, str) else None
    if moment is None:
        raise FailureEventException(self._create_failure_event(env, str(text)))
    return moment.replace(tzinfo=UTC).timestamp() - clock.epoch_seconds()


# -- the templates' state machines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalStateMachine:
    logical_id: str
    construct_path: str
    name: str
    arn: str
    type: str
    #: The ASL as created in moto: intrinsics resolved, substitutions applied.
    definition: dict[str, Any]


def definition_of(templates: Templates, resource: Resource) -> dict[str, Any]:
    """The state machine's ASL as CloudFormation would deploy it, with the local names and ARNs in it."""
    props = resource.properties
    substitutions = {
        key: _text(value)
        for key, value in templates.resolve(resource.stack, props.get("DefinitionSubstitutions", {})).items()
    }
    if "Definition" in props:
        definition = _substitute_strings(templates.resolve(resource.stack, props["Definition"]), substitutions)
        if not isinstance(definition, dict):
            raise LocalStackError(f"{resource.logical_id}: Definition is not an object")
        return definition
    if "DefinitionString" in props:
        text = str(templates.resolve(resource.stack, props["DefinitionString"]))
        return json.loads(_substitute(text, substitutions))
    raise LocalStackError(f"{resource.logical_id}: only Definition and DefinitionString are supported locally")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def _substitute(text: str, substitutions: Mapping[str, str]) -> str:
    return _SUBSTITUTION.sub(lambda m: substitutions.get(m.group(1), m.group(0)), text)


def _substitute_strings(value: Any, substitutions: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _substitute(value, substitutions)
    if isinstance(value, list):
        return [_substitute_strings(item, substitutions) for item in value]
    if isinstance(value, dict):
        return {key: _substitute_strings(item, substitutions) for key, item in value.items()}
    return value


def declared_state_machines(templates: Templates) -> list[LocalStateMachine]:
    """The templates' state machines as they are to exist locally (names, ARNs, resolved ASL)."""
    machines = []
    for resource in templates.resources(STATE_MACHINE):
        name = references.physical_name(templates, resource)
        machines.append(
            LocalStateMachine(
                logical_id=resource.logical_id,
                construct_path=resource.construct_path,
                name=name,
                arn=str(templates.resolve(resource.stack, {"Ref": resource.logical_id})),
                type=str(resource.properties.get("StateMachineType", "STANDARD")),
                definition=definition_of(templates, resource),
            )
        )
    return machines


def create_state_machines(templates: Templates, client: Any) -> dict[str, LocalStateMachine]:
    """Create (or bring up to date) every state machine of the templates in moto; by logical id."""
    resources = {r.logical_id: r for r in templates.resources(STATE_MACHINE)}
    created: dict[str, LocalStateMachine] = {}
    for machine in declared_state_machines(templates):
        role = _role_arn(templates, resources[machine.logical_id])
        definition = json.dumps(machine.definition)
        try:
            arn = client.create_state_machine(
                name=machine.name, definition=definition, roleArn=role, type=machine.type
            )["stateMachineArn"]
        except client.exceptions.StateMachineAlreadyExists:
            arn = machine.arn
            client.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role)
        if arn != machine.arn:
            raise LocalStackError(f"{machine.logical_id} was created as {arn}, not {machine.arn}")
        created[machine.logical_id] = machine
    return created


def _role_arn(templates: Templates, resource: Resource) -> str:
    try:
        return str(templates.resolve(resource.stack, resource.properties["RoleArn"]))
    except (KeyError, Unresolvable):
        return f"arn:aws:iam::{templates.account}:role/{local_name(resource)}"[:140]


# -- executions --------------------------------------------------------------------------------------------------


@dataclass
class ExecutionResult:
    arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]] = field(repr=False)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The history's events of one type (`TaskStateEntered`, `LambdaFunctionFailed`, `TaskFailed`…)."""
        return [event for event in self.history if event["type"] == event_type]

    @property
    def states_entered(self) -> list[str]:
        """The names of the states entered, in order."""
        return [
            event["stateEnteredEventDetails"]["name"] for event in self.history if "stateEnteredEventDetails" in event
        ]


def wait_for_execution(client: Any, execution_arn: str, timeout: float = 30) -> ExecutionResult:
    """Poll until the execution ends; its status, output and history. TimeoutError if it runs longer."""
    deadline = time.monotonic() + timeout
    while True:
        described = client.describe_execution(executionArn=execution_arn)
        if described["status"] in _FINISHED:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout} s")
        time.sleep(0.02)
    history: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = client.get_execution_history(executionArn=execution_arn, **({"nextToken": token} if token else {}))
        history.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    return ExecutionResult(
        arn=execution_arn,
        status=described["status"],
        output=_output(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
        history=history,
    )


def _output(text: str | None) -> Any:
    """The execution's output document (moto gives a bare string output unquoted)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# -- the harness -------------------------------------------------------------------------------------------------

TemplatesSource = Templates | Path | str | Mapping[str, Mapping[str, Any]]


def as_templates(source: TemplatesSource, stage: str = STAGE) -> Templates:
    """A `Templates` from a cdk.out folder, or from stack templates given as dicts (stack name → template)."""
    if isinstance(source, Templates):
        return source
    if isinstance(source, str | Path):
        return Templates(Path(source), stage)
    with tempfile.TemporaryDirectory(prefix="kefu-templates-") as folder:  # read once, when constructed
        for part in ("stateful", "service"):
            name = f"kefu-{stage}-{part}"
            template = source.get(name, {"Resources": {}})
            (Path(folder) / f"{name}.template.json").write_text(json.dumps(template), encoding="utf-8")
        return Templates(Path(folder), stage)


def _match(key: str, resources: list[Resource], names: Mapping[str, str]) -> Resource | None:
    """The resource a test names by logical id, local name, construct path, or a unique part of them."""
    for resource in resources:
        if key in (resource.logical_id, names[resource.logical_id], resource.construct_path):
            return resource
    lowered = key.lower()
    candidates = [r for r in resources if lowered in r.logical_id.lower() or lowered in r.construct_path.lower()]
    if len(candidates) > 1:
        raise KeyError(f"{key!r} names several: {', '.join(r.logical_id for r in candidates)}")
    return candidates[0] if candidates else None


class LocalStepFunctions:
    """The templates' state machines in the current moto (`mock_aws` or an endpoint), their Lambda tasks run by
    the given handlers, executions started and awaited.

    `functions` maps a template function (its logical id, local name, construct path or a unique part of one,
    case-insensitive) or any other function name or ARN to a handler `(event, context)` or a `LocalFunction`.
    A task calling a function that is not mapped fails as Lambda would (`Lambda.ResourceNotFoundException`).
    Tables, queues and buckets of the templates are created too, under the names the ASL uses. With
    `environment=True` (a synthesized cdk.out, whose function assets exist) the template functions' environment
    (their table names…) is applied to this process, as the local stack does, and undone at the end.
    Executions still running at the end are stopped.
    """

    def __init__(
        self,
        templates: TemplatesSource,
        functions: Mapping[str, Dispatchable] | None = None,
        *,
        endpoint: str | None = None,
        environment: bool = False,
        stage: str = STAGE,
    ):
        self.templates = as_templates(templates, stage)
        self.endpoint = endpoint
        self._functions = dict(functions or {})
        self._environment = environment
        self._saved_environment: dict[str, str | None] = {}
        self.machines: dict[str, LocalStateMachine] = {}
        self.dispatched: dict[str, DispatchedFunction] = {}
        self._started: list[str] = []
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("stepfunctions", endpoint_url=self.endpoint, region_name=LOCAL_REGION)
        return self._client

    def __enter__(self) -> LocalStepFunctions:
        install()
        templates = self.templates
        builder = ResourceBuilder(templates, self.endpoint)  # type: ignore[arg-type]
        references.extend(templates)
        if self._environment:
            self._apply_environment(builder.build().functions.values())
        else:
            for resource in templates.resources(*TABLE_TYPES, QUEUE, BUCKET):
                templates.resolve(resource.stack, {"Ref": resource.logical_id})
        functions = templates.resources(FUNCTION)
        names = {f.logical_id: str(templates.resolve(f.stack, {"Ref": f.logical_id})) for f in functions}
        for key, target in self._functions.items():
            matched = _match(key, functions, names)
            name = names[matched.logical_id] if matched else key
            self.dispatched[key] = lambdas.register(name, target)
        self.machines = create_state_machines(templates, self.client)
        return self

    def __exit__(self, *_: Any) -> None:
        for arn in self._started:
            try:
                if self.client.describe_execution(executionArn=arn)["status"] == "RUNNING":
                    self.client.stop_execution(executionArn=arn, error="Test.Ended", cause="the test ended")
            except Exception:  # the mock may already be gone
                log.debug("could not stop %s", arn, exc_info=True)
        for dispatched in self.dispatched.values():
            lambdas.unregister(dispatched.name)
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self._saved_environment:
            _reload_domain_settings()

    def _apply_environment(self, specs: Any) -> None:
        for spec in specs:
            for key, value in spec.environment.items():
                self._saved_environment.setdefault(key, os.environ.get(key))
                os.environ[key] = value
        _reload_domain_settings()

    def machine(self, key: str) -> LocalStateMachine:
        """A state machine by logical id, name, construct path or a unique part of one (case-insensitive)."""
        resources = self.templates.resources(STATE_MACHINE)
        resource = _match(key, resources, {m.logical_id: m.name for m in self.machines.values()})
        if resource is None:
            raise KeyError(f"no state machine {key!r}; the templates have {sorted(self.machines)}")
        return self.machines[resource.logical_id]

    def start(self, key: str, payload: Any = None, *, name: str | None = None) -> str:
        """Start an execution of a state machine; its ARN."""
        request: dict[str, Any] = {"stateMachineArn": self.machine(key).arn, "input": json.dumps(payload or {})}
        if name:
            request["name"] = name
        arn = self.client.start_execution(**request)["executionArn"]
        self._started.append(arn)
        return arn

    def wait(self, execution_arn: str, timeout: float = 30) -> ExecutionResult:
        return wait_for_execution(self.client, execution_arn, timeout)

    def run(self, key: str, payload: Any = None, *, timeout: float = 30) -> ExecutionResult:
        """Start an execution and wait for its end."""
        return self.wait(self.start(key, payload), timeout)

    def stop(self, execution_arn: str, *, error: str = "", cause: str = "") -> None:
        self.client.stop_execution(executionArn=execution_arn, error=error, cause=cause)

    def events(self, key: str) -> list[dict[str, Any]]:
        """The events the function mapped under `key` was invoked with."""
        return self.dispatched[key].events


def _reload_domain_settings() -> None:
    try:
        from kefu.config import reload_settings
    except ImportError:  # pragma: no cover - the domain package is always installed with the local stack
        return
    reload_settings()


def running_executions(client: Any, machines: Mapping[str, LocalStateMachine]) -> Iterator[str]:
    for machine in machines.values():
        for page in client.get_paginator("list_executions").paginate(
            stateMachineArn=machine.arn, statusFilter="RUNNING"
        ):
            for execution in page["executions"]:
                yield execution["executionArn"]
