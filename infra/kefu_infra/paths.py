"""Where things are in the repository, so no module guesses a relative path."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
CONFIG = INFRA / "config"
FUNCTIONS = REPO / "functions"
DOMAIN_LAYER = REPO / "layers" / "kefu"
BUILD = REPO / "build"
PYPROJECT = REPO / "pyproject.toml"
CONSTRAINTS = REPO / "constraints.txt"
CDK_JSON = REPO / "cdk.json"
WEB_DIST = REPO / "web" / "dist"
