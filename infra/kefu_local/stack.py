"""The local stack, started and stopped as one: the AWS endpoint, kefu's tables and demo data, and
the HTTP API in front of `functions/api`.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from kefu.config import reload_settings
from kefu_local.aws import LocalAws, create_domain_table, create_idempotency_table, function_env
from kefu_local.config import API_PORT_VAR, REPO_ROOT, LocalConfig, LocalStackError
from kefu_local.gateway import Gateway, Route, RouteTable
from kefu_local.runtime import LocalFunction, routes_of
from kefu_local.seed import seed_demo_data
from kefu_local.server import ApiServer
from kefu_local.tokens import LocalUserPool

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


class LocalStack:
    def __init__(self, config: LocalConfig):
        self.config = config
        self.user_pool = LocalUserPool.load_or_create(config.state_dir)
        self.routes: list[Route] = []
        self._running = ExitStack()

    def start(self) -> None:
        """Start everything, or, if a part fails, stop what had started and raise."""
        config = self.config
        config.check_ports_free()
        with ExitStack() as starting:
            aws = LocalAws(config.host, config.aws_port)
            aws.start()
            starting.callback(aws.stop)

            os.environ.update(function_env(aws.endpoint, config.table_name, config.idempotency_table_name))
            reload_settings()
            create_domain_table()
            create_idempotency_table(config.idempotency_table_name)
            seed_demo_data()

            function, self.routes = load_api_function()
            gateway = Gateway(RouteTable(self.routes), function, self.user_pool.verifier())
            api = ApiServer(gateway, config.host, config.api_port, API_PORT_VAR)
            api.start()
            starting.callback(api.stop)
            self._running = starting.pop_all()

    def stop(self) -> None:
        self._running.close()
