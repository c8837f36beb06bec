"""The escalation task: run the milestones that are due, then schedule the next wake.

Each time a ticket's clock wakes (kefu.escalation.wakes), the ticket is read again and every milestone of its
ladder that is due now and not escalated yet is run, in time order, in one write through
`kefu.tickets.writes.write`: the ladder's steps (warn the owner, notify the supervisor, raise `escalationLevel`, move
to a group as a transfer does), an ESCALATION timeline entry for each, and the milestones' keys added to
`sla.escalated`. The decision skips any key already there and the write is made against the version read, so a
retried task, a wake delivered twice or two runs at once escalate a milestone once: whoever writes the key first
runs it, the others find it done. Notifications and metrics follow that write, so each key is announced at most once.

A milestone that is no longer due when the task wakes is not run: answered or resolved (its target stopped), moved
later by a pause or a new policy. No wake follows when the ticket is resolved or closed (but for its close), when its
clock has moved on to a newer generation (whose own wake the stream watcher scheduled), or when nothing is left to
wait for; otherwise the task schedules the next one itself (`wake`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from kefu.clock import iso, now
from kefu.errors import TicketNotFound
from kefu.escalation import notify, wakes
from kefu.escalation.closing import closed_if_due
from kefu.escalation.notices import people_for
from kefu.escalation.notify import Taken
from kefu.escalation.plan import Plan, closing_at, current_clock, plan_for
from kefu.identity import Caller, Role
from kefu.model.tickets import EntryKind, Ticket, Visibility
from kefu.sla import Action, EscalationStep, Milestone, MilestoneKind, SlaConfig, milestones, sla_config
from kefu.sla.config import Notices
from kefu.store.tickets import LoadChange
from kefu.tickets import sla as sla_clock
from kefu.tickets.writes import Change, Draft, write

#: Who escalations are written by on the timeline.
ESCALATION = Caller(sub="system:escalation", groups=frozenset({Role.AGENT.value}), system=True)

_DONE_BY = {
    Action.WARN_OWNER: "the owner is warned",
    Action.NOTIFY_SUPERVISOR: "the group's supervisor is notified",
    Action.NOTIFY_MANAGER: "the owner's manager is notified",
    Action.NOTIFY_HEAD: "the head of service is notified",
}
#: The steps that tell people: their entries always say whom (possibly nobody configured).
_TELLS = frozenset(_DONE_BY)
_TARGET = {MilestoneKind.FIRST_RESPONSE: "First response", MilestoneKind.RESOLUTION: "Resolution"}


class Escalation(NamedTuple):
    """What escalating a ticket writes (`change`), announces (`taken`) and frees (agents a move took it from)."""

    # Immutable records of the task (this, notify.Taken, notices.Notice) are named tuples, not frozen dataclasses: a
    # dataclass compiles its methods from source when its module is imported, ~3 M instructions each on the
    # task's cold start, a named tuple ~0.7 M (tests/bench).

    change: Change
    taken: list[Taken]
    freed: list[str]


def escalate_due(
    ticket: Ticket,
    generation: int,
    ladder: Sequence[EscalationStep],
    moment: datetime,
    notices: Notices | None = None,
) -> Escalation | None:
    """The ticket with every milestone due at `moment` and not escalated yet run, in time order, and their keys
    recorded; None when there is none, or `generation` is no longer the ticket's running clock. A step that tells
    people (kefu.escalation.notices) names them in its entry (`notified`)."""
    notices = notices or Notices()
    running = current_clock(ticket, generation)
    if running is None:
        return None
    clock = running.clock
    done = set(ticket.sla.escalated)
    due = [m for m in milestones(clock, ladder) if m.key not in done and m.at <= moment]
    if not due:
        return None
    current = ticket.model_copy(update={"updatedAt": moment})
    level = ticket.escalationLevel
    drafts: list[Draft] = []
    loads: list[LoadChange] = []
    taken: list[Taken] = []
    freed: list[str] = []
    for milestone in due:
        due_at = clock.due(milestone.kind)
        for step in milestone.steps:
            data: dict[str, Any] = {
                "milestone": str(milestone.kind),
                "percent": milestone.percent,
                "key": milestone.key,
                "action": str(step.action),
                "due": iso(due_at) if due_at else None,
            }
            if step.action is Action.RAISE_LEVEL:
                level += 1
            elif step.action is Action.MOVE_TO_GROUP:
                assert step.group is not None  # EscalationStep requires it
                if step.group == current.groupId:
                    continue  # already there: nothing to move, nobody to tell
                # Imported for a move only (as is pick_up_next, for an agent it frees): the handover brings
                # assignment, the agents' domain, store and models, ~30 M instructions of a cold start that a wake
                # raising a level or telling people does not use.
                from kefu.tickets.handover import transferred

                moved = transferred(current, step.group, moment)
                current = moved.ticket
                loads.extend(moved.loads)
                freed.extend([moved.freed] if moved.freed else [])
                data.update(moved.data)
            data["level"] = level
            told = people_for(step, current, notices)
            if told or step.action in _TELLS:
                data["notified"] = told
            said = _said(milestone, step, data)
            drafts.append(Draft(EntryKind.ESCALATION, Visibility.INTERNAL, said, data))
            taken.append(Taken(milestone, step, data, said))
    escalated = [*ticket.sla.escalated, *(m.key for m in due)]
    sla = sla_clock.view(current.sla, clock, moment).model_copy(update={"escalated": escalated})
    updated = current.model_copy(update={"escalationLevel": level, "sla": sla})
    return Escalation(Change(updated, drafts, loads), taken, freed)


def run_due_milestones(ticket_id: str, generation: int, *, config: SlaConfig | None = None) -> Plan:
    """Escalate what is due on the ticket for this generation of its clock, or close it once resolved long enough
    (kefu.escalation.closing); the plan for the next wake."""
    config = config or sla_config()
    ladder, close_after = config.escalation, config.auto_close_after_duration

    def decide(ticket: Ticket) -> Change[Escalation] | None:
        moment = now()
        if closing_at(ticket, generation, close_after) is not None:
            return closed_if_due(ticket, generation, close_after, moment)
        escalation = escalate_due(ticket, generation, ladder, moment, config.notices)
        if escalation is None:
            return None
        return replace(escalation.change, outcome=escalation)

    try:
        written = write(ESCALATION, ticket_id, decide)
    except TicketNotFound:
        return Plan.finished(ticket_id, generation)  # erased meanwhile: nothing left to follow
    saved, escalation = written.ticket, written.outcome
    if escalation is not None:
        try:
            notify.announce(saved, escalation.taken)
        finally:
            for agent_id in escalation.freed:
                from kefu.tickets.handover import pick_up_next

                # Escalation moved the ticket away from them: they have room again, for another ticket than this.
                pick_up_next(agent_id, skip=ticket_id)
    return plan_for(saved, generation, ladder, close_after=close_after)


class WokeEarly(RuntimeError):
    """A wake came before its time (clocks differ by a moment): failing it makes Lambda retry it a minute later, as
    its next wake would have the name of the schedule that woke it, which Scheduler deletes once it fired."""


def wake(woken: Plan, task_arn: str, *, config: SlaConfig | None = None) -> Plan:
    """The task woken by a schedule with `woken`: the milestones due run (or the ticket closed), and the next wake
    scheduled, invoking `task_arn` (kefu.escalation.wakes); the plan of that wake (done when none follows)."""
    following = run_due_milestones(woken.ticketId, woken.generation, config=config)
    if following.done:
        return following
    if wakes.schedule_name(following) == wakes.schedule_name(woken):
        raise WokeEarly(f"woken for {woken.milestone} of {woken.ticketId} before {woken.wakeAt}")
    wakes.schedule(following, task_arn)
    return following


def _said(milestone: Milestone, step: EscalationStep, data: dict[str, Any]) -> str:
    """The entry as an agent reads it on the timeline."""
    if step.action is Action.RAISE_LEVEL:
        done = f"escalation level raised to {data['level']}"
    elif step.action is Action.MOVE_TO_GROUP:
        done = f"moved from {data['fromGroup'] or 'no group'} to {data['toGroup']}"
    else:
        done = _DONE_BY[step.action]
        if "notified" in data:
            done += f" ({', '.join(data['notified'])})" if data["notified"] else " (nobody configured)"
    due = f" (due {data['due']})" if data["due"] else ""
    return f"{_TARGET[milestone.kind]} at {milestone.percent}% of its target{due}: {done}."
