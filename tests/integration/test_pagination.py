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
