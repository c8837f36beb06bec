"""The local stack, started and stopped as one: the AWS endpoint holding the resources of the synthesized
templates (cdk.out), demo data, the HTTP API in front of `functions/api`, and a poller per SQS event source mapping.
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from pathlib import Path

from kefu import deployment
from kefu.config import reload_settings
from kefu_local.aws import LocalAws, base_env
from kefu_local.config import API_PORT_VAR, REPO_ROOT, LocalConfig, LocalStackError
from kefu_local.gateway import Gateway, Route, RouteTable
from kefu_local.pollers import QueuePoller
from kefu_local.resources import LocalResources, ResourceBuilder
from kefu_local.runtime import LocalFunction, routes_of
from kefu_local.seed import seed_demo_data
from kefu_local.server import ApiServer
from kefu_local.templates import Templates, Unresolvable, cloud_assembly
from kefu_local.tokens import LocalUserPool

log = logging.getLogger(__name__)

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
        return function, [Route(method, path, needs_auth) for method, path, needs_auth in module.declared_routes()]
    if not hasattr(module, "app") or not hasattr(module, "PUBLIC_PATHS"):
        raise LocalStackError(f"{handler_file} must define `app` (the HTTP resolver) and `PUBLIC_PATHS`")
    return function, routes_of(module.app, module.PUBLIC_PATHS)


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


class LocalStack:
    def __init__(self, config: LocalConfig):
        self.config = config
        self.user_pool = LocalUserPool.load_or_create(config.state_dir)
        self.routes: list[Route] = []
        self.resources = LocalResources()
        self.templates: Templates | None = None
        self.pollers: list[QueuePoller] = []
        self._running = ExitStack()

    def start(self) -> None:
        """Start everything, or, if a part fails, stop what had started and raise."""
        config = self.config
        config.check_ports_free()
        templates = Templates(cloud_assembly())
        with ExitStack() as starting:
            aws = LocalAws(config.host, config.aws_port)
            aws.start()
            starting.callback(aws.stop)

            os.environ.update(base_env(aws.endpoint))
            self.resources = ResourceBuilder(templates, aws.endpoint).build()
            self.templates = templates
            os.environ.update(function_environment(self.resources))
            reload_settings()
            deployment.reload()
            seed_demo_data()

            function, self.routes = load_api_function()
            gateway = Gateway(RouteTable(self.routes), function, self.user_pool.verifier())
            api = ApiServer(gateway, config.host, config.api_port, API_PORT_VAR)
            api.start()
            starting.callback(api.stop)

            for mapping in self.resources.mappings:
                if not mapping.enabled:
                    continue
                spec = self.resources.functions[mapping.function]
                handler = LocalFunction(
                    spec.name,
                    spec.handler_file,
                    handler=spec.handler,
                    memory_mb=spec.memory_mb,
                    timeout_seconds=spec.timeout_seconds,
                )
                poller = QueuePoller(mapping, handler, aws.endpoint)
                poller.start()
                starting.callback(poller.stop)
                self.pollers.append(poller)
            self._running = starting.pop_all()

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
