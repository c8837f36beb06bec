"""How often each agent rendered each canned reply, on the domain table (pattern 14).

   a reply's use by each agent:         Query pk=REPLY#<id>, sk begins_with USAGE# (count by atomic ADD)
   an agent's use of replies:           gsi3 gsi3pk=USAGE#<agent>, gsi3sk=<reply id>

Apart from kefu.store.replies: a ticket's opening reads replies and never counts a use. The agent's rows are read
through the table's index (gsi3 partition USAGE#<agent>, which holds usage rows only), then in full by key.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from kefu.model.knowledge_answers import ReplyUsage
from kefu.store.full_items import read_in_full
from kefu.store.models import KefuItem
from kefu.store.replies import REPLY_SK, ReplyItem, reply_key
from kefu.store.writes import connection


class ReplyUsageItem(KefuItem, discriminator="kb_reply_usage"):
    """pk=REPLY#<id>, sk=USAGE#<agent>: how often an agent rendered the reply (the QA reviews read it)."""

    reply_id = UnicodeAttribute(attr_name="replyId")
    agent_id = UnicodeAttribute(attr_name="agentId")
    uses = NumberAttribute(default=0)
    last_used_at = UnicodeAttribute(attr_name="lastUsedAt")


def count_use(reply_id: str, agent_id: str, at: datetime) -> None:
    """One more use of a reply, by an agent: on the reply and on the agent's usage row (atomic ADDs)."""
    with TransactWrite(connection=connection()) as transaction:
        transaction.update(
            ReplyItem(reply_key(reply_id), REPLY_SK),
            actions=[ReplyItem.uses.add(1)],
            condition=ReplyItem.pk.exists(),
        )
        transaction.update(
            ReplyUsageItem(reply_key(reply_id), f"USAGE#{agent_id}"),
            actions=[
                ReplyUsageItem.uses.add(1),
                ReplyUsageItem.last_used_at.set(at.isoformat()),
                ReplyUsageItem.reply_id.set(reply_id),
                ReplyUsageItem.agent_id.set(agent_id),
                ReplyUsageItem.kind.set(ReplyUsageItem),
                ReplyUsageItem.gsi3pk.set(f"USAGE#{agent_id}"),
                ReplyUsageItem.gsi3sk.set(reply_id),
            ],
        )


def reply_usage(reply_id: str) -> list[ReplyUsage]:
    return [_usage(item) for item in ReplyUsageItem.query(reply_key(reply_id), ReplyUsageItem.sk.startswith("USAGE#"))]


def usage_by_agent(agent_id: str) -> list[ReplyUsage]:
    return [_usage(item) for item in read_in_full(KefuItem.by_assignee.query(f"USAGE#{agent_id}"))]


def _usage(item: ReplyUsageItem) -> ReplyUsage:
    return ReplyUsage(
        replyId=item.reply_id,
        agentId=item.agent_id,
        uses=int(item.uses),
        lastUsedAt=datetime.fromisoformat(item.last_used_at),
    )
