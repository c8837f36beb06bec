"""Canned replies (话术): per group, category and language, with placeholders checked at save, rendered for a ticket,
and every rendering counted per reply and agent (the quality reviews read the counts)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kefu.clock import now
from kefu.errors import BadRequest, Conflict, NotFound
from kefu.identity import Caller
from kefu.knowledge import access, templates
from kefu.knowledge.suggestions import rank
from kefu.knowledge.text import terms
from kefu.model.knowledge import Language, Reply
from kefu.model.knowledge_answers import Page, Rendered, ReplyUsage
from kefu.store import replies as store
from kefu.store import reply_usage as usage_store
from kefu.store.failures import KnowledgeVersionConflict

if TYPE_CHECKING:  # a request's body, made by the API's knowledge routes (not by opening a ticket)
    from kefu.model.knowledge_requests import ReplySpec

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REPLY_ID = re.compile(r"^RP-[0-9A-HJKMNP-TV-Z]{8}$")
#: How many replies a search looks through (one group's replies, or all of them by key, ranked in memory).
SEARCH_WINDOW = 500


class ReplyNotFound(NotFound):
    def __init__(self, reply_id: str):
        super().__init__(f"canned reply {reply_id} does not exist")


def new_reply_id() -> str:
    return "RP-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def create_reply(caller: Caller, spec: ReplySpec) -> Reply:
    access.require_reply_writer(caller)
    placeholders = templates.placeholders_of(spec.body)
    reply = Reply(
        id=new_reply_id(),
        **spec.model_dump(),
        placeholders=placeholders,
        version=0,
        updatedAt=now(),
        updatedBy=caller.sub,
    )
    return store.save_reply(reply, is_new=True)


def update_reply(caller: Caller, reply_id: str, spec: ReplySpec) -> Reply:
    access.require_reply_writer(caller)
    current = get_reply(caller, reply_id)
    placeholders = templates.placeholders_of(spec.body)
    updated = current.model_copy(
        update={**spec.model_dump(), "placeholders": placeholders, "updatedAt": now(), "updatedBy": caller.sub}
    )
    try:
        return store.save_reply(updated, is_new=False)
    except KnowledgeVersionConflict:
        raise Conflict(f"canned reply {reply_id} changed while this was being saved; try again") from None


def get_reply(caller: Caller, reply_id: str) -> Reply:
    access.require_staff(caller)
    reply = store.get_reply(reply_id) if _REPLY_ID.match(reply_id) else None
    if reply is None:
        raise ReplyNotFound(reply_id)
    return reply


def list_replies(
    caller: Caller,
    *,
    q: str | None,
    group: str | None,
    category: str | None,
    language: Language | None,
    limit: int,
    cursor: str | None,
) -> Page[Reply]:
    access.require_staff(caller)
    lang = language.value if language else None
    if q is None:
        found, next_cursor = store.list_replies(
            group=group, category=category, language=lang, limit=limit, cursor=cursor
        )
        return Page[Reply](items=found, nextCursor=next_cursor)
    if cursor is not None:
        raise BadRequest("a search answers in one page: there is no next page (no cursor with q)")
    wanted = set(terms(q))
    if not q.strip() or not wanted:
        raise BadRequest("the query has no words to search for (only punctuation, symbols or very common words)")
    found, _ = store.list_replies(group=group, category=category, language=lang, limit=SEARCH_WINDOW, cursor=None)
    ranked = rank(found, wanted)
    return Page[Reply](items=[reply for reply, _score, _matched in ranked[:limit]])


def render_for(caller: Caller, reply: Reply, ticket: Any) -> Rendered:
    """The reply filled in for a ticket the caller may read (kefu.tickets.knowledge.render_reply reads both),
    counted as one use by the caller."""
    access.require_staff(caller)
    text = templates.render(reply.body, placeholder_values(caller, ticket), ticket_id=ticket.id)
    usage_store.count_use(reply.id, caller.sub, now())
    return Rendered(replyId=reply.id, ticketId=ticket.id, text=text)


def placeholder_values(caller: Caller, ticket: Any) -> dict[str, dict[str, Any]]:
    from kefu.store import agents as agent_store
    from kefu.store import customers as customer_store

    customer = customer_store.get(ticket.customerId)
    agent = agent_store.get_agent(caller.sub)
    return {
        "customer": {
            "name": getattr(customer, "name", None),
            "email": getattr(customer, "email", None),
        },
        "ticket": {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": str(ticket.status),
            "priority": str(ticket.priority),
            "category": str(ticket.category) if ticket.category else None,
        },
        "agent": {
            "name": (agent.name if agent else None) or caller.name,
            "email": (agent.email if agent else None) or caller.email,
        },
        "sla": {
            "firstResponseDue": _when(ticket.sla.firstResponseDue),
            "resolutionDue": _when(ticket.sla.resolutionDue),
        },
    }


def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None


def usage(caller: Caller, reply_id: str) -> list[ReplyUsage]:
    get_reply(caller, reply_id)
    return usage_store.reply_usage(reply_id)
