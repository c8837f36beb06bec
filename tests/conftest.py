"""Shared fixtures: a moto-backed AWS, the API function, and a counter of AWS calls."""

from __future__ import annotations

import base64
import copy
import functools
import importlib.util
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
# `kefu_infra` as `python infra/app.py` sees it (the infra tests synthesize with it, the bench reads its layer rules).
sys.path.append(str(ROOT / "infra"))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "KEFU_TABLE": "kefu-test",
        "KEFU_IDEMPOTENCY_TABLE": "kefu-test-idempotency",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "kefu",
        "POWERTOOLS_METRICS_NAMESPACE": "kefu",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)

import threading  # noqa: E402

import botocore.handlers  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402

from tests import moto_images  # noqa: E402
from tests.e2e.local_stack import stop_idle_stacks  # noqa: E402
from tests.moto_images import MotoImage  # noqa: E402
from tests.xdist_groups import honour_xdist_groups  # noqa: E402


def _atomic_requests() -> None:
    """Make each moto DynamoDB request atomic, as each DynamoDB request is.

    moto checks a condition and then writes without a lock, so two threads can both pass the same version
    check; DynamoDB never lets that happen, and the concurrency tests are about what DynamoDB guarantees.
    """
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query"):
        original = getattr(DynamoDBBackend, name)

        def atomic(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)


_atomic_requests()


def _metric_flushes_one_at_a_time() -> None:
    """Flush Powertools' metric set under a lock, as Lambda's one invocation at a time per process does.

    The concurrency tests run a handler from several threads in one process, which Lambda never does: they share
    the one metric set kefu.observability makes, and its flush checks that there are metrics, then serializes them.
    Another thread's flush between the two emptied it, and the handler failed "Must contain at least one metric"
    (test_tickets_opened_at_once_never_push_an_agent_over_capacity, once in a CI run).
    """
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    lock = threading.RLock()
    original = AmazonCloudWatchEMFProvider.flush_metrics

    def flush_metrics(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    AmazonCloudWatchEMFProvider.flush_metrics = flush_metrics  # type: ignore[method-assign]


_metric_flushes_one_at_a_time()


def _lighter_transaction_backups() -> None:
    """Make moto's transaction rollback copy what a transaction can change, not every table it touches whole.

    moto deep-copies each table once per item of a transaction, to restore it if the transaction fails: with a
    thousand items in the table (a campaign over 1,000 tickets) that is a second per transaction, and gigabytes.
    A failed transaction needs back only its own items as they were: here the backup is the table with its item
    maps copied and just those items copied deeply; untouched items are shared, as nothing changes them.
    """
    import copy
    from collections import defaultdict
    from types import SimpleNamespace

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    touched = threading.local()

    def backup(table: Table) -> Table:
        clone = copy.copy(table)
        clone.items = defaultdict(dict)
        # Over a copy made in one step (C-level, under the GIL): kefu_local.moto_dynamodb, once an in-process local
        # AWS installed it, puts a cancelled transaction's items back outside this module's request lock, and a
        # concurrent request's backup iterating the live dict failed "dictionary changed size during iteration".
        for hash_key, stored in list(table.items.items()):
            clone.items[hash_key] = dict(stored) if table.has_range_key else stored
        for hash_key, range_key in getattr(touched, "keys", {}).get(table.name, ()):
            if hash_key not in table.items:
                continue
            if not table.has_range_key:
                clone.items[hash_key] = copy.deepcopy(table.items[hash_key])
            elif range_key in table.items[hash_key]:
                clone.items[hash_key][range_key] = copy.deepcopy(table.items[hash_key][range_key])
        return clone

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return backup(value) if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items, *args, **kwargs):
        keys: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key") or operation.get("Item") or {}
            if table.hash_key_attr not in key:
                continue
            range_key = key.get(table.range_key_attr) if table.range_key_attr else None
            keys[table.name].append(
                (DynamoType(key[table.hash_key_attr]), DynamoType(range_key) if range_key else None)
            )
        touched.keys = keys
        try:
            return original(self, transact_items, *args, **kwargs)
        finally:
            touched.keys = {}

    DynamoDBBackend.transact_write_items = transact_write_items


_lighter_transaction_backups()


