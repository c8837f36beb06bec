"""How kefu's botocore session finds a service's model (straight in its own folder, not by listing every service), and
how it reads botocore's JSON data (into plain dicts).

botocore's `Loader.load_service_model` first lists every service it knows (`list_available_services`: a listdir of
each of 400+ service folders and a stat in each) only to check that the name asked for is among them, once per model
type (the API model, then the endpoint rule set): about 50 ms each on a cold start's first client, as much again as
parsing DynamoDB's model. The folder of the one service asked for answers the same question. A name botocore does
not have goes to botocore's own path, which raises its `UnknownServiceError` listing the known names.

botocore parses every JSON file it loads (endpoints.json, 1.2 MB, and each client's service model and endpoint rule
set) with `object_pairs_hook=OrderedDict`, a Python 2.6 precaution for the order of keys: about a third of the parse.
A dict keeps the order of its keys (Python 3.7+), compares equal to the OrderedDict of the same pairs, and nothing
botocore does with its data needs an OrderedDict's own methods. Parsed into dicts, a cold start's first DynamoDB
client costs about 100 M instructions less (1,006 M to 905 M, endpoints.json the most of it), each further client
a third of its model's parse less (SES v2's model and rule set: 17 M).

A service kefu calls one operation of (SES v2's SendEmail, EventBridge's PutEvents), DynamoDB, whose items only
pynamodb's operations touch, and S3, whose objects kefu calls a handful of operations on, are loaded from kefu's
copies of botocore's models trimmed to those operations and the shapes they reach, without documentation
(kefu/store/trimmed_models/, written by kefu_infra.service_models): the full models (116 operations and 618 shapes
for SES v2, 57 and 354 for EventBridge, 62 and 553 for DynamoDB, 116 and 722 for S3: 1.4 MB) were parsed, and a
client method made for every operation, on each cold start that made the client: outbound mail's first reply ~50 M
instructions (callgrind) for SES v2 and EventBridge, every function's first DynamoDB client ~28 M, and the first S3
client of intake and inbound mail (the knowledge base's index, the stored mail) ~70 M.
A botocore whose latest API version of the service is another loads its own full model (no trimmed file for that
version); tests/unit/test_service_models.py fails when a trimmed file is not what botocore's installed model trims
to (`make service-models` writes them again).

botocore's endpoints.json (1.2 MB: every service of eight partitions) is read by the first client of a session, for
the endpoint resolver that names a client's signing region and host: parsing it was ~66 M instructions of every cold
start (callgrind), more than any model. kefu's session reads kefu's copy of it with only the services kefu makes
clients of (`ENDPOINT_SERVICES`, every partition's own data kept whole), which resolve as from the full file; it is
read as botocore's own data (its path is botocore's), as it is. `kefu.store.clients.aws_client` refuses a service
that copy does not hold, which the resolver would answer with its partition's defaults instead of the service's own
endpoints: add it to `ENDPOINT_SERVICES` and write the files again. AWS_DATA_PATH's or ~/.aws/models' own
endpoints.json, if there is one, is read whole as botocore reads it.

A service's endpoint rule set (the rules a client resolves each call's URL by) is read from kefu's copy of
botocore's for each of `ENDPOINT_SERVICES`: the same data, not gzipped and without indentation. botocore's S3 rule
set is 921 KB of JSON, indented, gzipped to 23 KB: unzipping it and parsing its whitespace were ~10 M instructions
of the first S3 client (intake's knowledge base, inbound mail's stored mail); written compact it is 119 KB.

Each of kefu's copies (trimmed models, endpoints, rule sets) is kept as marshal data beside it too (`MARSHAL_COPY`),
which is what is read: half the instructions of parsing its JSON (callgrind: S3's rule set ~11 M parsed, ~5.5 M
unmarshalled; DynamoDB's trimmed model 4.6 M and 2.5 M, the trimmed endpoints 3.4 M and 1.8 M). A Python that cannot
read that marshal data (no file, or a format it no longer reads) reads the JSON copy.

The session's event emitter aliases event names with `QuickAliaser` (the same names as botocore's `EventAliaser`,
with one split of a name, not one per alias and a raised ValueError for nearly each): a client's first calls and its
creation alias a few hundred names anew (~30 M instructions of intake's and inbound mail's first work). botocore's
session makes its `EventAliaser` itself; `use_service_folders` makes that object a `QuickAliaser` (a subclass
with no state of its own), and every client's copy of it is one too. The session itself is a `KefuSession`, whose
builtin handlers (~120 names, registered while botocore's `Session.__init__` runs, before `use_service_folders` can
reach its emitter) are aliased with `QuickAliaser` too: a session cost 57.7 M instructions to make, 25.5 M so.
"""

from __future__ import annotations

import json
import logging
import marshal
import os
from inspect import CO_VARKEYWORDS
from types import FunctionType, MethodType
from typing import Any

from botocore.credentials import CredentialResolver, EnvProvider
from botocore.exceptions import DataNotFoundError
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.loaders import JSONFileLoader, Loader, instance_cache
from botocore.session import Session

