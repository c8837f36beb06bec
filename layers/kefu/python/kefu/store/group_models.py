"""The table's kinds of agent groups (kefu.store.agents): a group, and where its round-robin rotation stands.
Apart from kefu.store.models, which says why."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from kefu.store.attributes import UtcDateTimeAttribute
from kefu.store.models import KefuItem


class GroupItem(KefuItem, discriminator="group"):
    group_id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute()
    group_kind = UnicodeAttribute(attr_name="groupKind", default="general")
    description = UnicodeAttribute(null=True)
    assignment = UnicodeAttribute(default="least_loaded")
    updated_at = UtcDateTimeAttribute(attr_name="updatedAt")


class RotationItem(KefuItem, discriminator="rotation"):
    """Where a round-robin group's rotation stands: pk=GROUP#<group>, sk=ROTATION, read with the group's roster.

    `turn` counts the assignments made by rotation; each one is written on condition that `turn` is still the one
    read, so two tickets opened at once never take the same position."""

    last_agent_id = UnicodeAttribute(attr_name="lastAgentId")
    turn = NumberAttribute(default=0)
