"""One table, single-table design. Every item kind has its key prefix; GSIs serve the access patterns.

1  ticket by id:                  GetItem pk=TICKET#<id>, sk=TICKET
2  a customer's tickets, newest:  gsi1 gsi1pk=CUST#<customer>, gsi1sk=<createdAt>#<id> (descending)
3  a group's queue by status:     gsi2 gsi2pk=QUEUE#<group>#<status>, gsi2sk=<priority>#<createdAt>#<id>
4  an agent's tickets by status:  gsi3 gsi3pk=ASSIGNEE#<agent>#<status>, gsi3sk=<priority>#<createdAt>#<id>
6  a ticket's timeline in order:  Query pk=TICKET#<id>, sk begins_with TL#
8  customer by id/e-mail/phone:   GetItem pk=CUST#<id> | CONTACT#email#<addr> | CONTACT#phone#<number>
9  a group's agents and load:     Query pk=GROUP#<group>, sk begins_with MEMBER#
7  resolved in a time window:     gsi5 gsi5pk=RESOLVED#<yyyy-mm-dd of resolvedAt>, gsi5sk=<resolvedAt>#<id>
                                  (one Query per day of the window; a reopened ticket leaves the index)
11 all tickets by status, newest: gsi4 gsi4pk=STATUS#<status>, gsi4sk=<createdAt>#<id> (descending)
   ticket of an external thread:  GetItem pk=THREAD#<channel>#<thread id>, sk=THREAD (intake queue)
   all groups:                    gsi1 gsi1pk=GROUPS
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from kefu.config import settings


class _FromSettings:
    """Meta values resolved on each use, so the table follows the environment, not the import."""

    def __init__(self, read):
        self._read = read

    def __get__(self, obj: Any, owner: Any) -> Any:
        return self._read()


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi5"
        projection = AllProjection()

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class KefuItem(Model):
    """The table. `kind` tells the item kinds apart."""

    class Meta:
        table_name = _FromSettings(lambda: settings().table_name)
        region = _FromSettings(lambda: settings().region)
        # botocore reads AWS_ENDPOINT_URL itself; pynamodb only needs it when it is set explicitly.
        host = _FromSettings(lambda: os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL"))
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)

    by_customer = Gsi1()
    by_queue = Gsi2()
    by_assignee = Gsi3()
    by_status = Gsi4()
    by_resolution_day = Gsi5()


class TicketItem(KefuItem, discriminator="ticket"):
    ticket_id = UnicodeAttribute(attr_name="id")
    subject = UnicodeAttribute()
    description = UnicodeAttribute()
    status = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    priority = UnicodeAttribute()
    channel = UnicodeAttribute()
    customer_id = UnicodeAttribute(attr_name="customerId")
    customer_tier = UnicodeAttribute(attr_name="customerTier")
    group_id = UnicodeAttribute(attr_name="groupId", null=True)
    assignee_id = UnicodeAttribute(attr_name="assigneeId", null=True)
    owner_id = UnicodeAttribute(attr_name="ownerId", null=True)
    helper_ids = ListAttribute(of=UnicodeAttribute, attr_name="helperIds", default=list)
    escalation_level = NumberAttribute(attr_name="escalationLevel", default=0)
    sentiment = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    attachments = JSONAttribute(default=list)
    resolution = JSONAttribute(null=True)
    sla = JSONAttribute(default=dict)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = VersionAttribute()


class TimelineItem(KefuItem, discriminator="timeline"):
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    entry_kind = UnicodeAttribute(attr_name="entryKind")
    visibility = UnicodeAttribute()
    author_id = UnicodeAttribute(attr_name="authorId", null=True)
    author_role = UnicodeAttribute(attr_name="authorRole", null=True)
    body = UnicodeAttribute(null=True)
    data = JSONAttribute(default=dict)
    attachments = JSONAttribute(default=list)
    created_at = UnicodeAttribute(attr_name="createdAt")


class CustomerItem(KefuItem, discriminator="customer"):
    customer_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(default="standard")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = VersionAttribute()


class ContactItem(KefuItem, discriminator="contact"):
    """A unique contact point (e-mail or phone) → its customer, with what a ticket needs to know."""

    customer_id = UnicodeAttribute(attr_name="customerId")
    tier = UnicodeAttribute(default="standard")
    name = UnicodeAttribute(null=True)


class ThreadItem(KefuItem, discriminator="thread"):
    """An external conversation (a chat session, a social thread, a call case) → the ticket it became."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    channel = UnicodeAttribute()
    thread_id = UnicodeAttribute(attr_name="threadId")
    created_at = UnicodeAttribute(attr_name="createdAt")


class AgentItem(KefuItem, discriminator="agent"):
    agent_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    group_ids = ListAttribute(of=UnicodeAttribute, attr_name="groupIds", default=list)
    skills = UnicodeSetAttribute(null=True)
    tier = UnicodeAttribute(default="L1")
    capacity = NumberAttribute(default=10)
    availability = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class MemberItem(KefuItem, discriminator="member"):
    """An agent's membership of a group, carrying availability and load so a group's agents are one Query."""

    group_id = UnicodeAttribute(attr_name="groupId")
    agent_id = UnicodeAttribute(attr_name="agentId")
    #: All the agent's groups: a load change moves every membership row in one transaction.
    group_ids = ListAttribute(of=UnicodeAttribute, attr_name="groupIds", default=list)
    name = UnicodeAttribute(null=True)
    skills = UnicodeSetAttribute(null=True)
    tier = UnicodeAttribute(default="L1")
    capacity = NumberAttribute(default=10)
    availability = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)


class GroupItem(KefuItem, discriminator="group"):
    group_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute()
    group_kind = UnicodeAttribute(attr_name="groupKind", default="general")
    description = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(attr_name="updatedAt")
