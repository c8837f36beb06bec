"""Requests every route of the HTTP API must refuse (malformed, mistyped or oversized bodies, wrong media types, no
token, ids that do not exist or cannot, bad limits, cursors and If-Match): always the 4xx problem (RFC 9457) each
test names, never a 5xx. A refused request changes nothing, so the whole module shares one desk (a fresh one each
would cost ~0.3 s of CPU a test, most of this file's time); the requests that change the desk are in
test_api_bad_input.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import (
    ADMIN,
    AGENT,
    CUSTOMER,
    OTHER_CUSTOMER,
    Api,
    SettingsEnv,
    create_survey_secret,
    create_tables,
    moto,
    reset_clients,
)
from tests.integration.api_cases import (
    CASES,
    CLAIMS,
    LISTINGS,
    MAX_BODY,
    MISSING_IDS,
    TRAILS,
    UPSERTS,
    Desk,
    assert_problem,
    case_for,
    has_path_params,
    new_desk,
    patch,
    route_id,
    routes,
    takes_body,
)


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    env = SettingsEnv()
    with moto():
        reset_clients()
        create_tables()
        create_survey_secret()
        try:
            yield new_desk(Api(), env)
        finally:
            env.undo()


@pytest.mark.parametrize("route", routes(takes_body))
def test_malformed_json_is_a_400(desk, route):
    # Given a body cut off mid-object, when sent as JSON, then 400
    reply = desk.send(route, raw_body='{"subject": "Parcel', headers={"content-type": "application/json"})
    assert_problem(reply, 400)


@pytest.mark.parametrize("route", routes(takes_body))
def test_json_nested_too_deep_to_read_is_a_4xx(desk, route):
    # Given 100 000 nested arrays (100 KB, under the size limit), when sent, then a 4xx: the parser's
    # RecursionError must not surface as a 500
    reply = desk.send(route, raw_body="[" * 100_000, headers={"content-type": "application/json"})
    assert_problem(reply)


@pytest.mark.parametrize("route", routes(takes_body))
def test_fields_of_the_wrong_type_are_a_422(desk, route):
    # Given the right fields with values of the wrong type, when sent, then 422
    reply = desk.send(route, body=case_for(route).wrong_types)
    assert_problem(reply, 422)
    assert reply.json["errors"], "a 422 says which fields are wrong"


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"], ids=["array", "string", "number", "null"])
@pytest.mark.parametrize("route", routes(takes_body))
def test_json_that_is_not_an_object_is_a_422(desk, route, raw):
    # Given valid JSON that is not an object, when sent, then 422
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("route", routes(takes_body))
def test_an_unknown_field_is_a_422(desk, route):
    # Given a valid body plus a field the API does not know, when sent, then 422 rather than silently dropped
    reply = desk.send(route, body={**case_for(route).body, "customerTier": "vip"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_over_256_kb_is_a_413(desk, route):
    # Given a body one byte over 256 KB, when sent, then 413 before anything reads it
    padded = {**case_for(route).body, "padding": ""}
    padded["padding"] = "x" * (MAX_BODY + 1 - len(json.dumps(padded)))
    assert len(json.dumps(padded).encode()) == MAX_BODY + 1
    assert_problem(desk.send(route, body=padded), 413)


@pytest.mark.parametrize(
    "content_type, raw",
    [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", "subject=Parcel+late&description=Order+1042"),
        ("multipart/form-data; boundary=x", None),
    ],
    ids=["text-plain", "form-encoded", "multipart"],
)
@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_that_is_not_json_by_its_content_type_is_a_415(desk, route, content_type, raw):
    # Given a body sent as text, a form or multipart, when sent, then 415
    raw_body = raw if raw is not None else json.dumps(case_for(route).body)
    reply = desk.send(route, raw_body=raw_body, headers={"content-type": content_type})
    assert_problem(reply, 415)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_without_a_content_type_is_a_415(desk, route):
    # Given a JSON body but no content-type header, when sent, then 415
    reply = desk.send(route, raw_body=json.dumps(case_for(route).body))
    assert_problem(reply, 415)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_base64_body_that_is_not_utf8_is_a_4xx(desk, route):
    # Given a base64-encoded body whose bytes are not UTF-8 (API Gateway passes binary bodies this way),
    # when sent as JSON, then a 4xx rather than a UnicodeDecodeError turned 500
    reply = desk.send(route, raw_body=b'{"subject": "\xff\xfe late"}', headers={"content-type": "application/json"})
    assert_problem(reply)


@pytest.mark.parametrize("route", routes(lambda method, path, protected: protected))
def test_a_protected_route_without_a_token_is_a_401(desk, route):
    # Given a valid request without claims (no bearer token), when sent, then 401 with a Bearer challenge
    reply = desk.send(route, who=None)
    assert_problem(reply, 401)
    assert reply.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("route", routes(lambda method, path, protected: not protected))
def test_a_public_route_answers_without_a_token(desk, route):
    # Given a public route (health, the API document), when called without claims, then a 2xx
    assert 200 <= desk.send(route, who=None).status < 300


@pytest.mark.parametrize("route", routes(lambda m, p, _: "{" in p and (m, p) not in UPSERTS | TRAILS | CLAIMS))
def test_an_id_that_does_not_exist_is_a_404(desk, route):
    # Given a ticket, group or agent id nobody created, when the route is called with it, then 404
    reply = desk.send(route, ids=MISSING_IDS)
    assert_problem(reply, 404)


@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in CLAIMS))
def test_an_article_id_that_does_not_exist_is_a_422(desk, route):
    assert_problem(desk.send(route, ids=MISSING_IDS), 422)


def test_another_customers_ticket_is_a_404_not_a_403(desk):
    # Given Alice's ticket, when Bob asks for it, then 404: ids are not confirmed to strangers
    assert_problem(desk.api("GET", f"/tickets/{desk.ticket_id}", who=OTHER_CUSTOMER), 404)


@pytest.mark.parametrize("route", routes(has_path_params))
def test_an_id_too_long_to_be_a_key_is_a_4xx(desk, route):
    # Given an id of 2100 characters (a DynamoDB partition key holds at most 2048 bytes), when sent, then a 4xx
    too_long = "x" * 2100
    reply = desk.send(route, ids={name: too_long for name in MISSING_IDS})
    assert_problem(reply)


def test_a_group_id_that_agents_could_never_join_is_a_422(desk):
    # Given a group id outside the pattern agents' groupIds must match (lower-case, digits, '-', '_'), when an admin
    # creates it, then 422: otherwise the group exists but PUT /agents/{id} refuses every attempt to join it
    reply = desk.api("PUT", "/groups/Sales Team!", who=ADMIN, body={"name": "Sales"})
    assert_problem(reply, 422)


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "-1"}, {"limit": "abc"}, {"limit": "1.5"}, {"limit": ""}],
    ids=["limit-0", "limit-101", "limit-negative", "limit-abc", "limit-fraction", "limit-empty"],
)
@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in LISTINGS))
def test_a_limit_out_of_range_or_not_a_number_is_a_422(desk, route, query):
    # Given a listing, when asked for a page size outside 1..100 or not a whole number, then 422
    assert_problem(desk.send(route, query=query), 422)


def test_an_unknown_status_filter_is_a_422(desk):
    # Given the ticket listing, when filtered by a status kefu does not have, then 422
    assert_problem(desk.api("GET", "/tickets", who=CUSTOMER, query={"status": "bogus"}), 422)


@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in LISTINGS))
def test_a_garbage_cursor_is_a_400(desk, route):
    # Given a listing, when given a cursor kefu never issued, then 400
    assert_problem(desk.send(route, query={"cursor": "garbage"}), 400)


def test_a_patch_without_if_match_is_a_428(desk):
    # Given a ticket, when patched without If-Match, then 428
    assert_problem(patch(desk, {}), 428)


@pytest.mark.parametrize("garbage", ["not-an-etag", '"abc"', '"-1"', '""', "W/"], ids=str)
def test_a_patch_with_a_garbage_if_match_is_a_412(desk, garbage):
    # Given an If-Match that is no version of the ticket, when patched with it, then 412 (it cannot match)
    assert_problem(patch(desk, {"if-match": garbage}), 412)


@pytest.mark.parametrize("digits", ["²", "¹²"], ids=["superscript-two", "superscript-one-two"])
def test_a_patch_with_an_if_match_of_non_ascii_digits_is_a_4xx(desk, digits):
    # Given an If-Match of characters str.isdigit() accepts but int() does not (a latin-1 header can carry '²'),
    # when patched with it, then a 4xx rather than a ValueError turned 500
    assert_problem(patch(desk, {"if-match": f'"{digits}"'}))


def test_an_empty_idempotency_key_is_a_400(desk):
    # Given an Idempotency-Key header that is empty, when a ticket is opened with it, then 400: accepted as a key,
    # every later request of this customer with an empty key replays the first ticket (or is a 422) for a day
    body = CASES["POST", "/tickets"].body
    reply = desk.api("POST", "/tickets", who=CUSTOMER, body=body, headers={"idempotency-key": ""})
    assert_problem(reply, 400)


def test_an_idempotency_key_longer_than_255_characters_is_a_422(desk):
    # Given an Idempotency-Key of 256 characters, when a ticket is opened with it, then 422
    body = CASES["POST", "/tickets"].body
    reply = desk.api("POST", "/tickets", who=CUSTOMER, body=body, headers={"idempotency-key": "k" * 256})
    assert_problem(reply, 422)


def test_an_infinite_refund_amount_is_a_422(desk):
    # Given a resolution whose amount is 1e999 (read as infinity), when a ticket is resolved with it, then 422:
    # accepted, every later answer about the ticket carries a bare `Infinity`, which JSON parsers refuse
    reply = desk.api(
        "POST",
        f"/tickets/{desk.ticket_id}/transition",
        who=AGENT,
        raw_body='{"to": "resolved", "resolution": {"kind": "refund", "amount": 1e999}}',
        headers={"content-type": "application/json"},
    )
    assert_problem(reply, 422)


@pytest.mark.parametrize(
    "content_type",
    ["application/merge-patch+json", "application/problem+json", "application/json-patch+json", "text/json"],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_any_other_json_like_media_type_is_a_415(desk, route, content_type):
    reply = desk.send(route, raw_body=json.dumps(desk.body_of(route)), headers={"content-type": content_type})
    assert_problem(reply, 415)


@pytest.mark.parametrize(
    "number",
    ["1" * 4301, "-" + "9" * 5000, "9007199254740993", "1e400", "-1e999"],
    ids=["4301-digits", "5000-digits-negative", "past-2^53", "float-overflow", "negative-float-overflow"],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_a_number_out_of_range_anywhere_in_a_body_is_a_422(desk, route, number):
    case = case_for(route)
    raw = json.dumps({**case.body, "extra": "N"}).replace('"N"', number)
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(desk, constant):
    raw = f'{{"subject": "Parcel late", "description": "x", "priority": {constant}}}'
    reply = desk.api("POST", "/tickets", who=AGENT, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 400)


@pytest.mark.parametrize("depth", [33, 1000])
def test_nesting_deeper_than_32_is_a_400(desk, depth):
    raw = '{"subject": "Parcel late", "description": "x", "tags": ' + "[" * depth + "]" * depth + "}"
    reply = desk.api("POST", "/tickets", who=CUSTOMER, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 400)
    assert "deep" in reply.json["detail"]


def test_a_correctly_signed_survey_link_whose_expiry_no_date_holds_is_a_404(desk):
    import base64

    from kefu.surveys import tokens

    route = ("GET", "/surveys/{token}", False)
    desk.send(route)  # makes the desk's survey link
    data = bytearray(base64.urlsafe_b64decode(desk.ids["token"] + "=="))
    data[15:20] = (0xFFFFFFFFFF).to_bytes(5, "big")
    _, key = tokens._keyring().current()
    data[20:] = tokens._mac(key, bytes(data[:20]))
    forged = base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")
    for method in ("GET", "POST"):
        reply = desk.send((method, "/surveys/{token}", False), ids={"token": forged})
        assert_problem(reply, 404)
