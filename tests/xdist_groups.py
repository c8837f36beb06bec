"""xdist groups (`pytest --dist loadgroup`): the tests of a group run on one worker, one after another."""

from __future__ import annotations

import pytest


def group_names(item: pytest.Item) -> set[str]:
    """The xdist groups `item` is in."""
    marks = item.iter_markers("xdist_group")
    return {mark.kwargs.get("name", mark.args[0] if mark.args else "default") for mark in marks}


def honour_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--dist loadgroup` keeps a group on one worker by the group's name appended to each test's id, which
    pytest-xdist 3.8 writes where pytest 9.2 no longer reads it (pytest-dev/pytest-xdist#1386: every test is then
    scheduled alone, and a shared stack starts on every worker). Appended here as its fix does, where it is missing."""
    if not getattr(config.option, "loadgroup", False):  # set on the workers of `--dist loadgroup` only
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # a pytest whose ids xdist still appends to
        return
    for item in items:
        names = group_names(item)
        suffix = f"@{'_'.join(sorted(names))}"
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
