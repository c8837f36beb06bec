"""Idempotency-Key on POST /tickets: retries return the same ticket; a different body with the key is refused."""

from __future__ import annotations

from tests.conftest import CUSTOMER, OTHER_CUSTOMER

BODY = {"subject": "Refund for order 77", "description": "Charged twice."}


def tickets_of(api, who):
    return api("GET", "/tickets", who=who).json["items"]


def test_one_create_retried_three_times_with_the_same_key_makes_exactly_one_ticket(desk):
    key = {"Idempotency-Key": "3f1c9b1e-retry"}
    replies = [desk("POST", "/tickets", who=CUSTOMER, body=BODY, headers=key) for _ in range(3)]
    assert [r.status for r in replies] == [201, 201, 201]
    assert len({r.json["id"] for r in replies}) == 1
    assert len(tickets_of(desk, CUSTOMER)) == 1


def test_the_same_key_with_a_different_body_is_refused_not_replayed(desk):
    key = {"Idempotency-Key": "k-1"}
    assert desk("POST", "/tickets", who=CUSTOMER, body=BODY, headers=key).status == 201
    other = {**BODY, "description": "Charged three times."}
    reply = desk("POST", "/tickets", who=CUSTOMER, body=other, headers=key)
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert len(tickets_of(desk, CUSTOMER)) == 1


def test_keys_are_scoped_to_the_caller(desk):
    key = {"Idempotency-Key": "shared-key"}
    first = desk("POST", "/tickets", who=CUSTOMER, body=BODY, headers=key)
    second = desk("POST", "/tickets", who=OTHER_CUSTOMER, body=BODY, headers=key)
    assert first.status == second.status == 201
    assert first.json["id"] != second.json["id"]
    assert second.json["customerId"] == OTHER_CUSTOMER.sub


def test_without_a_key_each_post_opens_a_ticket(desk):
    for _ in range(2):
        assert desk("POST", "/tickets", who=CUSTOMER, body=BODY).status == 201
    assert len(tickets_of(desk, CUSTOMER)) == 2
