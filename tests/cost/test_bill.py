"""The arithmetic of `make cost` (tests/cost/bill.py): counts and a price table in, dollars per 10,000 tickets out."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from tests.cost.bill import (
    AWS_CALL_SECONDS,
    CALL_PRICES,
    ROWS,
    Invocation,
    Usage,
    difference,
    price,
    quantities,
    shares_table,
    table,
)
from tests.cost.prices import PRICES, Price

#: Round prices, so each expected figure below is worked out by hand.
ROUND = {key: Price(1.0, 1, "unit", "test") for key in PRICES}


def test_a_functions_duration_is_billed_to_the_started_millisecond_at_its_configured_memory():
    assert Invocation("kefu-api", 512, 0.0101).gb_seconds == pytest.approx(0.5 * 0.011)
    assert Invocation("kefu-api", 2048, 0.25).gb_seconds == pytest.approx(2 * 0.25)


def test_each_aws_call_adds_its_round_trip_to_the_cpu_time_measured_and_the_local_wall_time_is_not_billed():
    invocation = Invocation("kefu-api", 1024, 0.004, calls=3, wall_seconds=2.0)
    assert invocation.seconds == pytest.approx(0.004 + 3 * AWS_CALL_SECONDS)
    assert invocation.gb_seconds == pytest.approx(math.ceil((0.004 + 3 * AWS_CALL_SECONDS) * 1000) / 1000)


def test_each_count_is_priced_per_ticket_and_scaled_to_ten_thousand_tickets():
    usage = Usage(
        tickets=4,
        invocations=[Invocation("kefu-api", 1024, 0.1)] * 2,
        api_requests=2,
        calls=Counter({("sqs", "SendMessage"): 3, ("s3", "PutObject"): 1, ("events", "PutEvents"): 2}),
        write_units=10,
        read_units=2.5,
        transitions=8,
    )
    bill = price(usage, ROUND)
    per_ticket = 10_000 / 4
    assert bill.dollars["lambda.requests"] == pytest.approx(2 * per_ticket)
    assert bill.dollars["lambda.gb_seconds"] == pytest.approx(0.2 * per_ticket)
    assert bill.dollars["apigw.http_requests"] == pytest.approx(2 * per_ticket)
    assert bill.dollars["dynamodb.write_units"] == pytest.approx(10 * per_ticket)
    assert bill.dollars["dynamodb.read_units"] == pytest.approx(2.5 * per_ticket)
    assert bill.dollars["sfn.standard_transitions"] == pytest.approx(8 * per_ticket)
    assert bill.dollars["sqs.requests"] == pytest.approx(3 * per_ticket)
    assert bill.dollars["s3.put"] == pytest.approx(per_ticket)
    assert bill.dollars["eventbridge.events"] == pytest.approx(2 * per_ticket)
    assert bill.total == pytest.approx((2 + 0.2 + 2 + 10 + 2.5 + 8 + 3 + 1 + 2) * per_ticket)


def test_the_list_prices_turn_a_web_tickets_write_units_into_dollars():
    # 74 write units a ticket at $0.625 per million: $0.4625 per 10,000 tickets (issue 22's measured figure).
    bill = price(Usage(tickets=1, write_units=74), PRICES)
    assert bill.total == pytest.approx(0.4625)


def test_a_standard_transition_costs_a_fortieth_of_a_cent_per_thousand():
    # 13 transitions (a complaint through the ladder) for each of 10,000 tickets at $0.025 per 1,000: $3.25.
    assert price(Usage(tickets=10, transitions=130), PRICES).total == pytest.approx(3.25)


def test_received_mail_is_priced_per_mail_and_per_started_256_kb_chunk():
    billed, _ = quantities(Usage(tickets=1, mails_received=2, mail_bytes_received=300 * 1024))
    assert (billed["ses.inbound"], billed["ses.inbound_chunks"]) == (2, 2)


def test_each_change_on_the_table_is_captured_once_and_read_off_the_stream_by_each_reader():
    billed, _ = quantities(Usage(tickets=1, cdc_units=3, change_kb=3, stream_readers=2))
    assert (billed["dynamodb.cdc_units"], billed["kinesis.gb_in"], billed["kinesis.gb_out"]) == (3, 3, 6)


def test_a_call_no_rule_prices_is_reported_unpriced_not_free():
    bill = price(Usage(tickets=1, calls=Counter({("textract", "AnalyzeDocument"): 1, ("lambda", "Invoke"): 5})), ROUND)
    assert bill.unpriced == Counter({("textract", "AnalyzeDocument"): 1})
    assert bill.total == 0


def test_a_scenarios_extra_is_its_bill_less_the_other_key_by_key():
    web = price(Usage(tickets=1, transitions=2, write_units=30), ROUND)
    complaint = price(Usage(tickets=1, transitions=15, write_units=40), ROUND)
    extra = difference(complaint, web)
    assert extra.dollars["sfn.standard_transitions"] == pytest.approx(13 * 10_000)
    assert extra.total == pytest.approx(23 * 10_000)


def test_no_scenario_prices_zero_tickets():
    with pytest.raises(ValueError):
        Usage(tickets=0)


def test_every_price_the_rules_name_is_in_the_one_price_table():
    named = {key for keys in ROWS.values() for key in keys} | set(CALL_PRICES.values())
    assert named <= set(PRICES)
    assert set(PRICES) - named <= {"sfn.express_requests", "sfn.express_gb_seconds"}


def test_the_table_shows_a_row_per_service_used_and_the_totals():
    bills = {"web": price(Usage(tickets=1, write_units=1), ROUND), "e-mail": price(Usage(tickets=1), ROUND)}
    text = table(bills)
    assert "DynamoDB writes" in text and "SES" not in text
    assert text.splitlines()[-1].split() == ["total", "10000.0000", "0.0000"]


def test_a_scenarios_shares_show_each_function_costliest_first_and_add_up_to_the_whole():
    shares = {
        "kefu-api": price(Usage(tickets=1, invocations=[Invocation("kefu-api", 1024, 0.0)], write_units=3), ROUND),
        "kefu-dev-service-Kpis": price(Usage(tickets=1, write_units=5), ROUND),
    }
    lines = shares_table(shares, strip="kefu-dev-service-").splitlines()
    assert lines[0].split() == ["Lambda", "DDB", "writes", "total"]
    assert [line.split()[0] for line in lines[1:]] == ["Kpis", "kefu-api", "all"]
    assert lines[-1].split()[1:] == ["10000.0000", "80000.0000", "90000.0000"]
