"""One table, single-table design. Every item kind has its key prefix; GSIs serve the access patterns.

1  ticket by id:                  GetItem pk=TICKET#<id>, sk=TICKET
2  a customer's tickets, newest:  gsi1 gsi1pk=CUST#<customer>, gsi1sk=<createdAt>#<id> (descending)
3  a group's queue by status:     gsi2 gsi2pk=QUEUE#<group>#<status>, gsi2sk=<priority>#<createdAt>#<id>
4  an agent's tickets by status:  gsi3 gsi3pk=ASSIGNEE#<agent>#<status>, gsi3sk=<priority>#<createdAt>#<id>
6  a ticket's timeline in order:  Query pk=TICKET#<id>, sk begins_with TL# (an item may hold the entries of one
                                  change packed after its own: kefu.store.tickets._packs)
8  customer by id/e-mail/phone:   GetItem pk=CUST#<id> | CONTACT#email#<addr> | CONTACT#phone#<number>
   the customer an app login is:  GetItem pk=LOGIN#<token sub>, sk=LOGIN (written once, at its first request)
16 audit of a customer, in order: Query pk=AUDIT#CUST#<customer> (sk <at>#<entry id>)
   audit of an actor, in order:    gsi1 gsi1pk=AUDIT#ACTOR#<actor>, gsi1sk=<at>#<entry id>
   a customer's data exports:     Query pk=CUST#<id>, sk begins_with EXPORT# (GetItem by job id)
   a customer's app logins:       gsi1 gsi1pk=LOGINS#<customer>, gsi1sk=<token sub> (merge, erasure)
   customers by name prefix:      gsi1 gsi1pk=CUSTNAME#<first letter of the folded name>,
                                  gsi1sk=<folded name>#<id> (begins_with the folded prefix)
9  a group's agents and load:     Query pk=GROUP#<group>, sk begins_with MEMBER#
   assignment roster of a group:  Query pk=GROUP#<group> (its members, its GROUP item, its ROTATION item)
   unassigned tickets waiting:    gsi5 gsi5pk=WAITING#<group>, gsi5sk=<priority>#<createdAt>#<id> (any active status)
   tickets awaiting their owner:  gsi3 gsi3pk=AWAITING#<owner>, gsi3sk=<priority>#<createdAt>#<id> (any group)
7  resolved in a time window:     gsi5 gsi5pk=RESOLVED#<yyyy-mm-dd of resolvedAt>, gsi5sk=<resolvedAt>#<id>
                                  (one Query per day of the window; a reopened ticket leaves the index)
11 all tickets by status, newest: gsi4 gsi4pk=STATUS#<status>, gsi4sk=<createdAt>#<id> (descending)
12 tickets by owner, by status:    gsi1 gsi1pk=OWNER#<owner>#<status>, gsi1sk=<createdAt>#<id> (descending) on the
                                  ticket's view item pk=TICKET#<id>, sk=VIEWS (kefu.store.views: why not a sixth GSI)
13 escalated tickets:             gsi2 gsi2pk=ESCALATED, gsi2sk=<level>#<createdAt>#<id> (descending), view item
   at-risk tickets:               gsi3 gsi3pk=ATRISK, gsi3sk=<next unmet due>#<id> (ascending, <= now + margin)
                                  on the ticket item while its gsi3 is free (unassigned), else on its view item
   ticket of an external thread:  GetItem pk=THREAD#<channel>#<thread id>, sk=THREAD (intake queue)
5  ticket by e-mail Message-ID:   Query pk=MSGID#<message-id> (sk IN#<sender> received, OUT sent)
   a ticket's mail thread:        Query pk=TICKET#<id>, sk begins_with MAIL#
   a received mail's outcome:     GetItem pk=MAIL#<SES message id>, sk=MAIL
   a sender's mails this hour:    UpdateItem ADD pk=BURST#<sender>#<yyyymmddhh>, sk=BURST (TTL expiresAt)
   all groups:                    gsi1 gsi1pk=GROUPS
   a survey with its answer/links: Query pk=SURVEY#<id> (sk SURVEY, ANSWER, TASK, FOLLOWUP)
   a campaign's surveys:          gsi1 gsi1pk=CAMPAIGN#<campaign>, gsi1sk=<issuedAt>#<survey id>
   a customer's survey results:   Query pk=CUST#<id>, sk begins_with SURVEY# (newest first)
   the survey of a revisit task:  GetItem pk=TICKET#<task id>, sk=REVISIT
   a campaign's runs, newest:     Query pk=CAMPAIGN#<campaign>, sk begins_with RUN# (descending)
   a campaign run's targets:      Query pk=RUN#<campaign>#<run id>, sk begins_with TARGET#
   the run a survey went out in:  GetItem pk=SURVEY#<id>, sk=RUN
15 QA reviews (kefu.store.qa_reviews): GetItem pk=TICKET#<ticket>, sk=QA#REVIEW#<n>; a ticket's: Query sk begins_with
   QA#REVIEW#; by agent and month: gsi2 gsi2pk=QA#AGENT#<agent>, gsi2sk=<month>#<review id>; by status and
   reviewer: gsi4 gsi4pk=QA#STATUS#<status>, gsi4sk=<reviewer or ->#<month>#<review id>
   a ticket's QA findings:        GetItem pk=TICKET#<id>, sk=QA#FINDINGS (kefu.store.qa_findings)
   a month's QA coverage:         Query pk=QAMONTH#<yyyy-mm> (sk AGENT#<agent> rows, RUN: kefu.store.qa_coverage)
   an SLA clock's terms:          GetItem pk=SLATERMS#<version>, sk=TERMS (immutable; kefu.store.sla_terms)
   a calendar an older clock names: GetItem pk=CALENDAR#<version>, sk=CALENDAR (immutable; kefu.store.calendars)
   the knowledge base's index:    GetItem pk=KB#INDEX, sk=FILE (its file) | HEAD (its version; kefu.store.kb_index)
   a ticket's customer notices:   GetItem pk=NOTICES#<ticket id>, sk=STATE (rate limit, waiting notice, handled)
   a text message sent once:      GetItem pk=SMS#<ticket id>#<key>, sk=OUT (claimed, then sent or failed)
"""

