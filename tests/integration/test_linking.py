"""Identity linking over the HTTP API: an app user whose verified e-mail or phone belongs to a record an agent (or a
mail) made is that customer, tickets and history included; an unverified claim never links, and nobody is locked out.
"""

from __future__ import annotations

from tests.conftest import AGENT, Identity
from tests.integration.conftest import open_ticket
from tests.integration.test_concurrency import as_caller, race

CAROL_MAIL = "carol@example.com"


def agent_opens_for(desk, customer: dict, subject: str = "Parcel 77 lost") -> dict:
    return open_ticket(desk, who=AGENT, customer=customer, subject=subject)


def record_by_email(desk, email: str) -> list[str]:
    reply = desk("GET", "/customers", who=AGENT, query={"email": email})
    assert reply.status == 200, reply.text
    return [c["id"] for c in reply.json["items"]]


def test_a_customer_an_agent_knew_by_email_can_open_tickets_after_signing_up(desk):
    """The lock-out of issue 16: every POST /tickets was 409 once the agent had used carol's address."""
    known = agent_opens_for(desk, {"email": CAROL_MAIL, "name": "Carol"})
    carol = Identity("app-carol", email="Carol@Example.com")
    reply = desk("POST", "/tickets", who=carol, body={"subject": "Still lost", "description": "Any news?"})
    assert reply.status == 201, reply.text
    assert reply.json["customerId"] == known["customerId"]


def test_a_linked_customer_sees_the_tickets_the_agent_opened_for_them_and_their_record(desk):
    known = agent_opens_for(desk, {"email": CAROL_MAIL, "name": "Carol"})
    carol = Identity("app-carol", email=CAROL_MAIL)
    mine = open_ticket(desk, who=carol, subject="Second parcel")
    listed = desk("GET", "/tickets", who=carol)
    assert listed.status == 200, listed.text
    assert {t["id"] for t in listed.json["items"]} == {known["id"], mine["id"]}
    assert desk("GET", f"/tickets/{known['id']}", who=carol).status == 200
    me = desk("GET", "/me", who=carol)
    assert me.status == 200, me.text
    assert me.json["id"] == known["customerId"]
    assert me.json["name"] == "Carol" and me.json["email"] == CAROL_MAIL
    assert record_by_email(desk, CAROL_MAIL) == [known["customerId"]]  # one record, not two


def test_linking_happens_at_the_first_request_whatever_it_is(desk):
    known = agent_opens_for(desk, {"email": CAROL_MAIL})
    carol = Identity("app-carol", email=CAROL_MAIL)
    assert desk("GET", "/me", who=carol).json["id"] == known["customerId"]
    assert [t["id"] for t in desk("GET", "/tickets", who=carol).json["items"]] == [known["id"]]


def test_a_customer_edits_the_linked_record_through_me(desk):
    known = agent_opens_for(desk, {"email": CAROL_MAIL, "name": "Carol"})
    carol = Identity("app-carol", email=CAROL_MAIL)
    etag = desk("GET", "/me", who=carol).headers["etag"]
    reply = desk("PATCH", "/me", who=carol, body={"preferredLanguage": "en"}, headers={"If-Match": etag})
    assert reply.status == 200, reply.text
    profile = desk("GET", f"/customers/{known['customerId']}", who=AGENT).json
    assert profile["preferredLanguage"] == "en"


def test_an_unverified_email_never_links_and_is_not_locked_out(desk):
    known = agent_opens_for(desk, {"email": CAROL_MAIL})
    impostor = Identity("app-someone", email=CAROL_MAIL, email_verified=False)
    assert desk("GET", "/me", who=impostor).json["id"] == impostor.sub
    reply = desk("POST", "/tickets", who=impostor, body={"subject": "Hello", "description": "It's me, Carol"})
    assert reply.status == 201, reply.text
    assert reply.json["customerId"] == impostor.sub
    assert [t["id"] for t in desk("GET", "/tickets", who=impostor).json["items"]] == [reply.json["id"]]
    assert desk("GET", f"/tickets/{known['id']}", who=impostor).status in (403, 404)
    assert record_by_email(desk, CAROL_MAIL) == [known["customerId"]]  # the address stays with its record


