"""Event patterns, as EventBridge rules and Lambda event-source filters (`FilterCriteria`) match them.

Matching is moto's (`moto.events.models.EventPattern`, what moto's own EventBridge uses): literals, `prefix`,
`suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`, `cidr` and `$or`. Where it differs
from AWS, in ways kefu's rules and filters never meet:

- it does not look inside objects held in an array of the event (AWS matches `{"a": {"b": ["x"]}}` against
  `{"a": [{"b": "x"}]}`; moto does not);
- `{"exists": true}` holds for an empty array or object (AWS: only for a value);
- a literal `true` equals `1` (Python's equality; AWS keeps booleans and numbers apart).

moto checks a pattern's shape only (objects and non-empty arrays), and matches any filter it does not know. The
validation below refuses what EventBridge and Lambda would refuse at deployment, so a template that could not deploy
does not run locally either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.events.models import EventPattern

_OPERATORS = frozenset({"=", "<", "<=", ">", ">="})
#: What `anything-but` takes besides a value or a list of values.
_ANYTHING_BUT_FILTERS = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard"})
_FILTERS = _ANYTHING_BUT_FILTERS | {"numeric", "cidr", "anything-but", "exists"}


class InvalidPattern(ValueError):
    """The pattern is not one EventBridge or Lambda would accept."""


def parse(pattern: str | Mapping[str, Any]) -> dict[str, Any]:
    """A pattern from its JSON text (as templates and FilterCriteria hold it) or as an object; validated."""
    value = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(value, Mapping):
        raise InvalidPattern(f"a pattern is a JSON object, got {value!r}")
    _validate(value)
    return dict(value)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether `event` (a dict, as parsed from JSON) matches `pattern` (as `parse` returns it)."""
    return EventPattern(None, dict(pattern)).matches_event(event)


# -- validation ----------------------------------------------------------------------------------------------------


def _validate(pattern: Mapping[str, Any]) -> None:
    for key, condition in pattern.items():
        if key == "$or":
            _validate_alternatives(condition)
        elif isinstance(condition, Mapping):
            _validate(condition)
        elif isinstance(condition, list):
            if not condition:
                raise InvalidPattern(f"{key}: an empty list matches nothing")
            for item in condition:
                _validate_condition(key, item)
        else:
            raise InvalidPattern(f"{key}: match values go in a list, got {condition!r}")


def _validate_alternatives(alternatives: Any) -> None:
    if not isinstance(alternatives, list) or len(alternatives) < 2:
        raise InvalidPattern("$or takes a list of at least two patterns")
    for alternative in alternatives:
        if not isinstance(alternative, Mapping):
            raise InvalidPattern(f"$or takes patterns (objects), got {alternative!r}")
        _validate(alternative)


def _validate_condition(key: str, condition: Any) -> None:
    if isinstance(condition, list):
        raise InvalidPattern(f"{key}: a list inside a list")
    if not isinstance(condition, Mapping):
        return  # a literal
    if len(condition) != 1 or next(iter(condition)) not in _FILTERS:
        raise InvalidPattern(f"{key}: unknown filter {condition!r}")
    ((name, arg),) = condition.items()
    problem = _FILTER_CHECKS.get(name, _no_problem)(arg)
    if problem:
        raise InvalidPattern(f"{key}: {name} {problem}")
    if name == "anything-but" and isinstance(arg, Mapping):
        _validate_condition(key, arg)


def _no_problem(arg: Any) -> str | None:
    return None


def _exists_problem(arg: Any) -> str | None:
    return None if isinstance(arg, bool) else "takes true or false"


def _numeric_problem(arg: Any) -> str | None:
    if not isinstance(arg, list) or len(arg) not in (2, 4) or any(op not in _OPERATORS for op in arg[::2]):
        return "takes one or two (operator, number) pairs"
    if any(isinstance(bound, bool) or not isinstance(bound, int | float) for bound in arg[1::2]):
        return "bounds are numbers"
    return None


def _affix_problem(arg: Any) -> str | None:
    if isinstance(arg, Mapping):
        return None if set(arg) == {"equals-ignore-case"} else "takes a string or {'equals-ignore-case': string}"
    return None if isinstance(arg, str) else "takes a string"


def _anything_but_problem(arg: Any) -> str | None:
    if isinstance(arg, Mapping) and next(iter(arg), None) not in _ANYTHING_BUT_FILTERS:
        return "takes a value, a list, prefix, suffix, equals-ignore-case or wildcard"
    return None


_FILTER_CHECKS = {
    "exists": _exists_problem,
    "numeric": _numeric_problem,
    "prefix": _affix_problem,
    "suffix": _affix_problem,
    "anything-but": _anything_but_problem,
}
