"""The local stack's knowledge base, used as a client would: seeded at start, searched over HTTP in three languages,
canned replies rendered for a ticket."""

from __future__ import annotations

import pytest
import requests

from .local_stack import DEFAULT_STACK, LocalStackProcess

pytestmark = [pytest.mark.e2e, DEFAULT_STACK]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_customer_searches_the_seeded_base_in_both_scripts_and_english(running_stack: LocalStackProcess):
    token = running_stack.token("--role", "customer")
    for question, lang in (
        ("我的快递到哪了", "zh-Hans"),
        ("我的快遞到哪裡了", "zh-Hant"),
        ("where is my parcel", "en"),
    ):
        found = requests.get(
            f"{running_stack.url}/kb/articles",
            params={"q": question, "lang": lang},
            headers=bearer(token),
            timeout=10,
        )
        assert found.status_code == 200, found.text
        items = found.json()["items"]
        assert items and items[0]["category"] == "logistics", (question, items[:3])
        assert all(item["visibility"] == "public" for item in items)


def test_an_agent_gets_suggestions_and_renders_a_seeded_reply(running_stack: LocalStackProcess):
    agent = running_stack.token("--role", "agent")
    opened = requests.post(
        f"{running_stack.url}/tickets",
        json={
            "subject": "退款什么时候到账",
            "description": "退货一周了钱还没退回来",
            "category": "after_sales",
            "customer": {"email": "wu.fang@example.com", "name": "吴芳"},
        },
        headers=bearer(agent),
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["id"]

    suggested = requests.get(f"{running_stack.url}/tickets/{ticket_id}/suggestions", headers=bearer(agent), timeout=10)
    assert suggested.status_code == 200, suggested.text
    body = suggested.json()
    assert body["articles"] and body["articles"][0]["category"] == "refunds" and body["articles"][0]["why"]
    assert body["replies"]

    reply_id = body["replies"][0]["id"]
    rendered = requests.post(
        f"{running_stack.url}/replies/{reply_id}/render",
        json={"ticketId": ticket_id},
        headers=bearer(agent),
        timeout=10,
    )
    assert rendered.status_code == 200, rendered.text
    assert "{{" not in rendered.json()["text"]
