"""Merging duplicate customer records over the HTTP API: tickets, contact points, logins, surveys and history move
to the survivor; the absorbed id answers with it; a merge cut short finishes when repeated; racing merges end in
one consistent state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.store import customer_merge
from kefu.store.customers import customer_key
from kefu.store.models import CustomerItem
from kefu.store.survey_models import CustomerSurveyItem
from tests.conftest import ADMIN, AGENT, CUSTOMER, SUPERVISOR, Identity
from tests.integration.conftest import open_ticket
from tests.integration.test_concurrency import race


def open_for(desk, customer: dict, subject: str = "Order 1042 never arrived") -> dict:
    return open_ticket(desk, who=AGENT, customer=customer, subject=subject)


@pytest.fixture
def twins(desk) -> tuple[str, str]:
    """One person known twice: by e-mail (with a name) and by phone (no name)."""
    by_mail = open_for(desk, {"email": "carol.li@example.com", "name": "Li Carol"})["customerId"]
    by_phone = open_for(desk, {"phone": "+8613800138000"}, subject="Called about the lid")["customerId"]
    return by_mail, by_phone


def merge(desk, survivor: str, absorbed: str, who: Identity = SUPERVISOR):
    return desk("POST", f"/customers/{survivor}/merge", who=who, body={"from": absorbed})


def merged(who: Identity, survivor: str, absorbed: str) -> tuple[int, str]:
    """`kefu.customers.merge.merge` as `who`: (200, the survivor's id) or (409, why)."""
    from kefu.customers import merge as merging
    from kefu.identity import Caller

    try:
        return 200, merging.merge(Caller(sub=who.sub, groups=frozenset(who.groups)), survivor, absorbed).id
    except customer_merge.MergeRefused as refused:
        return 409, str(refused)


def test_a_merge_moves_tickets_contact_points_and_surveys_to_the_survivor(desk, twins):
    survivor, absorbed = twins
    CustomerSurveyItem(
        customer_key(absorbed),
        "SURVEY#2026-11-20T08:30:00Z#TK-0001",
        survey_id="SV-0001",
        ticket_id="TK-0001",
        campaign_id="daily-csat-survey",
        channel="phone",
        csat=5,
        answered_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    ).save()

    reply = merge(desk, survivor, absorbed)

    assert reply.status == 200, reply.text
    assert reply.json["ticketCount"] == 2
    assert {(p["kind"], p["value"]) for p in reply.json["contactPoints"]} == {
        ("email", "carol.li@example.com"),
        ("phone", "+8613800138000"),
    }
    assert [s["surveyId"] for s in reply.json["surveys"]] == ["SV-0001"]
    tickets = desk("GET", f"/customers/{survivor}/tickets", who=AGENT).json["items"]
    assert {t["customerId"] for t in tickets} == {survivor} and len(tickets) == 2
    found = desk("GET", "/customers", who=AGENT, query={"phone": "+8613800138000"}).json["items"]
    assert [c["id"] for c in found] == [survivor]


def test_the_absorbed_id_answers_every_customer_route_with_the_survivor(desk, twins):
    survivor, absorbed = twins
    assert merge(desk, survivor, absorbed).status == 200
    for method, path, extra in (
        ("GET", f"/customers/{absorbed}", {}),
        ("GET", f"/customers/{absorbed}/tickets", {}),
        ("PATCH", f"/customers/{absorbed}", {"body": {"note": "x"}, "headers": {"If-Match": "*"}}),
    ):
        reply = desk(method, path, who=AGENT, **extra)
        assert reply.status == 301, (method, path, reply.text)
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.headers["location"] == f"/customers/{survivor}"
        assert reply.json["mergedInto"] == survivor


def test_the_absorbed_record_keeps_no_personal_data_and_the_survivor_fills_its_blanks(desk, twins):
    by_mail, by_phone = twins
    assert merge(desk, by_phone, by_mail).status == 200
    tombstone = CustomerItem.get(customer_key(by_mail), "CUSTOMER")
    assert (tombstone.name, tombstone.email, tombstone.phone, tombstone.merged_into) == (None, None, None, by_phone)
    profile = desk("GET", f"/customers/{by_phone}", who=AGENT).json
    assert profile["name"] == "Li Carol"
    assert desk("GET", "/customers", who=AGENT, query={"q": "li"}).json["items"][0]["id"] == by_phone


def test_a_merge_is_audited_on_both_records(desk, twins):
    survivor, absorbed = twins
    assert merge(desk, survivor, absorbed).status == 200
    for customer_id in (survivor, absorbed):
        entries = desk("GET", f"/customers/{customer_id}/audit", who=ADMIN).json["items"]
        merged = [e for e in entries if e["action"] == "merged"]
        assert [e["actorId"] for e in merged] == [SUPERVISOR.sub]


def test_a_merge_asked_for_again_answers_the_survivor_and_changes_nothing(desk, twins):
    survivor, absorbed = twins
    first = merge(desk, survivor, absorbed)
    again = merge(desk, survivor, absorbed)
    assert again.status == 200, again.text
    assert again.json["ticketCount"] == first.json["ticketCount"] == 2
    assert again.json["contactPoints"] == first.json["contactPoints"]


def test_a_merge_cut_short_finishes_when_repeated(desk, twins, monkeypatch):
    survivor, absorbed = twins
    open_for(desk, {"id": absorbed}, subject="A second call")
    moved = customer_merge.move_ticket
    calls = {"n": 0}

    def crash_after_one(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the function timed out")
        return moved(*args, **kwargs)

    monkeypatch.setattr(customer_merge, "move_ticket", crash_after_one)
    assert merge(desk, survivor, absorbed).status == 500
    assert desk("GET", f"/customers/{absorbed}", who=AGENT).status == 301  # recorded first: already redirected

    reply = merge(desk, survivor, absorbed)

    assert reply.status == 200, reply.text
    assert reply.json["ticketCount"] == 3
    assert CustomerItem.get(customer_key(survivor), "CUSTOMER").absorbing is None


def test_a_customer_login_follows_its_record_into_the_survivor(desk):
    own = open_ticket(desk)  # CUSTOMER's own record, keyed by their sub
    survivor = open_for(desk, {"phone": "+8613800138000", "name": "Alice"})["customerId"]
    assert merge(desk, survivor, own["customerId"]).status == 200
    from kefu.customers import linking

    linking.forget()  # another warm function, or this one after SETTLED_FOR
    mine = desk("GET", "/tickets", who=CUSTOMER)
    assert mine.status == 200, mine.text
    assert {t["customerId"] for t in mine.json["items"]} == {survivor}
    assert len(mine.json["items"]) == 2
    assert desk("GET", "/me", who=CUSTOMER).json["id"] == survivor


@pytest.mark.parametrize("who", [AGENT, CUSTOMER])
def test_only_supervisors_and_admins_merge(desk, twins, who):
    survivor, absorbed = twins
    reply = merge(desk, survivor, absorbed, who=who)
    assert reply.status == 403, reply.text
    assert desk("GET", f"/customers/{absorbed}", who=AGENT).status == 200  # nothing half-written


def test_an_admin_merges_too(desk, twins):
    assert merge(desk, *twins, who=ADMIN).status == 200


def test_bad_merges_are_problems_and_write_nothing(desk, twins):
    survivor, absorbed = twins
    cases = [
        (survivor, survivor, 422),
        (survivor, "CU-NOBODY00000", 404),
        ("CU-NOBODY00000", absorbed, 404),
        (survivor, "bad id!", 404),
    ]
    for into, source, status in cases:
        reply = merge(desk, into, source)
        assert reply.status == status, (into, source, reply.text)
        assert reply.headers["content-type"] == "application/problem+json"
    assert desk("GET", f"/customers/{absorbed}", who=AGENT).status == 200
    assert merge(desk, survivor, absorbed).status == 200
    third = open_for(desk, {"email": "third@example.com"})["customerId"]
    for into, source in ((absorbed, third), (third, absorbed)):
        reply = merge(desk, into, source)
        assert reply.status == 409, reply.text
        assert survivor in reply.json["detail"]
    assert desk("GET", f"/customers/{third}", who=AGENT).status == 200


def test_two_merges_of_two_records_into_each_other_leave_one_of_them(desk, twins):
    a, b = twins
    outcomes = race(lambda: merged(SUPERVISOR, a, b), lambda: merged(ADMIN, b, a))  # the domain: see below
    assert sorted(status for status, _ in outcomes) == [200, 409], outcomes
    survivor = next(survivor for status, survivor in outcomes if status == 200)
    absorbed = b if survivor == a else a
    assert desk("GET", f"/customers/{absorbed}", who=AGENT).status == 301
    profile = desk("GET", f"/customers/{survivor}", who=AGENT).json
    assert profile["ticketCount"] == 2 and len(profile["contactPoints"]) == 2


def test_one_record_merged_into_two_at_once_ends_in_one(desk, twins):
    a, b = twins
    c = open_for(desk, {"email": "c@example.com"})["customerId"]
    # Raced through the domain, not the in-process API: Powertools' resolver keeps the request being resolved on
    # the app object (Lambda never runs two at once in a process; test_concurrency.py), so two threads through one
    # handler can swap requests and both run the same merge.
    outcomes = race(lambda: merged(SUPERVISOR, c, a), lambda: merged(ADMIN, b, a))
    assert sorted(status for status, _ in outcomes) == [200, 409], outcomes
    survivor = next(survivor for status, survivor in outcomes if status == 200)
    loser = b if survivor == c else c
    assert desk("GET", f"/customers/{a}", who=AGENT).headers["location"] == f"/customers/{survivor}"
    assert desk("GET", f"/customers/{survivor}", who=AGENT).json["ticketCount"] == 2
    assert desk("GET", f"/customers/{loser}", who=AGENT).json["ticketCount"] == 1


def test_a_survey_answered_after_the_merge_lands_on_the_survivor(desk):
    from tests.integration.test_surveys import answer, issue, resolved_ticket

    ticket = resolved_ticket(desk)  # CUSTOMER's own record
    issued = issue(ticket["id"])
    survivor = open_for(desk, {"phone": "+8613800138000", "name": "Alice"})["customerId"]
    assert merge(desk, survivor, ticket["customerId"]).status == 200

    assert answer(desk, issued, csat=5, comment="Quick refund").status == 201

    surveys = desk("GET", f"/customers/{survivor}", who=AGENT).json["surveys"]
    assert [(s["ticketId"], s["csat"]) for s in surveys] == [(ticket["id"], 5)]
