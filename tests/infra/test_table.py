"""The domain table in the template is the table the pynamodb model describes: keys, indexes, stream."""

from __future__ import annotations

import copy

from kefu.store.models import KefuItem
from tests.infra.template_checks import table_schema_from_model, table_schema_from_template


def domain_table(dev) -> dict:
    return dev.stateful["Resources"][dev.logical_id(dev.kefu.stateful.table)]


def test_the_domain_table_matches_the_pynamodb_model(dev):
    assert table_schema_from_template(domain_table(dev)) == table_schema_from_model(KefuItem)


def test_the_domain_table_streams_new_and_old_images_on_demand(dev):
    schema = table_schema_from_template(domain_table(dev))

    assert (schema["stream"], schema["billing"]) == ("NEW_AND_OLD_IMAGES", "PAY_PER_REQUEST")


def test_a_missing_index_is_drift(dev):
    table = copy.deepcopy(domain_table(dev))
    table["Properties"]["GlobalSecondaryIndexes"].pop()

    assert table_schema_from_template(table) != table_schema_from_model(KefuItem)


def test_an_index_the_model_does_not_have_is_drift(dev):
    table = copy.deepcopy(domain_table(dev))
    table["Properties"]["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "gsi9",
            "KeySchema": [{"AttributeName": "gsi9pk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    )

    assert table_schema_from_template(table) != table_schema_from_model(KefuItem)


def test_an_index_with_another_projection_is_drift(dev):
    table = copy.deepcopy(domain_table(dev))
    table["Properties"]["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    assert table_schema_from_template(table) != table_schema_from_model(KefuItem)


def test_another_stream_view_is_drift(dev):
    table = copy.deepcopy(domain_table(dev))
    table["Properties"]["StreamSpecification"] = {"StreamViewType": "NEW_IMAGE"}

    assert table_schema_from_template(table) != table_schema_from_model(KefuItem)


def test_the_idempotency_table_has_the_powertools_layout(dev):
    idempotency = dev.stateful["Resources"][dev.logical_id(dev.kefu.stateful.idempotency_table)]["Properties"]

    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
