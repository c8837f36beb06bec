"""Routing (issue 6): a contact's category, emotion, priority and group, by rules in configuration.

Pure: no AWS and no I/O besides reading the deployment document once (kefu.deployment).
"""

from kefu.routing.config import Match, Raise, RoutingConfig, Rule, routing_config
from kefu.routing.model import Contact, Emotion, RoutingDecision, Sentiment
from kefu.routing.rules import assess_emotion, describe_cues, infer_category, route
from kefu.routing.worsening import Reassessment, reassess

__all__ = [
    "Contact",
    "Emotion",
    "Match",
    "Raise",
    "Reassessment",
    "RoutingConfig",
    "RoutingDecision",
    "Rule",
    "Sentiment",
    "assess_emotion",
    "describe_cues",
    "infer_category",
    "reassess",
    "route",
    "routing_config",
]
