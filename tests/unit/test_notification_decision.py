"""Whether, how, when and in which language a customer is told of their ticket (kefu.notifications.decision), on a
held clock: every decision is a function of the moment it is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from kefu.model.customer_records import ContactPreferences, Language, NotifyBy
from kefu.model.notifications import Notice, NoticeKind, NoticeState, Recipient
from kefu.model.tickets import Channel
from kefu.notifications import templates
from kefu.notifications.config import NotificationSettings
from kefu.notifications.decision import Action, channel_for, decide, language_for
from kefu.revisits.config import QuietHours

# 10:00 in Shanghai: outside the desk's quiet hours (22:00-08:00).
NOON_ISH = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
# 23:30 in Shanghai.
LATE = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
CONFIG = NotificationSettings(
    min_interval_minutes=15, quiet_hours=QuietHours(start="22:00", end="08:00", timezone="Asia/Shanghai")
)


def notice(kind: NoticeKind = NoticeKind.REPLY, entry: str = "0000000004-00") -> Notice:
    return Notice(eventId=f"TK-7F3K9Q2M/{entry}", ticketId="TK-7F3K9Q2M", kind=kind, at=NOON_ISH, text="Refunded.")


def recipient(
    email: str | None = "ann@example.com", phone: str | None = "+8613800138000", language=None, **preferences
) -> Recipient:
    return Recipient(
        customer_id="cust-1",
        name="Ann",
        email=email,
        phone=phone,
        language=language,
        preferences=ContactPreferences(**preferences),
    )


def decision_for(
    the_notice: Notice | None = None,
    *,
    who: Recipient | None = None,
    state: NoticeState | None = None,
    at: datetime = NOON_ISH,
    channel: Channel = Channel.CHAT,
    text: str = "Where is my parcel?",
    config: NotificationSettings = CONFIG,
    waking: bool = False,
):
    return decide(
        the_notice or notice(),
        ticket_channel=channel,
        ticket_text=text,
        recipient=who if who is not None else recipient(),
        state=state or NoticeState(),
        now=at,
        config=config,
        waking=waking,
    )


# --- preference ------------------------------------------------------------------------------------------------


def test_a_customer_without_a_preference_is_told_by_email_when_kefu_knows_their_address():
    assert channel_for(recipient()) is NotifyBy.EMAIL


def test_a_customer_without_an_address_is_told_by_sms_when_kefu_knows_their_number():
    assert channel_for(recipient(email=None)) is NotifyBy.SMS


def test_a_customer_kefu_can_reach_neither_way_is_told_in_the_app():
    assert channel_for(recipient(email=None, phone=None)) is NotifyBy.APP


def test_a_customer_who_refuses_email_is_texted_instead():
    assert channel_for(recipient(**{"email": False})) is NotifyBy.SMS


def test_the_customers_own_choice_wins_over_the_default():
    assert channel_for(recipient(notifyBy=NotifyBy.SMS)) is NotifyBy.SMS
    assert channel_for(recipient(notifyBy=NotifyBy.APP)) is NotifyBy.APP


def test_a_chosen_channel_kefu_has_no_contact_point_for_falls_back_to_the_default():
    assert channel_for(recipient(phone=None, notifyBy=NotifyBy.SMS)) is NotifyBy.EMAIL


def test_choosing_a_channel_the_customer_refuses_is_refused():
    with pytest.raises(ValidationError, match="notifyBy is sms but phone is false"):
        ContactPreferences(phone=False, notifyBy=NotifyBy.SMS)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        ContactPreferences(timeZone="Mars/Olympus")


def test_a_customer_who_opted_out_is_not_notified():
    decision = decision_for(who=recipient(notifications=False))

    assert decision.action is Action.OPTED_OUT


def test_an_agents_reply_on_an_email_ticket_is_not_mailed_twice():
    decision = decision_for(channel=Channel.EMAIL)

    assert (decision.action, decision.reason) == (Action.SKIP, "carried-by-the-email-channel")


def test_an_email_ticket_waiting_on_the_customer_is_still_told_by_email():
    decision = decision_for(notice(NoticeKind.PENDING), channel=Channel.EMAIL)

    assert (decision.action, decision.channel) == (Action.SEND, NotifyBy.EMAIL)


def test_an_email_ticket_whose_customer_prefers_sms_is_texted_of_the_reply():
    decision = decision_for(who=recipient(notifyBy=NotifyBy.SMS), channel=Channel.EMAIL)

    assert (decision.action, decision.channel) == (Action.SEND, NotifyBy.SMS)


def test_an_app_ticket_is_not_pushed_twice_since_the_app_channel_carries_its_events():
    decision = decision_for(who=recipient(notifyBy=NotifyBy.APP), channel=Channel.APP)

    assert decision.action is Action.SKIP


def test_no_customer_record_means_no_notice():
    decision = decide(
        notice(),
        ticket_channel=Channel.CHAT,
        ticket_text="x",
        recipient=None,
        state=NoticeState(),
        now=NOON_ISH,
        config=CONFIG,
    )

    assert (decision.action, decision.reason) == (Action.SKIP, "no-customer-record")


def test_notifications_turned_off_for_the_stage_send_nothing():
    decision = decision_for(config=NotificationSettings(enabled=False))

    assert (decision.action, decision.reason) == (Action.SKIP, "notifications-off")


# --- duplicates --------------------------------------------------------------------------------------------------


def test_an_event_handled_before_is_a_duplicate():
    decision = decision_for(state=NoticeState(handled=("TK-7F3K9Q2M/0000000004-00",), version=1))

    assert decision.action is Action.DUPLICATE


def test_the_event_waiting_is_a_duplicate_when_it_comes_again():
    state = NoticeState(pending=notice(), due=NOON_ISH + timedelta(minutes=5), version=1)

    assert decision_for(state=state).action is Action.DUPLICATE


# --- rate limit --------------------------------------------------------------------------------------------------


def test_a_second_notice_within_the_interval_waits_for_its_end():
    state = NoticeState(last_sent_at=NOON_ISH - timedelta(minutes=5), handled=("TK-7F3K9Q2M/0000000001-00",), version=1)

    decision = decision_for(state=state)

    assert (decision.action, decision.reason) == (Action.DEFER, "rate-limited")
    assert decision.due == NOON_ISH + timedelta(minutes=10)


def test_a_notice_after_the_interval_goes_at_once():
    state = NoticeState(last_sent_at=NOON_ISH - timedelta(minutes=15), version=1)

    assert decision_for(state=state).action is Action.SEND


def test_a_notice_while_another_waits_takes_its_place_and_its_time():
    due = NOON_ISH + timedelta(minutes=7)
    state = NoticeState(pending=notice(entry="0000000003-00"), due=due, version=2)

    decision = decision_for(notice(NoticeKind.RESOLVED, entry="0000000005-00"), state=state)

    assert (decision.action, decision.reason, decision.due) == (Action.DEFER, "coalesced", due)


def test_the_waiting_notice_is_sent_when_its_wake_up_comes():
    due = NOON_ISH
    waiting = notice()
    state = NoticeState(last_sent_at=NOON_ISH - timedelta(minutes=15), pending=waiting, due=due, version=2)

    decision = decision_for(waiting, state=state, waking=True)

    assert decision.action is Action.SEND


# --- quiet hours -------------------------------------------------------------------------------------------------


def test_a_notice_in_quiet_hours_is_deferred_to_their_end_in_the_desks_time_zone():
    decision = decision_for(at=LATE)

    assert (decision.action, decision.reason) == (Action.DEFER, "quiet-hours")
    assert decision.due == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def test_quiet_hours_count_in_the_customers_own_time_zone_when_they_gave_one():
    # 23:30 in Shanghai is 16:30 in Paris: not quiet there.
    decision = decision_for(who=recipient(timeZone="Europe/Paris"), at=LATE)

    assert decision.action is Action.SEND


def test_a_rate_limited_notice_that_would_fall_in_quiet_hours_waits_for_their_end():
    just_before = datetime(2026, 12, 3, 13, 55, tzinfo=UTC)  # 21:55 in Shanghai
    state = NoticeState(last_sent_at=just_before - timedelta(minutes=1), version=1)

    decision = decision_for(state=state, at=just_before)

    assert decision.due == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)


def test_a_stage_without_quiet_hours_sends_at_night():
    assert decision_for(at=LATE, config=NotificationSettings()).action is Action.SEND


# --- language ----------------------------------------------------------------------------------------------------


def test_the_customers_preferred_language_is_the_notices():
    assert language_for(recipient(language=Language.ZH_HANT), "Where is my parcel?") is Language.ZH_HANT


def test_without_a_preference_a_simplified_chinese_ticket_gets_simplified_chinese():
    assert language_for(recipient(), "快递一直没收到") is Language.ZH_HANS


def test_without_a_preference_a_traditional_chinese_ticket_gets_traditional_chinese():
    assert language_for(recipient(), "快遞一直沒收到，我要投訴") is Language.ZH_HANT


def test_without_a_preference_an_english_ticket_gets_english():
    assert language_for(recipient(), "My parcel never came") is Language.EN


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_notice_has_its_words_in_every_language(language, kind):
    words = templates.words(language, kind, ticket_id="TK-7F3K9Q2M", subject="Broken lid", answer="We reship.")

    assert "TK-7F3K9Q2M" in words.subject + words.sms
    assert all((words.subject, words.mail, words.sms, words.push))
    assert len(words.sms.encode("utf-16-le")) <= 2 * 140  # two SMS parts at most (UCS-2 for Chinese)


def test_a_reply_notice_by_mail_carries_the_answer_and_data_is_never_read_as_a_template():
    words = templates.words(
        Language.EN, NoticeKind.REPLY, ticket_id="TK-7F3K9Q2M", subject="{ticket_id}", answer="{subject.__class__}"
    )

    assert "{subject.__class__}" in words.mail
    assert "({ticket_id})" in words.mail
