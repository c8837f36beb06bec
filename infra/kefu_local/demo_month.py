"""A realistic month of desk traffic for the local stack (`kefu local seed --month`, `kefu local up --month`), written
by the domain's own services under a held clock that steps through the month: tickets from every channel in Chinese
and English, with arrival peaks, answers, worked time, resolutions, reopens, complaints and survey answers, and the
closes of tickets resolved longer than the quiet period ago (as the escalation task closes them); then the KPI
aggregates brought in step in bulk (kefu.kpis.service.refresh_many: the facts the KPI function computes, ticket by
ticket, summed per aggregate).

It runs before the stack's stream readers start, so a month of history schedules no escalation wakes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from kefu import clock
from kefu.errors import KefuError
from kefu.escalation import service as escalation
from kefu.escalation.plan import closing_at
from kefu.identity import Caller, Role
from kefu.intake import service as intake
from kefu.intake.model import IntakeMessage
from kefu.kpis import service as kpis
from kefu.kpis import work
from kefu.model.surveys import SurveyAnswer
from kefu.model.ticket_requests import CustomerRef, NewMessage, NewTicket, TransitionRequest
from kefu.model.tickets import Channel, Resolution
from kefu.sla import sla_config
from kefu.surveys import service as surveys
from kefu.tickets import service as tickets
from kefu.tickets import sla as sla_clock

CHANNELS = {"web": 25, "app": 20, "email": 20, "phone": 15, "chat": 12, "social": 5, "feedback": 3}
CATEGORIES = {"order": 22, "logistics": 20, "after_sales": 16, "payment": 12, "consultation": 12, "technical": 8,
              "complaint": 7, "suggestion": 3}  # fmt: skip
#: Arrivals by hour of the desk's day: the morning and afternoon peaks of a Chinese e-commerce desk.
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 16, 10, 14, 17, 16, 13, 10, 8, 7, 6, 4, 3, 2]
SUBJECTS = {
    "zh": ["订单一直没发货", "快递显示签收但没收到", "申请退款", "商品有破损", "重复扣款了", "App 登录不了",
           "想换个颜色"],
    "en": ["Order not shipped yet", "Parcel marked delivered, not received", "Refund request", "Item arrived damaged",
           "Charged twice", "Cannot log in to the app", "Exchange for another size"],
}  # fmt: skip
AGENT = Caller(sub="agent-li", groups=frozenset({Role.AGENT.value}))


@contextmanager
def held_clock(start: datetime) -> Iterator[Callable[[datetime], None]]:
    """The clock held at `start` (kefu.clock.hold: every module's `now`, including those imported meanwhile, whose
    own `now` a patch of the modules loaded beforehand would miss); yields the setter, gives the clock back."""
    clock.hold(start)
    try:
        yield clock.hold
    finally:
        clock.release()


def seed_month(
    days: int = 30, per_day: int = 100, *, seed: int = 15, end: datetime | None = None, progress=print
) -> list[str]:
    """`days` desk days of traffic ending today (or `end`), about `per_day` tickets a weekday; the tickets' ids."""
    rng = random.Random(seed)
    zone = kpis.desk_zone()
    last = (end or clock.now()).astimezone(zone).date()
    opened: list[str] = []
    until = end or clock.now()
    with held_clock(clock.now()) as move:
        for n in range(days):
            day = last - timedelta(days=days - 1 - n)
            count = round(per_day * (0.6 if day.weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15))
            for i in range(count):
                hour = rng.choices(range(24), HOURS)[0]
                at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
                ticket_id = _one_ticket(rng, move, at, f"demo-{day}-{i}")
                if ticket_id:
                    opened.append(ticket_id)
            progress(f"{day}: {count} tickets")
        for ticket_id in opened:
            _closed_when_quiet(move, ticket_id, until)
    progress(f"aggregating {len(opened)} tickets")
    kpis.refresh_many(opened)  # nobody else writes yet: in bulk, the same aggregates as ticket by ticket
    return opened


