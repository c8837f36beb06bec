"""Who may do what in the knowledge base.

`editor` is a Cognito group of its own: people who write and publish articles without handling tickets (a content
team). Editors and supervisors (and admins) write and publish articles; supervisors and admins write canned replies;
every member of staff reads everything and renders replies; customers read published public articles only.
"""

from __future__ import annotations

from kefu.errors import Forbidden
from kefu.identity import Caller, Role

EDITOR_GROUP = "editor"


def is_editor(caller: Caller) -> bool:
    return EDITOR_GROUP in caller.groups


def sees_all_articles(caller: Caller) -> bool:
    """Staff and editors see drafts, archived and internal articles; everyone else published public ones only."""
    return caller.is_staff or is_editor(caller)


def require_article_writer(caller: Caller) -> None:
    if not (is_editor(caller) or caller.role in (Role.SUPERVISOR, Role.ADMIN)):
        raise Forbidden("writing and publishing articles needs the editor or supervisor role")


def require_reply_writer(caller: Caller) -> None:
    if caller.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("writing canned replies needs the supervisor role")


def require_staff(caller: Caller) -> None:
    if not caller.is_staff:
        raise Forbidden("this needs one of the roles: admin, agent, supervisor")
