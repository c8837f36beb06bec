"""Monitoring: one dashboard per stage, alarms on what needs a person, and an SNS topic that e-mails them.

Other capabilities hand their resources to the `watch_*` methods, so nothing reaches production unwatched.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from kefu_infra.capabilities import dead_letters
from kefu_infra.checks import acknowledge

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, alarm_email: str) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.topic = self._add_alarm_topic(alarm_email)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=prefix)

    def _add_alarm_topic(self, email: str) -> sns.Topic:
        topic = sns.Topic(self, "AlarmTopic", display_name=f"{self.prefix} alarms", enforce_ssl=True)
        subscription = topic.add_subscription(subscriptions.EmailSubscription(email))
        acknowledge(
            subscription,
            "Serverless-SNSRedrivePolicy",
            "The only subscription is the operators' alarm e-mail; an undelivered e-mail loses nothing, since "
            "the alarm stays in ALARM on the CloudWatch console and the stage dashboard until it is resolved.",
        )
        return topic

    def _add_alarm(self, name: str, metric: cw.IMetric, description: str, threshold: float = 1) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            f"{name}Alarm",
            alarm_name=f"{self.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        return alarm

    def alarm_on(self, name: str, metric: cw.IMetric, description: str, threshold: float = 1) -> cw.Alarm:
        """An alarm on a metric of kefu's own (a count its functions publish), mailed like the others."""
        return self._add_alarm(name, metric, description, threshold)

    def watch_api(self, name: str, api: apigw.HttpApi) -> None:
        server_errors = api.metric_server_error(period=PERIOD, statistic="Sum")
        self._add_alarm(
            f"{name}-5xx", server_errors, "The HTTP API answered 5xx: the API function answers 500 only on a bug."
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title=f"{name}: requests and errors",
                left=[api.metric_count(period=PERIOD, statistic="Sum")],
                right=[api.metric_client_error(period=PERIOD, statistic="Sum"), server_errors],
                width=12,
            ),
            cw.GraphWidget(
                title=f"{name}: latency",
                left=[
                    api.metric_latency(period=PERIOD, statistic="p50"),
                    api.metric_latency(period=PERIOD, statistic="p99"),
                ],
                right=[api.metric_integration_latency(period=PERIOD, statistic="p99")],
                width=12,
            ),
        )

    def watch_function(self, name: str, function: lambda_.IFunction) -> None:
        errors = function.metric_errors(period=PERIOD, statistic="Sum")
        throttles = function.metric_throttles(period=PERIOD, statistic="Sum")
        self._add_alarm(f"{name}-errors", errors, f"The {name} function failed an invocation.")
        self._add_alarm(f"{name}-throttles", throttles, f"The {name} function was throttled.")
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title=f"{name} function: invocations, errors, throttles",
                left=[function.metric_invocations(period=PERIOD, statistic="Sum")],
                right=[errors, throttles],
                width=12,
            ),
            cw.GraphWidget(
                title=f"{name} function: duration",
                left=[
                    function.metric_duration(period=PERIOD, statistic="p50"),
                    function.metric_duration(period=PERIOD, statistic="p99"),
                ],
                width=12,
            ),
        )

    def watch_dead_letter_queue(self, name: str, queue: sqs.IQueue) -> None:
        depth = queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
        self._add_alarm(
            f"{name}-dead-letters",
            depth,
            f"Messages reached the {name} dead-letter queue: each is a contact or event kefu failed to process.",
        )
        self.dashboard.add_widgets(cw.GraphWidget(title=f"{name}: dead letters", left=[depth], width=12))

    def watch_dead_letter_age(self, name: str, queue: sqs.IQueue, max_age: Duration = dead_letters.AGE_ALARM) -> None:
        """Alarm before a dead letter reaches the end of its queue's retention and is lost unseen."""
        age = queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
        self._add_alarm(
            f"{name}-dead-letter-age",
            age,
            f"A message has waited in the {name} dead-letter queue for {max_age.to_days()} days: "
            "redrive or remove it before the queue's retention drops it.",
            threshold=max_age.to_seconds(),
        )

    def watch_state_machine(self, name: str, state_machine: sfn.IStateMachine) -> None:
        """Alarm on executions that failed or timed out (stopped ones are not failures: kefu stops them itself)."""
        failed = state_machine.metric_failed(period=PERIOD, statistic="Sum")
        timed_out = state_machine.metric_timed_out(period=PERIOD, statistic="Sum")
        self._add_alarm(f"{name}-failed", failed, f"A {name} execution failed after its retries.")
        self._add_alarm(f"{name}-timed-out", timed_out, f"A {name} execution ran out of time.")
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title=f"{name} executions",
                left=[
                    state_machine.metric_started(period=PERIOD, statistic="Sum"),
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum"),
                    state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
                ],
                right=[failed, timed_out],
                width=12,
            )
        )

    def add_business_row(self) -> None:
        """How the desk is doing, from the metrics the functions emit (namespace kefu, dimension service): tickets
        opened, first response p90, SLA breaches, escalations, CSAT and NPS; exact figures are `GET /reports/kpis`."""
        period = Duration.hours(1)

        def kefu(name: str, statistic: str = "Sum", label: str | None = None) -> cw.Metric:
            return cw.Metric(
                namespace="kefu",
                metric_name=name,
                dimensions_map={"service": "kefu"},
                statistic=statistic,
                period=period,
                label=label or name,
            )

        escalations = cw.MathExpression(
            expression="SUM(SEARCH('{kefu,action,milestone,service} MetricName=\"Escalations\"', 'Sum', 3600))",
            label="Escalation steps",
            period=period,
        )
        nps = cw.MathExpression(
            expression="100 * (promoters - detractors) / responses",
            using_metrics={
                "promoters": kefu("NpsPromoters"),
                "detractors": kefu("NpsDetractors"),
                "responses": kefu("NpsResponses"),
            },
            label="NPS",
            period=period,
        )
        self.dashboard.add_widgets(
            cw.TextWidget(markdown="## Business", width=24, height=1),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Tickets opened",
                left=[kefu("TicketsOpened", label="API"), kefu("IntakeTicketsOpened", label="Intake queue")],
                stacked=True,
                width=6,
            ),
            cw.GraphWidget(title="First response p90 (s)", left=[kefu("FirstResponseSeconds", "p90", "p90")], width=6),
            cw.GraphWidget(title="SLA breaches and escalations", left=[kefu("SlaBreaches"), escalations], width=6),
            cw.GraphWidget(
                title="CSAT and NPS",
                left=[kefu("Csat", "Average", "CSAT (1-5)")],
                right=[nps],
                width=6,
            ),
        )
        self._add_alarm(
            "survey-follow-ups-failed",
            kefu("SurveyFollowUpsFailed"),
            "A low survey score's follow-up ticket could not be opened: the customer is waiting for a call back.",
        )

    def alarm_on_waiting(self, name: str, queue: sqs.IQueue, longest: Duration) -> None:
        """Alarm when what waits in `queue` has waited longer than `longest` (nobody is taking it)."""
        age = queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
        self._add_alarm(
            f"{name}-waiting",
            age,
            f"A message has waited in the {name} queue for {longest.to_minutes()} minutes: its consumer is stuck "
            "or too slow.",
            threshold=longest.to_seconds(),
        )

    def watch_queue(self, name: str, queue: sqs.IQueue) -> None:
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title=f"{name}: backlog",
                left=[queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")],
                right=[queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")],
                width=12,
            )
        )
