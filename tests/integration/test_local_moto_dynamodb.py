"""The local stack's moto DynamoDB patches (kefu_local.moto_dynamodb) answer as moto does, at the cost of what a
request touches: the same pages of a Query, of the table and of an index; a cancelled transaction leaves its items
and the table's stream as they were, a committed one writes them; a copy of a table outside a transaction is deep.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import dynamodb_backends

from kefu_local import moto_dynamodb

TABLE = "moto-patch-test"


@pytest.fixture
def table(aws, monkeypatch) -> Iterator[str]:
    # moto's own deep copy of the table, as on the local stack (tests/conftest.py lightens it for the other tests).
    monkeypatch.setattr(dynamodb_models, "copy", copy)
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for p in range(5):
        for s in (7, 3, 11, 1, 5):
            item = {"pk": {"S": f"P#{p}"}, "sk": {"S": f"S#{s:02d}"}, "gsi1pk": {"S": f"G#{s % 2}"}}
            item["gsi1sk"] = {"S": f"{5 - p}#{s:02d}"}
            client.put_item(TableName=TABLE, Item=item)
    yield TABLE
    moto_dynamodb.uninstall()


def pages(**query) -> list[list[dict]]:
    """Every page of a Query, two items a page."""
    client, found, start = boto3.client("dynamodb"), [], None
    while True:
        page = client.query(TableName=TABLE, Limit=2, **query, **({"ExclusiveStartKey": start} if start else {}))
        found.append(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


QUERIES = {
    "a partition, in order": {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "P#2"}},
    },
    "a partition backwards, from a range key": {
        "KeyConditionExpression": "pk = :p AND sk >= :s",
        "ExpressionAttributeValues": {":p": {"S": "P#3"}, ":s": {"S": "S#05"}},
        "ScanIndexForward": False,
    },
    "a partition that does not exist": {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "P#9"}},
    },
    "an index partition": {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#1"}},
    },
    "an index partition between two keys": {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :g AND gsi1sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":g": {"S": "G#1"}, ":a": {"S": "2#"}, ":b": {"S": "4#~"}},
    },
}


@pytest.mark.parametrize("name", QUERIES)
def test_a_query_gives_the_pages_moto_gives(table, name):
    query = QUERIES[name]
    expected = pages(**query)

    moto_dynamodb.install()

    assert pages(**query) == expected
    assert sum(len(page) for page in expected) > 0 or name == "a partition that does not exist"


def stream_length() -> int:
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    return len(backend.get_table(TABLE).stream_shard.items)


def test_a_cancelled_transaction_leaves_its_items_and_the_stream_as_they_were(table):
    moto_dynamodb.install()
    client = boto3.client("dynamodb")
    before = client.get_item(TableName=TABLE, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#03"}})["Item"]
    records = stream_length()

    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "P#8"}, "sk": {"S": "S#01"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "P#1"}, "sk": {"S": "S#03"}},
                        "UpdateExpression": "SET note = :n",
                        "ExpressionAttributeValues": {":n": {"S": "changed"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "P#0"}, "sk": {"S": "S#01"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    assert client.get_item(TableName=TABLE, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#03"}})["Item"] == before
    assert "Item" not in client.get_item(TableName=TABLE, Key={"pk": {"S": "P#8"}, "sk": {"S": "S#01"}})
    assert stream_length() == records


def test_a_committed_transaction_writes_its_items(table):
    moto_dynamodb.install()
    client = boto3.client("dynamodb")
    records = stream_length()

    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "P#8"}, "sk": {"S": "S#01"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "P#1"}, "sk": {"S": "S#03"}}}},
        ]
    )

    assert "Item" in client.get_item(TableName=TABLE, Key={"pk": {"S": "P#8"}, "sk": {"S": "S#01"}})
    assert "Item" not in client.get_item(TableName=TABLE, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#03"}})
    assert stream_length() == records + 2


def test_a_table_copied_outside_a_transaction_is_a_deep_copy(table):
    moto_dynamodb.install()
    live = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)

    copied = copy.deepcopy(live)

    assert copied is not live and copied.items is not live.items
    assert sorted(map(str, copied.items)) == sorted(map(str, live.items))


def stream_records() -> list[dict]:
    """Every record of the table's stream, from its start, through GetRecords as a client reads them."""
    # moto answers stream calls at the regional endpoint, not the account's.
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    records = []
    answer = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=7)
    while answer["Records"]:
        records += answer["Records"]
        answer = streams.get_records(ShardIterator=answer["NextShardIterator"], Limit=7)
    return records