#: botocore's loader's own logger, which says what it loads.
_log = logging.getLogger("botocore.loaders")
#: botocore's hooks' logger, which says what an event name is aliased to.
_hooks_log = logging.getLogger("botocore.hooks")

#: The operations kefu calls on the services whose models it loads trimmed: a call of another operation on these
#: clients needs it added here and the files written again (`make service-models`). DynamoDB's are those pynamodb's
#: connection dispatches (pynamodb.constants' names; Powertools idempotency's records, through kefu's layer, use
#: four of them), and DescribeEndpoints, which botocore calls itself if endpoint discovery is turned on.
TRIMMED_OPERATIONS: dict[str, tuple[str, ...]] = {
    # S3: the objects' operations kefu calls (knowledge index, raw mail, files, exports, erasure, campaign lists), and
    # three botocore's S3 customisations use themselves: HeadBucket (a region redirect finds the bucket's region),
    # CreateSession (S3 Express credentials), CreateBucket (the model of a pre-signed POST's URL).
    "s3": (
        "CreateBucket",
        "CreateSession",
        "DeleteObjects",
        "GetObject",
        "HeadBucket",
        "HeadObject",
        "ListObjectVersions",
        "PutObject",
    ),
    "sesv2": ("SendEmail",),
    "events": ("PutEvents",),
    "dynamodb": (
        "BatchGetItem",
        "BatchWriteItem",
        "CreateTable",
        "DeleteItem",
        "DeleteTable",
        "DescribeEndpoints",
        "DescribeTable",
        "GetItem",
        "ListTables",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
        "UpdateTable",
        "UpdateTimeToLive",
    ),
}
#: The services kefu's session makes clients of (the table's, `kefu.store.clients.aws_client`'s): kefu's copy of
#: botocore's endpoints.json holds only these.
ENDPOINT_SERVICES = ("dynamodb", "events", "s3", "scheduler", "secretsmanager", "sesv2", "sns", "stepfunctions")
#: Where the trimmed models are, as botocore lays out its data: <service>/<API version>/service-2.json (written by
#: kefu_infra.service_models, which trims botocore's).
TRIMMED_MODELS = os.path.join(os.path.dirname(__file__), "trimmed_models")
#: kefu's copy of botocore's endpoints.json, with `ENDPOINT_SERVICES` only (as a loader names it: no extension).
TRIMMED_ENDPOINTS = os.path.join(TRIMMED_MODELS, "endpoints")
#: The type of a service's endpoint rule set, as botocore names its file: kefu's copy of each of `ENDPOINT_SERVICES`'
#: is beside the trimmed models (<service>/<API version>/endpoint-rule-set-1.json), whole but written compact.
RULE_SET = "endpoint-rule-set-1"
#: The suffix of a copy's marshal data (in place of `.json`), and the marshal format it is written in (version 4: every
#: Python since 3.4 reads it).
MARSHAL_COPY, MARSHAL_VERSION = ".marshal", 4


class PlainJSONFileLoader(JSONFileLoader):
    """botocore's `JSONFileLoader` (a `.json` or `.json.gz` file, UTF-8), parsed into dicts instead of OrderedDicts."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read().decode("utf-8")
        _log.debug("Loading JSON file: %s", full_path)
        return json.loads(payload)


def _copied(service_name: str, type_name: str) -> bool:
    """Whether kefu keeps a copy of this model of the service: its service model trimmed, or its rule set compact."""
    return (type_name == "service-2" and service_name in TRIMMED_OPERATIONS) or (
        type_name == RULE_SET and service_name in ENDPOINT_SERVICES
    )


class ServiceFolderLoader(Loader):
    """A botocore `Loader` whose service models are found by their own folder only, its JSON read into dicts."""

    FILE_LOADER_CLASS = PlainJSONFileLoader

    @instance_cache
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            version = api_version or self.determine_latest_version(service_name, type_name)
        except DataNotFoundError:
            return super().load_service_model(service_name, type_name, api_version)
        model = None
        if _copied(service_name, type_name):
            model = _copy(os.path.join(TRIMMED_MODELS, service_name, version, type_name), self.file_loader)
        if model is None:  # not a trimmed service, or no trimmed file for this version
            model = self.load_data(os.path.join(service_name, version, type_name))
        self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
        return model

    @instance_cache
    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        """botocore's data file `name` and its path; for botocore's own endpoints.json, kefu's copy of it trimmed to
        `ENDPOINT_SERVICES`, under the path of botocore's (the endpoint resolver is told it holds botocore's data)."""
        if name == "endpoints":
            found = next((path for path in self._potential_locations(name) if self.file_loader.exists(path)), None)
            if found is not None and self.is_builtin_path(found):
                trimmed = _copy(TRIMMED_ENDPOINTS, self.file_loader)
                if trimmed is not None:
                    return trimmed, found
        return super().load_data_with_path(name)


def _copy(path: str, file_loader: Any) -> Any:
    """kefu's copy at `path` (without its extension): its marshal data, else its JSON; None when there is neither."""
    data = _unmarshalled(path + MARSHAL_COPY)
    return data if data is not None else file_loader.load_file(path)


