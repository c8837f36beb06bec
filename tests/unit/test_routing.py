"""The routing rules engine: configuration, first match, explicit fields, reasons, keyword matching."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from kefu import deployment
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority
from kefu.routing import Contact, RoutingConfig, Sentiment, assess_emotion, infer_category, route, routing_config

BUILT_IN = RoutingConfig()


def _config(**data) -> RoutingConfig:
    return RoutingConfig.model_validate(data)


# --- rules -------------------------------------------------------------------------------------------------


def test_the_first_matching_rule_wins():
    # Given two rules that both match a technical contact
    config = _config(
        rules=[
            {"name": "tech-to-back-office", "match": {"categories": ["technical"]}, "group": "technical"},
            {"name": "everything-to-l2", "match": {}, "group": "l2", "priority": "P1"},
        ]
    )
    # When it is routed
    decision = route(Contact(body="The app crashes on start"), config)
    # Then only the first rule applies: its group, and the default priority since it sets none
    assert (decision.group, decision.priority, decision.rule) == ("technical", Priority.P3, "tech-to-back-office")


def test_a_later_rule_applies_when_the_earlier_one_does_not_match():
    config = _config(
        rules=[
            {"name": "vip", "match": {"tiers": ["vip"]}, "group": "vip"},
            {"name": "rest", "match": {}, "group": "l2"},
        ]
    )
    assert route(Contact(body="hello"), config).group == "l2"


def test_all_conditions_of_a_match_must_hold():
    # Given a rule for angry VIPs only
    config = _config(
        rules=[{"name": "angry-vip", "match": {"tiers": ["vip"], "sentiments": ["angry"]}, "group": "vip"}]
    )
    # When a calm VIP writes, then the rule does not apply
    assert route(Contact(body="Do you sell gift cards?", tier=Tier.VIP), config).group == "l1"
    # And when an angry VIP writes, it does
    assert route(Contact(body="This is ridiculous", tier=Tier.VIP), config).group == "vip"


def test_every_matching_raise_adds_its_steps_up_to_p1():
    # Given an angry, repeat contact from a VIP (three raises of one step) with a base priority of P3
    contact = Contact(body="Where is my parcel? This is ridiculous", tier=Tier.VIP, recentContacts=1)
    decision = route(contact, BUILT_IN)
    # Then it is P1, and the last raise is explained as not moving it further
    assert decision.priority == Priority.P1
    assert any(reason.startswith("priority stays P1, the highest") for reason in decision.reasons)


def test_a_repeat_contact_needs_the_configured_number_of_earlier_contacts():
    config = _config(repeat_threshold=2)
    assert route(Contact(body="Where is my parcel?", recentContacts=1), config).repeat is False
    assert route(Contact(body="Where is my parcel?", recentContacts=2), config).repeat is True


def test_a_first_contact_is_not_a_repeat_and_keeps_its_priority():
    decision = route(Contact(body="Where is my parcel?", recentContacts=0), BUILT_IN)
    assert (decision.repeat, decision.priority) == (False, Priority.P3)


def test_a_rule_can_match_on_channel_metadata():
    # Given a rule for the complaints mailbox
    config = _config(
        rules=[
            {
                "name": "complaints-mailbox",
                "match": {"metadata": {"mailbox": ["complaints", "ceo"]}},
                "group": "complaints",
            }
        ]
    )
    # Then mail to that mailbox goes to the complaints desk, and mail elsewhere does not
    assert (
        route(Contact(body="hello", channel=Channel.EMAIL, metadata={"mailbox": "ceo"}), config).group == "complaints"
    )
    assert route(Contact(body="hello", channel=Channel.EMAIL, metadata={"mailbox": "support"}), config).group == "l1"
    assert route(Contact(body="hello", channel=Channel.EMAIL), config).group == "l1"


def test_a_public_social_post_is_raised_but_a_private_message_is_not():
    public = Contact(body="My delivery is late", channel=Channel.SOCIAL, metadata={"public": True})
    private = Contact(body="My delivery is late", channel=Channel.SOCIAL, metadata={"public": False})
    assert route(public, BUILT_IN).priority == Priority.P2
    assert route(private, BUILT_IN).priority == Priority.P3


def test_a_rule_with_keywords_matches_only_when_one_is_found():
    config = _config(rules=[{"name": "fragile", "match": {"keywords": ["glass", "易碎"]}, "group": "logistics"}])
    assert route(Contact(body="The glasses arrived in pieces"), config).group == "logistics"
    assert route(Contact(body="易碎品请小心"), config).group == "logistics"
    assert route(Contact(body="The mugs arrived in pieces"), config).group == "l1"


# --- explicit fields ---------------------------------------------------------------------------------------


def test_a_category_given_by_the_caller_is_kept():
    # Given a contact whose text speaks of a refund but whose caller chose "payment"
    decision = route(Contact(body="When will my refund arrive?", category=Category.PAYMENT), BUILT_IN)
    # Then the category is the caller's, and the reason says so
    assert decision.category == Category.PAYMENT
    assert decision.reasons[0] == "category payment: given by the caller"


def test_a_category_given_by_the_caller_is_kept_even_when_a_rule_would_reclassify_it():
    # Given a logistics contact threatening 12315
    decision = route(Contact(body="再不到货我就打12315", category=Category.LOGISTICS), BUILT_IN)
    # Then it stays logistics but still goes to the complaints desk at P1
    assert (decision.category, decision.group, decision.priority) == (Category.LOGISTICS, "complaints", Priority.P1)
    assert any("kept (given by the caller)" in reason and "complaint" in reason for reason in decision.reasons)


def test_an_inferred_category_is_reclassified_by_a_rule():
    decision = route(Contact(body="Where is my parcel? I'm calling my lawyer"), BUILT_IN)
    assert decision.category == Category.COMPLAINT
    assert any(reason.startswith("category logistics→complaint: threat") for reason in decision.reasons)


def test_a_priority_given_by_the_caller_is_kept_against_rules_and_raises():
    # Given an angry VIP whose ticket an agent opened at P4
    decision = route(Contact(body="This is ridiculous", tier=Tier.VIP, priority=Priority.P4), BUILT_IN)
    # Then it stays P4, and the reason says what the rules would have made it
    assert decision.priority == Priority.P4
    assert "priority P4: given by the caller (the rules would make it P1)" in decision.reasons


def test_a_priority_given_by_the_caller_is_raised_by_a_threat():
    decision = route(Contact(body="I will take you to small claims court", priority=Priority.P4), BUILT_IN)
    assert decision.priority == Priority.P1
    assert any(
        reason.startswith("priority raised P4→P1 over the caller's choice: threat") for reason in decision.reasons
    )


def test_a_threat_never_lowers_a_priority_given_by_the_caller():
    config = _config(rules=[{"name": "threat", "match": {"threat": True}, "priority": "P3"}])
    assert route(Contact(body="I will call my lawyer", priority=Priority.P2), config).priority == Priority.P2


# --- reasons -----------------------------------------------------------------------------------------------


def test_the_category_reason_names_the_keyword_and_where_it_was_found():
    decision = route(Contact(subject="投诉客服", body="昨天打电话没人接"), BUILT_IN)
    assert decision.reasons[0] == "category complaint: matched keyword '投诉' in subject"


def test_the_category_reason_names_the_categories_lower_in_precedence():
    _, reason = infer_category("", "I was charged twice for order #5521", BUILT_IN)
    assert reason.endswith("(also matched order, lower in precedence)")


def test_the_priority_reason_quotes_the_angry_wording():
    decision = route(Contact(body="垃圾东西，用一天就坏了!!!"), BUILT_IN)
    assert "priority raised P3→P2: angry wording ('垃圾', '!!!') (raise 'angry')" in decision.reasons


def test_the_group_reason_names_the_condition_and_the_rule():
    decision = route(Contact(body="Do you sell gift cards?", tier=Tier.VIP), BUILT_IN)
    assert "group vip: customer tier vip (rule 'vip-desk')" in decision.reasons


def test_the_repeat_reason_counts_the_earlier_contacts():
    decision = route(Contact(body="Where is my parcel?", recentContacts=3), BUILT_IN)
    assert "priority raised P3→P2: repeat contact (3 earlier within 48 h) (raise 'repeat-contact')" in decision.reasons


def test_without_a_matching_rule_the_defaults_are_explained():
    decision = route(Contact(body="Where is my parcel?"), BUILT_IN)
    assert decision.rule is None
    assert "group l1: no routing rule sets a group (default)" in decision.reasons
    assert "priority P3: default" in decision.reasons


# --- emotion -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, sentiment",
    [
        ("Do you sell gift cards?", Sentiment.CALM),
        ("请问有没有大码", Sentiment.CALM),
        ("I'm really disappointed with the delay", Sentiment.NEGATIVE),
        ("很失望", Sentiment.NEGATIVE),
        ("Where is my order???", Sentiment.NEGATIVE),
        ("到底什么时候到？？？", Sentiment.NEGATIVE),
        ("I'm disappointed!!!", Sentiment.ANGRY),
        ("WHERE IS MY ORDER!!!", Sentiment.ANGRY),
        ("This is a scam", Sentiment.ANGRY),
        ("什么破玩意", Sentiment.ANGRY),
        ("我要去消费者协会", Sentiment.ANGRY),
    ],
)
def test_the_emotion_is_read_from_wording_punctuation_and_capitals(text, sentiment):
    assert assess_emotion("", text, BUILT_IN).sentiment == sentiment


def test_full_width_and_half_width_exclamation_marks_count_alike():
    for text in ("还没到！！！", "还没到!!!", "还没到！!！"):
        assert ("repeated punctuation", "!!!") in assess_emotion("", text, BUILT_IN).cues


def test_acronyms_and_order_numbers_are_not_shouting():
    emotion = assess_emotion("", "My UPS parcel SF1234567 for the USB hub", BUILT_IN)
    assert emotion.sentiment == Sentiment.CALM


def test_a_short_run_of_acronyms_is_not_shouting():
    assert assess_emotion("", "My HP USB DVD drive is not recognized", BUILT_IN).cues == []


def test_a_run_of_capitals_is_shouting():
    emotion = assess_emotion("", "I WANT MY MONEY BACK", BUILT_IN)
    assert ("shouting", "I WANT MY MONEY BACK") in emotion.cues


@pytest.mark.parametrize("text", ["打12315投诉", "I'll report you", "Filing a chargeback", "我要找媒体曝光", "律师函"])
def test_threats_are_recognized_in_both_languages(text):
    assert assess_emotion("", text, BUILT_IN).threat is True


# --- keyword matching --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["I want a refund", "Two REFUNDS please", "I was never refunded", "Refunding now?"])
def test_english_keywords_match_their_inflections_whatever_the_case(text):
    assert infer_category("", text, BUILT_IN)[0] == Category.AFTER_SALES


def test_english_keywords_match_whole_words_only():
    # "returnable" is not "return", "bugle" is not "bug"
    assert infer_category("", "Is the bugle returnable?", BUILT_IN)[0] == Category.CONSULTATION


def test_an_english_keyword_inside_a_longer_word_is_not_found():
    # "sue" is in "issue": no threat here
    assert assess_emotion("", "There is an issue with my order", BUILT_IN).threat is False


@pytest.mark.parametrize("text", ["Why are you charging me twice?", "The fee was charged again"])
def test_english_keywords_ending_in_e_match_their_inflections(text):
    assert infer_category("", text, BUILT_IN)[0] == Category.PAYMENT


def test_chinese_keywords_match_inside_a_sentence():
    assert infer_category("", "我想把这件衣服退货可以吗", BUILT_IN)[0] == Category.AFTER_SALES


def test_english_keywords_match_next_to_chinese_characters():
    assert infer_category("", "我的app一直crash了", BUILT_IN)[0] == Category.TECHNICAL


def test_full_width_latin_letters_match_english_keywords():
    assert infer_category("", "ＲＥＦＵＮＤ please", BUILT_IN)[0] == Category.AFTER_SALES


def test_the_category_precedence_is_configurable():
    text = "I was charged twice for order #5521"
    assert infer_category("", text, _config(category_precedence=["order", "payment"]))[0] == Category.ORDER
    assert infer_category("", text, BUILT_IN)[0] == Category.PAYMENT


def test_keywords_are_compiled_once_per_configuration():
    config = _config()
    assert config.compiled is config.compiled


# --- configuration -----------------------------------------------------------------------------------------


def test_an_unknown_top_level_key_is_refused_by_name():
    with pytest.raises(ValidationError, match="default_groupp"):
        _config(default_groupp="l2")


def test_an_unknown_key_inside_a_rule_is_refused_by_name():
    with pytest.raises(ValidationError, match=r"rules\.0\.match\.tierz"):
        _config(rules=[{"name": "vip", "match": {"tierz": ["vip"]}, "group": "vip"}])


def test_a_rule_that_sets_nothing_is_refused():
    with pytest.raises(ValidationError, match="sets nothing"):
        _config(rules=[{"name": "idle", "match": {"tiers": ["vip"]}}])


def test_rule_names_must_be_unique():
    with pytest.raises(ValidationError, match="vip given more than once"):
        _config(rules=[{"name": "vip", "group": "vip"}, {"name": "vip", "group": "l2"}])


def test_a_custom_configuration_changes_routing():
    # Given a desk that sends every logistics contact to its logistics department at P2
    config = _config(
        rules=[{"name": "logistics", "match": {"categories": ["logistics"]}, "group": "logistics", "priority": "P2"}]
    )
    decision = route(Contact(body="我的快递三天了还没到"), config)
    assert (decision.group, decision.priority) == ("logistics", Priority.P2)
    assert route(Contact(body="我的快递三天了还没到"), BUILT_IN).group == "l1"


def test_a_keyword_list_left_out_keeps_its_built_in_value():
    config = _config(categories={"suggestion": ["wish"]})
    assert infer_category("", "I wish you had a dark mode", config)[0] == Category.SUGGESTION
    assert infer_category("", "I want a refund", config)[0] == Category.AFTER_SALES


@pytest.fixture
def deployment_file(tmp_path, monkeypatch):
    def write(document: dict) -> None:
        path = tmp_path / "deployment.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployment.reload()

    yield write
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def test_the_routing_configuration_is_read_from_the_deployment_document(deployment_file):
    deployment_file({"routing": {"default_group": "frontline"}})
    assert routing_config().default_group == "frontline"
    assert route(Contact(body="hello")).group == "frontline"


def test_without_a_routing_key_the_built_in_configuration_applies(deployment_file):
    deployment_file({"groups": {}})
    assert routing_config() == RoutingConfig()


def test_a_new_deployment_document_is_read_after_a_reload(deployment_file):
    deployment_file({"routing": {"default_group": "first"}})
    assert routing_config().default_group == "first"
    deployment_file({"routing": {"default_group": "second"}})
    assert routing_config().default_group == "second"
