"""kefu's CDK app: `cdk deploy --all -c stage=dev|prod`, or `make synth` (writes cdk.out, no AWS needed).

Run directly (`python infra/app.py [-c stage=prod]`), it takes `-c key=value` like the CDK CLI does.
"""

import argparse
import os
import sys

from kefu_infra.application import build
from kefu_infra.config import ConfigError
from kefu_infra.layers import LayerBuildError
from kefu_infra.paths import REPO


def context_argument(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--context", type=context_argument, action="append", default=[])
    context = dict(parser.parse_args(argv).context)
    # The CDK CLI says where to write (CDK_OUTDIR); run directly, the app writes cdk.out at the repository root.
    outdir = None if os.environ.get("CDK_OUTDIR") else REPO / "cdk.out"
    try:
        kefu = build(outdir=outdir, context=context)
    except (ConfigError, LayerBuildError) as err:
        print(f"kefu: {err}", file=sys.stderr)
        return 2
    kefu.app.synth()
    stacks = [stack.stack_name for stack in (kefu.stateful, kefu.service, kefu.web) if stack is not None]
    print(f"kefu: synthesized {', '.join(stacks)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
