"""Canned-reply templates: only the known placeholders, checked at save; rendered in the sandbox, whole or not."""

from __future__ import annotations

import pytest

from kefu.errors import InvalidRequest
from kefu.knowledge import templates

VALUES = {
    "customer": {"name": "吴芳", "email": "wu@example.com"},
    "ticket": {"id": "TK-7F3K9Q2M", "subject": "快递没到"},
    "agent": {"name": "Li Wei"},
    "sla": {"resolutionDue": "2026-12-04 10:00 UTC"},
}


def test_the_placeholders_of_a_reply_are_listed_in_order_of_first_use():
    body = "{{customer.name}}您好，工单 {{ticket.id}}，{{ customer.name }}，{{sla.resolutionDue}} 前答复。"
    assert templates.placeholders_of(body) == ["customer.name", "ticket.id", "sla.resolutionDue"]


def test_a_reply_renders_with_its_values():
    text = templates.render(
        "{{customer.name}}您好，工单 {{ticket.id}} 由{{agent.name}}跟进。", VALUES, ticket_id="TK-1"
    )
    assert text == "吴芳您好，工单 TK-7F3K9Q2M 由Li Wei跟进。"


def test_plain_text_without_placeholders_is_a_reply_too():
    assert templates.placeholders_of("感谢您的耐心等待。") == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{customer.nickname}}", "unknown placeholder customer.nickname"),
        ("{{name}}", "unknown placeholder name"),
        ("{{customer.name.__class__}}", "attribute access"),
        ("{{ customer.name.upper() }}", "a call"),
        ("{{ cycler.__init__.__globals__ }}", "attribute access"),
        ("{{ customer['name'] }}", "item access"),
        ("{{ customer.name|e }}", "a filter"),
        ("{{ 7 * 7 }}", "an expression"),
        ("{% set x = 1 %}{{x}}", "tags are not allowed"),
        ("{{ customer.name", "template syntax error"),
    ],
)
def test_anything_but_a_known_placeholder_is_refused_at_save_and_named(body, named):
    with pytest.raises(templates.TemplateRefused) as refused:
        templates.placeholders_of(body)
    assert named in str(refused.value)


def test_raw_text_that_looks_like_a_placeholder_stays_text():
    assert templates.placeholders_of("{% raw %}{{x}}{% endraw %}") == []
    assert templates.render("{% raw %}{{x}}{% endraw %}", VALUES, ticket_id="TK-1") == "{{x}}"


def test_every_unknown_placeholder_is_named_at_once():
    with pytest.raises(templates.TemplateRefused) as refused:
        templates.placeholders_of("{{customer.nick}} {{order.total}}")
    assert refused.value.problems == ["unknown placeholder customer.nick", "unknown placeholder order.total"]


def test_a_placeholder_without_a_value_refuses_the_whole_reply():
    with pytest.raises(InvalidRequest, match=r"ticket\.subject"):
        templates.render("{{ticket.subject}}", {"ticket": {"subject": None}}, ticket_id="TK-1")


def test_values_are_inserted_as_text_never_evaluated():
    values = {**VALUES, "customer": {"name": "{{ agent.name }}"}}
    assert templates.render("{{customer.name}}", values, ticket_id="TK-1") == "{{ agent.name }}"
