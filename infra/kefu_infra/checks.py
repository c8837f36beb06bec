"""cdk-nag rule packs, run on every synth, and the one way to acknowledge a finding."""

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct


def add_rule_packs(app: App) -> None:
    """Any finding not acknowledged on its resource fails the synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True), ServerlessChecks(app, verbose=True))


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one rule's finding on one resource (and its children), saying why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