def test_an_unverified_email_claims_no_address_even_when_free(desk):
    stranger = Identity("app-stranger", email="free@example.com", email_verified=False)
    open_ticket(desk, who=stranger)
    assert record_by_email(desk, "free@example.com") == []
    # The owner of the address, verified, signs up later: their address is theirs, not the stranger's.
    owner = Identity("app-owner", email="free@example.com")
    assert open_ticket(desk, who=owner)["customerId"] == owner.sub
    assert record_by_email(desk, "free@example.com") == [owner.sub]


def test_a_verified_phone_links_to_the_record_an_agent_made_from_a_local_number(desk):
    known = agent_opens_for(desk, {"phone": "138 0013 8000"})  # without its country code: China's
    caller = Identity("app-phone", phone="+8613800138000", phone_verified=True)
    assert open_ticket(desk, who=caller)["customerId"] == known["customerId"]
    unverified = Identity("app-phone-2", phone="+8613800138000")
    assert open_ticket(desk, who=unverified)["customerId"] == unverified.sub


def test_a_phone_number_claimed_under_an_older_releases_bare_digits_still_finds_its_customer(desk):
    from kefu.store.models import ContactItem

    # What an older release wrote for a number given without its country code: its digits, not E.164.
    ContactItem("CONTACT#phone#13800138000", "CONTACT", customer_id="cust-legacy", tier="standard").save()
    ticket = agent_opens_for(desk, {"phone": "13800138000"})
    assert ticket["customerId"] == "cust-legacy"


def test_an_agents_phone_is_kept_in_e164(desk):
    known = agent_opens_for(desk, {"phone": "138-0013-8000"})
    profile = desk("GET", f"/customers/{known['customerId']}", who=AGENT).json
    assert profile["phone"] == "+8613800138000"


def test_a_malformed_phone_from_an_agent_is_a_problem(desk):
    reply = desk("POST", "/tickets", who=AGENT, body={"subject": "s", "description": "d", "customer": {"phone": "12"}})
    assert reply.status in (400, 422), reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")


def test_two_racing_first_requests_of_one_login_link_once(desk):
    known = agent_opens_for(desk, {"email": CAROL_MAIL})
    carol = Identity("app-carol", email=CAROL_MAIL)
    # Two first requests at once are two invocations, so each thread resolves the login as the API does for a request.
    # (Racing the one in-process handler would share Powertools' per-request state, which Lambda never does.)
    callers = race(lambda: as_caller(carol), lambda: as_caller(carol))
    assert {c.sub for c in callers} == {known["customerId"]}
    body = {"subject": "Where is it", "description": "Parcel 77"}
    replies = [desk("POST", "/tickets", who=carol, body=body) for _ in range(2)]
    assert [r.status for r in replies] == [201, 201], [r.text for r in replies]
    assert {r.json["customerId"] for r in replies} == {known["customerId"]}
    assert len(desk("GET", "/tickets", who=carol).json["items"]) == 3


def test_two_racing_first_requests_of_a_new_login_make_one_record(desk):
    newcomer = Identity("app-new", email="new@example.com")
    callers = race(lambda: as_caller(newcomer), lambda: as_caller(newcomer))
    assert {c.sub for c in callers} == {newcomer.sub}
    body = {"subject": "Hi", "description": "First contact"}
    replies = [desk("POST", "/tickets", who=newcomer, body=body) for _ in range(2)]
    assert [r.status for r in replies] == [201, 201], [r.text for r in replies]
    assert {r.json["customerId"] for r in replies} == {newcomer.sub}
    assert record_by_email(desk, "new@example.com") == [newcomer.sub]


def test_a_login_keeps_the_record_it_was_first_given(desk):
    """Written once: an address an agent uses for someone later does not move a login that has its own record."""
    dora = Identity("app-dora", email="dora@example.com")
    own = open_ticket(desk, who=dora)
    assert own["customerId"] == dora.sub
    later = agent_opens_for(desk, {"email": "dora@example.com"})
    assert later["customerId"] == dora.sub  # the agent finds her record by her claimed address
