"""Each function's init phase runs without the cyclic garbage collector, and turns it back on when it ends (the API's,
the escalation task's and outbound mail's when their first invocation ends: that one builds their botocore clients
and loads the domain's pieces the work needs; kefu.first_invocation)."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.unit.lambda_process import FUNCTIONS, run_in_function

PROBE = textwrap.dedent(
    """
    import gc, importlib.util, json, sys
    # The module is compiled first (Lambda gets it compiled: the bytecode is shipped), so only its body is watched
    spec = importlib.util.find_spec("handler")
    code = spec.loader.get_code("handler")
    module = importlib.util.module_from_spec(spec)
    sys.modules["handler"] = module
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    gc.collect()  # a collection before the import is counted, so the counter is seen to work
    before = len(collections)
    frozen_before = gc.get_freeze_count()
    exec(code, module.__dict__)
    INVOKE
    during = len(collections) - before
    gc.collect()
    print(json.dumps({"before": before, "during": during, "enabled": gc.isenabled(),
                      "frozen": gc.get_freeze_count() - frozen_before, "after": len(collections) - before - during}))
    """
)


#: The API's first invocation: GET /health (no AWS call), the collector still off when init ends.
API_FIRST_INVOCATION = """
enabled_after_init = gc.isenabled()
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/health", "rawQueryString": "", "headers": {},
    "requestContext": {"http": {"method": "GET", "path": "/health"}, "requestId": "r-1", "stage": "$default"},
    "isBase64Encoded": False,
}
class Context:
    function_name = "kefu-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kefu-api"
    aws_request_id = "r-1"
answer = module.lambda_handler(event, Context())
assert answer["statusCode"] == 200, answer
assert not enabled_after_init, "the API's collector is off until its first invocation ends"
"""


#: A first invocation that fails (no AWS call): the collector is back on however the first invocation ends.
FAILED_FIRST_INVOCATION = """
enabled_after_init = gc.isenabled()
class Context:
    function_name = "kefu-NAME"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kefu-NAME"
    aws_request_id = "r-1"
try:
    module.lambda_handler(EVENT, Context())
except Exception as error:
    assert type(error).__name__ == "ERROR", repr(error)
else:
    raise AssertionError("the invocation was to fail")
assert not enabled_after_init, "the collector is off until the first invocation ends"
"""

#: Functions whose collector stays off through the first invocation, and how the test invokes each.
FIRST_INVOCATIONS = {
    "api": API_FIRST_INVOCATION,
    # A wake whose plan is invalid: refused by Plan's validation before any AWS call.
    "escalation": FAILED_FIRST_INVOCATION.replace("NAME", "escalation")
    .replace("EVENT", "{'generation': 0}")
    .replace("ERROR", "ValidationError"),
    # A stream batch without its records: refused by the batch loop before any AWS call.
    "email_outbound": FAILED_FIRST_INVOCATION.replace("NAME", "email_outbound")
    .replace("EVENT", "{'Records': None}")
    .replace("ERROR", "ValueError"),
}


def probe(name: str) -> str:
    return PROBE.replace("INVOKE", FIRST_INVOCATIONS.get(name, ""))


def test_every_function_is_checked():
    assert len(FUNCTIONS) >= 7 and set(FIRST_INVOCATIONS) <= set(FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_functions_init_triggers_no_collection_and_leaves_the_collector_on_with_init_frozen(name: str):
    # Given a fresh interpreter set up as Lambda sets up the function
    # When its handler module is run (the init phase; for the API, escalation and outbound mail, and their first
    # invocation)
    done = run_in_function(name, probe(name), timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then no collection ran during it (an import this size triggers dozens otherwise), the collector is on again,
    # what init allocated is frozen out of its generations, and a later collection runs as usual
    assert result["before"] == 1
    assert result["during"] == 0
    assert result["enabled"] is True
    assert result["frozen"] > 10_000
    assert result["after"] == 1
