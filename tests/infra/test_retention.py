"""Raw mail and attachment retention: a deployment setting (default 365 days), validated with the key named, and
the buckets' lifecycle rules as synthesized."""

from __future__ import annotations

import pytest
import yaml

from kefu_infra import config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG


def dev_settings() -> dict:
    return yaml.safe_load((CONFIG / "dev.yaml").read_text())


def test_retention_defaults_to_365_days_when_the_file_does_not_say():
    settings = dev_settings()
    settings.pop("retention", None)
    deployment = config.parse(yaml.safe_dump(settings), "dev.yaml")
    assert (deployment.retention.raw_mail_days, deployment.retention.attachments_days) == (365, 365)


@pytest.mark.parametrize(("key", "value"), [("raw_mail_days", 0), ("attachments_days", "forever"), ("mail_days", 9)])
def test_a_bad_retention_is_named(key, value):
    settings = dev_settings()
    settings["retention"] = {key: value}
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings), "dev.yaml")
    assert f"retention.{key}" in str(raised.value)


def lifecycle(template: dict, logical_prefix: str) -> list[dict]:
    [bucket] = [
        resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::S3::Bucket" and logical_id.startswith(logical_prefix)
    ]
    return bucket["Properties"]["LifecycleConfiguration"]["Rules"]


@pytest.mark.parametrize("bucket", ["RawMail", "Attachments"])
def test_the_buckets_expire_objects_and_their_versions_after_the_configured_days(synthesized_stage, bucket):
    rules = {rule["Id"]: rule for rule in lifecycle(synthesized_stage("prod").stateful, bucket)}
    assert rules["Retention"]["ExpirationInDays"] == 365
    assert rules["Retention"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rules["Retention"]["Status"] == "Enabled"
    assert rules["ExpiredDeleteMarkers"]["ExpiredObjectDeleteMarker"] is True