class AwsCalls:
    """Every AWS API call made through botocore, by (service, operation, table) — a botocore event hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, model, params, **_: Any) -> None:
        table = params.get("TableName") if isinstance(params, dict) else None
        if table is None and isinstance(params, dict) and "TransactItems" in params:
            first = params["TransactItems"][0]
            table = next(iter(first.values())).get("TableName")
        self.calls.append((model.service_model.service_name, model.name, table))

    def reset(self) -> None:
        self.calls.clear()

    def on_table(self, table: str) -> list[str]:
        return [operation for _, operation, name in self.calls if name == table]

    def count(self) -> Counter:
        return Counter((service, operation) for service, operation, _ in self.calls)


AWS_CALLS = AwsCalls()
# Registered before any client exists, so every client (pynamodb's, Powertools') reports its calls.
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", AWS_CALLS))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # After every conftest has marked its groups (tests/infra, tests/e2e, tests/web), and after xdist's own hook.
    honour_xdist_groups(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A shared local stack (tests/e2e, tests/web) stops once its groups' tests on this worker are done."""
    try:
        return (yield)
    finally:
        stop_idle_stacks(item, nextitem)


@pytest.fixture(autouse=True)
def logins_read_afresh() -> None:
    """Which record a login is, remembered per process (kefu.customers.linking), is read again from each test's
    table: a table emptied between tests would otherwise leave a login linked to a record that is gone."""
    from kefu.customers import linking

    linking.forget()


@pytest.fixture(autouse=True)
def clock_terms_read_afresh() -> None:
    """The versions of SLA terms and calendars a process knows and has written (kefu.store.sla_terms, .calendars) are
    forgotten with each test's table: a version another test wrote is not in this one's."""
    from kefu.store import calendars, sla_terms

    calendars.forget()
    sla_terms.forget()


@pytest.fixture(autouse=True)
def knowledge_read_afresh() -> None:
    """The search index and the reply catalogue a function holds (kefu.knowledge.published, .suggestions) are read
    again from each test's bucket and table: a new ticket's suggestions never come from another test's articles."""
    from kefu.knowledge import published, suggestions
    from kefu.tickets import knowledge

    published.forget()
    suggestions.forget()
    knowledge.forget()


class SettingsEnv(pytest.MonkeyPatch):
    """A monkeypatch whose environment changes kefu's settings follow: after each `setenv`/`delenv` the next
    `settings()` reads the environment again. Every test's `monkeypatch` is one (below); a module-scoped fixture
    makes its own (`SettingsEnv()`, undone at its end)."""

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        from kefu.config import reload_settings

        super().setenv(name, value, prepend)
        reload_settings()

    def delenv(self, name: str, raising: bool = True) -> None:
        from kefu.config import reload_settings

        super().delenv(name, raising)
        reload_settings()


@pytest.fixture
def monkeypatch() -> Iterator[SettingsEnv]:
    """pytest's monkeypatch, as a SettingsEnv."""
    with SettingsEnv.context() as patch:
        yield patch


@pytest.fixture(autouse=True)
def settings_follow_the_environment() -> None:
    """kefu reads its settings once per process (kefu.config), as a deployed function does. Tests change them the way
    a deployment does, through the environment: every test starts from settings read afresh, and every
    `monkeypatch.setenv`/`delenv` makes the next `settings()` read them again (SettingsEnv). Code that changes
    `os.environ` otherwise calls `kefu.config.reload_settings()` itself."""
    from kefu.config import reload_settings

    reload_settings()


def reset_clients() -> None:
    """Settings are read again; clients are kept: moto 5 intercepts any client made after it was imported,
    and making botocore clients anew in every test costs a second of model loading each time."""
    from kefu.config import reload_settings

    reload_settings()


@functools.cache
def client(service: str) -> Any:
    """A boto3 client for the fixtures here, made once per process: a client costs ~10 ms of CPU to make, and moto
    intercepts a kept client as it does a new one (see MOTO_CONFIG)."""
    import boto3

    return boto3.client(service)


