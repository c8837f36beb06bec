"""The deployment's knowledge settings (the `knowledge` section of infra/config/<stage>.yaml, validated at synth
with this model): which ticket categories may be offered a public article when a ticket opens (self-service)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu import deployment
from kefu.model.defaults import empty_list
from kefu.model.tickets import Category


class KnowledgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: E-mail and portal tickets of these categories are offered the best public article in their acknowledgement
    #: ("this may answer your question"); none by default. Complaints are never offered one: a person answers them.
    self_service_categories: list[Category] = Field(default_factory=empty_list)

    @field_validator("self_service_categories")
    @classmethod
    def _no_complaints_nor_repeats(cls, categories: list[Category]) -> list[Category]:
        if Category.COMPLAINT in categories:
            raise ValueError("complaints are answered by a person, never offered self-service")
        repeated = sorted({c.value for c in categories if categories.count(c) > 1})
        if repeated:
            raise ValueError(f"given more than once: {', '.join(repeated)}")
        return categories


@deployment.prepared_per_document
def knowledge_settings(document: dict[str, Any]) -> KnowledgeSettings:
    """The deployment's `knowledge` section (no self-service offers without one); read once per document."""
    return KnowledgeSettings.model_validate(document.get("knowledge") or {})
