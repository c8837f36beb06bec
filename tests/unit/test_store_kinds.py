"""The table's kinds defined in modules apart (kefu.store.models.KIND_MODULES): a ticket read defines only its own,
yet a read that may meet any kind knows them all, as when one module defined every kind. These tests go through
pynamodb's public reads: they fail if pynamodb stops asking the `kind` discriminator (kefu.store.models.KindAttribute)
which kinds a read may return or which class an item's kind is."""

from __future__ import annotations

import json
import textwrap

from kefu.store.models import KIND_MODULES
from tests.unit.lambda_process import run_in_function

PROBE = textwrap.dedent(
    """
    import json, sys
    from kefu.store import models
    from kefu.store.models import KefuItem, TicketItem

    found = {}
    def defined():
        return sorted(name for name in models.KIND_MODULES if name in sys.modules)

    found["imported"] = defined()
    TicketItem.query("TICKET#TK-1")  # not run (a query runs when read): only its filter is built
    found["after a ticket query"] = defined()
    {action}
    found["after"] = defined()
    print(json.dumps(found))
    """
)


def probe(action: str) -> dict[str, list[str]]:
    done = run_in_function("api", PROBE.replace("{action}", action))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_table_module_defines_no_kind_of_the_kind_modules_nor_does_a_read_of_one_kind():
    found = probe("pass")
    assert found["imported"] == []
    assert found["after a ticket query"] == []


def test_a_query_of_any_kind_defines_every_kind_first():
    # Given a process that defined only the table module's kinds, when it queries the table for items of any kind
    found = probe('KefuItem.query("CUST#C-1")')
    # then every kind is defined before the query filters on the kinds it knows (none is left out of its answer)
    assert found["after"] == sorted(KIND_MODULES)


def test_a_scan_of_any_kind_defines_every_kind_first():
    assert probe("KefuItem.scan()")["after"] == sorted(KIND_MODULES)


def test_an_item_of_a_kind_not_yet_defined_is_read_as_its_kind():
    # Given a process that defined only the table module's kinds, when it reads an item of a kind defined apart
    action = textwrap.dedent(
        """
        item = KefuItem.from_raw_data(
            {"pk": {"S": "MSGID#<a@b>"}, "sk": {"S": "OUT"}, "kind": {"S": "msgid"}, "ticketId": {"S": "TK-1"}}
        )
        found["read"] = [type(item).__module__, type(item).__name__, item.ticket_id]
        """
    )
    found = probe(action)
    # then it is read as that kind, defined on the way
    assert found["read"] == ["kefu.store.mail_models", "MessageIdItem", "TK-1"]
    assert found["after"] == sorted(KIND_MODULES)


#: A partition read (KefuItem.partition) answered with these items instead of a Query: what the read keeps of them.
PARTITION = textwrap.dedent(
    """
    import kefu.store.group_models
    models.ResultIterator = lambda *args, **kwargs: iter(ITEMS)
    found["read"] = [type(item).__name__ for item in KefuItem.partition("GROUP#l1")]
    """
)


def partition_of(*items: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    return probe(PARTITION.replace("ITEMS", repr(list(items))))


def test_a_partition_of_kinds_its_reader_defined_defines_no_other():
    # Given a process that defined the group kinds (as the roster's reader does), when it reads a group's partition
    found = partition_of(
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "GROUP"}, "kind": {"S": "group"}},
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "MEMBER#A-1"}, "kind": {"S": "member"}},
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "ROTATION"}, "kind": {"S": "rotation"}},
    )
    # then it reads each item as its kind and defines no kind of the other modules
    assert found["read"] == ["GroupItem", "MemberItem", "RotationItem"]
    assert found["after"] == ["kefu.store.group_models"]


def test_a_partition_holding_a_kind_not_yet_defined_reads_it_as_its_kind():
    found = partition_of(
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "GROUP"}, "kind": {"S": "group"}},
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "OUT"}, "kind": {"S": "msgid"}, "ticketId": {"S": "TK-1"}},
    )
    assert found["read"] == ["GroupItem", "MessageIdItem"]
    assert found["after"] == sorted(KIND_MODULES)


def test_a_partition_leaves_out_an_item_of_a_kind_no_module_defines():
    found = partition_of(
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "X"}, "kind": {"S": "no_such_kind"}},
        {"pk": {"S": "GROUP#l1"}, "sk": {"S": "GROUP"}, "kind": {"S": "group"}},
    )
    assert found["read"] == ["GroupItem"]
    assert found["after"] == sorted(KIND_MODULES)


def test_an_unknown_kind_is_still_an_error():
    action = textwrap.dedent(
        """
        try:
            KefuItem.from_raw_data({"pk": {"S": "X#1"}, "sk": {"S": "X"}, "kind": {"S": "no_such_kind"}})
        except ValueError as error:
            found["error"] = [str(error)]
        """
    )
    assert probe(action)["error"] == ["Unknown discriminator value: no_such_kind"]


def test_a_connection_defines_no_kind():
    # Each connection builds the table's schema from the kinds pynamodb knows: the table module's are enough.
    found = probe("KefuItem._get_connection()")
    assert found["after"] == []


def test_no_kind_declares_an_index_of_its_own():
    # pynamodb builds the table's schema (with every connection) from the indexes of the kinds it knows; KindAttribute
    # does not define every kind for it, which holds while each kind's indexes are the table's five (KefuItem's).
    action = textwrap.dedent(
        """
        models.define_every_kind()
        import kefu.store.qa_coverage, kefu.store.qa_findings, kefu.store.qa_reviews
        table = {name: type(index) for name, index in KefuItem._indexes.items()}
        found["own"] = sorted(
            f"{kind.__name__}.{name}"
            for kind in KefuItem.kind.get_registered_subclasses(KefuItem)
            for name, index in kind._indexes.items()
            if table.get(name) is not type(index)
        )
        found["kinds"] = [str(len(KefuItem.kind.get_registered_subclasses(KefuItem)))]
        """
    )
    found = probe(action)
    assert found["own"] == []
    assert int(found["kinds"][0]) > 20
