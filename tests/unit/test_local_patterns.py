"""Event patterns as EventBridge rules and Lambda's FilterCriteria match them (kefu_local.patterns)."""

from __future__ import annotations

import json

import pytest

from kefu_local.patterns import InvalidPattern, matches, parse

TIMELINE_INSERT = {
    "eventID": "1",
    "eventName": "INSERT",
    "eventSource": "aws:dynamodb",
    "dynamodb": {
        "Keys": {"pk": {"S": "TICKET#T1"}, "sk": {"S": "TL#2026"}},
        "NewImage": {"kind": {"S": "timeline"}, "type": {"S": "ticket.escalated"}, "priority": {"N": "2"}},
        "SequenceNumber": "100",
    },
}
S3_OBJECT_CREATED = {
    "source": "aws.s3",
    "detail-type": "Object Created",
    "resources": ["arn:aws:s3:::kefu-raw-mail"],
    "detail": {
        "bucket": {"name": "kefu-raw-mail"},
        "object": {"key": "inbound/abc123", "size": 2048},
        "source-ip-address": "10.0.0.7",
        "reason": "PutObject",
    },
}


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # exact values: and across keys, or within a list
        ({"eventName": ["INSERT"]}, TIMELINE_INSERT, True),
        ({"eventName": ["MODIFY", "INSERT"]}, TIMELINE_INSERT, True),
        ({"eventName": ["REMOVE"]}, TIMELINE_INSERT, False),
        ({"dynamodb": {"NewImage": {"kind": {"S": ["timeline"]}}}, "eventName": ["INSERT"]}, TIMELINE_INSERT, True),
        ({"dynamodb": {"NewImage": {"kind": {"S": ["timeline"]}}}, "eventName": ["MODIFY"]}, TIMELINE_INSERT, False),
        ({"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}, TIMELINE_INSERT, False),
        # a missing key or a nested object where a value is expected never matches a value
        ({"dynamodb": {"OldImage": {"kind": {"S": ["timeline"]}}}}, TIMELINE_INSERT, False),
        ({"dynamodb": ["anything"]}, TIMELINE_INSERT, False),
        # numbers compare by value; strings are not numbers
        ({"detail": {"object": {"size": [2048.0]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"size": ["2048"]}}}, S3_OBJECT_CREATED, False),
        # a list in the event matches if any element does
        ({"resources": ["arn:aws:s3:::kefu-raw-mail"]}, S3_OBJECT_CREATED, True),
        ({"resources": ["arn:aws:s3:::other"]}, S3_OBJECT_CREATED, False),
        # prefix and suffix, also ignoring case
        ({"detail": {"object": {"key": [{"prefix": "inbound/"}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"key": [{"prefix": "outbound/"}]}}}, S3_OBJECT_CREATED, False),
        ({"detail": {"object": {"key": [{"prefix": {"equals-ignore-case": "INBOUND/"}}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"key": [{"suffix": "123"}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"key": [{"suffix": ".eml"}]}}}, S3_OBJECT_CREATED, False),
        ({"detail-type": [{"equals-ignore-case": "object created"}]}, S3_OBJECT_CREATED, True),
        # anything-but: a value, a list, a prefix; never a missing key
        ({"eventName": [{"anything-but": "REMOVE"}]}, TIMELINE_INSERT, True),
        ({"eventName": [{"anything-but": ["INSERT", "MODIFY"]}]}, TIMELINE_INSERT, False),
        ({"detail": {"object": {"key": [{"anything-but": {"prefix": "inbound/"}}]}}}, S3_OBJECT_CREATED, False),
        ({"detail": {"object": {"key": [{"anything-but": {"prefix": "outbound/"}}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, S3_OBJECT_CREATED, False),
        # exists
        ({"dynamodb": {"NewImage": {"type": {"S": [{"exists": True}]}}}}, TIMELINE_INSERT, True),
        ({"dynamodb": {"OldImage": {"type": {"S": [{"exists": True}]}}}}, TIMELINE_INSERT, False),
        ({"dynamodb": {"OldImage": {"type": {"S": [{"exists": False}]}}}}, TIMELINE_INSERT, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"exists": False}]}}}}, TIMELINE_INSERT, False),
        # exists applies to values, not to objects
        ({"dynamodb": {"NewImage": [{"exists": True}]}}, TIMELINE_INSERT, False),
        # numeric ranges
        ({"detail": {"object": {"size": [{"numeric": [">", 0, "<=", 2048]}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"size": [{"numeric": [">", 4096]}]}}}, S3_OBJECT_CREATED, False),
        ({"dynamodb": {"NewImage": {"priority": {"N": [{"numeric": ["=", 2]}]}}}}, TIMELINE_INSERT, False),
        # wildcard and cidr
        ({"detail": {"object": {"key": [{"wildcard": "inbound/*3"}]}}}, S3_OBJECT_CREATED, True),
        ({"detail": {"object": {"key": [{"wildcard": "*/x*"}]}}}, S3_OBJECT_CREATED, False),
        ({"detail": {"source-ip-address": [{"cidr": "10.0.0.0/24"}]}}, S3_OBJECT_CREATED, True),
        ({"detail": {"source-ip-address": [{"cidr": "192.168.0.0/16"}]}}, S3_OBJECT_CREATED, False),
        # $or across patterns
        (
            {"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "TICKET#"}]}}}}]},
            TIMELINE_INSERT,
            True,
        ),
        ({"$or": [{"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}]}, TIMELINE_INSERT, False),
    ],
)
def test_a_pattern_matches_as_eventbridge_and_lambda_filters_do(pattern, event, expected):
    assert matches(parse(pattern), event) is expected


def test_the_rule_pattern_for_raw_mail_matches_only_objects_under_the_inbound_prefix_of_its_bucket():
    rule = json.dumps(
        {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": ["kefu-raw-mail"]}, "object": {"key": [{"prefix": "inbound/"}]}},
        }
    )
    elsewhere = json.loads(json.dumps(S3_OBJECT_CREATED))
    elsewhere["detail"]["object"]["key"] = "exports/abc123"

    assert matches(parse(rule), S3_OBJECT_CREATED)
    assert not matches(parse(rule), elsewhere)


@pytest.mark.parametrize(
    "pattern",
    [
        {"eventName": "INSERT"},
        {"eventName": []},
        {"eventName": [{"startswith": "IN"}]},
        {"size": [{"numeric": [">", "5"]}]},
        {"size": [{"numeric": ["~", 5]}]},
        {"key": [{"exists": "yes"}]},
        {"$or": [{"eventName": ["INSERT"]}]},
        {"key": [{"anything-but": {"numeric": [">", 1]}}]},
    ],
)
def test_a_malformed_pattern_is_refused(pattern):
    with pytest.raises(InvalidPattern):
        parse(pattern)
