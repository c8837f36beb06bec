"""The web app's journeys: a local stack serving it, headless Chromium from the distribution driven by Playwright,
the API called the way the journeys' other actors (another agent, the customer) would, axe-core for accessibility."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from kefu_local.seed import DEMO_PEOPLE
from kefu_local.tokens import LocalUserPool
from tests.e2e.local_stack import LocalStackProcess, free_port, new_stack

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CJK = re.compile(r"[\u4e00-\u9fff]")


#: The xdist groups of the journeys on the shared web stack (conftest.py `desk`, one a worker), `pytest --dist
#: loadgroup`: each group runs on one worker, one journey after the other. Two groups of about the same length
#: (2-3 min each on a busy 2-core machine), so that neither is the suite's long pole: at most two starts of the stack.
CUSTOMER_JOURNEYS = pytest.mark.xdist_group(name="web-stack-customer")
DESK_JOURNEYS = pytest.mark.xdist_group(name="web-stack-desk")


def missing_prerequisite() -> str | None:
    """What must be installed before the journeys can run (`make test` installs both), or None."""
    if not (DIST / "index.html").is_file():
        return "the web app is not built: run `make web` (make test builds it)"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (make test installs it as root)"
    if not AXE.is_file():
        return "axe-core is not installed: run `make web`"
    return None


def new_web_stack(workdir: Path) -> tuple[LocalStackProcess, int]:
    web_port = free_port()
    stack = new_stack(workdir, {"KEFU_WEB_PORT": str(web_port)})
    return stack, web_port


def wait_for_web(url: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/config.json", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the web app did not answer at {url}")


@dataclass
class Desk:
    """The running stack as the journeys' other actors use it: the API with a demo person's token."""

    stack: LocalStackProcess
    web_url: str

    def token(self, sub: str) -> str:
        person = next((p for p in DEMO_PEOPLE if p.sub == sub), None)
        pool = LocalUserPool.load_or_create(self.stack.state_dir)
        if person is None:
            # Someone who is not a demo user: another customer.
            return pool.mint(sub, email=f"{sub}@example.com")
        return pool.mint_for_role(person.role, person.sub, person.email)

    def api(self, method: str, path: str, sub: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(sub)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.stack.url}{path}", headers=headers, timeout=15, **kwargs)

    def open_ticket(self, sub: str, subject: str, description: str) -> dict:
        answer = self.api("POST", "/tickets", sub, json={"subject": subject, "description": description})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def set_availability(self, agent: str, availability: str) -> None:
        answer = self.api("PUT", f"/agents/{agent}/availability", "admin", json={"availability": availability})
        assert answer.status_code == 200, answer.text

    def url(self, path: str, user: str | None = None) -> str:
        joiner = "&" if "?" in path else "?"
        return f"{self.web_url}{path}{f'{joiner}as={user}' if user else ''}"


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
        }"""
    )
    return list(found)


def visible_text(page: Page) -> str:
    return page.locator("body").inner_text()