import importlib
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple, TypeVar

from pynamodb.attributes import (
    Attribute,
    AttributeContainer,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.connection import TableConnection
from pynamodb.constants import NULL, STRING
from pynamodb.exceptions import AttributeNullError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

from kefu.config import settings
from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.service_models import KefuSession, use_service_folders
from kefu.store.user_agent import fix_user_agent

#: Each item class's `_Shape`, made on its first item.
_SHAPES: dict[type, "_Shape"] = {}


class _FromSettings:
    """Meta values resolved on each use, so the table follows the environment, not the import."""

    def __init__(self, read):
        self._read = read

    def __get__(self, obj: Any, owner: Any) -> Any:
        return self._read()


#: What each GSI holds beside the table's and its own keys: the discriminator, so a subclass's query can filter on
#: it, and the attributes a query of it filters on (QA reviews: by agent, narrowed by status; by status, narrowed by
#: month); a ticket's status is in its gsi2 key already, so projecting it there costs a ticket nothing. Nothing else:
#: an index write happens only when an item enters or leaves the index, changes its key there or a projected
#: attribute, not at every write (a reply, an SLA tick) as with ALL, and costs one unit; a list reads its items in
#: full by key afterwards (kefu.store.full_items; docs/architecture.md, access patterns).
INDEXED_ATTRIBUTES = {
    "gsi1": ["kind"],
    "gsi2": ["kind", "status"],
    "gsi3": ["kind"],
    "gsi4": ["kind", "month"],
    "gsi5": ["kind"],
}


#: The modules that define the table's other kinds. Each kind a process defines costs it at import (pynamodb's
#: metaclass lists the class's members twice and copies the five indexes into it: about 2 M instructions a kind), so
#: this module defines only the kinds of a ticket and the people on it (tickets, timelines, customers with their
#: contact points and logins, external threads, agents and memberships, SLA calendars), and a function defines the
#: others when it imports what uses them (the API's ticket read: 9 kinds of 26). The QA kinds live in their stores
#: (kefu.store.qa_reviews, qa_findings, qa_coverage), as before.
KIND_MODULES = (
    "kefu.store.group_models",
    "kefu.store.record_models",
    "kefu.store.mail_models",
    "kefu.store.survey_models",
    "kefu.store.notice_models",
)

_Kind = TypeVar("_Kind")


@cache  # once per process: a warm function's reads of any kind then ask nothing more
def define_every_kind() -> None:
    """Define every kind of KIND_MODULES."""
    for name in KIND_MODULES:
        importlib.import_module(name)


class KindAttribute(DiscriminatorAttribute):
    """The `kind` discriminator, which defines every kind before a read may meet one its process has not defined.

    pynamodb asks the discriminator which kinds a read may return (a query or scan of KefuItem filters on them: an
    item of a kind not defined yet would be left out without a word) and which class an item's kind is (an unknown
    one is an error): both answers are complete here, as they were with every kind in one module. A read of one
    kind (TicketItem.get, TicketItem.query) asks for that kind only, and defines nothing more.
    tests/unit/test_store_kinds.py fails if pynamodb stops asking these two methods.
    """

    def __init__(self, attr_name: str | None = None) -> None:
        super().__init__(attr_name=attr_name)
        # The answers below, kept until a kind is defined: each query of one kind (a customer's recent tickets, a
        # group's roster) asked them again, checking every kind defined against the class asked about.
        self._subclasses: dict[type, list[type]] = {}
        self._defined_kinds: frozenset[str] | None = None

    def register_class(self, cls: type, discriminator: Any) -> None:
        super().register_class(cls, discriminator)
        self._subclasses.clear()
        self._defined_kinds = None

    def get_registered_subclasses(self, cls: type[_Kind]) -> list[type[_Kind]]:
        # KefuItem: a read of any kind. Not pynamodb's Model, asked for the table's schema with every connection: the
        # kinds add nothing to it (they declare no index of their own: the five are KefuItem's), and the first read
        # of one kind would otherwise define them all.
        if cls is KefuItem:
            define_every_kind()
        kept = self._subclasses.get(cls)
        if kept is None:
            kept = self._subclasses[cls] = super().get_registered_subclasses(cls)
        return list(kept)

    def defined_kinds(self) -> frozenset[str]:
        """The stored names of the kinds of KefuItem this process has defined so far (none defined for it)."""
        if self._defined_kinds is None:
            kinds = super().get_registered_subclasses(KefuItem)
            self._defined_kinds = frozenset(str(self.get_discriminator(kind)) for kind in kinds)
        return self._defined_kinds

    def deserialize(self, value: Any) -> type:
        try:
            return super().deserialize(value)
        except ValueError:  # a kind of KIND_MODULES not defined yet (an unknown one fails again below)
            define_every_kind()
            return super().deserialize(value)


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(INDEXED_ATTRIBUTES["gsi1"])

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = IncludeProjection(INDEXED_ATTRIBUTES["gsi2"])

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi3"
        projection = IncludeProjection(INDEXED_ATTRIBUTES["gsi3"])

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi4"
        projection = IncludeProjection(INDEXED_ATTRIBUTES["gsi4"])

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi5"
        projection = IncludeProjection(INDEXED_ATTRIBUTES["gsi5"])

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class KefuItem(Model):
    """The table. `kind` tells the item kinds apart."""

    class Meta:
        table_name = _FromSettings(lambda: settings().table_name)
        region = _FromSettings(lambda: settings().region)
        # botocore reads AWS_ENDPOINT_URL itself; pynamodb only needs it when it is set explicitly.
        host = _FromSettings(lambda: settings().dynamodb_endpoint)
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = KindAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)

    by_customer = Gsi1()
    by_queue = Gsi2()
    by_assignee = Gsi3()
    by_status = Gsi4()
    by_resolution_day = Gsi5()

    # --- building, serializing and reading items: pynamodb's own steps, with each plain attribute's value read and
    # written in `attribute_values` directly instead of through its descriptor (which looks its name up again at
    # every access). Building, writing and reading items was a quarter of kefu's own CPU in opening a ticket
    # (tests/bench, issue 22); tests/unit/test_store_items.py holds them equal to pynamodb's for every item kind.

    @classmethod
    def _shape(cls) -> "_Shape":
        shape = _SHAPES.get(cls)
        if shape is None:
            shape = _SHAPES[cls] = _Shape.of(cls)
        return shape

    def _set_discriminator(self) -> None:
        # pynamodb's sets the class through the discriminator's descriptor, which looks the attribute up, checks that
        # the class is the instance's own (it is: it is `type(self)`) and stores it in `attribute_values`.
        kind = self._shape().kind
        if kind is not None:
            self.attribute_values[kind[0]] = kind[1]

    def _set_defaults(self, _user_instantiated: bool = True) -> None:
        shape = self._shape()
        values = self.attribute_values
        for name, default, direct in shape.new_defaults if _user_instantiated else shape.read_defaults:
            value = default() if callable(default) else default
            if value is None:
                continue
            if direct:
                values[name] = value
            else:
                setattr(self, name, value)

    def _set_attributes(self, **attributes: Any) -> None:
        shape = self._shape()
        values = self.attribute_values
        for name, value in attributes.items():
            if name in shape.direct:
                values[name] = value
            elif name in self.get_attributes():
                setattr(self, name, value)
            else:
                raise ValueError(f"Attribute {name} specified does not exist")

    def _container_serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        serialized: dict[str, dict[str, Any]] = {}
        values = self.attribute_values
        for field in self._shape().attributes:
            name, attr = field.name, field.attr
            value = values.get(name) if field.direct else getattr(self, name)
            if value is None:
                if null_check and not field.null:
                    raise AttributeNullError(name)
                continue
            # A string and an integer are written as their attributes' serialize writes them (the string as it is,
            # the integer as `json.dumps` writes it), for less: see `_reader`.
            reader, given = field.reader, type(value)
            if (reader is _AS_STORED and given is str) or (reader is _number and given is int):
                serialized[field.stored_name] = {field.attr_type: value if given is str else str(value)}
                continue
            try:
                if isinstance(value, MapAttribute) and not value.validate(null_check=null_check):
                    raise ValueError(f"Attribute '{name}' is not correctly typed")
                attr_value = attr.serialize(value, null_check=null_check) if field.nested else attr.serialize(value)
            except AttributeNullError as err:
                err.prepend_path(name)
                raise
            if attr_value is not None:
                serialized[field.stored_name] = {field.attr_type: attr_value}
            elif null_check and not field.null:
                raise AttributeNullError(name)
        return serialized

    def _container_deserialize(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        self.attribute_values = {}
        self._set_discriminator()
        self._set_defaults(_user_instantiated=False)
        self._read(attribute_values)

    def _read(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        # The attributes the item holds, not every attribute of its class (most hold a few of them).
        values = self.attribute_values
        shape = self._shape()
        by_stored_name = shape.by_stored_name
        own_kind = shape.kind[1] if shape.kind is not None else None
        for stored_name, stored in attribute_values.items():
            field = by_stored_name.get(stored_name)
            if field is None or not stored or NULL in stored:
                continue
            reader = field.reader
            if reader is _AS_STORED and field.attr_type in stored:
                value = stored[field.attr_type]
            elif reader is not None and field.attr_type in stored:
                value = reader(field.attr, stored[field.attr_type])
            else:
                value = field.attr.deserialize(field.attr.get_value(stored))
            # The discriminator naming the instance's own class is stored as `_set_discriminator` stores it; another
            # class goes through its descriptor, which refuses it.
            if field.direct or value is own_kind:
                values[field.name] = value
            else:
                setattr(self, field.name, value)

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, dict[str, Any]]) -> Any:
        stored_cls = cls._get_discriminator_class(attribute_values)
        if stored_cls and not issubclass(stored_cls, cls):
            raise ValueError(f"Cannot instantiate a {cls.__name__} from the returned class: {stored_cls.__name__}")
        # Built as pynamodb builds it (discriminator and defaults set), then read: pynamodb set them all again first.
        kind = stored_cls or cls
        if kind.__init__ is Model.__init__:
            # What `kind(_user_instantiated=False)` does (Model's and AttributeContainer's __init__, no keys and no
            # attributes given), without their two calls and their arguments' handling: a fifth of building an item.
            instance = object.__new__(kind)
            instance.attribute_values = {}
            instance._set_discriminator()
            instance._set_defaults(_user_instantiated=False)
        else:
            instance = kind(_user_instantiated=False)
        instance._read(attribute_values)
        return instance

    @classmethod
    def partition(cls, hash_key: str, *, consistent_read: bool = False) -> Iterator["KefuItem"]:
        """Every item of a partition, each as its kind, in key order; an item of a kind no module defines is left
        out, as `KefuItem.query` leaves it out.

        `KefuItem.query` has pynamodb filter the Query on `kind IN (<every kind loaded>)`: some forty values built
        into an expression at each query (a sixth of kefu's own CPU in assigning a ticket, its group's roster), sent
        and checked against each item, to keep out what the same check here keeps out. The kinds of KIND_MODULES are
        defined only when the partition holds one not defined yet: a group's partition (its roster: the group, its
        rotation, its members) holds the kinds its reader defined, and defining the others cost intake and inbound
        mail ~25 M instructions on their first ticket."""
        kinds = KefuItem._get_discriminator_attribute()
        assert isinstance(kinds, KindAttribute)
        known, every = kinds.defined_kinds(), False
        pages: ResultIterator[dict[str, Any]] = ResultIterator(
            cls._get_connection().query, (hash_key,), {"consistent_read": consistent_read}
        )
        for raw in pages:
            stored = raw.get("kind")
            kind = None if stored is None else stored.get(STRING)
            if kind is not None and kind not in known and not every:
                define_every_kind()
                known, every = kinds.defined_kinds(), True
            if kind in known:
                yield KefuItem.from_raw_data(raw)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # Every kind goes through the table's one connection. pynamodb otherwise makes one per model class, each with
        # a botocore session and client of its own that loads DynamoDB's service model again: three or four loads
        # on a cold start's first piece of work (tests/bench/test_function_cold_start.py), each as dear as the
        # client the baseline makes.
        if cls is not KefuItem:
            return KefuItem._get_connection()
        known = cls._connection
        connection = super()._get_connection()
        if connection is not known:
            # The connection is new, without a session yet: pynamodb would make a plain botocore one on first use
            # (botocore.session.get_session(), which is Session() with no arguments); kefu's is that session with its
            # builtin handlers' names aliased quicker (kefu.store.service_models.KefuSession), in the same
            # thread-local slot pynamodb's `session` property reads.
            base = connection.connection
            if getattr(base._local, "session", None) is None:
                base._local.session = KefuSession()
            # Its models are found without listing every service.
            use_service_folders(base.session)
            fix_user_agent(base.session)
        return connection


