"""The deployment's configuration as `cdk deploy` delivered it (KEFU_DEPLOYMENT_FILE, a JSON document).

Support groups declared there exist without being stored: reading one costs no DynamoDB call, and an operator
changes them only by deploying. Groups an admin adds through the API are stored and come second.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from kefu.agents.model import Group, GroupSpec

_DEPLOYED_AT = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def document() -> dict[str, Any]:
    path = os.environ.get("KEFU_DEPLOYMENT_FILE")
    if not path:
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def configured_groups() -> dict[str, Group]:
    return {
        group_id: Group(id=group_id, updatedAt=_DEPLOYED_AT, **GroupSpec.model_validate(spec).model_dump())
        for group_id, spec in document().get("groups", {}).items()
    }


def reload() -> None:
    document.cache_clear()
