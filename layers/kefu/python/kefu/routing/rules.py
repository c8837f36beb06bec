"""Routing a contact: its category, its emotion, its priority and its group, each with the reason why.

Order of work: the category (given, else inferred from keywords by precedence), the emotion, then the first
routing rule that matches (group, base priority, maybe a reclassification), then every priority raise that
matches. A priority given by the caller is kept: rules and raises don't move it, except that a threat (12315,
消协, the media, a lawyer, a chargeback) still raises it to what the rules decide, because such a contact can't
wait whatever a form said.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority
from kefu.routing.config import Match, RoutingConfig, Rule, routing_config
from kefu.routing.model import Contact, Emotion, RoutingDecision, Sentiment
from kefu.routing.text import Lexicon, normalize, repeated_punctuation, shouting

_PRIORITIES = list(Priority)
_MAX_QUOTED = 3


class _Facts(NamedTuple):
    """What rules match on, once the text has been read."""

    category: Category
    tier: Tier
    emotion: Emotion
    channel: Channel | None
    repeat: bool
    recent_contacts: int
    metadata: dict[str, Any]
    text: str
    window_hours: int


def _quoted(items: list[str]) -> str:
    return ", ".join(f"'{item}'" for item in items[:_MAX_QUOTED])


def assess_emotion(subject: str, body: str, config: RoutingConfig | None = None) -> Emotion:
    """How the customer sounds: calm, negative or angry, and whether they threaten to go elsewhere.

    A threat or angry wording makes a contact angry; so does intensity (!!!, ALL CAPS) on top of negative
    wording, or both kinds of intensity together. Negative wording or one kind of intensity alone is negative.
    """
    compiled = (config or routing_config()).compiled
    text = normalize(f"{subject}\n{body}")
    lowered = text.lower()
    threats = compiled.threat.find_all(lowered)
    angry = compiled.angry.find_all(lowered)
    negative = compiled.negative.find_all(lowered)
    intensity = [
        (label, found)
        for label, found in (("repeated punctuation", repeated_punctuation(text)), ("shouting", shouting(text)))
        if found
    ]
    cues = [("threat", hit) for hit in threats] + [("angry wording", hit) for hit in angry]
    cues += [("negative wording", hit) for hit in negative] + intensity
    if threats or angry or (negative and intensity) or len(intensity) >= 2:
        sentiment = Sentiment.ANGRY
    elif negative or intensity:
        sentiment = Sentiment.NEGATIVE
    else:
        sentiment = Sentiment.CALM
    return Emotion(sentiment=sentiment, threat=bool(threats), cues=cues)


def infer_category(subject: str, body: str, config: RoutingConfig | None = None) -> tuple[Category, str]:
    """The category the text speaks of, and the reason: the first category in precedence order with a keyword hit."""
    config = config or routing_config()
    places = {"subject": normalize(subject).lower(), "body": normalize(body).lower()}
    matched: list[tuple[Category, list[str]]] = []
    for category in config.category_precedence:
        lexicon = config.compiled.categories[category]
        where = [f"'{hit}' in {place}" for place, text in places.items() for hit in lexicon.find_all(text)]
        if where:
            matched.append((category, where))
    if not matched:
        return config.fallback_category, f"category {config.fallback_category}: no category keyword matched (default)"
    category, where = matched[0]
    noun = "keyword" if len(where) == 1 else "keywords"
    reason = f"category {category}: matched {noun} {', '.join(where[:_MAX_QUOTED])}"
    others = [str(other) for other, _ in matched[1:]]
    if others:
        reason += f" (also matched {', '.join(others)}, lower in precedence)"
    return category, reason


def _threat_cues(emotion: Emotion) -> str:
    return _quoted([found for label, found in emotion.cues if label == "threat"])


def describe_cues(emotion: Emotion) -> str:
    """What made the emotion what it is, by kind of cue: "angry wording '垃圾', repeated punctuation '!!!'"."""
    by_label: dict[str, list[str]] = {}
    for label, found in emotion.cues:
        by_label.setdefault(label, []).append(found)
    return ", ".join(f"{label} {_quoted(found)}" for label, found in by_label.items())


def _explain(match: Match, lexicon: Lexicon, facts: _Facts) -> list[str] | None:
    """Why `match` holds for the contact, condition by condition; None when it doesn't."""
    why: list[str] = []
    for check in _CHECKS:
        reason = check(match, lexicon, facts)
        if reason is None:
            return None
        if reason:
            why.append(reason)
    return why or ["matches every contact"]


# Each condition of a match: "" when the match does not set it, None when the contact fails it, else why it holds.


