"""Answers back on every channel: kefu's EventBridge bus, and one rule and SQS queue per configured contact channel.

The outbound dispatcher (`functions/email_outbound`, built by capabilities/email.py) already reads every timeline
entry that may go to a customer from the domain table's stream, to mail it. It now also puts each public reply,
status change and survey request on the bus `kefu-<stage>` (source `kefu`, detail types `kefu.ticket.replied`,
`kefu.ticket.status-changed`, `kefu.survey.requested`; schemas in `events/`). Reading the stream once more in a
function of its own would make a third reader of its shards, which DynamoDB Streams throttles past two; one
dispatcher with two ways out (SES, PutEvents), each idempotent on the entry, does not.

Each channel in the stage configuration's `channels` (phone, chat, social, app, feedback) gets:

- a rule on the bus matching that channel's events (`detail.channel`), targeting
- a queue its contact system consumes (encrypted, TLS only), the event JSON as each message's body, whose
  messages received five times without being deleted are parked in
- a dead-letter queue, which also takes the events EventBridge could not deliver to the queue (after its retries),
  alarmed on depth and on age.

Events reach a queue in no guaranteed order; `detail.sequence` orders a ticket's events and `detail.eventId`
dedupes them. A ticket whose channel has no queue configured still has its events put on the bus, where no rule
takes them; the dispatcher reports that on the ticket's timeline and in the metric ChannelDeliveryFailed, alarmed
here.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu.channels.config import SOURCE, ChannelTarget
from kefu.channels.events import DETAIL_TYPES
from kefu.config import EVENT_BUS_VAR
from kefu.model.tickets import Channel
from kefu_infra.capabilities.dead_letters import dead_letter_queue
from kefu_infra.capabilities.monitoring import PERIOD, Monitoring

#: A message its consumer received this many times without deleting it is parked in the dead-letter queue.
MAX_RECEIVES = 5
#: How often, and for how long, EventBridge retries a delivery to a queue before it dead-letters the event.
DELIVERY_RETRIES = 10
DELIVERY_MAX_AGE = Duration.hours(2)


class Channels(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        channels: dict[Channel, ChannelTarget],
        dispatcher: lambda_.Function,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=prefix)
        self.bus.grant_put_events_to(dispatcher)
        dispatcher.add_environment(EVENT_BUS_VAR, self.bus.event_bus_name)
        self.queues: dict[Channel, sqs.Queue] = {}
        self.dead_letters: dict[Channel, sqs.Queue] = {}
        for channel, target in channels.items():
            self._add_channel(channel, target, monitoring)
        monitoring.alarm_on(
            "channel-delivery-failed",
            cw.Metric(
                namespace="kefu",
                metric_name="ChannelDeliveryFailed",
                dimensions_map={"service": "kefu"},
                period=PERIOD,
                statistic="Sum",
            ),
            "An answer, status change or survey request was for a channel with no target configured: the customer "
            "was not told (the ticket's timeline says which). Add the channel to the stage's `channels`.",
        )

    def _add_channel(self, channel: Channel, target: ChannelTarget, monitoring: Monitoring) -> None:
        name = channel.value.capitalize()
        dead_letters = dead_letter_queue(
            self,
            f"{name}DeadLetters",
            holds=f"the {channel} channel's outbound events",
        )
        queue = sqs.Queue(
            self,
            f"{name}Queue",
            retention_period=Duration.days(target.retention_days),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=MAX_RECEIVES),
        )
        events.Rule(
            self,
            f"{name}Rule",
            event_bus=self.bus,
            description=f"kefu's answers, status changes and survey requests for the {channel} channel "
            f"({target.consumer})",
            event_pattern=events.EventPattern(
                source=[SOURCE], detail_type=list(DETAIL_TYPES), detail={"channel": [channel.value]}
            ),
            targets=[
                targets.SqsQueue(
                    queue,
                    dead_letter_queue=dead_letters,
                    retry_attempts=DELIVERY_RETRIES,
                    max_event_age=DELIVERY_MAX_AGE,
                )
            ],
        )
        self.queues[channel] = queue
        self.dead_letters[channel] = dead_letters
        monitoring.watch_queue(f"channel-{channel}", queue)
        monitoring.watch_dead_letter_queue(f"channel-{channel}", dead_letters)
        monitoring.watch_dead_letter_age(f"channel-{channel}", dead_letters)
