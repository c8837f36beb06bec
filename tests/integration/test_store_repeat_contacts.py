"""kefu.store.tickets.count_since: a customer's tickets opened since a moment (a repeat contact raises the priority),
counted by a Query of their gsi1 partition, which holds their tickets and nothing else."""

from __future__ import annotations

import time
from datetime import timedelta

from kefu.store import tickets as store
from tests.integration.conftest import open_ticket


def test_tickets_opened_since_a_moment_are_counted_and_earlier_ones_are_not(desk):
    first = store.get(open_ticket(desk)["id"])
    time.sleep(0.01)  # opened a few milliseconds apart
    second = store.get(open_ticket(desk)["id"])

    assert store.count_since(first.customerId, first.createdAt - timedelta(seconds=1)) == 2
    assert store.count_since(first.customerId, second.createdAt) == 1, "the moment's own ticket, not the earlier one"
    assert store.count_since(first.customerId, second.createdAt + timedelta(milliseconds=1)) == 0
    assert store.count_since("cust-nobody", first.createdAt - timedelta(days=1)) == 0


def test_every_page_of_a_long_partition_is_counted(desk, monkeypatch):
    first = store.get(open_ticket(desk)["id"])
    for _ in range(2):
        open_ticket(desk)
    client = store.connection().client
    real_query = client.query
    pages: list[int] = []

    def one_at_a_time(**request):
        # DynamoDB pages a Query at 1 MB read, whatever it returns: here at each ticket.
        answer = real_query(**{**request, "Limit": 1})
        pages.append(answer["Count"])
        return answer

    monkeypatch.setattr(client, "query", one_at_a_time)

    assert store.count_since(first.customerId, first.createdAt - timedelta(seconds=1)) == 3
    assert len(pages) >= 3
