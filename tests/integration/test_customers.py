"""Customer records over the HTTP API: agents find, read and change them; a customer keeps their own under /me."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.store.customers import customer_key
from kefu.store.survey_models import CustomerSurveyItem
from tests.conftest import ADMIN, AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Identity
from tests.integration.conftest import open_ticket

CAROL = {"email": "Carol.Li@Example.com", "phone": "+8613800138000", "name": "Li Carol"}


def open_for(desk, customer: dict, subject: str = "Order 1042 never arrived") -> dict:
    return open_ticket(desk, who=AGENT, customer=customer, subject=subject)


@pytest.fixture
def carol(desk) -> str:
    """A customer an agent opened a ticket for, by e-mail, phone and name."""
    return open_for(desk, CAROL)["customerId"]


def test_an_agent_finds_a_customer_by_email_in_any_case(desk, carol):
    reply = desk("GET", "/customers", who=AGENT, query={"email": " CAROL.LI@example.COM "})
    assert reply.status == 200, reply.text
    assert [c["id"] for c in reply.json["items"]] == [carol]
    assert reply.json["items"][0]["email"] == "carol.li@example.com"


def test_an_agent_finds_a_customer_by_a_local_zh_mobile_number(desk, carol):
    reply = desk("GET", "/customers", who=AGENT, query={"phone": "138 0013 8000"})
    assert reply.status == 200, reply.text
    assert [c["id"] for c in reply.json["items"]] == [carol]


def test_an_unknown_contact_point_finds_nobody(desk, carol):
    reply = desk("GET", "/customers", who=AGENT, query={"email": "nobody@example.com"})
    assert reply.status == 200
    assert reply.json == {"items": [], "nextCursor": None}


def test_a_name_prefix_search_pages_with_the_cursor(desk, carol):
    li_wei = open_for(desk, {"email": "wei@example.com", "name": "li  WEI"})["customerId"]
    open_for(desk, {"email": "wang@example.com", "name": "Wang Fang"})
    first = desk("GET", "/customers", who=AGENT, query={"q": "LI", "limit": "1"})
    assert first.status == 200, first.text
    assert first.json["nextCursor"]
    second = desk("GET", "/customers", who=AGENT, query={"q": "li", "limit": "1", "cursor": first.json["nextCursor"]})
    found = [c["id"] for c in first.json["items"] + second.json["items"]]
    assert sorted(found) == sorted([carol, li_wei])


def test_a_chinese_name_prefix_finds_its_customer(desk):
    zhang = open_for(desk, {"email": "zhangsan@example.com", "name": "张三"})["customerId"]
    reply = desk("GET", "/customers", who=AGENT, query={"q": "张"})
    assert [c["id"] for c in reply.json["items"]] == [zhang]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"email": "not-an-address"}, 422),
        ({"phone": "12345"}, 422),
        ({"phone": "call me"}, 422),
        ({}, 400),
        ({"email": "a@example.com", "q": "li"}, 400),
        ({"q": "   "}, 400),
        ({"q": "li", "cursor": "bm90IG91cnM"}, 400),
    ],
)
def test_a_bad_search_is_a_problem(desk, carol, query, status):
    reply = desk("GET", "/customers", who=AGENT, query=query)
    assert reply.status == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_profile_shows_contact_points_tickets_and_version(desk, carol):
    open_for(desk, {"id": carol}, subject="The lid is cracked")
    reply = desk("GET", f"/customers/{carol}", who=AGENT)
    assert reply.status == 200, reply.text
    body = reply.json
    assert body["name"] == "Li Carol" and body["tier"] == "standard"
    assert body["contactPoints"] == [
        {"kind": "email", "value": "carol.li@example.com"},
        {"kind": "phone", "value": "+8613800138000"},
    ]
    assert body["ticketCount"] == 2
    assert body["lastContactAt"] is not None
    assert body["surveys"] == []
    assert reply.headers["etag"] == f'"{body["version"]}"'


def test_a_profile_lists_the_customers_survey_results(desk, carol):
    answered = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    CustomerSurveyItem(
        customer_key(carol),
        "SURVEY#2026-11-20T08:30:00Z#TK-0001",
        survey_id="SV-0001",
        ticket_id="TK-0001",
        campaign_id="daily-csat-survey",
        channel="email",
        csat=4,
        answered_at=answered,
    ).save()
    reply = desk("GET", f"/customers/{carol}", who=AGENT)
    assert reply.status == 200, reply.text
    [survey] = reply.json["surveys"]
    assert (survey["surveyId"], survey["ticketId"], survey["csat"]) == ("SV-0001", "TK-0001", 4)
    assert survey["answeredAt"].startswith("2026-11-20T08:30:00")


def test_an_unknown_customer_is_404(desk):
    for path in ("/customers/CU-NOBODY0000", "/customers/CU-NOBODY0000/tickets"):
        reply = desk("GET", path, who=AGENT)
        assert reply.status == 404, path
        assert reply.headers["content-type"] == "application/problem+json"


def test_a_customers_tickets_come_newest_first(desk, carol):
    second = open_for(desk, {"id": carol}, subject="Second")["id"]
    third = open_for(desk, {"id": carol}, subject="Third")["id"]
    reply = desk("GET", f"/customers/{carol}/tickets", who=AGENT, query={"limit": "2"})
    assert reply.status == 200, reply.text
    assert [t["id"] for t in reply.json["items"]] == [third, second]
    rest = desk("GET", f"/customers/{carol}/tickets", who=AGENT, query={"cursor": reply.json["nextCursor"]})
    assert [t["subject"] for t in rest.json["items"]] == ["Order 1042 never arrived"]


@pytest.mark.parametrize("who", [CUSTOMER, OTHER_CUSTOMER])
def test_customers_cannot_use_the_staff_routes(desk, carol, who):
    for method, path, kwargs in (
        ("GET", "/customers", {"query": {"q": "li"}}),
        ("GET", f"/customers/{carol}", {}),
        ("GET", f"/customers/{carol}/tickets", {}),
        ("PATCH", f"/customers/{carol}", {"body": {"note": "x"}, "headers": {"If-Match": '"1"'}}),
    ):
        assert desk(method, path, who=who, **kwargs).status == 403, path


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR, ADMIN])
def test_every_staff_role_reads_a_record(desk, carol, who):
    assert desk("GET", f"/customers/{carol}", who=who).status == 200


def test_an_agent_changes_tier_tags_and_note_under_the_etag(desk, carol):
    etag = desk("GET", f"/customers/{carol}", who=AGENT).headers["etag"]
    body = {"tier": "vip", "tags": ["Wholesale", "wholesale", "Beijing"], "note": "Prefers calls after 18:00"}
    reply = desk("PATCH", f"/customers/{carol}", who=AGENT, body=body, headers={"If-Match": etag})
    assert reply.status == 200, reply.text
    assert reply.json["tier"] == "vip"
    assert reply.json["tags"] == ["wholesale", "beijing"]
    assert reply.headers["etag"] != etag
    again = desk("GET", f"/customers/{carol}", who=AGENT)
    assert again.json["note"] == "Prefers calls after 18:00"
    assert again.headers["etag"] == reply.headers["etag"]


def test_a_stale_etag_is_412_and_a_missing_one_428(desk, carol):
    etag = desk("GET", f"/customers/{carol}", who=AGENT).headers["etag"]
    assert desk("PATCH", f"/customers/{carol}", who=AGENT, body={"note": "a"}, headers={"If-Match": etag}).status == 200
    stale = desk("PATCH", f"/customers/{carol}", who=AGENT, body={"note": "b"}, headers={"If-Match": etag})
    assert stale.status == 412
    missing = desk("PATCH", f"/customers/{carol}", who=AGENT, body={"note": "b"})
    assert missing.status == 428
    assert desk("GET", f"/customers/{carol}", who=AGENT).json["note"] == "a"


@pytest.mark.parametrize(
    "body",
    [{"tier": "platinum"}, {"tier": None}, {}, {"email": "x@example.com"}, {"tags": ["x" * 65]}, {"name": ""}],
)
def test_a_bad_change_is_422_and_writes_nothing(desk, carol, body):
    before = desk("GET", f"/customers/{carol}", who=AGENT)
    reply = desk("PATCH", f"/customers/{carol}", who=AGENT, body=body, headers={"If-Match": before.headers["etag"]})
    assert reply.status == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert desk("GET", f"/customers/{carol}", who=AGENT).headers["etag"] == before.headers["etag"]


def test_changing_an_unknown_customer_is_404(desk):
    reply = desk("PATCH", "/customers/CU-NOBODY0000", who=AGENT, body={"note": "x"}, headers={"If-Match": "*"})
    assert reply.status == 404


def test_a_renamed_customer_is_found_by_the_new_name_only(desk, carol):
    reply = desk("PATCH", f"/customers/{carol}", who=AGENT, body={"name": "Zhou Carol"}, headers={"If-Match": "*"})
    assert reply.status == 200, reply.text
    assert desk("GET", "/customers", who=AGENT, query={"q": "li"}).json["items"] == []
    assert [c["id"] for c in desk("GET", "/customers", who=AGENT, query={"q": "zhou"}).json["items"]] == [carol]


def test_a_tier_set_by_staff_applies_to_the_next_ticket_opened_by_email(desk, carol):
    reply = desk("PATCH", f"/customers/{carol}", who=AGENT, body={"tier": "high_value"}, headers={"If-Match": "*"})
    assert reply.status == 200
    ticket = open_for(desk, {"email": "carol.li@example.com"}, subject="Again")
    assert ticket["customerId"] == carol
    assert ticket["customerTier"] == "high_value"


# --- /me ---------------------------------------------------------------------------------------------------


def test_a_new_customer_sees_what_their_token_says(api):
    reply = api("GET", "/me", who=CUSTOMER)
    assert reply.status == 200, reply.text
    assert reply.json["id"] == CUSTOMER.sub
    assert reply.json["email"] == CUSTOMER.email
    assert reply.headers["etag"] == '"0"'


def test_a_customer_changes_their_own_record(desk):
    open_ticket(desk)
    etag = desk("GET", "/me", who=CUSTOMER).headers["etag"]
    body = {"name": "Alice Wu", "preferredLanguage": "zh-Hans", "contactPreferences": {"email": True, "phone": False}}
    reply = desk("PATCH", "/me", who=CUSTOMER, body=body, headers={"If-Match": etag})
    assert reply.status == 200, reply.text
    assert reply.json["preferredLanguage"] == "zh-Hans"
    assert reply.json["contactPreferences"] == {
        "email": True,
        "phone": False,
        "notifications": True,
        "notifyBy": None,
        "timeZone": None,
    }
    assert "tier" not in reply.json and "note" not in reply.json
    staff_view = desk("GET", f"/customers/{CUSTOMER.sub}", who=AGENT).json
    assert staff_view["name"] == "Alice Wu"


def test_a_customer_without_a_record_yet_creates_it_with_version_0(api):
    reply = api("PATCH", "/me", who=CUSTOMER, body={"preferredLanguage": "en"}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.text
    assert reply.json["preferredLanguage"] == "en"
    assert api("GET", "/me", who=CUSTOMER).headers["etag"] == reply.headers["etag"]
    stale = api("PATCH", "/me", who=CUSTOMER, body={"preferredLanguage": "zh-Hant"}, headers={"If-Match": '"0"'})
    assert stale.status == 412


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"preferredLanguage": "fr"}, {"If-Match": "*"}, 422),
        ({"tier": "vip"}, {"If-Match": "*"}, 422),
        ({"contactPreferences": {"fax": True}}, {"If-Match": "*"}, 422),
        ({"name": "Alice"}, {}, 428),
    ],
)
def test_a_bad_change_of_ones_own_record_is_refused(api, body, headers, status):
    reply = api("PATCH", "/me", who=CUSTOMER, body=body, headers=headers)
    assert reply.status == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR, ADMIN])
def test_staff_have_no_me(api, who):
    assert api("GET", "/me", who=who).status == 403
    assert api("PATCH", "/me", who=who, body={"name": "x"}, headers={"If-Match": "*"}).status == 403


def test_me_needs_a_token(api):
    assert api("GET", "/me", who=None).status == 401


def test_one_customer_never_sees_anothers_record_through_me(desk):
    open_ticket(desk)
    body = {"name": "Alice Wu"}
    assert desk("PATCH", "/me", who=CUSTOMER, body=body, headers={"If-Match": "*"}).status == 200
    bob = desk("GET", "/me", who=Identity(OTHER_CUSTOMER.sub, email=OTHER_CUSTOMER.email)).json
    assert bob["id"] == OTHER_CUSTOMER.sub and bob["name"] is None
