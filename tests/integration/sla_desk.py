"""A deployment with short SLA targets on the 24x7 calendar, so due times are plain arithmetic and escalations
come within minutes of (virtual) time: complaints 20 min to a first response and 40 min to resolution, other
tickets 40 / 80 min. The escalation ladder is the built-in one (75%: warn the owner; 100%: notify the supervisor,
raise the level; a complaint at its resolution breach moves to the complaints group).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kefu import clock, config, deployment

COMPLAINT_FIRST_RESPONSE_MIN = 20
COMPLAINT_RESOLUTION_MIN = 40

DOCUMENT = {
    "sla": {
        "policies": [
            {
                "name": "complaint",
                "match": {"categories": ["complaint"]},
                "calendar": "24x7",
                "first_response": f"{COMPLAINT_FIRST_RESPONSE_MIN}m",
                "resolution": f"{COMPLAINT_RESOLUTION_MIN}m",
            },
            {"name": "standard", "calendar": "24x7", "first_response": "40m", "resolution": "80m"},
        ]
    }
}


def use_short_targets(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Callable[[], None]:
    """Deliver DOCUMENT as the deployment's configuration; returns what undoes it (the document is cached)."""
    path = folder / "kefu-deployment.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    return deployment.reload


def run_clock_fast(monkeypatch: pytest.MonkeyPatch, scale: float) -> Callable[[], None]:
    """The local clock (kefu.clock, and Step Functions waits in moto) runs `scale` times faster from now."""
    monkeypatch.setenv(config.TIME_SCALE_VAR, str(scale))
    monkeypatch.setenv(config.TIME_ORIGIN_VAR, repr(time.time()))
    clock.reset()
    return clock.reset
