"""The web app's hosting (capabilities/web.py): its own stack, deployed after the API it calls and the user pool
it signs in with, so a release of the app alone redeploys nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from kefu_infra.capabilities.web import WebApp
from kefu_infra.config import Deployment
from kefu_infra.paths import WEB_DIST
from kefu_infra.stacks.service import ServiceStack
from kefu_infra.stacks.stateful import StatefulStack


class WebStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deployment: Deployment,
        stateful: StatefulStack,
        service: ServiceStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        assert deployment.web is not None and stateful.auth_domain is not None, "a stage with `web:` configured"
        self.app = WebApp(
            self,
            "App",
            settings=deployment.web,
            dist=WEB_DIST,
            api_url=service.api.url,
            auth_url=stateful.auth_domain.base_url(),
            client_id=stateful.user_pool_client.user_pool_client_id,
            time_zone=deployment.kpis.time_zone,
        )
        CfnOutput(
            self,
            "WebUrl",
            value=f"https://{self.app.distribution.distribution_domain_name}",
            description="The web app (list its /auth/callback and /sign-in in web.callback_urls and web.logout_urls)",
        )
