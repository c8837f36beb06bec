"""Files on tickets: pre-signed uploads within the limits, checked again when a ticket names them, and downloads for
whoever reaches the ticket, against moto."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.conftest import AGENT, CUSTOMER, OTHER_CUSTOMER
from tests.integration.conftest import open_ticket

BUCKET = "kefu-test-attachments"
PDF = {"name": "receipt.pdf", "contentType": "application/pdf", "size": 2048}


@pytest.fixture
def files(desk, monkeypatch):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("KEFU_ATTACHMENTS_BUCKET", BUCKET)
    return desk


def upload(api, who=CUSTOMER, content: bytes = b"%PDF-1.7 " + b"x" * 2039, **request) -> dict:
    """Ask for a pre-signed upload and put the file where it says, as the browser's POST would."""
    reply = api("POST", "/tickets/attachments/uploads", who=who, body={**PDF, **request})
    assert reply.status == 201, reply.text
    granted = reply.json
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=BUCKET, Key=granted["key"], Body=content, ContentType=granted["fields"]["Content-Type"]
    )
    return granted


def named(granted: dict) -> dict:
    return {key: granted[key] for key in ("key", "name", "contentType", "size")}


def test_the_limits_are_published_before_any_upload(files):
    reply = files("GET", "/tickets/attachments/limits")
    assert reply.status == 200
    assert reply.json["maxBytes"] == 10 * 1024 * 1024
    assert "image/png" in reply.json["contentTypes"] and "text/html" not in reply.json["contentTypes"]


def test_an_upload_is_signed_for_its_type_and_at_most_the_limit_under_the_callers_own_prefix(files):
    reply = files("POST", "/tickets/attachments/uploads", body=PDF)
    assert reply.status == 201
    granted = reply.json
    assert granted["key"].startswith(f"uploads/{CUSTOMER.sub}/") and granted["key"].endswith("/receipt.pdf")
    policy = json.loads(base64.b64decode(granted["fields"]["policy"]))
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    assert granted["uploadUrl"].endswith(f"/{BUCKET}") or BUCKET in urlsplit(granted["uploadUrl"]).netloc


@pytest.mark.parametrize(
    ("request_body", "why"),
    [
        ({**PDF, "size": 10 * 1024 * 1024 + 1}, "body.size"),
        ({**PDF, "name": "page.html", "contentType": "text/html"}, "body.contentType"),
        ({**PDF, "name": "logo.svg", "contentType": "image/svg+xml"}, "body.contentType"),
    ],
)
def test_an_oversized_or_unaccepted_file_is_refused_before_anything_is_signed(files, request_body, why):
    reply = files("POST", "/tickets/attachments/uploads", body=request_body)
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert [issue["location"] for issue in reply.json["errors"]] == [why]


def test_a_ticket_names_its_upload_and_records_what_s3_holds(files):
    granted = upload(files)
    ticket = open_ticket(files, attachments=[{**named(granted), "size": 1, "contentType": "application/PDF"}])
    recorded = [{k: v for k, v in a.items() if v is not None} for a in ticket["attachments"]]
    assert recorded == [{"name": "receipt.pdf", "contentType": "application/pdf", "size": 2048, "key": granted["key"]}]


def test_a_ticket_cannot_name_a_file_that_was_never_uploaded(files):
    reply = files("POST", "/tickets/attachments/uploads", body=PDF)
    body = {"subject": "s", "description": "d", "attachments": [named(reply.json)]}
    answer = files("POST", "/tickets", body=body)
    assert answer.status == 422
    assert "no file was uploaded" in answer.json["detail"]


def test_a_file_too_large_once_uploaded_is_refused_when_the_ticket_names_it(files):
    granted = upload(files, content=b"x" * (10 * 1024 * 1024 + 1))
    answer = files("POST", "/tickets", body={"subject": "s", "description": "d", "attachments": [named(granted)]})
    assert answer.status == 422
    assert "over the limit" in answer.json["detail"]


def test_a_customer_cannot_name_another_customers_upload_or_a_key_of_their_own_choosing(files):
    theirs = upload(files, who=OTHER_CUSTOMER)
    for attachment in (named(theirs), {"name": "x.pdf", "contentType": "application/pdf", "size": 3, "key": "mail/1"}):
        answer = files("POST", "/tickets", body={"subject": "s", "description": "d", "attachments": [attachment]})
        assert answer.status == 422, answer.text


def test_the_customer_and_an_agent_download_a_file_and_nobody_else_does(files):
    granted = upload(files)
    ticket = open_ticket(files, attachments=[named(granted)])
    path = f"/tickets/{ticket['id']}/attachments"
    for who in (CUSTOMER, AGENT):
        reply = files("GET", path, who=who, query={"key": granted["key"]})
        assert reply.status == 200, reply.text
        link = reply.json
        assert (link["name"], link["contentType"]) == ("receipt.pdf", "application/pdf")
        disposition = parse_qs(urlsplit(link["url"]).query)["response-content-disposition"][0]
        assert disposition.startswith("attachment;")
    assert files("GET", path, who=OTHER_CUSTOMER, query={"key": granted["key"]}).status == 404
    assert files("GET", path, who=CUSTOMER, query={"key": "uploads/cust-alice/other"}).status == 404


def test_a_customer_reply_carries_an_uploaded_file_that_is_then_downloadable(files):
    ticket = open_ticket(files)
    granted = upload(files, name="photo.png", contentType="image/png", content=b"\x89PNG" + b"0" * 100, size=104)
    reply = files("POST", f"/tickets/{ticket['id']}/messages", body={"body": "Here", "attachments": [named(granted)]})
    assert reply.status == 201, reply.text
    assert reply.json["attachments"][0]["size"] == 104
    link = files("GET", f"/tickets/{ticket['id']}/attachments", query={"key": granted["key"]})
    assert link.status == 200
