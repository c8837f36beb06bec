"""The knowledge routes against moto: articles and their history, publishing into search, what customers may see,
canned replies with their placeholders and usage, and a ticket's suggestions; every role."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ADMIN, AGENT, CUSTOMER, SUPERVISOR, Identity
from tests.integration.conftest import open_ticket

EDITOR = Identity("editor-sun", ("editor",), "sun@kefu.example")


@pytest.fixture
def kb(desk):
    import boto3

    from kefu.config import reload_settings
    from kefu.knowledge import published

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    os.environ["KEFU_KB_BUCKET"] = "kefu-test-kb"
    reload_settings()
    published.forget()
    yield desk
    published.forget()
    os.environ.pop("KEFU_KB_BUCKET", None)  # later tests' functions have no knowledge base unless they set one


def write(api, who=EDITOR, **fields):
    body = {
        "title": "快递到哪里了？如何查询物流",
        "body": "在“我的订单”里点开订单，可以看到快递公司和运单号，物流信息每隔几小时更新一次。",
        "language": "zh-Hans",
        "category": "logistics",
        "visibility": "public",
        **fields,
    }
    reply = api("POST", "/kb/articles", who=who, body=body)
    assert reply.status == 201, reply.text
    return reply.json


def publish(api, article, who=EDITOR):
    reply = api("POST", f"/kb/articles/{article['id']}/publish", who=who, body={"note": "reviewed"})
    assert reply.status == 200, reply.text
    return reply.json


def search(api, q, who=CUSTOMER, **query):
    reply = api("GET", "/kb/articles", who=who, query={"q": q, **query})
    assert reply.status == 200, reply.text
    return [item["id"] for item in reply.json["items"]]


# --- articles ----------------------------------------------------------------------------------------------


def test_an_editor_writes_a_draft_that_customers_cannot_see(kb):
    article = write(kb)
    assert (article["status"], article["version"]) == ("draft", 1)
    assert kb("GET", f"/kb/articles/{article['id']}", who=CUSTOMER).status == 404
    assert kb("GET", f"/kb/articles/{article['id']}", who=AGENT).status == 200


def test_agents_and_customers_cannot_write_articles(kb):
    body = {"title": "t", "body": "b", "language": "en", "category": "logistics"}
    assert kb("POST", "/kb/articles", who=AGENT, body=body).status == 403
    assert kb("POST", "/kb/articles", who=CUSTOMER, body=body).status == 403
    assert kb("POST", "/kb/articles", who=SUPERVISOR, body=body).status == 201


def test_a_published_article_is_found_by_simplified_traditional_and_synonym_questions(kb):
    article = publish(kb, write(kb))
    assert article["status"] == "published"
    for question in ("快递", "快遞", "物流", "我的快遞到哪裡了"):
        assert search(kb, question) == [article["id"]], question


def test_an_english_question_with_a_typo_finds_its_article(kb):
    article = publish(
        kb,
        write(
            kb,
            title="When will my refund arrive?",
            body="Refunds go back to the original payment method within 3-5 business days.",
            language="en",
            category="refunds",
        ),
    )
    assert search(kb, "refnd arrived", lang="en") == [article["id"]]
    assert search(kb, "refunded", lang="en") == [article["id"]]


def test_nothing_internal_or_unpublished_reaches_a_customer(kb):
    public = publish(kb, write(kb))
    internal = publish(kb, write(kb, visibility="internal", title="快递丢件内部处理流程"))
    draft = write(kb, title="快递新规草稿")
    assert search(kb, "快递") == [public["id"]]
    listed = kb("GET", "/kb/articles", who=CUSTOMER).json["items"]
    assert [item["id"] for item in listed] == [public["id"]]
    assert kb("GET", f"/kb/articles/{internal['id']}", who=CUSTOMER).status == 404
    assert kb("GET", f"/kb/articles/{draft['id']}", who=CUSTOMER).status == 404
    assert set(search(kb, "快递", who=AGENT)) == {public["id"], internal["id"]}
    assert {item["id"] for item in kb("GET", "/kb/articles", who=AGENT).json["items"]} == {
        public["id"],
        internal["id"],
        draft["id"],
    }


def test_changing_an_article_needs_if_match_and_keeps_who_changed_what(kb):
    article = write(kb)
    path = f"/kb/articles/{article['id']}"
    assert kb("PUT", path, who=EDITOR, body={"title": "新标题"}).status == 428
    assert kb("PUT", path, who=EDITOR, body={"title": "新标题"}, headers={"If-Match": '"7"'}).status == 412
    changed = kb("PUT", path, who=SUPERVISOR, body={"title": "新标题", "note": "clearer"}, headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.headers["etag"] == '"2"'
    history = kb("GET", f"{path}/history", who=AGENT).json["items"]
    assert [(h["version"], h["by"], h["action"]) for h in history] == [
        (1, EDITOR.sub, "created"),
        (2, SUPERVISOR.sub, "updated"),
    ]
    assert history[1]["changed"] == ["title"] and history[1]["note"] == "clearer"
    assert history[0]["article"]["title"] != history[1]["article"]["title"]
    assert kb("GET", f"{path}/history", who=CUSTOMER).status == 404


def test_archiving_a_published_article_takes_it_out_of_search(kb):
    article = publish(kb, write(kb))
    reply = kb(
        "PUT", f"/kb/articles/{article['id']}", who=EDITOR, body={"status": "archived"}, headers={"If-Match": "*"}
    )
    assert reply.status == 200
    assert search(kb, "快递", who=AGENT) == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": ""}, 400),
        ({"q": "   "}, 400),
        ({"q": "？！。,,,!!"}, 400),
        ({"q": "😀🚚📦"}, 400),
        ({"q": "x" * 10_240}, 422),
        ({"q": "快递", "lang": "fr"}, 422),
        ({"category": "weather"}, 422),
    ],
)
def test_bad_questions_are_4xx_problems(kb, query, status):
    publish(kb, write(kb))
    reply = kb("GET", "/kb/articles", who=CUSTOMER, query=query)
    assert reply.status == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"


def test_an_article_in_an_unknown_language_is_refused(kb):
    body = {"title": "t", "body": "b", "language": "fr", "category": "logistics"}
    reply = kb("POST", "/kb/articles", who=EDITOR, body=body)
    assert reply.status == 422 and reply.headers["content-type"] == "application/problem+json"


def test_another_function_sees_a_newer_index_after_its_refresh(kb, monkeypatch):
    from kefu.knowledge import published

    first = publish(kb, write(kb))
    monkeypatch.setenv("KEFU_KB_REFRESH_SECONDS", "0")
    published.forget()  # as a function that has not searched yet
    assert search(kb, "快递") == [first["id"]]
    held = published.current()
    second = publish(kb, write(kb, title="快递延误怎么办"))
    published._held = published._Held(held, "stale", 0.0)  # a function still holding the older index
    assert set(search(kb, "快递")) == {first["id"], second["id"]}


def test_a_function_holding_no_index_reads_it_and_one_holding_it_asks_only_whether_it_changed(
    kb, monkeypatch, aws_calls
):
    from kefu.knowledge import published
    from kefu.store import kb_index

    publish(kb, write(kb))
    monkeypatch.setenv("KEFU_KB_REFRESH_SECONDS", "0")
    published.forget()  # as a function that has not searched yet
    reads = spy_on_reads(monkeypatch)
    aws_calls.reset()
    held = published.current()
    # Given no index held, its file item is read at once (not its version first: there is none to compare), from
    # the table: no S3 call
    assert reads == ["file"] and aws_calls.count() == {("dynamodb", "GetItem"): 1}
    reads.clear()
    aws_calls.reset()
    # when its refresh period is over and nothing was published since, then only its version is asked for
    assert published.current() is held
    assert reads == ["version"] and aws_calls.count() == {("dynamodb", "GetItem"): 1}
    assert kb_index.read_version() == published._held.version


def spy_on_reads(monkeypatch) -> list[str]:
    """Which of the index's items (kefu.store.kb_index) are read: "file", "version"."""
    from kefu.store import kb_index

    reads: list[str] = []
    read_file, read_version = kb_index.read_file, kb_index.read_version
    monkeypatch.setattr(kb_index, "read_file", lambda: reads.append("file") or read_file())
    monkeypatch.setattr(kb_index, "read_version", lambda: reads.append("version") or read_version())
    return reads