def create_tables() -> None:
    from kefu.config import settings
    from kefu.store.models import KefuItem

    KefuItem.create_table(wait=False)
    client("dynamodb").create_table(
        TableName=settings().idempotency_table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


#: The survey signing key of this test process: one value, so that a survey link made in a restored set-up
#: (tests/moto_images.py) is signed as the test's own secret signs.
SURVEY_KEY = uuid.uuid4().hex * 2
#: Its version's id, which names the key in every token (kefu.surveys.tokens.key_id): the same in every test.
SURVEY_KEY_VERSION = str(uuid.uuid4())


def create_survey_secret() -> str:
    """The survey signing secret, as the stateful stack makes it; a new one (a new ARN) for every test."""
    from kefu.config import SURVEY_SECRET_ARN_VAR, reload_settings

    name = f"kefu-test-survey-{uuid.uuid4().hex[:12]}"
    arn = client("secretsmanager").create_secret(
        Name=name, SecretString=SURVEY_KEY, ClientRequestToken=SURVEY_KEY_VERSION
    )["ARN"]
    os.environ[SURVEY_SECRET_ARN_VAR] = arn

    reload_settings()
    return arn


#: moto's default resets boto3's default session on every start: each test's clients would then load their service
#: models afresh (~0.5 s a client, most of an API test's time). kefu's tests never change credentials or region
#: between tests, so one session serves them all; moto intercepts its clients all the same (a botocore hook).
MOTO_CONFIG = {"core": {"reset_boto3_session": False}}


def moto() -> Any:
    """`mock_aws()` as every test here starts it (MOTO_CONFIG), DynamoDB's item answers and stream records written
    as JSON directly, as on the local stack (kefu_local.moto_dynamodb: the same answers at a fraction of the CPU;
    tests/integration/test_local_moto_dynamodb.py compares them with moto's own), and an action's method found
    without listing its class's methods on every request (kefu_local.moto_dispatch)."""
    from kefu_local import moto_dispatch, moto_dynamodb

    moto_dynamodb.install_answers()
    moto_dispatch.install()
    return mock_aws(config=MOTO_CONFIG)


#: Every test's tables, empty (tests/moto_images.py).
EMPTY_TABLES = MotoImage("tables", "dynamodb")


@pytest.fixture
def aws() -> Iterator[None]:
    with moto():
        reset_clients()
        moto_images.begin()
        EMPTY_TABLES.restore_or_build(create_tables)
        create_survey_secret()
        AWS_CALLS.reset()
        yield


@pytest.fixture
def aws_calls() -> AwsCalls:
    AWS_CALLS.reset()
    return AWS_CALLS


# --- the API function ------------------------------------------------------------------------------------


def load_function(name: str):
    """Import functions/<name>/handler.py as Lambda would, under a module name of its own."""
    module_name = f"kefu_fn_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    function_name: str = "kefu-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:kefu-api"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Identity:
    sub: str
    groups: tuple[str, ...] = ()
    email: str | None = None
    #: Whether the identity provider verified the e-mail (Cognito's `email_verified`, a string through API Gateway).
    email_verified: bool = True
    phone: str | None = None
    phone_verified: bool = False

    def claims(self) -> dict[str, str]:
        """Claims as the HTTP API JWT authorizer hands them over: every value a string."""
        claims = {
            "sub": self.sub,
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
            "client_id": "testclient",
            "token_use": "access",
            "exp": "4102444800",
        }
        if self.groups:
            claims["cognito:groups"] = "[" + " ".join(self.groups) + "]"
        if self.email:
            claims["email"] = self.email
            claims["email_verified"] = "true" if self.email_verified else "false"
        if self.phone:
            claims["phone_number"] = self.phone
            claims["phone_number_verified"] = "true" if self.phone_verified else "false"
        return claims


CUSTOMER = Identity("cust-alice", email="alice@example.com")
OTHER_CUSTOMER = Identity("cust-bob", email="bob@example.com")
AGENT = Identity("agent-zhang", ("agent",), "zhang@kefu.example")
AGENT_2 = Identity("agent-li", ("agent",), "li@kefu.example")
SUPERVISOR = Identity("sup-wang", ("agent", "supervisor"), "wang@kefu.example")
ADMIN = Identity("admin-chen", ("admin",), "chen@kefu.example")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class Api:
    def __init__(self) -> None:
        self.module = load_function("api")
        self.template = json.loads((EVENTS / "apigw_v2_create_ticket.json").read_text())

    def event(
        self,
        method: str,
        path: str,
        *,
        who: Identity | None,
        body: Any = None,
        raw_body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict:
        event = copy.deepcopy(self.template)
        event["rawPath"] = path
        event["routeKey"] = "$default"
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = path
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        event["headers"] = {"host": "api.kefu.test", "user-agent": "pytest"}
        event.pop("cookies", None)
        if who is None:
            event["requestContext"].pop("authorizer", None)
        else:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": who.claims(), "scopes": None}}
            event["headers"]["authorization"] = "Bearer test-token"
        event["queryStringParameters"] = dict(query) if query else None
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
        event["body"] = None
        event["isBase64Encoded"] = False
        if body is not None:
            event["body"] = json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        if raw_body is not None:
            if isinstance(raw_body, bytes):
                event["body"] = base64.b64encode(raw_body).decode()
                event["isBase64Encoded"] = True
            else:
                event["body"] = raw_body
        event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
        return event

    def __call__(self, method: str, path: str, *, who: Identity | None = CUSTOMER, **kwargs: Any) -> Reply:
        result = self.module.lambda_handler(self.event(method, path, who=who, **kwargs), LambdaContext())
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return Reply(result["statusCode"], headers, body)


@pytest.fixture
def api(aws) -> Api:
    return Api()
