"""Every list is paginated with an opaque cursor; walking the pages yields each item once, in order."""

from __future__ import annotations

from tests.conftest import AGENT, CUSTOMER, SUPERVISOR
from tests.integration.conftest import open_ticket


def walk(api, path, who, **query):
    pages, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        reply = api("GET", path, who=who, query=params)
        assert reply.status == 200, reply.text
        pages.append([item["id"] for item in reply.json["items"]])
        cursor = reply.json["nextCursor"]
        if not cursor:
            return pages


def test_a_customers_tickets_come_in_three_pages_newest_first(desk):
    ids = [open_ticket(desk)["id"] for _ in range(7)]
    pages = walk(desk, "/tickets", CUSTOMER, limit="3")
    assert len([p for p in pages if p]) == 3
    assert [i for page in pages for i in page] == list(reversed(ids))


def test_a_group_queue_comes_in_pages_oldest_first(desk):
    # Seven customers' first contacts at one priority, so only age orders them.
    ids = [open_ticket(desk, AGENT, customer={"email": f"c{n}@example.com"}, priority="P3")["id"] for n in range(7)]
    pages = walk(desk, "/tickets", AGENT, group="l1", status="new", limit="3")
    assert len([p for p in pages if p]) == 3
    assert [i for page in pages for i in page] == ids


def test_all_tickets_by_status_come_in_pages_for_a_supervisor(desk):
    ids = [open_ticket(desk)["id"] for _ in range(7)]
    pages = walk(desk, "/tickets", SUPERVISOR, status="new", limit="2")
    assert len([p for p in pages if p]) == 4
    assert [i for page in pages for i in page] == list(reversed(ids))


def test_a_timeline_comes_in_pages_in_order(desk):
    tid = open_ticket(desk)["id"]
    for n in range(6):
        desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": f"message {n}"})
    bodies = []
    cursor = None
    pages = 0
    while True:
        reply = desk(
            "GET", f"/tickets/{tid}/timeline", who=AGENT, query={"limit": "3", **({"cursor": cursor} if cursor else {})}
        )
        bodies += [entry["body"] for entry in reply.json["items"] if entry["kind"] == "message"]
        pages += 1 if reply.json["items"] else 0
        cursor = reply.json["nextCursor"]
        if not cursor:
            break
    assert pages == 3
    assert bodies == ["Nine days since dispatch."] + [f"message {n}" for n in range(6)]


def test_a_cursor_from_one_customers_listing_is_refused_in_anothers(desk):
    from tests.conftest import OTHER_CUSTOMER

    for _ in range(3):
        open_ticket(desk)
    cursor = desk("GET", "/tickets", who=CUSTOMER, query={"limit": "1"}).json["nextCursor"]
    reply = desk("GET", "/tickets", who=OTHER_CUSTOMER, query={"cursor": cursor})
    assert reply.status == 400


def test_a_timeline_with_entries_packed_together_comes_in_pages_of_each_size(desk):
    """The opening's routing entry and the status change of an agent's first reply are stored with the entry before
    them (kefu.store.tickets._packs): read back, page by page at every size, they are the entries they were."""
    from kefu.channels.publisher import system_caller
    from kefu.clock import now
    from kefu.model.tickets import EntryKind, Visibility
    from kefu.store.models import TimelineItem
    from kefu.store.tickets import TIMELINE_PREFIX, ticket_key, whole_timeline
    from kefu.tickets.writes import Change, Draft, change

    tid = open_ticket(desk)["id"]
    assert desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "On its way."}).status == 201
    assert desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": "Thanks!"}).status == 201
    # One change of a dozen internal notes: one item, its entries' ids past -09 (a cursor's key is not its item's).
    notes = [Draft(EntryKind.NOTE, Visibility.INTERNAL, f"note {n}") for n in range(12)]
    change(system_caller(), tid, lambda ticket: Change(ticket.model_copy(update={"updatedAt": now()}), notes))
    items = list(TimelineItem.query(ticket_key(tid), TimelineItem.sk.startswith(TIMELINE_PREFIX)))
    stored = [(item.entry_kind, len(item.packed or [])) for item in items]
    assert stored == [("message", 1), ("reply", 1), ("message", 0), ("note", 11)]

    whole = desk("GET", f"/tickets/{tid}/timeline", who=AGENT, query={"limit": "50"}).json
    assert whole["nextCursor"] is None
    assert [(e["id"], e["kind"], e["visibility"]) for e in whole["items"]] == [
        ("0000000001-00", "message", "public"),
        ("0000000001-01", "routing", "internal"),
        ("0000000002-00", "reply", "public"),
        ("0000000002-01", "status", "public"),
        ("0000000003-00", "message", "public"),
        *((f"0000000004-{n:02d}", "note", "internal") for n in range(12)),
    ]
    assert [e["body"] for e in whole["items"][5:]] == [f"note {n}" for n in range(12)]
    status = whole["items"][3]
    assert (status["data"], status["authorId"], status["createdAt"]) == (
        {"from": "new", "to": "open"},
        AGENT.sub,
        whole["items"][2]["createdAt"],
    )
    public = [e for e in whole["items"] if e["visibility"] == "public"]
    for who, expected in ((AGENT, whole["items"]), (CUSTOMER, public)):
        for size in (1, 2, 3, 4, 5, 11, 12, 13):
            pages, cursor = [], None
            while True:
                query = {"limit": str(size), **({"cursor": cursor} if cursor else {})}
                reply = desk("GET", f"/tickets/{tid}/timeline", who=who, query=query)
                assert reply.status == 200, reply.text
                assert len(reply.json["items"]) <= size
                pages.append(reply.json["items"])
                cursor = reply.json["nextCursor"]
                if not cursor:
                    break
            assert [e for page in pages for e in page] == expected, (who, size)
    # Read whole (what reads a ticket's every entry: its KPI facts, its QA checks, an export): the same entries.
    for public_only, expected in ((False, whole["items"]), (True, public)):
        read = [e.model_dump(mode="json", exclude_none=True) for e in whole_timeline(tid, public_only=public_only)]
        assert [(e["id"], e.get("body")) for e in read] == [(e["id"], e.get("body")) for e in expected], public_only