def test_an_index_too_large_for_an_item_is_put_in_the_bucket_and_read_from_there(kb, monkeypatch, aws_calls):
    import boto3

    from kefu.knowledge import published
    from kefu.store import kb_index

    monkeypatch.setattr(kb_index, "INLINE_LIMIT", 64)  # every index is larger
    first = publish(kb, write(kb))
    stored = kb_index.read_file()
    assert stored is not None and stored.data is None and stored.bucket_key == published.INDEX_KEY
    in_bucket = boto3.client("s3").get_object(Bucket="kefu-test-kb", Key=published.INDEX_KEY)["Body"].read()
    assert published.version_of(in_bucket) == stored.version
    published.forget()  # as another function
    aws_calls.reset()
    assert search(kb, "快递") == [first["id"]]
    assert ("s3", "GetObject") in aws_calls.count() and aws_calls.count()[("dynamodb", "GetItem")] >= 1


def test_an_index_published_before_the_table_held_it_is_read_from_the_bucket(kb, monkeypatch):
    import boto3

    from kefu.knowledge import published
    from kefu.store import kb_index

    first = publish(kb, write(kb))
    data = kb_index.read_file().data
    # As a deployment published it before: the object in the bucket, no item in the table
    boto3.client("s3").put_object(Bucket="kefu-test-kb", Key=published.INDEX_KEY, Body=data)
    for sk in (kb_index.FILE_SK, kb_index.HEAD_SK):
        kb_index.KbIndexItem(kb_index.PK, sk).delete()
    published.forget()
    assert search(kb, "快递") == [first["id"]]
    monkeypatch.setenv("KEFU_KB_REFRESH_SECONDS", "0")
    second = publish(kb, write(kb, title="快递延误怎么办"))  # the next publish writes the table's item
    published.forget()
    assert set(search(kb, "快递")) == {first["id"], second["id"]}
    assert kb_index.read_file().data is not None


