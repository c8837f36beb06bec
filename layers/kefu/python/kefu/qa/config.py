"""Quality inspection settings, from the deployment document's `qa` section or built in: the rubric, the service
script (话术: greetings, closings and forbidden phrases per language) the automatic checks hold replies to, their
targets, the monthly sampling and the appeal window.

The same models validate `infra/config/<stage>.yaml` at synth (kefu_infra.config) and read the delivered document
in the functions, so a rubric that synthesized is one the functions score with.
"""

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from kefu import deployment
from kefu.model.defaults import empty_list
from kefu.model.text import Trimmed
from kefu.qa.rubric import Rubric, RubricItem
from kefu.revisits.config import Schedule
from kefu.sla.policy import parse_duration

Language = Literal["zh-Hans", "zh-Hant", "en"]
Phrase = Annotated[str, Trimmed(min_length=1, max_length=100)]


def _duration(text: str) -> str:
    parse_duration(text)
    return text


DurationText = Annotated[str, AfterValidator(_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


#: The built-in rubric: the items the issue names, the identity check and accuracy fatal.
DEFAULT_RUBRIC = Rubric(
    version="1",
    pass_mark=80,
    items=[
        RubricItem(id="greeting", name="开场问候 Greeting", weight=10),
        RubricItem(id="identity_check", name="身份核验 Identity check", weight=15, fatal=True),
        RubricItem(id="accuracy", name="信息准确 Accuracy", weight=25, fatal=True),
        RubricItem(id="script_compliance", name="话术规范 Script compliance", weight=15),
        RubricItem(id="empathy", name="同理心 Empathy", weight=10),
        RubricItem(id="resolution", name="问题解决 Resolution", weight=20),
        RubricItem(id="closing", name="结束语 Closing", weight=5),
    ],
)


class ScriptPhrases(_Strict):
    """One language's service script: a first reply opens with a greeting, a last reply ends with a closing, and no
    reply holds a forbidden phrase. Traditional and Simplified Chinese are folded together when matched."""

    greetings: list[Phrase] = Field(default_factory=empty_list, max_length=100)
    closings: list[Phrase] = Field(default_factory=empty_list, max_length=100)
    forbidden: list[Phrase] = Field(default_factory=empty_list, max_length=500)


DEFAULT_SCRIPT: dict[Language, ScriptPhrases] = {
    "zh-Hans": ScriptPhrases(
        greetings=["您好", "你好", "亲"],
        closings=["祝您生活愉快", "感谢您的耐心", "还有其他问题", "欢迎随时联系", "感谢您的来信", "祝您"],
        forbidden=["不知道", "不归我管", "自己看", "没办法", "你听不懂吗", "爱买不买", "不是我的问题"],
    ),
    "zh-Hant": ScriptPhrases(
        greetings=["您好", "你好"],
        closings=["祝您生活愉快", "感謝您的耐心", "還有其他問題", "歡迎隨時聯繫"],
        forbidden=["不知道", "不歸我管", "自己看", "沒辦法"],
    ),
    "en": ScriptPhrases(
        greetings=["hello", "hi", "dear", "good morning", "good afternoon", "good evening", "thank you for contacting"],
        closings=["have a nice day", "have a great day", "best regards", "kind regards", "anything else", "thank you"],
        forbidden=["not my problem", "not my job", "calm down", "you should have", "whatever", "obviously"],
    ),
}


class CheckTargets(_Strict):
    """The automatic checks' targets."""

    #: Longest wait for a first reply when the ticket's SLA clock gives no due time (wall-clock).
    first_response: DurationText = "8h"
    #: Longest a customer's message may wait for the next reply by a person (wall-clock).
    reply_gap: DurationText = "24h"
    #: A survey answer with CSAT at or below this (1-5) is a finding.
    low_csat: int = Field(default=2, ge=1, le=5)

    @property
    def first_response_target(self) -> timedelta:
        return parse_duration(self.first_response)

    @property
    def reply_gap_target(self) -> timedelta:
        return parse_duration(self.reply_gap)


class Sampling(_Strict):
    """The monthly sample: at least `per_agent` tickets of each agent (complaints and low CSAT first, then tickets
    with findings, then at random), at most `max_per_agent`; on `schedule`, for the month before."""

    per_agent: int = Field(default=5, ge=1, le=100)
    max_per_agent: int = Field(default=20, ge=1, le=500)
    schedule: Schedule = Field(default_factory=lambda: Schedule(cron="0 3 1 * ? *", timezone="Asia/Shanghai"))
    enabled: bool = True

    @model_validator(mode="after")
    def _room_for_the_minimum(self) -> Self:
        if self.max_per_agent < self.per_agent:
            raise ValueError(f"max_per_agent ({self.max_per_agent}) is below per_agent ({self.per_agent})")
        return self


class QaSettings(_Strict):
    rubric: Rubric = DEFAULT_RUBRIC
    script: dict[Language, ScriptPhrases] = Field(default_factory=lambda: dict(DEFAULT_SCRIPT))
    checks: CheckTargets = Field(default_factory=CheckTargets)
    sampling: Sampling = Field(default_factory=Sampling)
    #: An agent acknowledges or appeals a scored review within this many days (409 after).
    appeal_days: int = Field(default=7, ge=1, le=90)

    def phrases(self, kind: Literal["greetings", "closings", "forbidden"]) -> list[str]:
        """Every language's phrases of a kind, in order, each once."""
        return list(dict.fromkeys(p for script in self.script.values() for p in getattr(script, kind)))


@deployment.prepared_per_document
def qa_settings(document: dict[str, Any]) -> QaSettings:
    """The deployment's `qa` section, built-in values where it says nothing; read once per deployment document."""
    return QaSettings.model_validate(document.get("qa") or {})
