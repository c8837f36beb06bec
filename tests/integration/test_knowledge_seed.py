"""The local stack's seed knowledge base, written through the services (moto), and the self-service offer that
ticket opening asks for."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from tests.conftest import CUSTOMER, Identity

EDITOR = Identity("editor-sun", ("editor",))


@pytest.fixture
def seeded(api):
    import boto3

    from kefu.config import reload_settings
    from kefu.knowledge import published
    from kefu_local.kb_seed import seed_knowledge

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    os.environ["KEFU_KB_BUCKET"] = "kefu-test-kb"
    reload_settings()
    published.forget()
    counts = seed_knowledge()
    yield api, counts
    published.forget()
    os.environ.pop("KEFU_KB_BUCKET", None)  # later tests' functions have no knowledge base unless they set one


def test_the_seed_publishes_every_article_and_reply_once(seeded):
    from kefu_local.kb_seed import seed_knowledge

    _api, counts = seeded
    assert counts["articles"] >= 60 and counts["replies"] >= 20
    assert seed_knowledge() == {"articles": 0, "replies": 0}  # a restarted stack keeps what it has


def test_seeded_articles_are_imported_published_each_with_one_history_entry_and_readable_by_id(seeded):
    api, counts = seeded
    listed, query = [], {"limit": "50"}
    while True:
        page = api("GET", "/kb/articles", who=EDITOR, query=query).json
        listed += page["items"]
        if not page.get("nextCursor"):
            break
        query = {"limit": "50", "cursor": page["nextCursor"]}
    assert len(listed) == counts["articles"] and {item["status"] for item in listed} == {"published"}
    article = api("GET", f"/kb/articles/{listed[0]['id']}", who=EDITOR)
    assert article.status == 200 and article.json["publishedAt"] and article.json["version"] == 1
    (entry,) = api("GET", f"/kb/articles/{listed[0]['id']}/history", who=EDITOR).json["items"]
    assert (entry["action"], entry["version"], entry["article"]["status"]) == ("imported", 1, "published")
    # and an editor can change one under its ETag like any other (the import set its version)
    changed = api(
        "PUT", f"/kb/articles/{listed[0]['id']}", who=EDITOR, body={"title": "New"}, headers={"If-Match": '"1"'}
    )
    assert changed.status == 200, changed.text


def test_only_article_writers_import_articles(seeded):
    from kefu.errors import Forbidden
    from kefu.identity import Caller
    from kefu.knowledge.articles import import_published
    from kefu.model.knowledge_requests import ArticleDraft

    draft = ArticleDraft(title="Lockers", body="Use the code.", language="en", category="logistics")
    with pytest.raises(Forbidden):
        import_published(Caller(sub=CUSTOMER.sub, groups=frozenset()), [draft])


def test_customers_search_the_seeded_base_in_three_languages_and_never_see_internal_articles(seeded):
    api, _ = seeded
    for question, lang in (
        ("退款什么时候到账", "zh-Hans"),
        ("退款多久會到帳", "zh-Hant"),
        ("refund not received", "en"),
    ):
        items = api("GET", "/kb/articles", who=CUSTOMER, query={"q": question, "lang": lang}).json["items"]
        assert items and all(item["visibility"] == "public" for item in items), question
    staff = api("GET", "/kb/articles", who=EDITOR, query={"q": "丢件理赔"}).json["items"]
    assert any(item["visibility"] == "internal" for item in staff)
    customer = api("GET", "/kb/articles", who=CUSTOMER, query={"q": "丢件理赔"}).json["items"]
    assert all(item["visibility"] == "public" for item in customer)


def ticket(**fields):
    base = {
        "id": "TK-7F3K9Q2M",
        "subject": "退款什么时候到账",
        "description": "我上周退货了，钱还没退回来",
        "category": "after_sales",
        "channel": "email",
        "groupId": "l1",
        "createdAt": datetime(2026, 12, 1, tzinfo=UTC),
    }
    return SimpleNamespace(**{**base, **fields})


def test_an_email_ticket_of_a_configured_category_is_offered_a_public_article(seeded):
    from kefu.knowledge.suggestions import self_service_offer

    offer = self_service_offer(ticket(), categories={"after_sales"})
    assert offer is not None and offer.visibility == "public" and offer.category == "refunds"


def test_no_offer_for_other_channels_categories_or_unclear_questions(seeded):
    from kefu.knowledge.suggestions import self_service_offer

    for changed in ({"channel": "phone"}, {"category": "complaint"}, {"subject": "你好", "description": "？？？"}):
        assert self_service_offer(ticket(**changed), categories={"after_sales"}) is None, changed


def test_suggestions_for_a_new_ticket_name_articles_and_replies_with_why(seeded):
    from kefu.knowledge.suggestions import suggest

    found = suggest(ticket())
    assert found.articles and found.replies
    assert found.articles[0].category == "refunds" and "退款" in found.articles[0].why
    assert all(reply.language in ("zh-Hans", "zh-Hant") for reply in found.replies)
