"""Print the HTTP API's OpenAPI document, generated from the handler's resolver without a server running.

`make web-schema` feeds it to openapi-typescript, which writes web/src/api/schema.d.ts: the web app's API types."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    sys.path.insert(0, str(ROOT / "functions" / "api"))
    import handler

    # Sorted and indented, so that a change to the API shows as a readable diff of the generated types.
    document = json.loads(handler.openapi_json())
    json.dump(document, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
