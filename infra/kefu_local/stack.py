"""The local stack, started and stopped as one: the AWS endpoint holding the resources of the synthesized
templates (cdk.out) — tables, queues, buckets, state machines executing their ASL, schedules — demo data, the HTTP
API in front of `functions/api`, every template function run in-process when invoked (by Step Functions tasks,
schedules, rules, Lambda's Invoke API), a poller per SQS or DynamoDB stream event source mapping, the EventBridge
rules' targets and the SMTP server SES receiving stands for.

`KEFU_TIME_SCALE=N` makes the local clock (`kefu.clock`) run N times faster from the stack's start
(`KEFU_TIME_ORIGIN`): domain timestamps, Step Functions waits and schedules all keep it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3

from kefu import clock, deployment
from kefu.config import ATTACHMENTS_PUBLIC_URL_VAR, PUBLIC_API_URL_VAR, TIME_ORIGIN_VAR, TIME_SCALE_VAR, reload_settings
from kefu_local import buses, lambdas, references, stepfunctions
from kefu_local.aws import LocalAws, base_env
from kefu_local.config import API_PORT_VAR, REPO_ROOT, LocalConfig, LocalStackError
from kefu_local.events import EventBus
from kefu_local.gateway import Gateway, Route, RouteTable
from kefu_local.lambdas import ImportModuleError, TemplateFunction
from kefu_local.persistence import Snapshots
from kefu_local.pollers import QueuePoller
from kefu_local.resources import LocalFunctionSpec, LocalResources, ResourceBuilder
from kefu_local.runtime import LOCAL_REGION, LocalFunction, declared_routes_of, routes_of
from kefu_local.schedules import Scheduler, create_schedules
from kefu_local.seed import seed_demo_data
from kefu_local.server import ApiServer
from kefu_local.smtp import SesReceiving, SmtpServer, receipt_rules
from kefu_local.stepfunctions import LocalStateMachine, create_state_machines, running_executions
from kefu_local.streams import StreamPoller, stream_mappings
from kefu_local.targets import send_to_queue
from kefu_local.templates import Templates, Unresolvable, cloud_assembly
from kefu_local.tokens import LocalUserPool
from kefu_local.web import S3_PREFIX, WebServer, WebSettings, start_web

log = logging.getLogger(__name__)

#: Tickets per weekday of a demo month to write at start (`kefu local up --month`); unset: none.
SEED_MONTH_VAR = "KEFU_LOCAL_SEED_MONTH"

API_FUNCTION_NAME = "kefu-api"
API_HANDLER_FILE = REPO_ROOT / "functions" / "api" / "handler.py"


def load_api_function(handler_file: Path = API_HANDLER_FILE) -> tuple[LocalFunction, list[Route]]:
    """The API function and its routes: the handler's `declared_routes()` (what the infrastructure
    reads too), else those of its Powertools resolver `app`, public when listed in `PUBLIC_PATHS`."""
    if not handler_file.is_file():
        raise LocalStackError(f"the API handler {handler_file} does not exist")
    function = LocalFunction(API_FUNCTION_NAME, handler_file)
    module = function.module
    if hasattr(module, "declared_routes"):
        return function, declared_routes_of(module)
    if not hasattr(module, "app") or not hasattr(module, "PUBLIC_PATHS"):
        raise LocalStackError(f"{handler_file} must define `app` (the HTTP resolver) and `PUBLIC_PATHS`")
    return function, routes_of(module.app, module.PUBLIC_PATHS)


def _template_function(spec: LocalFunctionSpec) -> TemplateFunction:
    """The function, its module imported now so that an import error shows at start (and again when invoked)."""
    function = TemplateFunction(
        spec.name,
        spec.handler_file,
        handler=spec.handler,
        memory_mb=spec.memory_mb,
        timeout_seconds=spec.timeout_seconds,
    )
    try:
        function.load()
    except ImportModuleError as err:
        log.warning("%s (%s) cannot run until this is fixed: %s", spec.name, spec.handler_file, err.__cause__)
    return function


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=LOCAL_REGION)


def function_environment(resources: LocalResources) -> dict[str, str]:
    """The functions' template environments, merged: they share this process's environment. A variable two
    functions set differently is logged (the first one's value is kept)."""
    merged: dict[str, str] = {}
    for spec in resources.functions.values():
        for key, value in spec.environment.items():
            if key in merged and merged[key] != value:
                log.warning(
                    "%s is %r for %s but %r for another function; using the latter", key, value, spec.name, merged[key]
                )
                continue
            merged[key] = value
    return merged


def start_time_scale() -> float | None:
    """Start the virtual clock now if KEFU_TIME_SCALE asks for one; the scale, or None for real time."""
    raw = os.environ.get(TIME_SCALE_VAR, "").strip()
    if not raw:
        os.environ.pop(TIME_SCALE_VAR, None)
        clock.reset()
        return None
    os.environ[TIME_ORIGIN_VAR] = repr(time.time())
    clock.reset()
    try:
        scale = clock.scale()
    except ValueError as err:
        raise LocalStackError(str(err)) from None
    return scale if scale > 1 else None


class LocalStack:
    def __init__(self, config: LocalConfig):
        self.config = config
        self.user_pool = LocalUserPool.load_or_create(config.state_dir)
        self.routes: list[Route] = []
        self.resources = LocalResources()
        self.templates: Templates | None = None
        self.pollers: list[QueuePoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.functions: dict[str, LocalFunction | TemplateFunction] = {}
        self.state_machines: dict[str, LocalStateMachine] = {}
        self.schedules: list[str] = []
        self.scheduler: Scheduler | None = None
        self.events: EventBus | None = None
        self.smtp: SmtpServer | None = None
        self.web: WebServer | None = None
        self.time_scale: float | None = None
        self.snapshots = Snapshots(config.state_dir)
        #: Whether the start found the state a previous run left (tables, queues, buckets… as they were).
        self.restored = False
        self._running = ExitStack()

    def start(self) -> None:
        """Start everything, or, if a part fails, stop what had started and raise."""
        config = self.config
        config.check_ports_free()
        self.time_scale = start_time_scale()
        templates = Templates(cloud_assembly())
        with ExitStack() as starting:
            month = os.environ.get(SEED_MONTH_VAR)
            aws = self._start_aws(templates, starting, saving=not month)
            if month:
                # Before the stream readers start: a month of history schedules no escalation wakes.
                self._seed_month(int(month))
                self.snapshots.start()

            api_function, self.routes = load_api_function()
            self._dispatch_functions(api_function)
            starting.callback(self._undispatch_functions)
            self._start_workflows(templates, aws.endpoint, starting)
            self._start_streams(templates, aws.endpoint, starting)

            self.events = EventBus.from_templates(templates, aws.endpoint)
            buses.install(self.events, config.state_dir / buses.EVENTS_LOG)
            starting.callback(buses.uninstall)
            self.smtp = SmtpServer(
                SesReceiving(receipt_rules(templates), self.events, aws.endpoint), config.host, config.smtp_port
            )
            self.smtp.start()
            starting.callback(self.smtp.stop)

            gateway = Gateway(RouteTable(self.routes), api_function, self.user_pool.verifier())
            api = ApiServer(gateway, config.host, config.api_port, API_PORT_VAR)
            api.start()
            starting.callback(api.stop)

            self.web = start_web(config.host, config.api_url, self.user_pool, aws_url=aws.endpoint)
            if self.web is not None:
                starting.callback(self.web.stop)

            for mapping in self.resources.mappings:
                if not mapping.enabled:
                    continue
                poller = QueuePoller(mapping, self.functions[mapping.function], aws.endpoint)
                poller.start()
                starting.callback(poller.stop)
                self.pollers.append(poller)
            self._running = starting.pop_all()

    def seed(self, per_day: int | None, days: int = 30) -> int:
        """`kefu local seed [--month]`: write the demo data (and with `per_day`, a month of demo traffic) into the
        local state, with only the AWS endpoint and the resources up (no API, no stream readers, no schedules),
        saved for the next `kefu local up`. The tickets written."""
        self.config.check_ports_free()
        templates = Templates(cloud_assembly())
        with ExitStack() as seeding:
            self._start_aws(templates, seeding, saving=False)  # saved once, at the end
            return self._seed_month(per_day, days) if per_day else 0

    def _start_aws(self, templates: Templates, starting: ExitStack, *, saving: bool = True) -> LocalAws:
        """The AWS endpoint with the state a previous run left, the templates' resources, their environment in
        this process, and the demo data. Without `saving`, the state is not saved in the background (only when
        stopped) until `self.snapshots.start()`: a month of demo traffic is thousands of writes, and saving after
        them second by second pickled the whole growing state each time (most of what the month cost)."""
        config = self.config
        # The state a previous run left is loaded before anything is built: the build finds it and keeps it.
        self.restored = self.snapshots.restore()
        aws = LocalAws(config.host, config.aws_port, wrap=self.snapshots.wrap)
        aws.start()
        starting.callback(aws.stop)
        if saving:
            self.snapshots.start()
        # Stopped (and saved a last time) after every other part has stopped, before the server goes.
        starting.callback(self.snapshots.stop)

        os.environ.update(base_env(aws.endpoint))
        # moto's Step Functions interpreter calls AWS (Lambda, DynamoDB, SQS…) at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(config.aws_port)
        stepfunctions.install()
        builder = ResourceBuilder(templates, aws.endpoint)
        references.extend(templates)
        self.resources = builder.build()
        self.templates = templates
        os.environ.update(function_environment(self.resources))
        # The stage's API URL is API Gateway's, which has no local value: links kefu mails point here instead.
        os.environ.setdefault(PUBLIC_API_URL_VAR, config.api_url)
        # Browsers reach the local S3 endpoint through the web app's origin (its CSP allows no other).
        os.environ.setdefault(ATTACHMENTS_PUBLIC_URL_VAR, WebSettings.from_env(config.host).url + S3_PREFIX)
        reload_settings()
        deployment.reload()
        seed_demo_data()
        return aws

    def _seed_month(self, per_day: int, days: int = 30) -> int:
        from kefu_local.demo_month import seed_month

        seeded = seed_month(days=days, per_day=per_day, progress=log.warning)
        log.warning("seeded a month of demo traffic: %d tickets", len(seeded))
        return len(seeded)

    def _dispatch_functions(self, api_function: LocalFunction) -> None:
        """Every template function, loaded once and registered for in-process Invoke (the API's is the gateway's)."""
        for logical_id, spec in self.resources.functions.items():
            function: LocalFunction | TemplateFunction = api_function
            if spec.handler_file.resolve() != API_HANDLER_FILE.resolve() or spec.handler != "lambda_handler":
                function = _template_function(spec)
            self.functions[logical_id] = function
            lambdas.register(spec.name, function, async_retries=spec.async_retries, on_failure=self._on_failure(spec))

    def _on_failure(self, spec: LocalFunctionSpec) -> lambdas.OnFailure | None:
        """What sends a function's exhausted asynchronous events to its on-failure queue, as Lambda does."""
        destination = spec.on_failure_arn
        if destination is None:
            return None
        sqs = _client("sqs", self.config.aws_endpoint)

        def send(record: dict[str, Any]) -> None:
            send_to_queue(sqs, destination, json.dumps(record), group=spec.name)

        return send

    def _undispatch_functions(self) -> None:
        for spec in self.resources.functions.values():
            lambdas.unregister(spec.name)

    def _start_workflows(self, templates: Templates, endpoint: str, starting: ExitStack) -> None:
        """The state machines and schedules, in moto; the scheduler firing them; running executions ended at stop."""
        sfn = _client("stepfunctions", endpoint)
        self.state_machines = create_state_machines(templates, sfn)
        starting.callback(self._stop_executions, sfn)
        self.schedules = create_schedules(templates, _client("scheduler", endpoint))
        self.scheduler = Scheduler(endpoint)
        self.scheduler.start()
        starting.callback(self.scheduler.stop)

    def _stop_executions(self, sfn: Any) -> None:
        for arn in list(running_executions(sfn, self.state_machines)):
            sfn.stop_execution(executionArn=arn, error="Local.Stopped", cause="kefu local stopped")

    def _start_streams(self, templates: Templates, endpoint: str, starting: ExitStack) -> None:
        names = {logical_id: spec.name for logical_id, spec in self.resources.functions.items()}
        for mapping in stream_mappings(templates, names):
            if not mapping.enabled:
                continue
            poller = StreamPoller(mapping, endpoint)
            poller.start()
            starting.callback(poller.stop)
            self.stream_pollers.append(poller)

    def stop(self) -> None:
        self._running.close()

    def _output(self, part: str, name: str) -> str | None:
        """A stack output (`TableName`, `IntakeQueueUrl`…) resolved to its local value; None if it has none."""
        if self.templates is None:
            return None
        try:
            return str(self.templates.output(f"kefu-{self.templates.stage}-{part}", name))
        except (KeyError, Unresolvable):
            return None

    @property
    def domain_table(self) -> str | None:
        return self._output("stateful", "TableName")

    @property
    def intake_queue_url(self) -> str | None:
        return self._output("service", "IntakeQueueUrl")

    @property
    def intake_dlq_name(self) -> str | None:
        return self._output("service", "IntakeDeadLetterQueueName")
