"""`kefu local up`, used as a client would: tokens from `kefu local token`, requests over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid

import pytest
import requests

from .local_stack import DEFAULT_STACK, LocalStackProcess, free_port, kefu_command

pytestmark = pytest.mark.e2e

NEW_TICKET = {"subject": "Where is my parcel?", "description": "Order 1001 has not arrived yet."}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_ticket(stack: LocalStackProcess, token: str, **headers: str) -> requests.Response:
    return requests.post(f"{stack.url}/tickets", json=NEW_TICKET, headers=bearer(token) | headers, timeout=10)


@DEFAULT_STACK
def test_health_and_the_openapi_document_need_no_token(running_stack: LocalStackProcess):
    health = requests.get(f"{running_stack.url}/health", timeout=5)
    openapi = requests.get(f"{running_stack.url}/openapi.json", timeout=10)

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert openapi.status_code == 200
    assert "/tickets" in openapi.json()["paths"]


@DEFAULT_STACK
def test_a_customer_opens_a_ticket_and_reads_it_back(running_stack: LocalStackProcess):
    token = running_stack.token("--role", "customer")

    created = open_ticket(running_stack, token)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    read = requests.get(f"{running_stack.url}/tickets/{ticket_id}", headers=bearer(token), timeout=10)

    assert read.status_code == 200, read.text
    assert read.json()["id"] == ticket_id
    assert read.json()["subject"] == NEW_TICKET["subject"]
    assert read.headers["apigw-requestid"]


@DEFAULT_STACK
def test_an_agent_reads_a_customers_ticket_but_another_customer_cannot(running_stack: LocalStackProcess):
    # The agent's group claim reaches the API as API Gateway renders it ("[agent]"), and each
    # customer is told apart by the token's sub.
    ticket_id = open_ticket(running_stack, running_stack.token("--role", "customer")).json()["id"]
    agent = running_stack.token("--role", "agent")
    stranger = running_stack.token("--role", "customer", "--sub", f"someone-else-{uuid.uuid4().hex[:6]}")

    as_agent = requests.get(f"{running_stack.url}/tickets/{ticket_id}", headers=bearer(agent), timeout=10)
    as_stranger = requests.get(f"{running_stack.url}/tickets/{ticket_id}", headers=bearer(stranger), timeout=10)

    assert as_agent.status_code == 200, as_agent.text
    assert as_stranger.status_code in (403, 404), as_stranger.text


@DEFAULT_STACK
def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_ticket(running_stack: LocalStackProcess):
    token = running_stack.token("--role", "customer")
    key = str(uuid.uuid4())

    first = open_ticket(running_stack, token, **{"Idempotency-Key": key})
    again = open_ticket(running_stack, token, **{"Idempotency-Key": key})

    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]


@DEFAULT_STACK
def test_a_chunked_request_body_arrives_whole(running_stack: LocalStackProcess):
    token = running_stack.token("--role", "customer")
    payload = json.dumps(NEW_TICKET).encode()
    chunks = iter([payload[:10], payload[10:]])  # a generator body makes requests send it chunked

    response = requests.post(
        f"{running_stack.url}/tickets",
        data=chunks,
        headers=bearer(token) | {"Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 201, response.text
    assert response.json()["subject"] == NEW_TICKET["subject"]


@DEFAULT_STACK
def test_a_request_without_a_token_is_refused_as_api_gateway_does(running_stack: LocalStackProcess):
    response = requests.get(f"{running_stack.url}/tickets", timeout=5)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer")


@DEFAULT_STACK
def test_a_token_signed_with_another_key_is_refused(running_stack: LocalStackProcess, tmp_path):
    foreign = running_stack.token("--role", "admin", state_dir=tmp_path / "another-state")

    response = requests.get(f"{running_stack.url}/tickets", headers=bearer(foreign), timeout=5)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@DEFAULT_STACK
def test_an_undeclared_route_answers_404_as_api_gateway_does(running_stack: LocalStackProcess):
    token = running_stack.token("--role", "agent")

    response = requests.get(f"{running_stack.url}/no/such/route", headers=bearer(token), timeout=5)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


@DEFAULT_STACK
def test_a_taken_port_is_reported_with_the_variable_that_moves_it(running_stack: LocalStackProcess, tmp_path):
    # A second stack on the running one's API port.
    env = running_stack.env | {"KEFU_AWS_PORT": str(free_port())}

    done = subprocess.run(
        [*kefu_command(), "local", "up"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 1
    assert f"port {running_stack.api_port}" in done.stderr
    assert "KEFU_API_PORT" in done.stderr
    assert "Traceback" not in done.stderr


# --- state across restarts ---------------------------------------------------------------------------------


def _dead_letter_queue(stack: LocalStackProcess) -> str:
    """A queue no poller reads: what is sent there stays until someone looks."""
    urls = stack.client("sqs").list_queues()["QueueUrls"]
    return next(url for url in urls if "DeadLetters" in url or "dlq" in url.lower())


# Each test below starts one stack more than once (a start costs seconds of CPU): one journey each.


def test_ctrl_c_stops_it_cleanly_and_a_start_on_the_same_ports_has_tickets_messages_and_objects_as_they_were(
    fresh_stack: LocalStackProcess,
):
    # Given a ticket opened, a message on a dead-letter queue and an object in a bucket
    fresh_stack.start()
    token = fresh_stack.token("--role", "customer")
    opened = open_ticket(fresh_stack, token)
    assert opened.status_code == 201
    queue = _dead_letter_queue(fresh_stack)
    fresh_stack.client("sqs").send_message(QueueUrl=queue, MessageBody="kept across restarts")
    bucket = fresh_stack.client("s3").list_buckets()["Buckets"][0]["Name"]
    fresh_stack.client("s3").put_object(Bucket=bucket, Key="kept.txt", Body=b"still here")

    # When the stack is stopped (Ctrl-C) and started again on the same ports
    assert fresh_stack.stop(signal.SIGINT) == 0
    assert "kefu local stopped" in fresh_stack.output()
    fresh_stack.start()

    # Then all three are there, as they were
    again = requests.get(f"{fresh_stack.url}/tickets/{opened.json()['id']}", headers=bearer(token), timeout=10)
    assert again.status_code == 200
    assert again.json()["subject"] == opened.json()["subject"]
    messages = fresh_stack.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["kept across restarts"]
    assert fresh_stack.client("s3").get_object(Bucket=bucket, Key="kept.txt")["Body"].read() == b"still here"
    # And SIGTERM (how a service manager stops it) is as clean
    assert fresh_stack.stop(signal.SIGTERM) == 0


def test_a_hard_kill_loses_at_most_the_last_second_and_kefu_local_reset_starts_the_next_run_clean(
    fresh_stack: LocalStackProcess,
):
    # Given a ticket opened, and more than a second of quiet after it
    fresh_stack.start()
    token = fresh_stack.token("--role", "customer")
    opened = open_ticket(fresh_stack, token)
    assert opened.status_code == 201
    time.sleep(2.5)

    # When the process is killed without a chance to save, and started again
    fresh_stack.kill()
    fresh_stack.start()

    # Then the ticket is there
    again = requests.get(f"{fresh_stack.url}/tickets/{opened.json()['id']}", headers=bearer(token), timeout=10)
    assert again.status_code == 200
    assert fresh_stack.stop(signal.SIGINT) == 0

    # When `kefu local reset` runs, and the stack starts again
    done = subprocess.run(
        [*kefu_command(), "local", "reset"], env=fresh_stack.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    fresh_stack.start()

    # Then the ticket is gone, and the same token (the signing key is kept) still works
    again = requests.get(f"{fresh_stack.url}/tickets/{opened.json()['id']}", headers=bearer(token), timeout=10)
    assert again.status_code == 404
    assert fresh_stack.stop(signal.SIGINT) == 0