def test_the_streams_records_read_as_moto_serializes_them(table):
    # Every attribute type, changed and removed, so the images hold all of them, old and new
    client = boto3.client("dynamodb")
    every_type = {
        "pk": {"S": "P#typed"},
        "sk": {"S": "S#01"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xffbytes"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "m": {"M": {"nested": {"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}, {"BOOL": False}]}}},
        "text": {"S": "客服 ✓"},
    }
    client.put_item(TableName=TABLE, Item=every_type)
    client.put_item(TableName=TABLE, Item={**every_type, "n": {"N": "13"}, "flag": {"BOOL": True}})
    client.delete_item(TableName=TABLE, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#03"}})
    by_moto = stream_records()

    moto_dynamodb.install()
    patched = stream_records()

    assert len(patched) == len(by_moto) == 28
    assert patched == by_moto
    typed = [record for record in patched if record["dynamodb"]["Keys"]["pk"] == {"S": "P#typed"}]
    assert typed[1]["dynamodb"]["OldImage"]["b"] == {"B": b"\x00\xffbytes"}
    assert typed[1]["dynamodb"]["NewImage"]["n"] == {"N": "13"}
    assert typed[0]["dynamodb"]["ApproximateCreationDateTime"].tzinfo is not None


# -- the item operations' answers, written as JSON directly -------------------------------------------------------

SCALARS = {
    "S": st.text(min_size=1, max_size=8),
    "N": st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False).map(str),
    "B": st.binary(min_size=1, max_size=8),
}
VALUES = st.recursive(
    st.one_of(
        *(strategy.map(lambda v, t=t: {t: v}) for t, strategy in SCALARS.items()),
        st.booleans().map(lambda v: {"BOOL": v}),
        st.just({"NULL": True}),
        st.sets(SCALARS["S"], min_size=1, max_size=3).map(lambda v: {"SS": sorted(v)}),
        st.sets(st.integers(-99, 99).map(str), min_size=1, max_size=3).map(lambda v: {"NS": sorted(v)}),
        st.sets(SCALARS["B"], min_size=1, max_size=3).map(lambda v: {"BS": sorted(v)}),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: {"L": v}),
        st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3).map(lambda v: {"M": v}),
    ),
    max_leaves=6,
)
ITEMS = st.lists(st.dictionaries(st.text("xyz", min_size=1, max_size=4), VALUES, max_size=5), min_size=2, max_size=5)


def answers(items: list[dict]) -> list[dict]:
    """What a client reads back from every item operation over `items` (response metadata aside)."""
    client = boto3.client("dynamodb")
    key = lambda i: {"pk": {"S": "P#v"}, "sk": {"S": f"S#{i}"}}  # noqa: E731
    found = []
    for i, attributes in enumerate(items):
        item = {**attributes, **key(i), "gsi1pk": {"S": "G#v"}, "gsi1sk": {"S": f"{i}"}}
        found.append(client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD"))
        found.append(
            client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
        )
        found.append(client.get_item(TableName=TABLE, Key=key(i), ReturnConsumedCapacity="INDEXES"))
    found.append(client.get_item(TableName=TABLE, Key=key(99)))
    for i, value, returned in ((0, {"N": "1"}, "ALL_NEW"), (1, {"S": "x"}, "UPDATED_OLD")):
        found.append(
            client.update_item(
                TableName=TABLE,
                Key=key(i),
                UpdateExpression="SET added = :v",
                ExpressionAttributeValues={":v": value},
                ReturnValues=returned,
            )
        )
    condition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#v"}}}
    found.append(client.query(TableName=TABLE, Limit=2, **condition))
    found.append(client.query(TableName=TABLE, Select="COUNT", **condition))
    index = {"KeyConditionExpression": "gsi1pk = :g", "ExpressionAttributeValues": {":g": {"S": "G#v"}}}
    found.append(client.query(TableName=TABLE, IndexName="gsi1", Limit=3, **index))
    found.append(client.scan(TableName=TABLE, Limit=4, ReturnConsumedCapacity="TOTAL"))
    found.append(client.batch_get_item(RequestItems={TABLE: {"Keys": [key(0), key(1), key(99)]}}))
    found.append(
        client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key(i)}} for i in (0, 99)])
    )
    found.append(client.delete_item(TableName=TABLE, Key=key(1), ReturnValues="ALL_OLD"))
    for answer in found:
        answer.pop("ResponseMetadata")
    return found


def empty_the_partition() -> None:
    client = boto3.client("dynamodb")
    for item in client.scan(TableName=TABLE)["Items"]:
        if item["pk"]["S"] == "P#v":
            client.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=ITEMS)
def test_the_item_operations_answer_as_moto_serializes_them(table, items):
    moto_dynamodb.uninstall()
    empty_the_partition()
    by_moto = answers(items)

    moto_dynamodb.install()
    empty_the_partition()
    written = answers(items)

    assert written == by_moto
