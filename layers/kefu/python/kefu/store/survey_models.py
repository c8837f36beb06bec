"""The table's survey and revisit kinds (kefu.store.surveys, kefu.store.campaign_runs): surveys, their answers
and links, a customer's results, campaign runs and their targets. Apart from kefu.store.models, which says why."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.models import KefuItem


class SurveyItem(KefuItem, discriminator="survey"):
    """A revisit survey: pk=SURVEY#<id>, sk=SURVEY; under its campaign in gsi1 (CAMPAIGN#<campaign>)."""

    survey_id = UnicodeAttribute(attr_name="id")
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    campaign_id = UnicodeAttribute(attr_name="campaignId")
    channel = UnicodeAttribute()  # email | phone
    status = UnicodeAttribute()  # sent | answered
    issued_at = UtcDateTimeAttribute(attr_name="issuedAt")
    expires_at = UtcDateTimeAttribute(attr_name="expiresAt")
    answered_at = UtcDateTimeAttribute(attr_name="answeredAt", null=True)
    csat = NumberAttribute(null=True)
    nps = NumberAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    follow_up_ticket_id = UnicodeAttribute(attr_name="followUpTicketId", null=True)


class SurveyAnswerItem(KefuItem, discriminator="survey_answer"):
    """A survey's answer: pk=SURVEY#<id>, sk=ANSWER, written only if new, in the transaction that puts the answer
    on the ticket's timeline: a survey is answered once."""

    survey_id = UnicodeAttribute(attr_name="surveyId")
    csat = NumberAttribute()
    nps = NumberAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    answered_at = UtcDateTimeAttribute(attr_name="answeredAt")
    recorded_by = UnicodeAttribute(attr_name="recordedBy")


class SurveyLinkItem(KefuItem, discriminator="survey_link"):
    """A survey's ticket of a kind: pk=SURVEY#<id>, sk=TASK (its phone-revisit task) or FOLLOWUP (the ticket a low
    score opened), each written only if new; and back from a task: pk=TICKET#<task id>, sk=REVISIT → its survey."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    survey_id = UnicodeAttribute(attr_name="surveyId")


class CustomerSurveyItem(KefuItem, discriminator="customer_survey"):
    """A survey result on the customer's record: pk=CUST#<id>, sk=SURVEY#<answeredAt>#<ticket id>."""

    survey_id = UnicodeAttribute(attr_name="surveyId")
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    campaign_id = UnicodeAttribute(attr_name="campaignId")
    channel = UnicodeAttribute()
    csat = NumberAttribute()
    nps = NumberAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    answered_at = UtcDateTimeAttribute(attr_name="answeredAt")


# --- revisit campaign runs (kefu.store.campaign_runs) --------------------------------------------------------


class CampaignRunItem(KefuItem, discriminator="campaign_run"):
    """One run of a revisit campaign: pk=CAMPAIGN#<campaign>, sk=RUN#<run id>. Its counters move by atomic ADDs, a
    batch's once (`countedBatches`); the report sets the final totals from the run's targets."""

    campaign_id = UnicodeAttribute(attr_name="campaignId")
    run_id = UnicodeAttribute(attr_name="runId")
    scheduled_at = UtcDateTimeAttribute(attr_name="scheduledAt")
    status = UnicodeAttribute()  # sending | finished | failed
    started_at = UtcDateTimeAttribute(attr_name="startedAt")
    finished_at = UtcDateTimeAttribute(attr_name="finishedAt", null=True)
    send_at = UtcDateTimeAttribute(attr_name="sendAt", null=True)
    considered = NumberAttribute(default=0)
    selected = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    responses = NumberAttribute(default=0)
    #: Tickets of the window not selected, by rule (kefu.revisits.selection reasons, `customer`, `contact`).
    excluded = CompactJSONAttribute(default=dict)
    #: Targets skipped or failed when sent, by reason rule (set by the report).
    reasons = CompactJSONAttribute(default=dict)
    counted_batches = UnicodeSetAttribute(attr_name="countedBatches", null=True)
    items_key = UnicodeAttribute(attr_name="itemsKey", null=True)
    error = UnicodeAttribute(null=True)


class RunTargetItem(KefuItem, discriminator="run_target"):
    """What a campaign run did for one target: pk=RUN#<campaign>#<run id>, sk=TARGET#<ticket id>."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    outcome = UnicodeAttribute()  # sent | failed | skipped
    reason = UnicodeAttribute(null=True)
    survey_id = UnicodeAttribute(attr_name="surveyId", null=True)
    task_id = UnicodeAttribute(attr_name="taskId", null=True)
    message_id = UnicodeAttribute(attr_name="messageId", null=True)
    at = UtcDateTimeAttribute()


class SurveyRunItem(KefuItem, discriminator="survey_run"):
    """The campaign run a survey went out in: pk=SURVEY#<id>, sk=RUN (its answer counts as the run's response)."""

    campaign_id = UnicodeAttribute(attr_name="campaignId")
    run_id = UnicodeAttribute(attr_name="runId")
