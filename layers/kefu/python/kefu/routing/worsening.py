"""A customer's mood read again on every message they write, and whether it got worse than the ticket knew.

Routing reads the first message's emotion when the ticket opens; each later message (from the app, the intake
queue or e-mail) is read the same way (`assess_emotion`, Traditional and full-width text folded alike). The ticket's
sentiment then follows the latest message, calmer or not. A *worsening* is a message that sounds worse than the
ticket's sentiment (calm → negative, negative → angry, calm → angry) or that threatens to go to a regulator, the
media, a lawyer or the bank when no earlier message did. A worsening raises the priority one step, a new threat to
P1 (routing's built-in rule gives a threatening contact P1 when it opens); a ticket is raised so once: later
worsenings are recorded without raising it again, since the agents already know it is escalating.
"""

from typing import NamedTuple

from kefu.model.tickets import Priority
from kefu.routing.config import RoutingConfig
from kefu.routing.model import Emotion, Sentiment
from kefu.routing.rules import assess_emotion, describe_cues

_RANK = {Sentiment.CALM: 0, Sentiment.NEGATIVE: 1, Sentiment.ANGRY: 2}
_PRIORITIES = list(Priority)


class Reassessment(NamedTuple):
    """The latest message's emotion against what the ticket knew, and what it does to the ticket."""

    emotion: Emotion
    #: The ticket's sentiment before the message (None: never assessed, as for tickets older than this reading).
    before: Sentiment | None
    #: The message sounds worse than the ticket's sentiment, or threatens where no earlier message did.
    worsened: bool
    #: The priority after the message: raised only by a worsening on a ticket not raised for one before.
    priority: Priority
    #: Why, for the ticket's timeline.
    reason: str

    @property
    def changed(self) -> bool:
        return self.emotion.sentiment != self.before or self.worsened


def reassess(
    body: str,
    *,
    sentiment: str | None,
    threat: bool,
    priority: Priority,
    already_raised: bool,
    config: RoutingConfig | None = None,
) -> Reassessment:
    """Read a customer's new message against the ticket's `sentiment`, `threat` and `priority`."""
    emotion = assess_emotion("", body, config)
    before = Sentiment(sentiment) if sentiment in _RANK else None
    rank_before = _RANK[before] if before is not None else 0
    new_threat = emotion.threat and not threat
    worsened = _RANK[emotion.sentiment] > rank_before or new_threat
    cues = describe_cues(emotion) or "no emotional wording"
    said = f"customer's message reads {emotion.sentiment} ({cues})"
    if not worsened:
        return Reassessment(emotion, before, False, priority, said)
    if already_raised:
        reason = f"{said}: worse than before; priority stays {priority}, already raised once for a worsening"
        return Reassessment(emotion, before, True, priority, reason)
    raised = Priority.P1 if new_threat else _PRIORITIES[max(_PRIORITIES.index(priority) - 1, 0)]
    if raised == priority:
        reason = f"{said}: worse than before; priority stays {priority}, the highest"
    else:
        why = "a new threat" if new_threat else "worse than before"
        reason = f"{said}: {why}, priority raised {priority}→{raised} (once for this ticket)"
    return Reassessment(emotion, before, True, raised, reason)