# A named tuple, not a frozen dataclass (as kefu.store.tickets.LoadChange: ~2 M instructions less at import).
class _Shape(NamedTuple):
    """An item class's attributes as its instances are built, serialized and read back (`KefuItem`'s fast paths).

    `direct`: the attributes whose descriptors are pynamodb's plain `Attribute.__get__`/`__set__`, which only read
    and write `attribute_values[<python name>]`: those are read and written there directly. The others (the
    discriminator, which checks the class; the version, cast to int) go through their descriptors as before.
    `kind`: the discriminator's name and the class, when the discriminator knows the class (pynamodb sets it on
    every instance of it)."""

    attributes: tuple["_Field", ...]
    by_stored_name: dict[str, "_Field"]
    direct: frozenset[str]
    new_defaults: tuple[tuple[str, Any, bool], ...]
    read_defaults: tuple[tuple[str, Any, bool], ...]
    kind: tuple[str, type] | None

    @classmethod
    def of(cls, model: type[AttributeContainer]) -> "_Shape":
        known = model.get_attributes()
        direct = frozenset(
            name
            for name, attr in known.items()
            if type(attr).__set__ is Attribute.__set__
            and type(attr).__get__ is Attribute.__get__
            and model._dynamo_to_python_attr(attr.attr_name) == name
        )

        def defaults(new: bool) -> tuple[tuple[str, Any, bool], ...]:
            chosen = (
                (name, attr.default_for_new if new and attr.default_for_new is not None else attr.default)
                for name, attr in known.items()
            )
            return tuple((name, default, name in direct) for name, default in chosen if default is not None)

        fields = tuple(
            _Field(
                name,
                attr,
                name in direct,
                attr.attr_name,
                attr.attr_type,
                isinstance(attr, (ListAttribute, MapAttribute)),
                attr.null,
                _reader(attr),
            )
            for name, attr in known.items()
        )
        discriminator = model._get_discriminator_attribute()
        kind = None
        if discriminator is not None and discriminator.get_discriminator(model) is not None:
            # Its python name, under which its descriptor stores it.
            kind = (model._dynamo_to_python_attr(discriminator.attr_name), model)
        by_stored_name = {field.stored_name: field for field in fields}
        return cls(fields, by_stored_name, direct, defaults(True), defaults(False), kind)


