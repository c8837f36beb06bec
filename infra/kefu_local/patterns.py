"""Event patterns, as EventBridge rules and Lambda event-source filters (`FilterCriteria`) match them.

A pattern is an object whose keys follow the event's; at each leaf a list of conditions, any of which may match
(or within a list), while every key must match (and across keys). A condition is a literal (string, number,
boolean, null; numbers compare by value, strings never equal numbers) or one of the content filters:
`prefix`, `suffix` (each also with `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but`
(a value, a list, or a `prefix`/`suffix`/`equals-ignore-case`/`wildcard` filter), `numeric` (up to two
comparisons), `exists`, `cidr`. `$or` takes a list of patterns, any of which may match. An event value that is a
list matches if any of its elements does; a missing value matches only `{"exists": false}`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


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
    """Whether `event` (a dict, as parsed from JSON) matches `pattern`."""
    for key, condition in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in condition):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(condition, Mapping):
            # Under a missing key every value is missing: only `{"exists": false}` can match there.
            if not _matches_nested(condition, {} if value is _MISSING else value):
                return False
        elif not _matches_leaf(condition, value):
            return False
    return True


def _matches_nested(pattern: Mapping[str, Any], value: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(item, Mapping) and matches(pattern, item) for item in value)
    return isinstance(value, Mapping) and matches(pattern, value)


def _matches_leaf(conditions: list[Any], value: Any) -> bool:
    for condition in conditions:
        if isinstance(condition, Mapping) and "exists" in condition:
            present = value is not _MISSING and not isinstance(value, Mapping) and value != []
            if present == condition["exists"]:
                return True
            continue
        if value is _MISSING or isinstance(value, Mapping):
            continue
        values = value if isinstance(value, list) else [value]
        if any(_matches_value(condition, item) for item in values):
            return True
    return False


def _same(literal: Any, value: Any) -> bool:
    if isinstance(literal, bool) or isinstance(value, bool) or literal is None or value is None:
        return literal is value or (literal == value and type(literal) is type(value))
    if isinstance(literal, int | float) and isinstance(value, int | float):
        return float(literal) == float(value)
    return isinstance(literal, str) and isinstance(value, str) and literal == value


def _matches_value(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return _same(condition, value)
    ((name, arg),) = condition.items()
    if name == "prefix":
        return _affix(arg, value, str.startswith)
    if name == "suffix":
        return _affix(arg, value, str.endswith)
    if name == "equals-ignore-case":
        options = arg if isinstance(arg, list) else [arg]
        return isinstance(value, str) and any(value.casefold() == str(option).casefold() for option in options)
    if name == "wildcard":
        return isinstance(value, str) and _wildcard(arg, value)
    if name == "numeric":
        return _numeric(arg, value)
    if name == "cidr":
        return _cidr(arg, value)
    if name == "anything-but":
        return not _anything_but_excludes(arg, value)
    raise InvalidPattern(f"unknown filter {name!r}")


def _affix(arg: Any, value: Any, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, Mapping):
        return test(value.casefold(), str(arg["equals-ignore-case"]).casefold())
    return test(value, arg)


def _wildcard(pattern: str, value: str) -> bool:
    # Only `*` is special in EventBridge wildcards (escaped as `\*`); fnmatch's `?` and `[` are not.
    escaped = pattern.replace("[", "[[]").replace("?", "[?]")
    return fnmatch.fnmatchcase(value, escaped)


def _numeric(comparisons: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    pairs = zip(comparisons[::2], comparisons[1::2], strict=True)
    return all(_NUMERIC[op](float(value), float(bound)) for op, bound in pairs)


def _cidr(block: str, value: Any) -> bool:
    try:
        return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(block, strict=False)
    except ValueError:
        return False


def _anything_but_excludes(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        return _matches_value(arg, value)
    excluded = arg if isinstance(arg, list) else [arg]
    return any(_same(item, value) for item in excluded)


# -- validation ----------------------------------------------------------------------------------------------------

_FILTERS = {"prefix", "suffix", "equals-ignore-case", "wildcard", "numeric", "cidr", "anything-but", "exists"}


def _validate(pattern: Mapping[str, Any]) -> None:
    for key, condition in pattern.items():
        if key == "$or":
            if not isinstance(condition, list) or len(condition) < 2:
                raise InvalidPattern("$or takes a list of at least two patterns")
            for alternative in condition:
                if not isinstance(alternative, Mapping):
                    raise InvalidPattern(f"$or takes patterns (objects), got {alternative!r}")
                _validate(alternative)
        elif isinstance(condition, Mapping):
            _validate(condition)
        elif isinstance(condition, list):
            if not condition:
                raise InvalidPattern(f"{key}: an empty list matches nothing")
            for item in condition:
                _validate_condition(key, item)
        else:
            raise InvalidPattern(f"{key}: match values go in a list, got {condition!r}")


def _validate_condition(key: str, condition: Any) -> None:
    if not isinstance(condition, Mapping):
        if isinstance(condition, list):
            raise InvalidPattern(f"{key}: a list inside a list")
        return
    if len(condition) != 1 or next(iter(condition)) not in _FILTERS:
        raise InvalidPattern(f"{key}: unknown filter {condition!r}")
    ((name, arg),) = condition.items()
    if name == "exists" and not isinstance(arg, bool):
        raise InvalidPattern(f"{key}: exists takes true or false")
    if name == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4) or any(op not in _NUMERIC for op in arg[::2]):
            raise InvalidPattern(f"{key}: numeric takes one or two (operator, number) pairs")
        if any(isinstance(bound, bool) or not isinstance(bound, int | float) for bound in arg[1::2]):
            raise InvalidPattern(f"{key}: numeric bounds are numbers")
    if name in ("prefix", "suffix"):
        if isinstance(arg, Mapping):
            if set(arg) != {"equals-ignore-case"}:
                raise InvalidPattern(f"{key}: {name} takes a string or {{'equals-ignore-case': string}}")
        elif not isinstance(arg, str):
            raise InvalidPattern(f"{key}: {name} takes a string")
    if name == "anything-but" and isinstance(arg, Mapping):
        _validate_condition(key, arg)
        if next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise InvalidPattern(f"{key}: anything-but takes a value, a list, prefix, suffix or equals-ignore-case")
