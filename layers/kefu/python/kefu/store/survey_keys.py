"""The partition keys of a survey (`SURVEY#<id>`) and of a revisit campaign (`CAMPAIGN#<id>`).

Shared by the surveys' store and the campaign runs' store: a module of its own so that a campaign run (the revisit
function's first piece of work, selecting a run's targets) keys its items without importing the surveys' store and
models, about 22 M instructions of its cold start.
"""


def survey_key(survey_id: str) -> str:
    return f"SURVEY#{survey_id}"


def campaign_key(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"