class _Field(NamedTuple):
    """One attribute of an item class, with what its serialization asks of it each time worked out once."""

    name: str
    attr: Attribute
    direct: bool
    stored_name: str
    attr_type: str
    #: A list or map: serialized with the null check passed down.
    nested: bool
    null: bool
    #: How `KefuItem._read` reads its stored value (under `attr_type`): `_AS_STORED` as it is, a function of the
    #: attribute and the value, or None: through the attribute (`deserialize(get_value(...))`), as pynamodb does.
    #: `_container_serialize` writes a string of an `_AS_STORED` field, and an int of a `_number` one, itself.
    reader: Any


# --- reading stored values: what pynamodb's `deserialize` makes of the commonest attributes, for less. Each is
# used only for its attribute's exact pynamodb class (a subclass may read otherwise) and a value under its type;
# anything else goes through the attribute. tests/unit/test_store_items.py holds every kind read as pynamodb reads it.

#: A string is read as it is stored (`UnicodeAttribute` has `Attribute`'s `deserialize`, which returns it).
_AS_STORED = object()


def _number(attr: Attribute, text: str) -> Any:
    # A number as DynamoDB writes an integer (-?(0|[1-9][0-9]*), ASCII digits): `int` reads it as `json.loads`
    # (NumberAttribute's reader) does, ~6x faster. Tested without a regular expression, which every function's cold
    # start would compile at import.
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and (digits[0] != "0" or len(digits) == 1):
        return int(text)
    return attr.deserialize(text)


