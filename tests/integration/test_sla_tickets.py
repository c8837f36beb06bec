"""The SLA clock on tickets, through the API: due times set at opening, paused while waiting on the customer, the
first answer and the resolution recorded, the policy chosen again when the category or priority changes; the
customer sees due times only, and nobody sees the clock itself. Time is held still and moved by each test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from kefu import deployment
from kefu.store import calendars, sla_terms
from kefu.store import tickets as store
from kefu.tickets import conversation, customer, handover, opening, transitions
from kefu.tickets.sla import TicketClock, clock_of, terms_version
from tests.conftest import AGENT, CUSTOMER, Api
from tests.integration.conftest import open_ticket
from tests.integration.sla_desk import use_short_targets

T0 = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock(monkeypatch, tmp_path) -> Clock:
    undo = use_short_targets(monkeypatch, tmp_path)
    held = Clock()
    for module in (conversation, customer, handover, opening, transitions):
        monkeypatch.setattr(module, "now", lambda: held.now)
    yield held
    undo()


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def dues(sla: dict) -> tuple[datetime | None, datetime | None]:
    return when(sla["firstResponseDue"]), when(sla["resolutionDue"])


def complaint(desk: Api) -> dict:
    return open_ticket(
        desk, subject="Complaint about the courier", description="Thrown over the fence.", category="complaint"
    )


def read(desk: Api, ticket_id: str, who=AGENT) -> dict:
    reply = desk("GET", f"/tickets/{ticket_id}", who=who)
    assert reply.status == 200, reply.text
    return reply.json


def transition(desk: Api, ticket_id: str, to: str, who=AGENT, **extra) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/transition", who=who, body={"to": to, **extra})
    assert reply.status == 200, reply.text
    return reply.json


def test_opening_a_ticket_sets_its_due_times_from_its_policy(desk, clock):
    ticket = complaint(desk)

    sla = read(desk, ticket["id"])["sla"]
    assert sla["policy"] == "complaint"
    assert dues(sla) == (minutes(20), minutes(40))
    assert sla["breaches"] == [] and sla["escalated"] == []


def test_waiting_on_the_customer_pauses_the_clock_until_they_reply(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    pending = transition(desk, ticket["id"], "pending", note="Could you send a photo of the box?")
    assert dues(pending["sla"]) == (None, None)

    clock.at(15)
    reply = desk("POST", f"/tickets/{ticket['id']}/messages", who=CUSTOMER, body={"body": "Here it is."})
    assert reply.status == 201, reply.text

    after = read(desk, ticket["id"])
    assert after["status"] == "open"
    assert dues(after["sla"]) == (minutes(30), minutes(50))


def test_an_agent_putting_the_ticket_back_to_open_resumes_the_clock(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    transition(desk, ticket["id"], "pending")
    clock.at(25)

    reopened = transition(desk, ticket["id"], "open")

    assert when(reopened["sla"]["resolutionDue"]) == minutes(60)


def test_the_first_public_reply_records_the_first_response_and_an_internal_note_does_not(desk, clock):
    ticket = complaint(desk)
    clock.at(2)
    body = {"body": "Checking with the courier.", "visibility": "internal"}
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body=body).status == 201
    assert read(desk, ticket["id"])["sla"]["firstResponseAt"] is None

    clock.at(3)
    body = {"body": "We are sorry; a replacement is on its way."}
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body=body).status == 201

    assert when(read(desk, ticket["id"])["sla"]["firstResponseAt"]) == minutes(3)
    stored = clock_of(store.get(ticket["id"]))
    assert stored is not None and stored.clock.first_response_at == minutes(3)
    assert stored.generation == 2  # the answer replaces the escalation wake: resolution milestones only


def test_resolving_late_records_the_resolution_and_both_breaches(desk, clock):
    ticket = complaint(desk)
    clock.at(50)

    resolved = transition(desk, ticket["id"], "resolved", resolution={"kind": "reship"})

    assert when(resolved["sla"]["resolvedAt"]) == minutes(50)
    assert resolved["sla"]["breaches"] == ["first_response", "resolution"]
    stored = clock_of(store.get(ticket["id"]))
    assert stored is not None and stored.clock.resolved_at == minutes(50)


def test_reopening_lets_the_resolution_target_run_on_without_the_time_it_was_resolved(desk, clock):
    ticket = complaint(desk)
    clock.at(10)
    transition(desk, ticket["id"], "resolved", resolution={"kind": "answer"})
    clock.at(100)

    reopened = transition(desk, ticket["id"], "open", who=CUSTOMER)

    assert reopened["status"] == "open"
    assert when(read(desk, ticket["id"])["sla"]["resolutionDue"]) == minutes(130)


def test_changing_the_category_chooses_the_policy_again_counted_from_the_opening(desk, clock):
    ticket = open_ticket(desk, subject="Where is my parcel?", description="Order 1042.", category="logistics")
    assert read(desk, ticket["id"])["sla"]["policy"] == "standard"
    clock.at(30)

    reply = desk(
        "PATCH", f"/tickets/{ticket['id']}", who=AGENT, body={"category": "complaint"}, headers={"If-Match": "*"}
    )

    assert reply.status == 200, reply.text
    sla = reply.json["sla"]
    assert sla["policy"] == "complaint"
    assert dues(sla) == (minutes(20), minutes(40))
    assert sla["breaches"] == ["first_response"]


def test_a_customer_sees_their_due_times_but_not_the_policy_breaches_or_escalations(desk, clock):
    ticket = complaint(desk)
    clock.at(30)
    transition(desk, ticket["id"], "pending")  # a write after the breach: the view records it

    own = read(desk, ticket["id"], who=CUSTOMER)
    listed = desk("GET", "/tickets", who=CUSTOMER).json["items"]

    for seen in (own, *listed):
        assert set(seen["sla"]) == {"firstResponseDue", "resolutionDue", "firstResponseAt", "resolvedAt", "closedAt"}
        assert "slaClock" not in seen and "escalationLevel" not in seen
    staff = read(desk, ticket["id"])
    assert staff["sla"]["breaches"] == ["first_response"]
    assert staff["sla"]["policy"] == "complaint"
    assert "slaClock" not in staff


def test_the_clock_is_kept_on_the_ticket_item_itself(desk, clock):
    ticket = complaint(desk)

    item = boto3.client("dynamodb").get_item(
        TableName="kefu-test", Key={"pk": {"S": f"TICKET#{ticket['id']}"}, "sk": {"S": "TICKET"}}
    )["Item"]

    stored = json.loads(item["slaClock"]["S"])
    assert stored["generation"] == 1
    assert stored["clock"]["policy"] == "complaint" if "policy" in stored["clock"] else item["sla"]
    assert not {"firstResponse", "resolution", "calendars"} & set(stored["clock"]), "its terms are kept apart"
    assert len(stored["terms"]) == 16, "named by version"


# --- the terms and calendars a clock counts on, kept once by version (issue 22) -----------------------------


def office_hours(monkeypatch, tmp_path, hours: list[str]) -> None:
    """A deployment whose every ticket runs on the `office` calendar, open `hours` on weekdays."""
    week = {day: hours for day in ("mon", "tue", "wed", "thu", "fri")}
    document = {
        "sla": {
            "calendars": {"office": {"time_zone": "Asia/Shanghai", "hours": week}},
            "policies": [{"name": "standard", "calendar": "office", "first_response": "2h", "resolution": "8h"}],
        }
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()


def stored_item(key: str, sort_key: str) -> dict:
    return boto3.client("dynamodb").get_item(TableName="kefu-test", Key={"pk": {"S": key}, "sk": {"S": sort_key}})[
        "Item"
    ]


def test_a_clock_names_its_terms_by_version_and_the_table_keeps_each_version_once_with_its_calendars(desk, clock):
    first, second = complaint(desk), complaint(desk)

    versions = {
        json.loads(stored_item(f"TICKET#{t['id']}", "TICKET")["slaClock"]["S"])["terms"] for t in (first, second)
    }

    assert len(versions) == 1, "the same terms are one version"
    (version,) = versions
    kept = stored_item(f"SLATERMS#{version}", "TERMS")
    terms = json.loads(kept["terms"]["S"])
    assert terms["firstResponse"] == {"within": "20m", "calendar": "24x7"}
    assert json.loads(kept["calendars"]["S"]) == {terms["calendars"]["24x7"]: {"always_open": True}}


def test_a_ticket_item_is_smaller_by_its_clocks_terms(desk, clock):
    ticket = complaint(desk)
    item = stored_item(f"TICKET#{ticket['id']}", "TICKET")
    stored = json.loads(item["slaClock"]["S"])
    whole = clock_of(store.get(ticket["id"]))
    assert whole is not None

    assert len(item["slaClock"]["S"]) < len(json.dumps(whole.to_json() | {"terms": whole.terms()})) - 100
    assert stored["terms"] == terms_version(whole.terms())


@pytest.fixture
def deployments():
    yield
    deployment.reload()  # the next test reads its own deployment document


def test_a_ticket_keeps_the_calendar_it_was_opened_under_after_the_calendar_changes(
    desk, deployments, monkeypatch, tmp_path
):
    office_hours(monkeypatch, tmp_path, ["09:00-18:00"])
    ticket = open_ticket(desk)
    opened_under = clock_of(store.get(ticket["id"]))
    assert opened_under is not None

    office_hours(monkeypatch, tmp_path, ["10:00-12:00"])
    forget_clock_terms()  # a process that never saw the old terms and calendar: they are read from the table
    later = clock_of(store.get(ticket["id"]))

    assert later is not None
    assert later.clock.calendars["office"].hours.mon == [(9 * 60, 18 * 60)]
    assert later.clock.first_response_due == opened_under.clock.first_response_due
    assert read(desk, ticket["id"])["sla"]["firstResponseDue"] == ticket["sla"]["firstResponseDue"]


def test_a_ticket_stored_with_its_calendars_inside_reads_and_moves_as_before(desk, clock):
    ticket = complaint(desk)
    whole = clock_of(store.get(ticket["id"]))
    assert whole is not None
    # As tickets were written before versions: the targets and a copy of each calendar inside the clock.
    store_clock_as_before(ticket["id"], {**whole.terms(), "calendars": {"24x7": {"always_open": True}}})

    before = moves_and_is_stored_with_its_terms(desk, clock, ticket["id"], whole)

    assert before.clock.first_response_due == minutes(20)


def store_clock_as_before(ticket_id: str, inside: dict) -> None:
    """The ticket's stored clock rewritten as clocks were stored before their terms were kept apart: `inside` (the
    targets and the calendars, by version or copied) in the clock, no terms; and forgotten by this process."""
    key = {"pk": {"S": f"TICKET#{ticket_id}"}, "sk": {"S": "TICKET"}}
    stored = json.loads(stored_item(key["pk"]["S"], "TICKET")["slaClock"]["S"])
    older = {"generation": stored["generation"], "clock": {**stored["clock"], **inside}, "v": stored["v"]}
    boto3.client("dynamodb").update_item(
        TableName="kefu-test",
        Key=key,
        UpdateExpression="SET slaClock = :clock",
        ExpressionAttributeValues={":clock": {"S": json.dumps(older)}},
    )
    forget_clock_terms()


def moves_and_is_stored_with_its_terms(desk, clock, ticket_id: str, whole) -> TicketClock:
    """The clock stored in an older form reads, moves (the ticket waits on its customer) and is written again with
    its terms by version, kept in the table; the clock as read before it moved."""
    before = clock_of(store.get(ticket_id))
    clock.at(5)
    pending = transition(desk, ticket_id, "pending")

    assert before is not None
    assert pending["sla"]["firstResponseDue"] is None, "the clock moved: paused before its first response"
    moved = json.loads(stored_item(f"TICKET#{ticket_id}", "TICKET")["slaClock"]["S"])
    assert moved["terms"] == terms_version(whole.terms()), "written again with its terms by version"
    assert stored_item(f"SLATERMS#{moved['terms']}", "TERMS")
    return before


def test_the_stored_clock_leaves_out_what_the_ticket_item_holds_and_reads_back_whole(desk, clock):
    ticket = complaint(desk)
    stored = json.loads(stored_item(f"TICKET#{ticket['id']}", "TICKET")["slaClock"]["S"])["clock"]

    read = store.get(ticket["id"])
    read_back = clock_of(read)

    assert not {"priority", "tier", "startedAt"} & set(stored), "the ticket item holds them"
    assert read_back is not None
    assert (read_back.clock.priority, read_back.clock.tier) == (read.priority, read.customerTier)
    assert read_back.clock.started_at == read.createdAt


def test_a_clock_that_says_otherwise_than_its_ticket_keeps_its_own(desk, clock):
    ticket = store.get(complaint(desk)["id"])
    assert ticket.slaClock is not None
    other = {**ticket.slaClock, "clock": {**ticket.slaClock["clock"], "priority": "P4"}}

    store.save(ticket.model_copy(update={"slaClock": other}), [], previous=ticket)
    read_back = clock_of(store.get(ticket.id))

    assert ticket.priority != "P4"
    assert read_back is not None and read_back.clock.priority == "P4"


def test_the_stored_clock_leaves_out_what_the_sla_view_and_category_say_and_reads_back_whole(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": "Sorry."}).status == 201
    clock.at(10)
    transition(desk, ticket["id"], "resolved", resolution={"kind": "answer"})
    item = stored_item(f"TICKET#{ticket['id']}", "TICKET")
    stored = json.loads(item["slaClock"]["S"])["clock"]

    read_back = clock_of(store.get(ticket["id"]))

    assert not {"policy", "category", "firstResponseAt", "resolvedAt"} & set(stored), "the item holds them"
    assert read_back is not None
    assert (read_back.clock.policy, read_back.clock.category) == ("complaint", "complaint")
    assert (read_back.clock.first_response_at, read_back.clock.resolved_at) == (minutes(5), minutes(10))


def test_a_clock_that_has_not_what_its_view_has_is_stored_so(desk, clock):
    ticket = store.get(complaint(desk)["id"])
    assert ticket.slaClock is not None
    answered = ticket.sla.model_copy(update={"firstResponseAt": minutes(3)})  # the view says so, not the clock

    store.save(ticket.model_copy(update={"sla": answered}), [], previous=ticket)
    read = store.get(ticket.id)

    assert read.sla.firstResponseAt == minutes(3)
    assert read.slaClock == ticket.slaClock, "the clock as it was: no first response"


def test_a_ticket_stored_with_its_whole_clock_reads_as_before(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": "Sorry."}).status == 201
    key = {"pk": {"S": f"TICKET#{ticket['id']}"}, "sk": {"S": "TICKET"}}
    whole = store.get(ticket["id"]).slaClock
    assert whole is not None and whole["clock"]["firstResponseAt"] and whole["clock"]["policy"]
    boto3.client("dynamodb").update_item(  # as tickets were written before the view's moments were left out
        TableName="kefu-test",
        Key=key,
        UpdateExpression="SET slaClock = :clock",
        ExpressionAttributeValues={":clock": {"S": json.dumps(whole)}},
    )

    assert store.get(ticket["id"]).slaClock == whole
    clock.at(10)
    resolved = transition(desk, ticket["id"], "resolved", resolution={"kind": "answer"})
    assert when(resolved["sla"]["resolvedAt"]) == minutes(10)
    moved = clock_of(store.get(ticket["id"]))
    assert moved is not None and (moved.clock.first_response_at, moved.clock.resolved_at) == (minutes(5), minutes(10))


def test_a_clock_stored_whole_that_has_not_what_its_view_has_reads_as_stored(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": "Sorry."}).status == 201
    whole = store.get(ticket["id"]).slaClock
    assert whole is not None
    unanswered = {**whole, "clock": {k: v for k, v in whole["clock"].items() if k != "firstResponseAt"}}
    boto3.client("dynamodb").update_item(  # stored before issue 22, the clock saying otherwise than its view
        TableName="kefu-test",
        Key={"pk": {"S": f"TICKET#{ticket['id']}"}, "sk": {"S": "TICKET"}},
        UpdateExpression="SET slaClock = :clock",
        ExpressionAttributeValues={":clock": {"S": json.dumps(unanswered)}},
    )

    read = store.get(ticket["id"])

    assert read.sla.firstResponseAt == minutes(5)
    assert read.slaClock == unanswered, "nothing taken from the view for a clock stored whole"


def test_a_process_that_read_a_clocks_terms_from_the_deployment_writes_no_copy_of_them(desk, clock, aws_calls):
    ticket = complaint(desk)
    forget_clock_terms()  # another process
    aws_calls.reset()

    assert clock_of(store.get(ticket["id"])) is not None

    assert aws_calls.count() == {("dynamodb", "GetItem"): 1}, "the ticket only: the deployment's terms are its clock's"
    assert sla_terms.unwritten() == [], "the clock was stored with its terms: they are in the table"


def test_a_ticket_stored_with_its_calendars_by_version_reads_and_moves_as_before(desk, clock):
    ticket = complaint(desk)
    whole = clock_of(store.get(ticket["id"]))
    assert whole is not None
    # As clocks were stored before their terms were kept apart: the targets inside, the calendars by version, each
    # version in a calendar item of its own.
    calendar = next(iter(whole.clock.calendars.values()))
    boto3.client("dynamodb").put_item(
        TableName="kefu-test",
        Item={
            "pk": {"S": f"CALENDAR#{calendar.version}"},
            "sk": {"S": "CALENDAR"},
            "kind": {"S": "calendar"},
            "calendar": {"S": json.dumps(calendar.content())},
        },
    )
    store_clock_as_before(ticket["id"], whole.terms())

    before = moves_and_is_stored_with_its_terms(desk, clock, ticket["id"], whole)

    assert before.clock == whole.clock


def test_terms_the_deployment_no_longer_gives_are_read_from_the_table_with_their_calendars(
    desk, deployments, monkeypatch, tmp_path, aws_calls
):
    office_hours(monkeypatch, tmp_path, ["09:00-18:00"])
    ticket = open_ticket(desk)
    opened_under = clock_of(store.get(ticket["id"]))
    assert opened_under is not None

    office_hours(monkeypatch, tmp_path, ["09:00-18:00"])  # the same hours, the targets changed below
    document = json.loads((tmp_path / "kefu-deployment.json").read_text())
    document["sla"]["policies"][0]["first_response"] = "1h"
    (tmp_path / "kefu-deployment.json").write_text(json.dumps(document))
    deployment.reload()
    forget_clock_terms()
    aws_calls.reset()
    later = clock_of(store.get(ticket["id"]))

    assert later is not None and later.clock == opened_under.clock, "the terms it was opened under"
    assert [op for _, op, _ in aws_calls.calls] == ["GetItem", "GetItem"], "the ticket, then its terms"
    (calendar,) = later.clock.calendars.values()
    assert calendars.known(calendar.version) is calendar, "the terms' calendar came with them"


def forget_clock_terms() -> None:
    calendars.forget()
    sla_terms.forget()
