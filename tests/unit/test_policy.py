"""Who may read and write what on a ticket, and what a customer is shown: pure, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.errors import Forbidden, TicketNotFound
from kefu.identity import Caller
from kefu.model.tickets import Status, Ticket, Visibility
from kefu.tickets import policy

OWNER = Caller(sub="cust-1")
STRANGER = Caller(sub="cust-2")
STAFF = [Caller(sub="a", groups=frozenset({"agent"})), Caller(sub="s", groups=frozenset({"supervisor"}))]
MOMENT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def a_ticket(**fields) -> Ticket:
    base = dict(
        id="TK-7F3K9Q2M",
        subject="s",
        description="d",
        status=Status.OPEN,
        priority="P3",
        channel="web",
        customerId=OWNER.sub,
        sentiment="angry",
        escalationLevel=2,
        tags=["vip-watch"],
        createdAt=MOMENT,
        updatedAt=MOMENT,
        version=3,
    )
    return Ticket(**{**base, **fields})


def test_the_owner_may_read_their_ticket():
    policy.ensure_can_read(OWNER, a_ticket())


@pytest.mark.parametrize("caller", STAFF, ids=["agent", "supervisor"])
def test_staff_may_read_any_ticket(caller):
    policy.ensure_can_read(caller, a_ticket())


def test_another_customer_is_told_the_ticket_does_not_exist():
    with pytest.raises(TicketNotFound):
        policy.ensure_can_read(STRANGER, a_ticket())


def test_a_customer_may_not_write_an_internal_note():
    with pytest.raises(Forbidden):
        policy.ensure_can_write_message(OWNER, a_ticket(), Visibility.INTERNAL)


def test_another_customer_may_not_write_at_all():
    with pytest.raises(TicketNotFound):
        policy.ensure_can_write_message(STRANGER, a_ticket(), Visibility.PUBLIC)


def test_a_customer_is_not_shown_internal_fields():
    view = policy.ticket_view(OWNER, a_ticket())
    assert not policy.INTERNAL_FIELDS & view.keys()
    assert "breaches" not in view["sla"]


def test_staff_are_shown_every_field():
    view = policy.ticket_view(STAFF[0], a_ticket())
    assert (view["sentiment"], view["escalationLevel"], view["tags"]) == ("angry", 2, ["vip-watch"])


# --- the `groups` access scope: who reaches a ticket without a lookup ----------------------------------------------


@pytest.fixture
def groups_scope(tmp_path, monkeypatch):
    import json

    from kefu import deployment

    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps({"access": {"agents": "groups"}}))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    yield
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def unread_agent(sub: str) -> Caller:
    """An agent whose record has not been read: reaching a ticket must not need it."""

    class Unread(Caller):
        def remember(self, key, look_up):
            raise AssertionError(f"{key} was looked up")

    return Unread(sub=sub, groups=frozenset({"agent"}))


@pytest.mark.usefixtures("groups_scope")
@pytest.mark.parametrize(
    "fields",
    [{"ownerId": "agent-a"}, {"assigneeId": "agent-a"}, {"helperIds": ["agent-b", "agent-a"]}],
    ids=["owner", "assignee", "helper"],
)
def test_under_groups_an_agent_reaches_the_tickets_they_own_hold_or_helped_on_without_a_lookup(fields):
    assert policy.reaches(unread_agent("agent-a"), a_ticket(groupId="complaints", **fields))


@pytest.mark.usefixtures("groups_scope")
@pytest.mark.parametrize(
    "caller",
    [
        Caller(sub="s", groups=frozenset({"agent", "supervisor"})),
        Caller(sub="a", groups=frozenset({"admin"})),
        Caller(sub="system:email", groups=frozenset({"agent"}), system=True),
    ],
    ids=["supervisor", "admin", "kefu's own worker"],
)
def test_under_groups_supervisors_admins_and_kefus_workers_reach_every_ticket(caller):
    assert not policy.scoped_to_groups(caller)
    assert policy.reaches(caller, a_ticket(groupId="complaints"))


def test_a_token_cannot_make_its_bearer_one_of_kefus_workers():
    claims = {"sub": "system:email", "cognito:groups": "[agent]", "system": "true"}
    assert Caller.from_claims(claims).system is False


def test_without_an_access_section_no_agent_is_scoped():
    assert not policy.scoped_to_groups(unread_agent("agent-a"))
