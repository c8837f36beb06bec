"""kefu's outbound dispatcher: the domain table's stream, filtered by the event source mapping to the timeline
entries that may go to a customer, each delivered at most once on its ways out:

- by e-mail (kefu.email.outbound): agents' public replies on e-mail tickets, and the opening message of a ticket
  opened by e-mail, for its acknowledgement;
- as an outbound event on kefu's EventBridge bus (kefu.channels.publisher): every public reply, status change and
  survey request, whatever the channel; the bus's rule for the ticket's channel sends it to that channel's queue.

One consumer of the stream for both, rather than one each: DynamoDB Streams throttles a shard read by more than
two consumers at once (infra/kefu_infra/capabilities/channels.py says more).

A record whose sending or publishing failed (SES or EventBridge refused or throttled, DynamoDB unavailable) is
reported as a batch item failure; Lambda retries from it, bisecting the batch, a limited number of times, then hands
it to the on-failure queue. Records retried after one that failed were already handled: idempotency on the entry
(for mail and for events, each on its own) keeps them from going twice.
"""

from __future__ import annotations

import gc

# Off through the init and the first invocation (kefu.first_invocation): the first mail builds three botocore clients
# (DynamoDB, SES v2, EventBridge) and the models its records are read into, which the collector walked again and again.
gc.disable()
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Any

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.batches import DYNAMODB_STREAMS, Batch, PartialItemFailureResponse
from kefu.channels import events, publisher
from kefu.email import outbound
from kefu.first_invocation import collector_on_after_first_invocation
from kefu.model.tickets import TimelineEntry
from kefu.observability import logger, metrics, tracer
from kefu.tickets.reads import TicketReads


class OutboundBatch(Batch):
    def failed(self, record: Any, error: Exception) -> bool:
        metric = "EventsFailed" if isinstance(error, publisher.PublishFailed) else "MailSendsFailed"
        metrics.add_metric(name=metric, unit="Count", value=1)
        return super().failed(record, error)


batch = OutboundBatch(DYNAMODB_STREAMS, failure_log="outbound record failed")

# The new image read as Powertools' `DynamoDBRecord` data class read it, with its deserializer; not the data class
# itself (importing it runs the package of every event source's data class) nor its parser model (importing
# `DynamoDBStreamRecordModel` builds every event source's models: about a third of this function's cold start).
_deserializer = TypeDeserializer()


def _new_image(record: dict[str, Any]) -> dict[str, Any]:
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    return {name: _deserializer.deserialize(value) for name, value in image.items()}


@tracer.capture_method
def record_handler(record: dict[str, Any]) -> dict:
    entries = outbound.written_entries(_new_image(record))
    if not entries:
        logger.info("not a timeline entry: nothing to send", extra={"eventID": record.get("eventID")})
        return {"sent": False, "reason": "not-a-timeline-entry"}
    # An item's first entry is what the filters passed it for; one packed behind it may be an event too (the status
    # change an agent's first reply made, kefu.store.tickets._packs), published after it. The ticket and its customer
    # are read once for all of them, for this record only.
    reads = TicketReads(entries[0].ticketId)
    result = entry_handler(entries[0], reads)
    for packed in entries[1:]:
        if events.detail_type(packed) is not None:
            result.setdefault("packed", []).append(entry_handler(packed, reads))
    return result


def entry_handler(entry: TimelineEntry, reads: TicketReads) -> dict:
    mail, event = outbound.mail_kind(entry), events.detail_type(entry)
    if mail is None and event is None:
        # A survey's answer, say: the filters cannot read inside an entry's data to leave it out.
        return {"sent": False, "reason": "not-for-the-customer"}
    result: dict[str, Any] = {}
    if mail is not None:
        delivery = outbound.deliver_once(entry, reads)
        logger.info("outbound mail", extra=delivery.model_dump(mode="json"))
        if delivery.sent:
            metrics.add_metric(name="MailSent", unit="Count", value=1)
        elif delivery.reason == "send-uncertain":
            metrics.add_metric(name="MailSendUncertain", unit="Count", value=1)
        result = delivery.model_dump(mode="json")
    if event is not None:
        publication = publisher.publish_once(entry, reads)
        logger.info("outbound event", extra=publication.model_dump(mode="json"))
        if publication.published:
            metrics.add_metric(name="EventsPublished", unit="Count", value=1)
        result = {**result, "event": publication.model_dump(mode="json")}
    return result


@collector_on_after_first_invocation
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    outbound.idempotency_config().register_lambda_context(context)
    publisher.idempotency_config().register_lambda_context(context)
    return batch.process(event, record_handler)
