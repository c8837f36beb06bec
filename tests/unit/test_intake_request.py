"""Intake opens a contact's ticket with a NewTicket built from the message without validating it again: the message's
fields carry the types NewTicket gives them, so validating could neither refuse nor change a value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kefu.intake.model import IntakeMessage
from kefu.intake.service import ticket_request
from kefu.model.ticket_requests import NewTicket

#: NewTicket's field ← the message's field it is made from.
FROM_MESSAGE = {
    "subject": "subject",
    "description": "body",
    "category": "category",
    "channel": "channel",
    "customer": "customer",
    "priority": "priority",
}

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "sqs_intake_batch.json"


def test_each_field_made_from_the_message_has_the_type_and_constraints_newticket_gives_it():
    for ticket_field, message_field in FROM_MESSAGE.items():
        wanted, given = NewTicket.model_fields[ticket_field], IntakeMessage.model_fields[message_field]
        # the same type (NewTicket's may also be None where the message's is required), with the same constraints
        assert wanted.annotation in (given.annotation, given.annotation | None), ticket_field
        assert wanted.metadata == given.metadata, ticket_field


def _messages() -> list[dict[str, Any]]:
    records = json.loads(SAMPLE.read_text())["Records"]
    samples = [json.loads(record["body"]) for record in records]
    spaced = {
        "channel": "chat",
        "externalId": " chat-1 ",
        "customer": {"email": "a@example.com"},
        "subject": "  padded subject \n",
        # at its bound as sent (100,000 characters with the whitespace around it)
        "body": "\t" + "x" * 99_997 + "  ",
    }
    return [*samples, spaced, {**spaced, "subject": "s" * 300, "category": "payment", "priority": "P1"}]


@pytest.mark.parametrize("raw", _messages())
def test_the_request_is_what_validating_the_same_values_makes(raw: dict[str, Any]):
    # Given a contact as intake validated it
    message = IntakeMessage.model_validate(raw)
    # when its ticket's request is made, then it equals the one NewTicket's validation makes of the same values
    request = ticket_request(message)
    validated = NewTicket(**{name: getattr(message, field) for name, field in FROM_MESSAGE.items()})
    assert request == validated
    assert request.model_fields_set == validated.model_fields_set
    assert NewTicket.model_validate(request.model_dump()) == request
