"""Builds the CDK app for one stage: `kefu-<stage>-stateful` and `kefu-<stage>-service`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags

from kefu_infra import config
from kefu_infra.checks import add_rule_packs
from kefu_infra.paths import CDK_JSON
from kefu_infra.routes import api_routes
from kefu_infra.stacks.service import ServiceStack
from kefu_infra.stacks.stateful import StatefulStack
from kefu_infra.stacks.web import WebStack

DEFAULT_STAGE = "dev"
#: What the CDK CLI asks of every app by default: resources carry their construct path and asset folder in
#: their metadata (the local stack reads the latter from cdk.out).
CLI_DEFAULTS = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


@dataclass(frozen=True)
class KefuApp:
    app: App
    stage: str
    deployment: config.Deployment
    stateful: StatefulStack
    service: ServiceStack
    #: The web app's hosting, for a stage with `web:` configured.
    web: WebStack | None = None


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags, default stage) and the CLI's defaults. The CDK CLI passes them to the
    app itself; given to App() as defaults, `python infra/app.py` synthesizes exactly what `cdk synth` does."""
    return {**CLI_DEFAULTS, **json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})}


#: Context key: "false" leaves the web app's hosting stack out (the local stack has no use for it).
WEB_STACK_CONTEXT = "kefu:web-stack"


def build(outdir: str | Path | None = None, context: dict[str, Any] | None = None) -> KefuApp:
    """The app, stage chosen by `-c stage=…` (context), with cdk-nag's rule packs registered."""
    app = App(outdir=str(outdir) if outdir else None, context={**cdk_json_context(), **(context or {})})
    stage = str(app.node.try_get_context("stage") or DEFAULT_STAGE)
    deployment = config.load(stage)
    prefix = f"kefu-{stage}"
    env = Environment(account=deployment.account, region=deployment.region)
    stateful = StatefulStack(
        app,
        f"{prefix}-stateful",
        prefix=prefix,
        retention=deployment.retention,
        web=deployment.web,
        upload_origins=list(deployment.api.cors_origins),
        env=env,
        description=f"kefu {stage}: data and identities",
    )
    service = ServiceStack(
        app,
        f"{prefix}-service",
        prefix=prefix,
        stage=stage,
        deployment=deployment,
        stateful=stateful,
        api_routes=api_routes(),
        env=env,
        description=f"kefu {stage}: functions, HTTP API, intake, e-mail, monitoring",
    )
    web = None
    # The local stack reads only the stateful and service templates; it synthesizes with `-c kefu:web-stack=false` so a
    # checkout whose web app is not built yet (the web stack refuses that, as a deploy would fail) can still run it.
    if deployment.web is not None and str(app.node.try_get_context(WEB_STACK_CONTEXT)).lower() != "false":
        web = WebStack(
            app,
            f"{prefix}-web",
            deployment=deployment,
            stateful=stateful,
            service=service,
            env=env,
            description=f"kefu {stage}: the web app on CloudFront",
        )
    for stack in (stateful, service, web):
        if stack is not None:
            Tags.of(stack).add("project", "kefu")
            Tags.of(stack).add("stage", stage)
    add_rule_packs(app)
    return KefuApp(app, stage, deployment, stateful, service, web)
