"""cdk-nag rule packs, run on every synth, and the one way to acknowledge a finding."""

import json
from typing import Any

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct


def add_rule_packs(app: App) -> None:
    """Any finding not acknowledged on its resource fails the synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True), ServerlessChecks(app, verbose=True))


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one rule's finding on one resource (and its children), saying why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def nag_print(resource: Any) -> str:
    """A resolved policy resource as cdk-nag prints it in a finding: references as <LogicalId> or
    <LogicalId.Attribute>, other intrinsics as compact JSON."""
    if isinstance(resource, str):
        return resource
    if "Ref" in resource:
        return f"<{resource['Ref']}>"
    if "Fn::GetAtt" in resource:
        return f"<{'.'.join(resource['Fn::GetAtt'])}>"
    if "Fn::Join" in resource:
        return "".join(nag_print(part) for part in resource["Fn::Join"][1])
    return json.dumps(resource, separators=(",", ":"))
