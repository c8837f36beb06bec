"""Every route of the ticket API, its happy path and its error statuses, against moto."""

from __future__ import annotations

from tests.conftest import AGENT, AGENT_2, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR
from tests.integration.conftest import open_ticket


def test_health_answers_ok_without_a_token(api):
    reply = api("GET", "/health", who=None)
    assert (reply.status, reply.json) == (200, {"status": "ok"})


def test_a_customer_opens_a_ticket_that_starts_new_in_the_default_group(desk):
    ticket = open_ticket(desk)
    assert ticket["id"].startswith("TK-") and len(ticket["id"]) == 11
    assert (ticket["status"], ticket["priority"], ticket["groupId"]) == ("new", "P3", "l1")
    assert ticket["customerId"] == CUSTOMER.sub
    assert "sentiment" not in ticket and "escalationLevel" not in ticket  # internal fields stay internal


def test_an_agent_opens_a_ticket_for_a_customer_by_email_and_the_customer_is_found_again(desk):
    first = open_ticket(desk, AGENT, customer={"email": "Wu.Fang@Example.com", "name": "Wu Fang"}, priority="P2")
    second = open_ticket(desk, AGENT, customer={"email": "wu.fang@example.com"})
    assert first["priority"] == "P2"
    assert first["customerId"] == second["customerId"]


def test_an_agent_must_name_the_customer(desk):
    reply = desk("POST", "/tickets", who=AGENT, body={"subject": "s", "description": "d"})
    assert reply.status == 422


def test_a_customer_cannot_set_priority(desk):
    reply = desk("POST", "/tickets", who=CUSTOMER, body={"subject": "s", "description": "d", "priority": "P1"})
    assert reply.status == 403


def test_reading_a_ticket_returns_its_etag(desk):
    ticket = open_ticket(desk)
    reply = desk("GET", f"/tickets/{ticket['id']}", who=AGENT)
    assert reply.status == 200
    assert reply.headers["etag"] == '"1"'


def test_an_unknown_ticket_is_404_problem(desk):
    reply = desk("GET", "/tickets/TK-00000000", who=AGENT)
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json["status"] == 404


def test_patch_with_the_current_etag_changes_priority_category_and_tags(desk):
    ticket = open_ticket(desk)
    reply = desk(
        "PATCH",
        f"/tickets/{ticket['id']}",
        who=AGENT,
        body={"priority": "P1", "category": "logistics", "tags": ["Late", "courier"]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply.text
    assert (reply.json["priority"], reply.json["category"], reply.json["tags"]) == (
        "P1",
        "logistics",
        ["late", "courier"],
    )
    assert reply.headers["etag"] == '"2"'
    timeline = desk("GET", f"/tickets/{ticket['id']}/timeline", who=AGENT).json["items"]
    assert timeline[-1]["kind"] == "update" and timeline[-1]["visibility"] == "internal"


def test_patch_with_a_stale_etag_is_412(desk):
    ticket = open_ticket(desk)
    path = f"/tickets/{ticket['id']}"
    assert desk("PATCH", path, who=AGENT, body={"priority": "P2"}, headers={"If-Match": '"1"'}).status == 200
    reply = desk("PATCH", path, who=AGENT, body={"priority": "P1"}, headers={"If-Match": '"1"'})
    assert reply.status == 412
    assert desk("GET", path, who=AGENT).json["priority"] == "P2"


def test_patch_without_if_match_is_428(desk):
    ticket = open_ticket(desk)
    reply = desk("PATCH", f"/tickets/{ticket['id']}", who=AGENT, body={"priority": "P2"})
    assert reply.status == 428


def test_the_timeline_keeps_every_kind_of_entry_in_order(desk):
    ticket = open_ticket(desk)
    tid = ticket["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "Looking into it", "visibility": "public"})
    desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "courier lost it", "visibility": "internal"})
    desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": "Any news?"})
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "l2", "note": "needs an expert"})
    kinds = [entry["kind"] for entry in desk("GET", f"/tickets/{tid}/timeline", who=AGENT).json["items"]]
    assert kinds == ["message", "routing", "assignment", "status", "reply", "note", "message", "transfer"]


def test_a_customer_never_sees_internal_notes(desk):
    ticket = open_ticket(desk)
    tid = ticket["id"]
    desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "VIP? check", "visibility": "internal"})
    desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "We are on it"})
    entries = desk("GET", f"/tickets/{tid}/timeline", who=CUSTOMER).json["items"]
    assert all(entry["visibility"] == "public" for entry in entries)
    assert "VIP? check" not in str(entries)
    assert "We are on it" in str(entries)