def _category(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if not match.categories:
        return ""
    return f"category {facts.category}" if facts.category in match.categories else None


def _tier(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if not match.tiers:
        return ""
    return f"customer tier {facts.tier}" if facts.tier in match.tiers else None


def _sentiment(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if not match.sentiments:
        return ""
    if facts.emotion.sentiment not in match.sentiments:
        return None
    angry = facts.emotion.sentiment is Sentiment.ANGRY
    shown = [found for label, found in facts.emotion.cues if not (angry and label == "negative wording")]
    return f"{facts.emotion.sentiment} wording" + (f" ({_quoted(shown)})" if shown else "")


def _channel(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if not match.channels:
        return ""
    return f"channel {facts.channel}" if facts.channel in match.channels else None


def _repeat(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if match.repeat is None:
        return ""
    if facts.repeat != match.repeat:
        return None
    if facts.repeat:
        return f"repeat contact ({facts.recent_contacts} earlier within {facts.window_hours} h)"
    return "first contact"


def _threat(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if match.threat is None:
        return ""
    if facts.emotion.threat != match.threat:
        return None
    if facts.emotion.threat:
        return f"threat to go to a regulator, the media or court ({_threat_cues(facts.emotion)})"
    return "no threat"


def _keywords(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    if not match.keywords:
        return ""
    hits = lexicon.find_all(facts.text)
    if not hits:
        return None
    return f"matched {'keyword' if len(hits) == 1 else 'keywords'} {_quoted(hits)}"


def _metadata(match: Match, lexicon: Lexicon, facts: _Facts) -> str | None:
    why = []
    for key, wanted in match.metadata.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if key not in facts.metadata or facts.metadata[key] not in allowed:
            return None
        why.append(f"channel metadata {key}={facts.metadata[key]!r}")
    return ", ".join(why)


_CHECKS: tuple[Callable[[Match, Lexicon, _Facts], str | None], ...] = (
    _category,
    _tier,
    _sentiment,
    _channel,
    _repeat,
    _threat,
    _keywords,
    _metadata,
)


def _raised(priority: Priority, steps: int) -> Priority:
    return _PRIORITIES[max(_PRIORITIES.index(priority) - steps, 0)]


def route(contact: Contact, config: RoutingConfig | None = None) -> RoutingDecision:
    """Classify a contact and choose its priority and group, by the configured rules (the deployment's by default)."""
    config = config or routing_config()
    reasons: list[str] = []

    if contact.category is not None:
        category = contact.category
        reasons.append(f"category {category}: given by the caller")
    else:
        category, why = infer_category(contact.subject, contact.body, config)
        reasons.append(why)

    emotion = assess_emotion(contact.subject, contact.body, config)
    if emotion.sentiment is not Sentiment.CALM:
        reasons.append(f"sentiment {emotion.sentiment}: {describe_cues(emotion)}")

    facts = _Facts(
        category=category,
        tier=contact.tier,
        emotion=emotion,
        channel=contact.channel,
        repeat=contact.recentContacts >= config.repeat_threshold,
        recent_contacts=contact.recentContacts,
        metadata=contact.metadata,
        text=normalize(f"{contact.subject}\n{contact.body}").lower(),
        window_hours=config.repeat_window_hours,
    )

    group, priority, matched_rule = config.default_group, config.default_priority, None
    group_reason = f"group {group}: no routing rule sets a group (default)"
    priority_reasons = [f"priority {priority}: default"]
    found = _first_matching_rule(config, facts)
    if found is not None:
        rule, because = found
        matched_rule = rule.name
        if rule.category is not None and rule.category != category:
            category = _reclassified(contact, category, rule.category, because, reasons)
            facts = facts._replace(category=category)
        if rule.group is not None:
            group, group_reason = rule.group, f"group {rule.group}: {because}"
        if rule.priority is not None:
            priority, priority_reasons = rule.priority, [f"priority {rule.priority}: {because}"]
    reasons.append(group_reason)

    priority = _raised_by_rules(config, facts, priority, priority_reasons)
    priority = _callers_priority(contact, emotion, priority, priority_reasons, reasons)

    return RoutingDecision(
        category=category,
        priority=priority,
        group=group,
        sentiment=emotion.sentiment,
        threat=emotion.threat,
        repeat=facts.repeat,
        rule=matched_rule,
        reasons=reasons,
    )


def _first_matching_rule(config: RoutingConfig, facts: _Facts) -> tuple[Rule, str] | None:
    """The first routing rule that matches, with why."""
    for rule in config.rules:
        why = _explain(rule.match, config.compiled.rule_keywords[rule.name], facts)
        if why is not None:
            return rule, f"{', '.join(why)} (rule '{rule.name}')"
    return None


def _reclassified(contact: Contact, category: Category, new: Category, because: str, reasons: list[str]) -> Category:
    """The category once a rule would reclassify the contact: the rule's, unless the caller gave one."""
    if contact.category is None:
        reasons.append(f"category {category}→{new}: {because}")
        return new
    reasons.append(f"category {category} kept (given by the caller), though {because} would make it {new}")
    return category


def _raised_by_rules(config: RoutingConfig, facts: _Facts, priority: Priority, reasons: list[str]) -> Priority:
    """The priority after every raise that matches (each noted in `reasons`)."""
    for item in config.raises:
        why = _explain(item.match, config.compiled.raise_keywords[item.name], facts)
        if why is None:
            continue
        because = f"{', '.join(why)} (raise '{item.name}')"
        raised = _raised(priority, item.steps)
        if raised == priority:
            reasons.append(f"priority stays {priority}, the highest: {because}")
        else:
            reasons.append(f"priority raised {priority}→{raised}: {because}")
            priority = raised
    return priority


def _callers_priority(
    contact: Contact, emotion: Emotion, priority: Priority, priority_reasons: list[str], reasons: list[str]
) -> Priority:
    """A priority the caller gave is kept, except that a threat still raises it to what the rules decided."""
    if contact.priority is None:
        reasons += priority_reasons
        return priority
    if emotion.threat and _PRIORITIES.index(priority) < _PRIORITIES.index(contact.priority):
        reasons.append(
            f"priority raised {contact.priority}→{priority} over the caller's choice: threat to go to a regulator, "
            f"the media or court ({_threat_cues(emotion)})"
        )
        return priority
    if priority != contact.priority:
        reasons.append(f"priority {contact.priority}: given by the caller (the rules would make it {priority})")
    else:
        reasons.append(f"priority {contact.priority}: given by the caller")
    return contact.priority
