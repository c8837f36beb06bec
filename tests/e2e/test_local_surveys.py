"""`kefu local up` serves survey links: the survey secret exists locally, a survey issued against the local AWS
endpoint (as the campaign function issues it, in a process of its own) is shown and answered over HTTP, once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import requests

from .local_stack import DEFAULT_STACK, LocalStackProcess

pytestmark = [pytest.mark.e2e, DEFAULT_STACK]

ISSUE = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from kefu.store import tickets
    from kefu.surveys import service
    ticket = tickets.get(sys.argv[1])
    issued = service.issue_survey(ticket, campaign_id="daily-csat-survey", expires_in=timedelta(days=14))
    print(issued.link)
    """
)


def issue_survey(stack: LocalStackProcess, ticket_id: str) -> str:
    (secret,) = stack.client("secretsmanager").list_secrets()["SecretList"]
    table = next(name for name in stack.client("dynamodb").list_tables()["TableNames"] if name.endswith("-Table"))
    env = stack.env | {
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "KEFU_TABLE": table,
        "KEFU_SURVEY_SECRET_ARN": secret["ARN"],
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "kefu",
    }
    done = subprocess.run(
        [sys.executable, "-c", ISSUE, ticket_id], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_survey_link_is_shown_and_answered_once_through_the_local_api(running_stack: LocalStackProcess):
    # Given a resolved ticket and its survey, issued against the local AWS endpoint
    customer, agent = running_stack.token("--role", "customer"), running_stack.token("--role", "agent")
    body = {"subject": "Parcel late", "description": "Order 1042."}
    opened = requests.post(
        f"{running_stack.url}/tickets", json=body, headers={"Authorization": f"Bearer {customer}"}, timeout=10
    )
    ticket_id = opened.json()["id"]
    resolve = {"to": "resolved", "resolution": {"kind": "reship"}}
    reply = requests.post(
        f"{running_stack.url}/tickets/{ticket_id}/transition",
        json=resolve,
        headers={"Authorization": f"Bearer {agent}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    link = issue_survey(running_stack, ticket_id)
    # When the link is opened and answered without a token, then shown, recorded once, and refused the second time
    shown = requests.get(f"{running_stack.url}{link}", timeout=10)
    assert shown.status_code == 200 and shown.json()["ticket"]["id"] == ticket_id
    answered = requests.post(f"{running_stack.url}{link}", json={"csat": 5, "nps": 9}, timeout=10)
    assert answered.status_code == 201 and answered.json()["csat"] == 5
    again = requests.post(f"{running_stack.url}{link}", json={"csat": 1}, timeout=10)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
