"""Deployments that differ only in their access scope (`access.agents`: `all` or `groups`), and the agents the
scope tells apart: each sits in one group of the desk (tests.integration.conftest's `desk`), where AGENT sits in l1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN, Api, Identity

SCOPES = ("all", "groups")

#: An agent of the complaints desk only: no l1 ticket is theirs to reach under `groups`.
COMPLAINTS_AGENT = Identity("agent-zhao", ("agent",), "zhao@kefu.example")
#: An agent of l2 only.
L2_AGENT = Identity("agent-sun", ("agent",), "sun@kefu.example")
#: Another agent of l2 only, who never touches the tickets L2_AGENT helps on.
OTHER_L2_AGENT = Identity("agent-zhou", ("agent",), "zhou@kefu.example")


def deploy_access(folder: Path, monkeypatch: pytest.MonkeyPatch, scope: str) -> None:
    """The functions' deployment document, as `cdk deploy` delivers it, with this access scope."""
    from kefu import deployment

    path = folder / "kefu-deployment.json"
    path.write_text(json.dumps({"access": {"agents": scope}}), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()


@pytest.fixture(params=SCOPES)
def access_scope(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each access scope in turn, as the deployment sets it."""
    yield from _deployed(tmp_path, monkeypatch, request.param)


@pytest.fixture
def groups_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A deployment whose agents reach their groups' tickets and their own (prod's)."""
    yield from _deployed(tmp_path, monkeypatch, "groups")


def _deployed(folder: Path, monkeypatch: pytest.MonkeyPatch, scope: str) -> Iterator[str]:
    from kefu import deployment

    deploy_access(folder, monkeypatch, scope)
    yield scope
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def add_agents(desk: Api) -> None:
    """The single-group agents above, on the desk."""
    for who, group in ((COMPLAINTS_AGENT, "complaints"), (L2_AGENT, "l2"), (OTHER_L2_AGENT, "l2")):
        body = {"name": who.sub, "groupIds": [group], "capacity": 5, "skills": ["orders"]}
        assert desk("PUT", f"/agents/{who.sub}", who=ADMIN, body=body).status == 200