def _unmarshalled(path: str) -> Any:
    """The marshal data in `path`, or None when there is no such file or this Python cannot read it."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None
    try:
        model = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    _log.debug("Loading marshal file: %s", path)
    return model


class QuickAliaser(EventAliaser):
    """botocore's `EventAliaser`, an event name not seen yet aliased with one split of it, not one per alias.

    botocore's own splits the name again for each of its ~90 aliases and looks each up with `list.index`, which
    raises for nearly all of them; every client starts with an empty cache of aliased names (its emitter is a copy),
    and creating one registers and emits a few hundred names: ~80 µs each. This gives the same name (the first alias
    that names a part, or a dotted run of parts, replaces it), and is copied as itself."""

    def _alias_event_name(self, event_name: str) -> str:
        cached = self._alias_name_cache.get(event_name)
        if cached is not None:
            return cached
        parts = event_name.split(".")
        for old_part, new_part in self._event_aliases.items():
            if "." not in old_part:
                if old_part not in parts:
                    continue
                event_parts = parts.copy()
                event_parts[event_parts.index(old_part)] = new_part
            elif old_part in event_name:
                event_parts = parts.copy()
                self._replace_subsection(event_parts, old_part.split("."), new_part)
            else:
                continue
            new_name = ".".join(event_parts)
            _hooks_log.debug("Changing event name from %s to %s", event_name, new_name)
            self._alias_name_cache[event_name] = new_name
            return new_name
        self._alias_name_cache[event_name] = event_name
        return event_name


class QuickEmitter(HierarchicalEmitter):
    """botocore's `HierarchicalEmitter`, whose check that a handler accepts keyword arguments reads a plain function's
    (or a method's function's) code flags rather than its whole signature.

    botocore checks every handler registered with `inspect.getfullargspec` (`botocore.compat.accepts_kwargs`), which
    builds the function's full signature to read one thing of it: whether it takes **kwargs. The session registers its
    ~150 builtin handlers so on every cold start, ~12 M instructions (callgrind) of intake's and inbound mail's first
    work. For a plain function, or a bound method of one, getfullargspec reports **kwargs exactly when its code has the
    CO_VARKEYWORDS flag (it follows no `__wrapped__`; a `__signature__` set on the function would override the code,
    so such a function is asked as botocore asks); any other callable (a partial, an object with `__call__`) is
    asked as botocore asks it. The same handlers are refused, with botocore's message
    (tests/unit/test_service_models.py compares the two on every builtin handler and on odd callables)."""

    def _verify_accept_kwargs(self, func: Any) -> None:
        function = func.__func__ if type(func) is MethodType else func
        if type(function) is not FunctionType or "__signature__" in function.__dict__:
            super()._verify_accept_kwargs(func)
        elif not function.__code__.co_flags & CO_VARKEYWORDS:
            raise ValueError(f"Event handler {func} must accept keyword arguments (**kwargs)")


class KefuSession(Session):
    """botocore's session, its builtin handlers registered through a `QuickAliaser` over a `QuickEmitter`: botocore's
    `Session.__init__` makes its `EventAliaser` (over a `HierarchicalEmitter`) and registers every builtin handler
    with it at once, each name aliased and each handler checked as it comes.

    Its credentials, when the environment has keys (as Lambda gives every function its role's) and the session was
    given no profile, come from botocore's environment provider alone: botocore's resolver makes its whole chain
    first (the container's and the instance metadata's fetchers with their HTTP sessions, the profile providers and
    the config lookups they read: ~16 M instructions of every cold start, callgrind) and then asks the environment
    provider, which is its first and answers. Otherwise the resolver is botocore's."""

    def _create_credential_resolver(self) -> Any:
        if self.instance_variables().get("profile") is None and os.environ.get(EnvProvider.ACCESS_KEY):
            return CredentialResolver(providers=[EnvProvider()])
        return super()._create_credential_resolver()

    def _register_builtin_handlers(self, events: Any) -> None:
        if type(events) is EventAliaser:
            events.__class__ = QuickAliaser
            if type(events._emitter) is HierarchicalEmitter:
                # Its own class, which only overrides how a handler is checked (copied as itself for every client).
                events._emitter.__class__ = QuickEmitter
        super()._register_builtin_handlers(events)


def use_service_folders(session: Session) -> None:
    """Make `session` load its models and data with `ServiceFolderLoader`, from the paths botocore's own loader would
    search (AWS_DATA_PATH's, then ~/.aws/models and botocore's data), as `botocore.loaders.create_loader` builds
    them, and alias its event names with `QuickAliaser`."""
    data_path = session.get_config_variable("data_path")
    extra = None
    if data_path is not None:
        extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    session.register_component("data_loader", ServiceFolderLoader(extra_search_paths=extra))
    # The session's own aliaser, which its builtin handlers are registered with (and every client copies): made a
    # QuickAliaser in place, which only overrides how a name is aliased.
    emitter = session.get_component("event_emitter")
    if type(emitter) is EventAliaser:
        emitter.__class__ = QuickAliaser
