"""kefu's settings (kefu.config): one typed object, read from the environment once, every variable named there."""

from __future__ import annotations

import os

import pytest

from kefu import config
from kefu.config import InvalidSettings, reload_settings, settings


def test_without_a_variable_a_setting_has_its_default(monkeypatch):
    monkeypatch.delenv(config.DEFAULT_GROUP_VAR, raising=False)
    monkeypatch.delenv(config.REVISIT_BUCKET_VAR, raising=False)

    assert settings().default_group == "l1"
    assert settings().revisit_bucket is None


def test_a_variable_set_to_blanks_counts_as_unset(monkeypatch):
    monkeypatch.setenv(config.DEFAULT_GROUP_VAR, "  ")
    monkeypatch.setenv(config.PUBLIC_API_URL_VAR, "")

    assert settings().default_group == "l1"
    assert settings().public_api_url is None


def test_values_are_typed_and_trimmed(monkeypatch):
    monkeypatch.setenv(config.MAX_PAGE_SIZE_VAR, " 40 ")
    monkeypatch.setenv(config.REVISIT_BUCKET_VAR, " kefu-work \n")

    assert settings().max_page_size == 40
    assert settings().revisit_bucket == "kefu-work"


def test_lambdas_region_comes_before_the_sdks_default_region(monkeypatch):
    monkeypatch.setenv(config.REGION_VAR, "ap-east-1")
    monkeypatch.setenv(config.DEFAULT_REGION_VAR, "us-east-1")
    assert settings().region == "ap-east-1"

    monkeypatch.delenv(config.REGION_VAR)
    assert settings().region == "us-east-1"


def test_the_dynamodb_endpoint_is_its_own_variable_else_the_general_endpoint(monkeypatch):
    monkeypatch.setenv(config.ENDPOINT_VAR, "http://127.0.0.1:4566")
    assert settings().dynamodb_endpoint == "http://127.0.0.1:4566"

    monkeypatch.setenv(config.DYNAMODB_ENDPOINT_VAR, "http://127.0.0.1:8000")
    assert settings().dynamodb_endpoint == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (config.MAX_BODY_BYTES_VAR, "lots"),
        (config.DEFAULT_PAGE_SIZE_VAR, "0"),
        (config.TIME_SCALE_VAR, "0.5"),
        (config.TIME_ORIGIN_VAR, "inf"),
    ],
)
def test_a_value_kefu_cannot_use_is_refused_naming_its_variable_and_the_value(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(InvalidSettings) as refused:
        settings()

    assert name in str(refused.value) and repr(value) in str(refused.value)


def test_settings_are_read_once_until_reloaded(monkeypatch):
    monkeypatch.setenv(config.STAGE_VAR, "qa")
    assert settings().stage == "qa"

    # Changed behind kefu's back (monkeypatch.setenv would make them be read again)
    monkeypatch.setitem(os.environ, config.STAGE_VAR, "prod")
    assert settings().stage == "qa"

    reload_settings()
    assert settings().stage == "prod"


def test_every_setting_is_read_from_a_variable_named_once():
    names = config.variable_names()

    assert len(names) == len(set(names))
    assert all(name.startswith(("KEFU_", "AWS_")) for name in names)
    assert {config.TABLE_VAR, config.SURVEY_SECRET_ARN_VAR, config.INTAKE_DEAD_LETTER_URL_VAR} <= set(names)
