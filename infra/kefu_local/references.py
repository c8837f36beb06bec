"""`Ref` and `Fn::GetAtt` for the template resources the local stack creates after the tables, queues and buckets
(state machines, schedules) or never needs in moto (IAM roles, rules, SES rule sets): their names and ARNs are
deterministic, so a function's environment, a state machine's definition or a schedule's target can name them
before (or without) their creation.
"""

from __future__ import annotations

import re

from kefu_local.resources import local_name
from kefu_local.templates import Resource, Templates, Unresolvable

STATE_MACHINE = "AWS::StepFunctions::StateMachine"
SCHEDULE = "AWS::Scheduler::Schedule"
SCHEDULE_GROUP = "AWS::Scheduler::ScheduleGroup"
RULE = "AWS::Events::Rule"
ROLE = "AWS::IAM::Role"
RECEIPT_RULE_SET = "AWS::SES::ReceiptRuleSet"
RECEIPT_RULE = "AWS::SES::ReceiptRule"

#: The property holding each type's own name, when the template gives one.
_NAME_PROPERTY = {
    STATE_MACHINE: "StateMachineName",
    SCHEDULE: "Name",
    SCHEDULE_GROUP: "Name",
    RULE: "Name",
    ROLE: "RoleName",
    RECEIPT_RULE_SET: "RuleSetName",
}


def physical_name(templates: Templates, resource: Resource) -> str:
    """The template's name for the resource, else `<stack>-<construct path>` cut to what AWS allows (64 or 80)."""
    prop = _NAME_PROPERTY.get(resource.type)
    given = resource.properties.get(prop) if prop else None
    if resource.type == RECEIPT_RULE:
        given = resource.properties.get("Rule", {}).get("Name")
    if given is not None:
        return str(templates.resolve(resource.stack, given))
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", local_name(resource))
    return name[:80] if resource.type == STATE_MACHINE else name[:64]


#: ARNs by resource type (`{group}`: a schedule's group).
_ARNS = {
    STATE_MACHINE: "arn:aws:states:{region}:{account}:stateMachine:{name}",
    SCHEDULE: "arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}",
    SCHEDULE_GROUP: "arn:aws:scheduler:{region}:{account}:schedule-group/{name}",
    RULE: "arn:aws:events:{region}:{account}:rule/{name}",
    ROLE: "arn:aws:iam::{account}:role/{name}",
}


def _arn(templates: Templates, resource: Resource) -> str:
    form = _ARNS.get(resource.type)
    if form is None:
        raise Unresolvable(f"{resource.type} {resource.logical_id}.Arn")
    group = ""
    if resource.type == SCHEDULE:
        group = str(templates.resolve(resource.stack, resource.properties.get("GroupName", "default")))
    name = physical_name(templates, resource)
    return form.format(region=templates.region, account=templates.account, name=name, group=group)


def extend(templates: Templates) -> None:
    """Teach `templates` (whose resolvers the ResourceBuilder has set) the names and ARNs of these types."""
    previous_ref, previous_att = templates.ref, templates.att

    def arn(resource: Resource) -> str:
        return _arn(templates, resource)

    def ref(resource: Resource) -> str:
        if resource.type == STATE_MACHINE:
            return arn(resource)  # a state machine's Ref is its ARN
        if resource.type in _NAME_PROPERTY or resource.type == RECEIPT_RULE:
            return physical_name(templates, resource)
        return previous_ref(resource)

    def att(resource: Resource, attribute: str) -> str:
        if resource.type in _NAME_PROPERTY or resource.type == RECEIPT_RULE:
            if attribute == "Arn":
                return arn(resource)
            if attribute in ("Name", "RoleId"):
                return physical_name(templates, resource)
            raise Unresolvable(f"{resource.type} {resource.logical_id}.{attribute}")
        return previous_att(resource, attribute)

    templates.ref = ref
    templates.att = att
