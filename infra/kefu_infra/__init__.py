"""kefu's CDK app: the stacks, one construct per capability, the deployment configuration and the layers.

Named `kefu_infra` (not `infra` or `constructs`) because `python infra/app.py` puts `infra/` first on
sys.path: a folder there called `constructs` would shadow the `constructs` library CDK is built on.
"""

import sys

from kefu_infra.paths import DOMAIN_LAYER

# The app reads declarations the domain owns (the API's routes, the group spec); import the domain from its
# layer folder, as Lambda does, whether or not it is installed in this environment.
if str(DOMAIN_LAYER / "python") not in sys.path:
    sys.path.append(str(DOMAIN_LAYER / "python"))
