"""Functions run in one local process log as each would in its own Lambda: no key of one on another's lines."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path

import pytest

from kefu.observability import logger
from kefu_local.runtime import LocalFunction

WATCHER = """
from kefu.observability import logger

@logger.inject_lambda_context
def lambda_handler(event, context):
    logger.append_keys(campaign_id="daily-csat-survey")
    logger.warning("watched")
    return "ok"
"""
MAIL = """
from kefu.observability import logger

@logger.inject_lambda_context
def lambda_handler(event, context):
    logger.warning("mail taken")
    return "ok"
"""
PLAIN = """
from kefu.observability import logger

def lambda_handler(event, context):
    logger.warning("no context injected")
    return "ok"
"""


@pytest.fixture
def lines():
    """The JSON log lines the shared Logger writes, as Powertools formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger._logger.removeHandler(handler)


def function(tmp_path: Path, name: str, source: str) -> LocalFunction:
    path = tmp_path / name / "handler.py"
    path.parent.mkdir()
    path.write_text(source)
    return LocalFunction(name, path)


def test_a_function_logs_without_the_keys_another_function_appended(tmp_path, lines):
    watcher = function(tmp_path, "kefu-escalation-watcher", WATCHER)
    mail = function(tmp_path, "kefu-email-inbound", MAIL)

    watcher({})
    mail({})

    watched, taken = lines()
    assert (watched["function_name"], watched["campaign_id"]) == ("kefu-escalation-watcher", "daily-csat-survey")
    assert taken["function_name"] == "kefu-email-inbound"
    assert "campaign_id" not in taken


def test_a_handler_without_injected_context_carries_no_other_functions_keys(tmp_path, lines):
    watcher = function(tmp_path, "kefu-escalation-watcher", WATCHER)
    plain = function(tmp_path, "kefu-plain", PLAIN)

    watcher({})
    plain({})

    line = lines()[-1]
    assert line["message"] == "no context injected"
    assert "function_name" not in line and "campaign_id" not in line
    assert line["service"] == "kefu"


def test_functions_running_at_once_in_two_threads_keep_their_own_keys(tmp_path, lines):
    watcher = function(tmp_path, "kefu-escalation-watcher", WATCHER)
    mail = function(tmp_path, "kefu-email-inbound", MAIL)

    threads = [threading.Thread(target=f, args=({},)) for f in (watcher, mail) * 20]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for line in lines():
        if line["message"] == "mail taken":
            assert line["function_name"] == "kefu-email-inbound" and "campaign_id" not in line
        else:
            assert line["function_name"] == "kefu-escalation-watcher"