def test_a_customer_cannot_write_an_internal_note(desk):
    ticket = open_ticket(desk)
    reply = desk(
        "POST", f"/tickets/{ticket['id']}/messages", who=CUSTOMER, body={"body": "x", "visibility": "internal"}
    )
    assert reply.status == 403


def test_an_agents_first_public_reply_opens_the_ticket_and_records_first_response(desk):
    ticket = open_ticket(desk)
    reply = desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": "Hello"})
    assert reply.status == 201 and reply.json["kind"] == "reply"
    after = desk("GET", f"/tickets/{ticket['id']}", who=AGENT).json
    assert after["status"] == "open"
    assert after["sla"]["firstResponseAt"] is not None


def test_the_full_lifecycle_new_open_pending_resolved_closed(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    steps = [("pending", None), ("open", None), ("resolved", {"kind": "reship"}), ("closed", None)]
    for target, resolution in steps:
        body = {"to": target, **({"resolution": resolution} if resolution else {})}
        reply = desk("POST", f"/tickets/{tid}/transition", who=AGENT, body=body)
        assert reply.status == 200, (target, reply.text)
        assert reply.json["status"] == target
    final = desk("GET", f"/tickets/{tid}", who=AGENT).json
    assert final["resolution"]["kind"] == "reship"
    assert final["sla"]["resolvedAt"] and final["sla"]["closedAt"]


def test_a_forbidden_transition_is_409(desk):
    tid = open_ticket(desk)["id"]
    reply = desk("POST", f"/tickets/{tid}/transition", who=AGENT, body={"to": "closed"})
    assert reply.status == 409
    assert reply.json["title"] == "Conflict"


def test_resolving_needs_a_resolution(desk):
    tid = open_ticket(desk)["id"]
    reply = desk("POST", f"/tickets/{tid}/transition", who=AGENT, body={"to": "resolved"})
    assert reply.status == 422


def test_the_first_agent_to_take_a_ticket_owns_it_across_transfers(desk):
    tid = open_ticket(desk)["id"]
    taken = desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True}).json
    assert (taken["ownerId"], taken["assigneeId"], taken["status"]) == (AGENT.sub, AGENT.sub, "open")
    moved = desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "l2"}).json
    assert (moved["groupId"], moved["assigneeId"], moved["ownerId"]) == ("l2", None, AGENT.sub)
    helped = desk("POST", f"/tickets/{tid}/assign", who=AGENT_2, body={"take": True}).json
    assert (helped["assigneeId"], helped["ownerId"], helped["helperIds"]) == (AGENT_2.sub, AGENT.sub, [AGENT_2.sub])


