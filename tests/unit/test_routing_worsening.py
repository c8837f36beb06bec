"""A customer's later messages read for emotion: the sentiment follows them, a worsening raises priority once."""

from __future__ import annotations

import pytest

from kefu.model.tickets import Priority
from kefu.routing import RoutingConfig, Sentiment, reassess

BUILT_IN = RoutingConfig()


def _read(body: str, sentiment: str | None = "calm", *, threat=False, priority=Priority.P3, raised=False):
    return reassess(body, sentiment=sentiment, threat=threat, priority=priority, already_raised=raised, config=BUILT_IN)


@pytest.mark.parametrize(
    "body",
    [
        "你们这是什么破服务，垃圾！",  # zh-Hans, angry
        "你們這是什麼破服務，垃圾！",  # zh-Hant, the same
        "This is ridiculous, the worst service ever",  # en
    ],
)
def test_an_angry_message_on_a_calm_ticket_is_a_worsening_that_raises_priority_one_step(body):
    found = _read(body)
    assert found.emotion.sentiment is Sentiment.ANGRY
    assert (found.worsened, found.priority) == (True, Priority.P2)
    assert "priority raised P3→P2" in found.reason


@pytest.mark.parametrize(
    "body",
    ["我要投诉到消费者协会", "我要投訴到消費者協會", "I will report you to the consumer protection office"],
)
def test_a_first_threat_raises_priority_to_p1(body):
    found = _read(body, "negative", priority=Priority.P3)
    assert found.emotion.threat is True
    assert (found.worsened, found.priority) == (True, Priority.P1)
    assert "a new threat" in found.reason


def test_a_threat_the_ticket_already_knew_is_not_a_new_worsening():
    found = _read("我要投诉到消费者协会", "angry", threat=True, priority=Priority.P1)
    assert (found.worsened, found.priority, found.changed) == (False, Priority.P1, False)


@pytest.mark.parametrize(
    "body",
    ["还是很失望，到现在还没收到", "還是很失望，到現在還沒收到", "Still waiting, very disappointed"],
)
def test_negative_wording_on_a_calm_ticket_is_a_worsening(body):
    found = _read(body)
    assert found.emotion.sentiment is Sentiment.NEGATIVE
    assert (found.worsened, found.priority) == (True, Priority.P2)


def test_a_ticket_raised_once_for_a_worsening_is_never_raised_again():
    found = _read("垃圾服务，骗子！", "negative", priority=Priority.P2, raised=True)
    assert (found.worsened, found.priority) == (True, Priority.P2)
    assert "already raised once" in found.reason


@pytest.mark.parametrize("body", ["好的，谢谢", "好的，謝謝", "Thanks, that helps"])
def test_a_calmer_message_changes_the_sentiment_without_a_worsening(body):
    found = _read(body, "angry")
    assert found.emotion.sentiment is Sentiment.CALM
    assert (found.worsened, found.changed, found.priority) == (False, True, Priority.P3)


def test_a_calm_message_on_a_calm_ticket_changes_nothing():
    assert _read("Order 1042, please check").changed is False


def test_p1_stays_p1_however_worse_it_gets():
    found = _read("Unacceptable, you are useless", "calm", priority=Priority.P1)
    assert (found.worsened, found.priority) == (True, Priority.P1)
    assert "stays P1, the highest" in found.reason


def test_a_ticket_never_assessed_counts_as_calm():
    assert _read("还是很失望", None).worsened is True
    assert _read("Thanks", None).changed is True  # the sentiment is recorded for the first time
