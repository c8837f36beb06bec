"""Canned-reply templates: `{{customer.name}}`-style placeholders and nothing else, rendered in Jinja2's sandbox.

A template is checked when it is saved, not when it is sent: its syntax tree may hold only text and the known
placeholders. Anything else (an unknown placeholder, attribute access beyond `namespace.field`, item access, calls,
filters, tags such as `{% for %}`) is refused then with a 422 that names it. Rendering runs in the
SandboxedEnvironment with StrictUndefined besides, so a placeholder without a value for this ticket refuses the whole
reply; a customer never gets a half-filled one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from kefu.errors import InvalidRequest

#: The placeholders a reply may use, and what each means.
PLACEHOLDERS: dict[str, str] = {
    "customer.name": "the customer's name",
    "customer.email": "the customer's e-mail address",
    "ticket.id": "the ticket's id (TK-…)",
    "ticket.subject": "the ticket's subject",
    "ticket.status": "the ticket's status",
    "ticket.priority": "the ticket's priority (P1-P4)",
    "ticket.category": "the ticket's category",
    "agent.name": "the name of the agent sending the reply",
    "agent.email": "the e-mail address of the agent sending the reply",
    "sla.firstResponseDue": "when the first response is due (UTC)",
    "sla.resolutionDue": "when the resolution is due (UTC)",
}


class TemplateRefused(InvalidRequest):
    """A reply template that may not be saved; `problems` names each reason."""

    def __init__(self, problems: list[str]):
        super().__init__("the reply cannot be saved: " + "; ".join(problems))
        self.problems = problems


class MissingValue(InvalidRequest):
    def __init__(self, placeholder: str, ticket_id: str):
        super().__init__(
            f"the placeholder {placeholder} has no value for ticket {ticket_id}; the reply was not rendered"
        )


@cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def placeholders_of(body: str) -> list[str]:
    """The placeholders a template uses, in order of first use; TemplateRefused when it holds anything else."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _environment().parse(body)
    except TemplateSyntaxError as err:
        raise TemplateRefused([f"template syntax error on line {err.lineno}: {err.message}"]) from None
    used: list[str] = []
    problems: list[str] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            problems.append(f"{{% {type(statement).__name__.lower()} %}} tags are not allowed")
            continue
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            name = _placeholder(node)
            if name is None:
                problems.append(f"{_describe(node)} is not allowed (only placeholders such as {{{{customer.name}}}})")
            elif name not in PLACEHOLDERS:
                problems.append(f"unknown placeholder {name}")
            elif name not in used:
                used.append(name)
    if problems:
        raise TemplateRefused(sorted(set(problems), key=problems.index))
    return used


def _placeholder(node: Any) -> str | None:
    """`namespace.field` for a plain placeholder, the bare name for `{{name}}`; None for any other expression."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return f"{node.node.name}.{node.attr}"
    return None


def _describe(node: Any) -> str:
    from jinja2 import nodes

    kinds = {
        nodes.Call: "a call",
        nodes.Filter: "a filter",
        nodes.Getitem: "item access",
        nodes.Getattr: "attribute access",
        nodes.Const: "a literal",
    }
    for kind, words in kinds.items():
        if isinstance(node, kind):
            return words
    return f"an expression ({type(node).__name__})"


def render(body: str, values: Mapping[str, Any], *, ticket_id: str) -> str:
    """The reply with its placeholders filled from `values` ({"customer": {"name": …}, …}; None counts as absent)."""
    from jinja2 import UndefinedError

    for name in placeholders_of(body):
        namespace, field = name.split(".", 1)
        if (values.get(namespace) or {}).get(field) in (None, ""):
            raise MissingValue(name, ticket_id)
    try:
        return _environment().from_string(body).render(**values)
    except UndefinedError as err:
        raise InvalidRequest(f"the reply could not be rendered for ticket {ticket_id}: {err.message}") from None