# --- canned replies ------------------------------------------------------------------------------------------

REPLY = {
    "title": "物流查询回复",
    "body": "{{customer.name}}您好，您的工单 {{ticket.id}} 已由{{agent.name}}跟进，"
    "我们会在 {{sla.resolutionDue}} 前给您答复。",
    "group": "l1",
    "category": "logistics",
    "language": "zh-Hans",
}


def test_a_supervisor_writes_a_reply_and_an_agent_renders_it_for_a_ticket(kb):
    saved = kb("POST", "/replies", who=SUPERVISOR, body=REPLY)
    assert saved.status == 201, saved.text
    assert saved.json["placeholders"] == ["customer.name", "ticket.id", "agent.name", "sla.resolutionDue"]
    ticket = open_ticket(kb, AGENT, customer={"email": "wu@example.com", "name": "吴芳"})
    rendered = kb("POST", f"/replies/{saved.json['id']}/render", who=AGENT, body={"ticketId": ticket["id"]})
    assert rendered.status == 200, rendered.text
    text = rendered.json["text"]
    assert text.startswith("吴芳您好") and ticket["id"] in text and AGENT.sub in text and "{{" not in text
    usage = kb("GET", f"/replies/{saved.json['id']}/usage", who=SUPERVISOR).json
    assert [(u["agentId"], u["uses"]) for u in usage] == [(AGENT.sub, 1)]
    kb("POST", f"/replies/{saved.json['id']}/render", who=AGENT, body={"ticketId": ticket["id"]})
    assert kb("GET", f"/replies/{saved.json['id']}/usage", who=SUPERVISOR).json[0]["uses"] == 2


def test_agents_cannot_write_replies_and_customers_cannot_read_them(kb):
    assert kb("POST", "/replies", who=AGENT, body=REPLY).status == 403
    assert kb("GET", "/replies", who=CUSTOMER).status == 403
    assert kb("POST", "/replies", who=ADMIN, body=REPLY).status == 201


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("您好 {{customer.nickname}}", "customer.nickname"),
        ("{{ customer.name.upper() }}", "a call"),
        ("{{ ''.__class__.__mro__ }}", "not allowed"),
        ("{{ customer['name'] }}", "item access"),
        ("{% for x in range(9) %}x{% endfor %}", "tags are not allowed"),
        ("{{ customer.name | upper }}", "a filter"),
        ("{{ customer.name ", "syntax"),
    ],
)
def test_a_reply_with_bad_placeholders_is_refused_at_save_naming_them(kb, body, named):
    reply = kb("POST", "/replies", who=SUPERVISOR, body={**REPLY, "body": body})
    assert reply.status == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert named in reply.json["detail"]


def test_a_placeholder_without_a_value_refuses_the_whole_render(kb):
    saved = kb("POST", "/replies", who=SUPERVISOR, body={**REPLY, "body": "{{customer.email}}: {{ticket.id}}"}).json
    ticket = open_ticket(kb, AGENT, customer={"phone": "+8613800000000"})
    reply = kb("POST", f"/replies/{saved['id']}/render", who=AGENT, body={"ticketId": ticket["id"]})
    assert reply.status == 422 and "customer.email" in reply.json["detail"]