def test_a_reopened_ticket_goes_back_to_its_owner(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    desk("POST", f"/tickets/{tid}/assign", who=SUPERVISOR, body={"agentId": AGENT_2.sub})
    desk("POST", f"/tickets/{tid}/transition", who=AGENT_2, body={"to": "resolved", "resolution": {"kind": "answer"}})
    # The owner is online with room: the reopened ticket is theirs again (tests/integration/test_reopen_owner.py).
    desk("PUT", f"/agents/{AGENT.sub}/availability", who=AGENT, body={"availability": "online"})
    reply = desk("POST", f"/tickets/{tid}/transition", who=CUSTOMER, body={"to": "open"})
    assert reply.status == 200, reply.text
    assert reply.json["status"] == "open"
    assert desk("GET", f"/tickets/{tid}", who=AGENT).json["assigneeId"] == AGENT.sub


def test_a_customer_reply_to_a_resolved_ticket_reopens_it(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    desk("POST", f"/tickets/{tid}/transition", who=AGENT, body={"to": "resolved", "resolution": {"kind": "answer"}})
    assert desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": "Still broken"}).status == 201
    assert desk("GET", f"/tickets/{tid}", who=CUSTOMER).json["status"] == "open"


def test_a_closed_ticket_takes_no_more_messages(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/transition", who=AGENT, body={"to": "resolved", "resolution": {"kind": "answer"}})
    desk("POST", f"/tickets/{tid}/transition", who=CUSTOMER, body={"to": "closed"})
    assert desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": "hello?"}).status == 409


def test_taking_a_ticket_someone_else_holds_is_409(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    assert desk("POST", f"/tickets/{tid}/assign", who=AGENT_2, body={"take": True}).status == 409


def test_an_agent_at_capacity_cannot_take_more(desk):
    for _ in range(5):
        tid = open_ticket(desk)["id"]
        assert desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True}).status == 200
    tid = open_ticket(desk)["id"]
    reply = desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    assert reply.status == 409
    assert "capacity" in reply.json["detail"]


def test_resolving_frees_the_assignees_capacity(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    roster = {m["agentId"]: m for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    assert roster[AGENT.sub]["load"] == 1
    desk("POST", f"/tickets/{tid}/transition", who=AGENT, body={"to": "resolved", "resolution": {"kind": "answer"}})
    roster = {m["agentId"]: m for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    assert roster[AGENT.sub]["load"] == 0


def test_transfer_to_an_unknown_group_is_422(desk):
    tid = open_ticket(desk)["id"]
    assert desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "nowhere"}).status == 422


def test_agents_list_their_group_queue_and_their_own_tickets(desk):
    mine = open_ticket(desk)["id"]
    waiting = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{mine}/assign", who=AGENT, body={"take": True})
    queue = desk("GET", "/tickets", who=AGENT, query={"group": "l1", "status": "new"}).json["items"]
    assert [t["id"] for t in queue] == [waiting]
    own = desk("GET", "/tickets", who=AGENT, query={"assignee": "me", "status": "open"}).json["items"]
    assert [t["id"] for t in own] == [mine]


def test_the_group_queue_puts_higher_priority_first_then_older(desk):
    from tests.conftest import ADMIN

    low = open_ticket(desk, AGENT, customer={"email": "a@example.com"}, priority="P4")["id"]
    urgent = open_ticket(desk, ADMIN, customer={"email": "b@example.com"}, priority="P1")["id"]
    normal = open_ticket(desk)["id"]
    queue = desk("GET", "/tickets", who=AGENT, query={"group": "l1", "status": "new"}).json["items"]
    assert [t["id"] for t in queue] == [urgent, normal, low]


def test_supervisors_list_all_tickets_by_status_newest_first(desk):
    first = open_ticket(desk)["id"]
    second = open_ticket(desk, who=OTHER_CUSTOMER)["id"]
    items = desk("GET", "/tickets", who=SUPERVISOR, query={"status": "new"}).json["items"]
    assert [t["id"] for t in items] == [second, first]


def test_a_customer_lists_only_their_own_tickets_newest_first(desk):
    mine_1 = open_ticket(desk)["id"]
    open_ticket(desk, who=OTHER_CUSTOMER)
    mine_2 = open_ticket(desk)["id"]
    items = desk("GET", "/tickets", who=CUSTOMER).json["items"]
    assert [t["id"] for t in items] == [mine_2, mine_1]


def test_an_agent_sets_their_availability_and_the_roster_shows_it(desk):
    assert desk("PUT", "/agents/me/availability", who=AGENT, body={"availability": "online"}).status == 200
    roster = {m["agentId"]: m for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    assert roster[AGENT.sub]["availability"] == "online"
    assert roster[AGENT_2.sub]["availability"] == "offline"


def test_moving_an_agent_between_groups_moves_their_roster_rows(desk):
    from tests.conftest import ADMIN

    body = {"name": AGENT.sub, "groupIds": ["l2"], "capacity": 5}
    assert desk("PUT", f"/agents/{AGENT.sub}", who=ADMIN, body=body).status == 200
    l1 = {m["agentId"] for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    l2 = {m["agentId"] for m in desk("GET", "/groups/l2/agents", who=SUPERVISOR).json}
    assert AGENT.sub not in l1 and AGENT.sub in l2


def test_the_openapi_document_and_swagger_ui_are_served(api):
    spec = api("GET", "/openapi.json", who=None)
    assert spec.status == 200
    assert "/tickets/{ticketId}/transition" in spec.json["paths"]
    docs = api("GET", "/docs", who=None)
    assert docs.status == 200 and "swagger" in docs.text.lower()


def test_a_new_ticket_is_routed_and_the_reasons_are_on_its_timeline(desk):
    body = {"subject": "你们这是什么垃圾服务！！！", "description": "我要打12315投诉你们"}
    ticket = desk("POST", "/tickets", who=CUSTOMER, body=body).json
    assert (ticket["category"], ticket["priority"], ticket["groupId"]) == ("complaint", "P1", "complaints")
    routing = [
        e for e in desk("GET", f"/tickets/{ticket['id']}/timeline", who=AGENT).json["items"] if e["kind"] == "routing"
    ]
    assert len(routing) == 1 and routing[0]["visibility"] == "internal"
    assert any("12315" in reason for reason in routing[0]["data"]["reasons"])
    assert "routing" not in {
        e["kind"] for e in desk("GET", f"/tickets/{ticket['id']}/timeline", who=CUSTOMER).json["items"]
    }


def test_a_repeat_contact_within_48_hours_is_raised_one_priority_step(desk):
    body = {"subject": "Where is my parcel", "description": "Order 1042 has not arrived yet."}
    first = desk("POST", "/tickets", who=CUSTOMER, body=body).json
    second = desk("POST", "/tickets", who=CUSTOMER, body=body).json
    assert int(second["priority"][1]) == int(first["priority"][1]) - 1