def _one_ticket(rng: random.Random, move: Callable[[datetime], None], at: datetime, external_id: str) -> str | None:
    move(at)
    language = rng.choice(("zh", "en"))
    subject = rng.choice(SUBJECTS[language])
    channel = rng.choices(list(CHANNELS), list(CHANNELS.values()))[0]
    category = rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0]
    number = rng.randrange(800)
    try:
        ticket_id = _open(rng, channel, category, subject, number, external_id)
        answered = at + timedelta(minutes=rng.lognormvariate(2.5, 1.2))
        if rng.random() < 0.92:
            move(answered)
            tickets.add_message(
                AGENT, ticket_id, NewMessage(body="已收到，正在处理。" if language == "zh" else "On it.")
            )
            if rng.random() < 0.6:
                work.record_work(AGENT, ticket_id, work.WorkRecord(seconds=rng.randint(60, 1500)))
            if rng.random() < 0.85:
                _resolve(move, ticket_id, answered + timedelta(hours=rng.lognormvariate(1.0, 1.3)))
                _aftercare(rng, move, ticket_id, answered)
    except KefuError:
        return None  # a step the lifecycle refused: the ticket stays as far as it got
    return ticket_id


def _open(rng: random.Random, channel: str, category: str, subject: str, number: int, external_id: str) -> str:
    if channel in ("phone", "chat"):
        message = IntakeMessage(
            channel=Channel(channel),
            externalId=external_id,
            customer=CustomerRef(phone=f"+86138{number:08d}"),
            subject=subject,
            body=subject,
            category=category,
            metadata={"handleSeconds": rng.randint(90, 900)},
        )
        return intake.take(message).ticketId
    request = NewTicket(
        subject=subject,
        description=subject,
        category=category,
        channel=Channel(channel),
        customer=CustomerRef(email=f"customer{number}@example.com"),
    )
    return tickets.open_ticket(AGENT, request).id


def _resolve(move: Callable[[datetime], None], ticket_id: str, at: datetime) -> None:
    move(at)
    tickets.transition(AGENT, ticket_id, TransitionRequest(to="resolved", resolution=Resolution(kind="answer")))


def _closed_when_quiet(move: Callable[[datetime], None], ticket_id: str, until: datetime) -> None:
    """A ticket resolved longer than the quiet period before `until` closed as the escalation task would
    have closed it then (its task, run at that moment); the stream readers that start those waits run only later."""
    ticket = tickets.get_ticket(AGENT, ticket_id)
    clock_now = sla_clock.clock_of(ticket)
    closing = clock_now and closing_at(ticket, clock_now.generation, sla_config().auto_close_after_duration)
    if not clock_now or not closing or closing > until:
        return
    move(closing)
    escalation.run_due_milestones(ticket_id, clock_now.generation)


def _aftercare(rng: random.Random, move: Callable[[datetime], None], ticket_id: str, since: datetime) -> None:
    """Some customers come back (a reopen, resolved again); some answer a survey."""
    resolved = tickets.get_ticket(AGENT, ticket_id).sla.resolvedAt or since
    if rng.random() < 0.07:
        move(resolved + timedelta(hours=rng.uniform(2, 72)))
        tickets.relay_customer_message(intake.system_caller(Channel.WEB), ticket_id, "还是不行 / still not working")
        _resolve(move, ticket_id, resolved + timedelta(hours=rng.uniform(74, 120)))
    if rng.random() < 0.35:
        move(resolved + timedelta(days=1))
        ticket = tickets.get_ticket(AGENT, ticket_id)
        issued = surveys.issue_survey(ticket, campaign_id="daily-csat-survey", expires_in=timedelta(days=14))
        move(resolved + timedelta(days=1, hours=rng.uniform(1, 30)))
        csat = rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 33, 50])[0]
        nps = min(10, max(0, csat * 2 + rng.randint(-2, 1)))
        surveys.answer_survey(issued.token, SurveyAnswer(csat=csat, nps=nps))