def _strings(attr: Attribute, values: list[dict[str, Any]]) -> Any:
    # ListAttribute(of=UnicodeAttribute) makes an element attribute and names it at each element; an element
    # without a string (a corrupt item) is left to it, to fail as it fails.
    if all(STRING in value or NULL in value for value in values):
        return [None if NULL in value else value[STRING] for value in values]
    return attr.deserialize(values)


def _reader(attr: Attribute) -> Any:
    kind = type(attr)
    if kind is UnicodeAttribute:
        return _AS_STORED
    if kind is NumberAttribute:
        return _number
    if isinstance(attr, ListAttribute) and kind is ListAttribute and attr.element_type is UnicodeAttribute:
        return _strings
    return None


def dynamodb_client() -> Any:
    """The botocore DynamoDB client the models use, for what needs a client of its own (Powertools idempotency):
    one client, one service model loaded, per process."""
    return KefuItem._get_connection().connection.client


class TicketItem(KefuItem, discriminator="ticket"):
    ticket_id = UnicodeAttribute(attr_name="id")
    subject = UnicodeAttribute()
    description = UnicodeAttribute()
    status = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    priority = UnicodeAttribute()
    channel = UnicodeAttribute()
    customer_id = UnicodeAttribute(attr_name="customerId")
    #: Left out for the standard tier, as the empty lists below are.
    customer_tier = UnicodeAttribute(attr_name="customerTier", null=True)
    group_id = UnicodeAttribute(attr_name="groupId", null=True)
    assignee_id = UnicodeAttribute(attr_name="assigneeId", null=True)
    owner_id = UnicodeAttribute(attr_name="ownerId", null=True)
    # Empty lists and a zero level are left out (kefu.store.tickets): the item is billed by its size at every write.
    helper_ids = ListAttribute(of=UnicodeAttribute, attr_name="helperIds", null=True)
    awaiting_owner = BooleanAttribute(attr_name="awaitingOwner", null=True)
    follow_up_of = UnicodeAttribute(attr_name="followUpOf", null=True)
    escalation_level = NumberAttribute(attr_name="escalationLevel", null=True)
    sentiment = UnicodeAttribute(null=True)
    threat = BooleanAttribute(null=True)
    worsening_raised = BooleanAttribute(attr_name="worseningRaised", null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    attachments = CompactJSONAttribute(null=True)
    resolution = CompactJSONAttribute(null=True)
    sla = CompactJSONAttribute(default=dict)
    #: The SLA clock (kefu.tickets.sla): its terms by version, pauses, events and its generation, as JSON, less what
    #: the item holds anyway (kefu.store.tickets._clock_as_stored: put back when read).
    sla_clock = CompactJSONAttribute(attr_name="slaClock", null=True)
    created_at = UtcDateTimeAttribute(attr_name="createdAt")
    updated_at = UtcDateTimeAttribute(attr_name="updatedAt")
    version = VersionAttribute()


class TimelineItem(KefuItem, discriminator="timeline"):
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    entry_kind = UnicodeAttribute(attr_name="entryKind")
    visibility = UnicodeAttribute()
    author_id = UnicodeAttribute(attr_name="authorId", null=True)
    author_role = UnicodeAttribute(attr_name="authorRole", null=True)
    body = UnicodeAttribute(null=True)
    #: Absent when empty (items written before hold `{}` and `[]`): 13-19 bytes of every entry's item.
    data = CompactJSONAttribute(null=True)
    attachments = CompactJSONAttribute(null=True)
    created_at = UtcDateTimeAttribute(attr_name="createdAt")
    #: The ticket's channel, on a new ticket's opening message only: the outbound dispatcher's stream filter lets
    #: e-mail openings through (their acknowledgement) and no other channel's (kefu.store.mail).
    channel = UnicodeAttribute(null=True)
    #: Entries of the same change stored behind this one (kefu.store.tickets._packs), each without what it shares
    #: with it: [{kind, visibility, body?, data?, attachments?}]; their ids follow this one's.
    packed = CompactJSONAttribute(null=True)


class CustomerItem(KefuItem, discriminator="customer"):
    customer_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(default="standard")
    created_at = UtcDateTimeAttribute(attr_name="createdAt")
    updated_at = UtcDateTimeAttribute(attr_name="updatedAt")
    #: When a revisit campaign last reached the customer (a survey sent, a revisit call, an answer): their cycle.
    last_revisited_at = UtcDateTimeAttribute(attr_name="lastRevisitedAt", null=True)
    # The customer record as staff and the customer keep it (kefu.store.customer_records).
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    note = UnicodeAttribute(null=True)
    preferred_language = UnicodeAttribute(attr_name="preferredLanguage", null=True)
    contact_preferences = CompactJSONAttribute(attr_name="contactPreferences", null=True)
    #: The business's own id for the customer (its CRM), and when its last `customer.updated` happened there.
    external_id = UnicodeAttribute(attr_name="externalId", null=True)
    crm_updated_at = UtcDateTimeAttribute(attr_name="crmUpdatedAt", null=True)
    #: Contact points taken over from records merged into this one, beyond `email` and `phone`: [{kind, value}].
    other_contacts = CompactJSONAttribute(attr_name="otherContacts", null=True)
    # Merging (kefu.store.customer_merge): an absorbed record names its survivor from the merge's first step on;
    # a survivor lists the records it is absorbing until each merge's last step (none can absorb it meanwhile).
    merged_into = UnicodeAttribute(attr_name="mergedInto", null=True)
    merged_at = UtcDateTimeAttribute(attr_name="mergedAt", null=True)
    absorbing = UnicodeSetAttribute(null=True)
    # Erasure (kefu.store.erasure): `erasing` from the request, `erased` when its last step ran.
    erasure = UnicodeAttribute(null=True)
    erasure_requested_at = UtcDateTimeAttribute(attr_name="erasureRequestedAt", null=True)
    erased_at = UtcDateTimeAttribute(attr_name="erasedAt", null=True)
    erasure_runs = NumberAttribute(attr_name="erasureRuns", null=True)
    version = VersionAttribute()


class ContactItem(KefuItem, discriminator="contact"):
    """A unique contact point (e-mail or phone) → its customer, with what a ticket needs to know."""

    customer_id = UnicodeAttribute(attr_name="customerId")
    tier = UnicodeAttribute(default="standard")
    name = UnicodeAttribute(null=True)


class LoginItem(KefuItem, discriminator="login"):
    """An app user's login (their token's sub) → the customer record they are, decided at their first request and
    written once (kefu.store.logins)."""

    customer_id = UnicodeAttribute(attr_name="customerId")
    #: How the login came to that record: `own` (a record of their own) or the verified contact point that linked it.
    linked_by = UnicodeAttribute(attr_name="linkedBy")
    created_at = UtcDateTimeAttribute(attr_name="createdAt")


class ThreadItem(KefuItem, discriminator="thread"):
    """An external conversation (a chat session, a social thread, a call case) → the ticket it became."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    channel = UnicodeAttribute()
    thread_id = UnicodeAttribute(attr_name="threadId")
    created_at = UtcDateTimeAttribute(attr_name="createdAt")


class AgentItem(KefuItem, discriminator="agent"):
    agent_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    group_ids = ListAttribute(of=UnicodeAttribute, attr_name="groupIds", default=list)
    skills = UnicodeSetAttribute(null=True)
    tier = UnicodeAttribute(default="L1")
    capacity = NumberAttribute(default=10)
    availability = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)
    updated_at = UtcDateTimeAttribute(attr_name="updatedAt")


class MemberItem(KefuItem, discriminator="member"):
    """An agent's membership of a group, carrying availability and load so a group's agents are one Query."""

    group_id = UnicodeAttribute(attr_name="groupId")
    agent_id = UnicodeAttribute(attr_name="agentId")
    #: All the agent's groups: a load change moves every membership row in one transaction.
    group_ids = ListAttribute(of=UnicodeAttribute, attr_name="groupIds", default=list)
    name = UnicodeAttribute(null=True)
    skills = UnicodeSetAttribute(null=True)
    tier = UnicodeAttribute(default="L1")
    capacity = NumberAttribute(default=10)
    availability = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)


class CalendarVersionItem(KefuItem, discriminator="calendar"):
    """One version of a business calendar, as SLA clocks stored before their terms were kept apart count on it:
    pk=CALENDAR#<version>, sk=CALENDAR. The version is a hash of the content, so the item never changes: those clocks
    name it instead of carrying a copy (kefu.store.calendars; no longer written)."""

    calendar = CompactJSONAttribute()


class SlaTermsItem(KefuItem, discriminator="sla_terms"):
    """One version of an SLA clock's terms, what its ticket was promised (its targets and the versions of the
    calendars they count on) with those calendars: pk=SLATERMS#<version>, sk=TERMS. The version is a hash of the
    terms, so the item never changes: clocks name it instead of carrying a copy (kefu.store.sla_terms)."""

    terms = CompactJSONAttribute()
    #: The calendars the terms name, by version (each a hash of its content).
    calendars = CompactJSONAttribute()
