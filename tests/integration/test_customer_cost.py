"""The AWS calls of the customer-record routes, under a ceiling per route (as tests/integration/test_cost.py).

A later capability may raise a ceiling only with its reason written beside it.
"""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, CUSTOMER
from tests.integration.conftest import open_ticket

TABLE = "kefu-test"


@pytest.fixture
def carol(desk) -> str:
    customer = {"email": "carol@example.com", "phone": "+8613800138000", "name": "Carol Li"}
    return open_ticket(desk, who=AGENT, customer=customer)["customerId"]


def calls(aws_calls, desk, method: str, path: str, **kwargs) -> list[str]:
    aws_calls.reset()
    reply = desk(method, path, **kwargs)
    assert reply.status == 200, reply.text
    assert len(aws_calls.calls) == len(aws_calls.on_table(TABLE)), aws_calls.calls
    return aws_calls.on_table(TABLE)


def test_finding_by_a_contact_point_is_two_reads(desk, carol, aws_calls):
    # The contact point names the customer; their record gives the summary.
    assert calls(aws_calls, desk, "GET", "/customers", who=AGENT, query={"email": "carol@example.com"}) == [
        "GetItem",
        "GetItem",
    ]
    assert calls(aws_calls, desk, "GET", "/customers", who=AGENT, query={"phone": "13800138000"}) == [
        "GetItem",
        "GetItem",
    ]


def test_a_name_prefix_search_is_one_query(desk, carol, aws_calls):
    assert calls(aws_calls, desk, "GET", "/customers", who=AGENT, query={"q": "car"}) == ["Query"]


def test_a_profile_is_two_queries_and_its_audit_entry(desk, carol, aws_calls):
    # The customer's partition (record and survey answers), then the keys of their tickets (count, last contact);
    # the read is then written to the audit trail (access pattern 16).
    assert calls(aws_calls, desk, "GET", f"/customers/{carol}", who=AGENT) == ["Query", "Query", "PutItem"]


def test_a_customers_tickets_are_a_read_and_a_query(desk, carol, aws_calls):
    # The record is read first so that an unknown customer is a 404, not an empty list.
    assert calls(aws_calls, desk, "GET", f"/customers/{carol}/tickets", who=AGENT) == ["GetItem", "Query"]


def test_a_change_is_a_read_and_one_transaction(desk, carol, aws_calls):
    # The tier and name ride to the contact points, and the audit entry is written, in the change's transaction.
    body, headers = {"tier": "vip", "name": "Carol Li-Zhou"}, {"If-Match": "*"}
    assert calls(aws_calls, desk, "PATCH", f"/customers/{carol}", who=AGENT, body=body, headers=headers) == [
        "GetItem",
        "TransactWriteItems",
    ]


def test_the_audit_trails_are_one_query_each(desk, carol, aws_calls):
    assert calls(aws_calls, desk, "GET", f"/customers/{carol}/audit", who=ADMIN) == ["Query"]
    assert calls(aws_calls, desk, "GET", "/audit", who=ADMIN, query={"actor": AGENT.sub}) == ["Query"]


def test_ones_own_record_is_one_query_and_a_change_two_calls(desk, aws_calls):
    open_ticket(desk)
    assert calls(aws_calls, desk, "GET", "/me", who=CUSTOMER) == ["Query"]
    body, headers = {"preferredLanguage": "en"}, {"If-Match": "*"}
    assert calls(aws_calls, desk, "PATCH", "/me", who=CUSTOMER, body=body, headers=headers) == [
        "GetItem",
        "TransactWriteItems",
    ]
