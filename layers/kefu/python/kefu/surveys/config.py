"""Survey thresholds, from the deployment document's `surveys` section or built in: what makes an answer a low
score, and where the follow-up ticket it opens goes. The revisit campaigns' configuration embeds this section."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kefu import deployment
from kefu.model.group_ids import GroupId


class SurveySettings(BaseModel):
    """What makes an answer a low score, and where the follow-up ticket it opens goes."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    #: A CSAT at or below this (1-5) is low.
    low_csat: int = Field(default=2, ge=1, le=5)
    #: An NPS at or below this (0-10) is low.
    low_nps: int = Field(default=6, ge=0, le=10)
    vip_group: GroupId = "vip"
    complaints_group: GroupId = "complaints"

    def is_low(self, csat: int, nps: int | None) -> bool:
        return csat <= self.low_csat or (nps is not None and nps <= self.low_nps)


@deployment.prepared_per_document
def survey_settings(document: dict[str, Any]) -> SurveySettings:
    """The deployment's `surveys` section, with the built-in thresholds where it says nothing; read once per
    deployment document."""
    return SurveySettings.model_validate(document.get("surveys") or {})
