"""A hypothesis state machine over the assignment rules: whatever agents, tickets and moves come in any order —
least loaded in one group and round robin in the other, reopens going back to their owners, follow-ups waiting for
theirs — no agent's load ever differs from the active tickets they hold, nor exceeds their capacity."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kefu import errors
from kefu.agents import service as agents
from kefu.identity import Caller
from kefu.model.agents import AgentSpec, AssignmentMode, AvailabilityUpdate, GroupSpec
from kefu.model.ticket_requests import AssignRequest, NewMessage, NewTicket, TransitionRequest
from kefu.model.tickets import ACTIVE, Status
from kefu.store import agents as agent_store
from kefu.store import tickets as ticket_store
from kefu.tickets import service as tickets
from tests.conftest import create_tables, moto, reset_clients

ADMIN = Caller(sub="admin", groups=frozenset({"admin"}))
SURVEYS = Caller(sub="system:surveys", groups=frozenset({"agent"}))
AGENT_IDS = ["ag-a", "ag-b", "ag-c"]
GROUPS = ["l1", "l2"]
#: l1 gives tickets to the least loaded agent, l2 in turn.
MODES = {"l1": AssignmentMode.LEAST_LOADED, "l2": AssignmentMode.ROUND_ROBIN}


def agent(agent_id: str) -> Caller:
    return Caller(sub=agent_id, groups=frozenset({"agent"}))


class Desk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mock = moto()
        self.mock.start()
        reset_clients()
        create_tables()
        self.ticket_ids: list[str] = []

    def teardown(self) -> None:
        self.mock.stop()

    @initialize(capacities=st.lists(st.integers(0, 3), min_size=3, max_size=3))
    def staff_the_desk(self, capacities):
        for group_id in GROUPS:
            agents.upsert_group(ADMIN, group_id, GroupSpec(name=group_id, assignment=MODES[group_id]))
        for agent_id, capacity in zip(AGENT_IDS, capacities, strict=True):
            spec = AgentSpec(name=agent_id, groupIds=GROUPS if agent_id != "ag-c" else ["l2"], capacity=capacity)
            agents.upsert_agent(ADMIN, agent_id, spec)

    @rule(n=st.integers(0, 10_000))
    def a_customer_opens_a_ticket(self, n):
        body = NewTicket(subject=f"question {n}", description="where is my order")
        self.ticket_ids.append(tickets.open_ticket(Caller(sub=f"cust-{n % 4}"), body).id)

    @rule(n=st.integers(0, 10_000), group_id=st.sampled_from(GROUPS))
    def an_agent_opens_a_ticket_in_a_group(self, n, group_id):
        body = NewTicket(subject=f"call {n}", description="a caller asks", customer={"id": f"cust-{n % 4}"})
        self._try(lambda: self.ticket_ids.append(tickets.open_ticket(agent("ag-a"), body, group=group_id).id))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data())
    def a_follow_up_is_opened(self, data):
        earlier = ticket_store.get(data.draw(st.sampled_from(self.ticket_ids)))
        body = NewTicket(subject="low score", description="the customer rated the answer 1 of 5")
        self.ticket_ids.append(tickets.open_ticket(SURVEYS, body, follow_up_of=earlier).id)

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data())
    def a_resolved_ticket_is_reopened_by_its_customer(self, data):
        resolved = [t for t in map(ticket_store.get, self.ticket_ids) if t.status is Status.RESOLVED]
        if resolved:
            ticket = data.draw(st.sampled_from(resolved))
            self._try(tickets.transition, Caller(sub=ticket.customerId), ticket.id, TransitionRequest(to=Status.OPEN))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data())
    def the_customer_writes_again(self, data):
        ticket = ticket_store.get(data.draw(st.sampled_from(self.ticket_ids)))
        customer = Caller(sub=ticket.customerId)
        self._try(tickets.add_message, customer, ticket.id, NewMessage(body="it is still broken"))

    @rule(agent_id=st.sampled_from(AGENT_IDS), availability=st.sampled_from(["online", "offline", "away"]))
    def an_agent_changes_availability(self, agent_id, availability):
        tickets.set_availability(agent(agent_id), "me", AvailabilityUpdate(availability=availability))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), agent_id=st.sampled_from(AGENT_IDS))
    def an_agent_takes_a_ticket(self, data, agent_id):
        self._try(
            tickets.assign, agent(agent_id), data.draw(st.sampled_from(self.ticket_ids)), AssignRequest(take=True)
        )

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), agent_id=st.sampled_from(AGENT_IDS))
    def a_supervisor_hands_a_ticket_to_an_agent(self, data, agent_id):
        supervisor = Caller(sub="sup", groups=frozenset({"supervisor"}))
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        self._try(tickets.assign, supervisor, ticket_id, AssignRequest(agentId=agent_id))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), group_id=st.sampled_from(GROUPS))
    def a_ticket_is_transferred(self, data, group_id):
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        self._try(tickets.assign, agent("ag-a"), ticket_id, AssignRequest(groupId=group_id))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), status=st.sampled_from([Status.PENDING, Status.OPEN, Status.RESOLVED, Status.CLOSED]))
    def a_ticket_moves_in_its_lifecycle(self, data, status):
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        request = TransitionRequest(to=status, resolution={"kind": "answer"} if status is Status.RESOLVED else None)
        self._try(tickets.transition, agent("ag-b"), ticket_id, request)

    def _try(self, action, *args):
        # Refused moves are part of the game; what matters is the state they leave.
        with contextlib.suppress(errors.Conflict, errors.InvalidRequest, errors.Forbidden):
            action(*args)

    @invariant()
    def every_load_is_the_active_tickets_held_and_within_capacity(self):
        if not self.ticket_ids:
            return
        held: dict[str, int] = {}
        for ticket_id in self.ticket_ids:
            ticket = ticket_store.get(ticket_id)
            if ticket.assigneeId and ticket.status in ACTIVE:
                held[ticket.assigneeId] = held.get(ticket.assigneeId, 0) + 1
            if ticket.awaitingOwner:
                assert ticket.assigneeId is None and ticket.ownerId and ticket.status in ACTIVE, ticket
            assert ticket.assigneeId is None or ticket.ownerId, f"{ticket.id} has an assignee but no owner"
        for agent_id in AGENT_IDS:
            record = agent_store.get_agent(agent_id)
            assert record.load == held.get(agent_id, 0), (agent_id, record.load, held)
            assert record.load <= record.capacity
            for group_id in record.groupIds:
                row = {m.agentId: m for m in agent_store.group_members(group_id)}[agent_id]
                assert row.load == record.load and row.availability == record.availability


TestDesk = Desk.TestCase
# A fixed budget, the same examples on every run (no seed drawn, no example database): CI is red or green for the
# code, never by chance. Hypothesis times a whole example (up to 15 steps, each a few moto calls), not one step: the
# deadline stops a runaway example from eating minutes, and is far above what one takes on a loaded 2-core machine.
TestDesk.settings = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=timedelta(seconds=60),
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
