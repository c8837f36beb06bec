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
    # Every call is on the domain table (a BatchGetItem names its tables in its request, not as one table).
    assert all(s == "dynamodb" and t in (TABLE, None) for s, _, t in aws_calls.calls), aws_calls.calls
    return [operation for _, operation, _ in aws_calls.calls]


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


def test_a_name_prefix_search_is_one_query_then_the_records_by_key(desk, carol, aws_calls):
    # Issue 22: the index holds keys; the customers found are read by key in one BatchGetItem.
    found = ["Query", "BatchGetItem"]
    assert calls(aws_calls, desk, "GET", "/customers", who=AGENT, query={"q": "car"}) == found


def test_a_profile_is_two_queries_and_its_audit_entry(desk, carol, aws_calls):
    # The customer's partition (record and survey answers), then the keys of their tickets (count, last contact);
    # the read is then written to the audit trail (access pattern 16).
    assert calls(aws_calls, desk, "GET", f"/customers/{carol}", who=AGENT) == ["Query", "Query", "PutItem"]


def test_a_customers_tickets_are_a_read_a_query_and_a_read_by_key(desk, carol, aws_calls):
    # The record is read first so that an unknown customer is a 404, not an empty list; the index holds keys, so
    # the tickets found are read by key (issue 22).
    expected = ["GetItem", "Query", "BatchGetItem"]
    assert calls(aws_calls, desk, "GET", f"/customers/{carol}/tickets", who=AGENT) == expected


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


def every_call(aws_calls, desk, method: str, path: str, status: int, **kwargs) -> list[str]:
    aws_calls.reset()
    reply = desk(method, path, **kwargs)
    assert reply.status == status, reply.text
    return [operation for _, operation, _ in aws_calls.calls]


def test_a_merge_of_a_record_with_one_ticket_and_one_contact_point_stays_under_its_ceiling(desk, carol, aws_calls):
    from tests.conftest import SUPERVISOR

    absorbed = open_ticket(desk, who=AGENT, customer={"email": "carol.li@work.example"})["customerId"]
    made = every_call(
        aws_calls, desk, "POST", f"/customers/{carol}/merge", 200, who=SUPERVISOR, body={"from": absorbed}
    )
    # begin: 2 reads and a transaction; the absorbed record read again for its contact points, 1 update (the one
    # point); logins: 1 read, 1 query, 1 put (its own id's login); tickets: 1 query, then for the ticket 1 query of
    # its survey entries, 1 read, 1 update, then 1 query (none left); surveys: 1 query; finish: 2 reads, 1 read of
    # the moved point, 1 transaction; then the survivor's profile (2 queries and its audit entry). Each further
    # ticket adds 3 calls (and 1 a survey sent about it), each contact point 1 or 2.
    assert len(made) <= 21, made
    assert made.count("TransactWriteItems") == 2


def test_an_erasure_request_is_four_calls(desk, carol, aws_calls, privacy_machine):
    # The record read, marked erasing, the audit entry, the execution started.
    assert every_call(aws_calls, desk, "DELETE", f"/customers/{carol}", 202, who=ADMIN) == [
        "GetItem",
        "UpdateItem",
        "PutItem",
        "StartExecution",
    ]


def test_an_export_request_is_four_calls_and_its_status_one(desk, carol, aws_calls, privacy_machine):
    # The record read (404/301/410 before anything is written), the job, the audit entry, the execution started.
    made = every_call(aws_calls, desk, "POST", f"/customers/{carol}/export", 202, who=ADMIN)
    assert made == ["GetItem", "PutItem", "PutItem", "StartExecution"]
    job = desk("GET", f"/customers/{carol}/exports/EX-0000", who=ADMIN)
    assert job.status == 404
    location = desk("POST", f"/customers/{carol}/export", who=ADMIN).headers["location"]
    assert every_call(aws_calls, desk, "GET", location, 200, who=ADMIN) == ["GetItem"]
