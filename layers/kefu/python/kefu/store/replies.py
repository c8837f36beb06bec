"""Canned replies (话术) on the domain table (pattern 14).

   a canned reply:                      GetItem pk=REPLY#<id>, sk=REPLY
14 replies by group, category, language: gsi1 gsi1pk=KB#REPLIES, gsi1sk=<group>#<category>#<language>#<id>
14 replies by category and language:   gsi4 gsi4pk=KB#REPLIES#<category>, gsi4sk=<language>#<group>#<id>

A ticket's opening reads the replies (its suggestions), and defines only their kind: the articles are
kefu.store.articles, each agent's use of a reply kefu.store.reply_usage. A reply's partition (REPLY#<id>) holds its
usage rows too; the reads here are of the reply's own kind (ReplyItem.get, ReplyItem's copy of the indexes, whose
partitions KB#REPLIES... hold replies only), and never meet a usage row.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.indexes import GlobalSecondaryIndex

from kefu.model.knowledge import Reply
from kefu.store.failures import KnowledgeVersionConflict
from kefu.store.full_items import prefix_page
from kefu.store.models import KefuItem
from kefu.store.writes import condition_failed

REPLY_SK = "REPLY"
REPLIES = "KB#REPLIES"


class ReplyItem(KefuItem, discriminator="kb_reply"):
    reply_id = UnicodeAttribute(attr_name="id")
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    group = UnicodeAttribute(attr_name="groupId")
    category = UnicodeAttribute()
    language = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    placeholders = ListAttribute(of=UnicodeAttribute, default=list)
    uses = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    updated_by = UnicodeAttribute(attr_name="updatedBy")
    #: Not a VersionAttribute: counting a use (an atomic ADD on `uses`) must not move it; saves check it by hand.
    version = NumberAttribute(default=1)


def reply_key(reply_id: str) -> str:
    return f"REPLY#{reply_id}"


def get_reply(reply_id: str) -> Reply | None:
    try:
        return reply_of(ReplyItem.get(reply_key(reply_id), REPLY_SK, consistent_read=True))
    except DoesNotExist:
        return None


def save_reply(reply: Reply, *, is_new: bool) -> Reply:
    item = ReplyItem(
        reply_key(reply.id),
        REPLY_SK,
        reply_id=reply.id,
        title=reply.title,
        body=reply.body,
        group=reply.group,
        category=reply.category.value,
        language=reply.language.value,
        tags=list(reply.tags),
        placeholders=list(reply.placeholders),
        uses=reply.uses,
        updated_at=reply.updatedAt.isoformat(),
        updated_by=reply.updatedBy,
        version=reply.version + 1,
        gsi1pk=REPLIES,
        gsi1sk=f"{reply.group}#{reply.category.value}#{reply.language.value}#{reply.id}",
        gsi4pk=f"{REPLIES}#{reply.category.value}",
        gsi4sk=f"{reply.language.value}#{reply.group}#{reply.id}",
    )
    # The use count is part of the condition: a use counted since the read would otherwise be written over.
    condition = (
        ReplyItem.pk.does_not_exist()
        if is_new
        else (ReplyItem.version == reply.version) & (ReplyItem.uses == reply.uses)
    )
    try:
        item.save(condition=condition)
    except PutError as err:
        if condition_failed(err):
            raise KnowledgeVersionConflict(reply.id) from err
        raise
    return reply.model_copy(update={"version": reply.version + 1})


def list_replies(
    *, group: str | None, category: str | None, language: str | None, limit: int, cursor: str | None
) -> tuple[list[Reply], str | None]:
    """Replies of a group (then category, then language), or of a category (then language), by key."""
    # ReplyItem's copy of the index, not KefuItem's: its Query keeps the replies (all its partition holds) without
    # asking for every kind of the table, which defined the kinds of every module (kefu.store.models.KIND_MODULES).
    index: GlobalSecondaryIndex
    if group is None and category is not None:
        partition, index, name = f"{REPLIES}#{category}", ReplyItem.by_status, "gsi4pk"
        prefix = f"{language}#" if language else ""
    else:
        partition, index, name = REPLIES, ReplyItem.by_customer, "gsi1pk"
        prefix = ""
        if group is not None:
            prefix = f"{group}#"
            if category is not None:
                prefix += f"{category}#"
                if language is not None:
                    prefix += f"{language}#"
    found, next_cursor = prefix_page(ReplyItem, index, name, partition, prefix, limit=limit, cursor=cursor)
    return [reply_of(item) for item in found], next_cursor


def reply_of(item: ReplyItem) -> Reply:
    return Reply(
        id=item.reply_id,
        title=item.title,
        body=item.body,
        group=item.group,
        category=item.category,
        language=item.language,
        tags=list(item.tags),
        placeholders=list(item.placeholders),
        uses=int(item.uses or 0),
        version=int(item.version or 0),
        updatedAt=datetime.fromisoformat(item.updated_at),
        updatedBy=item.updated_by,
    )