def test_replies_are_listed_by_group_and_searched(kb):
    first = kb("POST", "/replies", who=SUPERVISOR, body=REPLY).json
    other = {
        **REPLY,
        "title": "退款到账说明",
        "body": "退款将在3个工作日内原路退回。",
        "category": "refunds",
        "group": "l2",
    }
    second = kb("POST", "/replies", who=SUPERVISOR, body=other).json
    assert [r["id"] for r in kb("GET", "/replies", who=AGENT, query={"group": "l2"}).json["items"]] == [second["id"]]
    found = kb("GET", "/replies", who=AGENT, query={"q": "退款什么时候到账"}).json["items"]
    assert [r["id"] for r in found] == [second["id"]]
    changed = kb("PUT", f"/replies/{first['id']}", who=SUPERVISOR, body={**REPLY, "title": "物流查询"})
    assert changed.status == 200 and changed.json["version"] == 2


# --- suggestions -------------------------------------------------------------------------------------------


def test_a_ticket_gets_articles_and_replies_each_with_why(kb):
    article = publish(kb, write(kb))
    reply = kb("POST", "/replies", who=SUPERVISOR, body={**REPLY, "title": "快递查询话术"}).json
    ticket = open_ticket(kb, subject="快遞到哪裡了", description="我的包裹三天沒有物流信息", category="logistics")
    answer = kb("GET", f"/tickets/{ticket['id']}/suggestions", who=AGENT)
    assert answer.status == 200, answer.text
    body = answer.json
    assert body["language"] == "zh-Hant"
    assert [a["id"] for a in body["articles"]] == [article["id"]]
    assert "快递" in body["articles"][0]["why"] and "logistics" in body["articles"][0]["why"]
    assert [r["id"] for r in body["replies"]] == [reply["id"]]
    assert body["replies"][0]["why"]
    assert kb("GET", f"/tickets/{ticket['id']}/suggestions", who=CUSTOMER).status == 403


def _cursor(key: dict) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_cursor_kefu_could_not_have_issued_for_the_listing_is_a_400(kb):
    import base64
    import json

    for title in ("一", "二"):
        assert kb("POST", "/replies", who=SUPERVISOR, body={**REPLY, "title": title}).status == 201
    issued = kb("GET", "/replies", who=AGENT, query={"group": REPLY["group"], "limit": "1"}).json["nextCursor"]
    key = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))
    assert kb("GET", "/replies", who=AGENT, query={"group": REPLY["group"], "cursor": issued}).status == 200
    refused = [
        # DynamoDB refuses a start key outside the query's sort-key condition (a ValidationException, a 500)
        ("/replies", {"group": "another-group", "cursor": issued}),
        ("/replies", {"cursor": _cursor({**key, "gsi1sk": "x" * 1025})}),
        # a lone surrogate is valid JSON but no string DynamoDB holds
        ("/replies", {"cursor": _cursor({**key, "pk": "\ud800"})}),
        ("/kb/articles", {"category": "logistics", "cursor": _cursor({**key, "gsi1pk": "KB#ARTICLES", "gsi1sk": "x"})}),
    ]
    for path, query in refused:
        reply = kb("GET", path, who=AGENT, query=query)
        assert (reply.status, reply.headers["content-type"]) == (400, "application/problem+json"), (path, reply.text)


def test_a_search_answers_in_one_page_and_refuses_a_cursor(kb):
    # A search issues no cursor, so none is one it issued: refused, not ignored (the contract test's fuzzing sent a
    # search with cursors and had it answered 200).
    assert kb("POST", "/replies", who=SUPERVISOR, body=REPLY).status == 201
    publish(kb, write(kb))
    issued = kb("GET", "/replies", who=AGENT, query={"limit": "1"}).json["nextCursor"]
    for path, who in (("/replies", AGENT), ("/kb/articles", AGENT), ("/kb/articles", CUSTOMER)):
        searched = kb("GET", path, who=who, query={"q": "快递"})
        assert searched.status == 200 and searched.json.get("nextCursor") is None, (path, searched.text)
        for cursor in (issued or "x", "x,y", ""):
            reply = kb("GET", path, who=who, query={"q": "快递", "cursor": cursor})
            assert (reply.status, reply.headers["content-type"]) == (400, "application/problem+json"), (path, cursor)
