"""Request models: what a client may send, and what it becomes once read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.model.ticket_requests import AssignRequest, CustomerRef, NewMessage, NewTicket, TicketPatch, TransitionRequest
from kefu.model.tickets import Attachment, Resolution

TICKET = {"subject": "Order 1042 never arrived", "description": "It has been 9 days since dispatch."}

# One valid body per request model, to which each test adds the one thing it is about.
VALID_BODIES = [
    (NewTicket, TICKET),
    (TicketPatch, {"priority": "P2"}),
    (NewMessage, {"body": "Any news?"}),
    (TransitionRequest, {"to": "pending"}),
    (AssignRequest, {"take": True}),
    (CustomerRef, {"email": "li.wei@example.com"}),
    (Resolution, {"kind": "refund"}),
    (Attachment, {"name": "receipt.pdf", "size": 1024}),
]


def model_id(case: tuple) -> str:
    return case[0].__name__


@pytest.mark.parametrize("model, body", VALID_BODIES, ids=[model_id(case) for case in VALID_BODIES])
def test_each_request_model_accepts_its_valid_body(model, body):
    # Given the minimal valid body, when read, then it is accepted (so the refusals below are about their one change)
    model.model_validate(body)


@pytest.mark.parametrize("model, body", VALID_BODIES, ids=[model_id(case) for case in VALID_BODIES])
def test_each_request_model_refuses_an_unknown_field(model, body):
    # Given a valid body plus a field the API does not know, when read, then it is refused, not silently dropped
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**body, "customerTier": "vip"})
    assert refused.value.errors()[0]["type"] == "extra_forbidden"


def test_a_nested_unknown_field_is_refused_too():
    # Given an attachment with an unknown field inside a new ticket, when read, then it is refused
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, "attachments": [{"name": "a.png", "size": 1, "public": True}]})


# --- tags -------------------------------------------------------------------------------------------------


def test_tags_are_trimmed_and_lower_cased():
    # Given tags with spaces and capitals, when a ticket is read, then they are stored trimmed and lower-case
    ticket = NewTicket.model_validate({**TICKET, "tags": ["  VIP ", "Refund"]})
    assert ticket.tags == ["vip", "refund"]


def test_tags_that_differ_only_in_case_or_spacing_are_kept_once_in_first_seen_order():
    # Given the same tag written three ways, when read, then it appears once, where it first appeared
    ticket = NewTicket.model_validate({**TICKET, "tags": ["late", "VIP", " vip", "vip ", "refund"]})
    assert ticket.tags == ["late", "vip", "refund"]


@pytest.mark.parametrize(
    "tag",
    ["order:1042", "after_sales", "v1.2", "物流", "a" * 40],
    ids=["colon", "underscore", "dot", "chinese", "forty-chars"],
)
def test_tags_made_of_letters_digits_and_the_allowed_marks_are_accepted(tag):
    # Given a tag of word characters, '-', '_', ':' or '.', up to 40 long, when read, then it is kept
    assert NewTicket.model_validate({**TICKET, "tags": [tag]}).tags == [tag]


@pytest.mark.parametrize(
    "tag",
    ["", "   ", "two words", "a" * 41, "semi;colon", "slash/tag", "<script>", "emoji🙂"],
    ids=["empty", "blank", "space-inside", "forty-one-chars", "semicolon", "slash", "markup", "emoji"],
)
def test_a_malformed_tag_is_refused(tag):
    # Given a tag that is empty, too long or has other characters, when read, then the ticket is refused
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, "tags": [tag]})


def test_more_than_twenty_tags_are_refused():
    # Given 21 tags, when read, then refused
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, "tags": [f"t{i}" for i in range(21)]})


def test_a_patch_normalises_tags_the_same_way():
    # Given a patch with tags, when read, then they are trimmed, lower-cased and de-duplicated
    assert TicketPatch.model_validate({"tags": [" Urgent", "urgent"]}).tags == ["urgent"]


def test_a_patch_without_tags_leaves_them_alone():
    # Given a patch that does not mention tags, when read, then tags is None (not "clear them")
    assert TicketPatch.model_validate({"priority": "P1"}).tags is None


def test_a_patch_that_refuses_a_malformed_tag():
    # Given a patch with a malformed tag, when read, then refused
    with pytest.raises(ValidationError):
        TicketPatch.model_validate({"tags": ["no spaces allowed"]})


# --- assigning ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"take": True}, {"agentId": "agent-li"}, {"groupId": "expert"}, {"take": False, "agentId": "agent-li"}],
    ids=["take", "agent", "group", "take-false-and-agent"],
)
def test_an_assignment_names_exactly_one_target(body):
    # Given exactly one of take / agentId / groupId, when read, then accepted
    AssignRequest.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"take": False},
        {"note": "please look"},
        {"take": True, "agentId": "agent-li"},
        {"take": True, "groupId": "expert"},
        {"agentId": "agent-li", "groupId": "expert"},
        {"take": True, "agentId": "agent-li", "groupId": "expert"},
    ],
    ids=["nothing", "take-false", "note-only", "take-and-agent", "take-and-group", "agent-and-group", "all-three"],
)
def test_an_assignment_with_none_or_several_targets_is_refused(body):
    # Given none or more than one of take / agentId / groupId, when read, then a ValidationError (a 422)
    with pytest.raises(ValidationError):
        AssignRequest.model_validate(body)


@pytest.mark.parametrize("body", [{"agentId": ""}, {"groupId": ""}], ids=["empty-agent", "empty-group"])
def test_an_assignment_to_an_empty_id_is_refused(body):
    # Given an empty agent or group id, when read, then refused
    with pytest.raises(ValidationError):
        AssignRequest.model_validate(body)


# --- customers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"id": "CU-0123456789"}, {"email": "li.wei@example.com"}, {"phone": "+86 138 0013 8000"}],
    ids=["id", "email", "phone"],
)
def test_a_customer_reference_needs_only_one_of_id_email_or_phone(body):
    # Given one way to find the customer, when read, then accepted
    CustomerRef.model_validate(body)


@pytest.mark.parametrize("body", [{}, {"name": "Li Wei"}], ids=["nothing", "name-only"])
def test_a_customer_reference_without_id_email_or_phone_is_refused(body):
    # Given no way to find the customer (a name is not one), when read, then a ValidationError
    with pytest.raises(ValidationError):
        CustomerRef.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [{"email": "not-an-address"}, {"email": "a b@example.com"}, {"phone": "call me"}, {"phone": "12"}],
    ids=["email-without-at", "email-with-space", "phone-words", "phone-too-short"],
)
def test_a_malformed_email_or_phone_is_refused(body):
    # Given a contact point that cannot be one, when read, then refused
    with pytest.raises(ValidationError):
        CustomerRef.model_validate(body)


def test_a_new_ticket_refuses_a_customer_reference_without_a_way_to_find_them():
    # Given an agent's new ticket whose customer has only a name, when read, then the whole ticket is refused
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, "customer": {"name": "Li Wei"}})


# --- the rest of a ticket -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["subject", "description"])
def test_a_blank_subject_or_description_is_refused(field):
    # Given only whitespace, when read, then refused (it is stripped first)
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, field: "   "})


def test_a_subject_is_stored_without_surrounding_whitespace():
    # Given a subject with spaces around it, when read, then they are gone
    assert NewTicket.model_validate({**TICKET, "subject": "  Late parcel  "}).subject == "Late parcel"


@pytest.mark.parametrize(
    "body",
    [{"category": "misc"}, {"channel": "fax"}, {"priority": "P0"}, {"priority": "p1"}],
    ids=["category", "channel", "priority", "lower-case-priority"],
)
def test_a_value_outside_its_list_is_refused(body):
    # Given a category, channel or priority kefu does not have, when read, then refused
    with pytest.raises(ValidationError):
        NewTicket.model_validate({**TICKET, **body})


def test_a_negative_attachment_size_is_refused():
    # Given an attachment of -1 bytes, when read, then refused
    with pytest.raises(ValidationError):
        Attachment.model_validate({"name": "a.png", "size": -1})


@pytest.mark.parametrize("currency", ["usd", "EURO", "€"], ids=str)
def test_a_currency_that_is_not_three_capital_letters_is_refused(currency):
    # Given a currency not written as ISO 4217, when read, then refused
    with pytest.raises(ValidationError):
        Resolution.model_validate({"kind": "refund", "amount": 10, "currency": currency})


@pytest.mark.parametrize("amount", [-0.01, float("nan")], ids=["negative", "nan"])
def test_a_refund_amount_that_is_not_a_non_negative_number_is_refused(amount):
    # Given a negative or NaN amount, when read, then refused
    with pytest.raises(ValidationError):
        Resolution.model_validate({"kind": "refund", "amount": amount})


def test_an_infinite_refund_amount_is_refused():
    # Given an infinite amount (JSON 1e999 reads as inf), when read, then refused: every later answer about the
    # ticket would carry a bare `Infinity`, which is not JSON
    with pytest.raises(ValidationError):
        Resolution.model_validate({"kind": "refund", "amount": float("inf")})


def test_a_transition_to_an_unknown_status_is_refused():
    # Given a status kefu does not have, when read, then refused
    with pytest.raises(ValidationError):
        TransitionRequest.model_validate({"to": "escalated"})
