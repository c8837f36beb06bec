"""What the knowledge base adds to a new ticket, from any channel: its top suggestions on the internal timeline, and
for e-mail and portal tickets of a self-service category a public article offered to the customer, whom it may
answer (`POST /tickets/{id}/self-service`); a customer answered on the new-ticket form opens no ticket at all
(`POST /kb/articles/{id}/deflections`). Opening never fails for want of a readable index."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Api, Identity
from tests.integration.conftest import open_ticket
from tests.integration.mailroom import mailroom_fixture  # noqa: F401 - provides the `mailroom` fixture
from tests.moto_images import MotoImage

EDITOR = Identity("editor-sun", ("editor",), "sun@kefu.example")
LOGISTICS_ZH = {
    "title": "快递到哪里了？如何查询物流",
    "body": "在“我的订单”里点开订单，可以看到快递公司和运单号，物流信息每隔几小时更新一次。",
    "language": "zh-Hans",
    "category": "logistics",
    "visibility": "public",
}
LOGISTICS_EN = {
    "title": "Where is my parcel? Tracking a delivery",
    "body": "Open the order under My orders to see the courier and the tracking number; tracking updates every few "
    "hours, and a parcel that has not moved for three days is chased by our logistics team.",
    "language": "en",
    "category": "logistics",
    "visibility": "public",
}
INTERNAL = {**LOGISTICS_ZH, "title": "丢件理赔内部流程（快递 物流）", "visibility": "internal"}
#: Other questions of the desk: a self-service offer needs a clear match, which a base of two articles never is.
OTHERS = [
    ("如何申请退款", "在订单详情页点击申请退款，审核通过后款项原路退回。", "zh-Hans", "refunds"),
    ("怎么修改登录密码", "在账户设置里选择安全中心，按提示验证手机号后设置新密码。", "zh-Hans", "account"),
    ("发票怎么开", "订单完成后在订单详情页申请电子发票，一般一个工作日内开出。", "zh-Hans", "payment"),
    ("如何申請換貨", "在訂單詳情頁點擊申請換貨，選擇新的尺碼或顏色後寄回商品。", "zh-Hant", "exchanges"),
    (
        "How do I get a refund",
        "Ask for a refund on the order page; once approved, the money goes back.",
        "en",
        "refunds",
    ),
    ("Changing your password", "Open account settings, choose security, and set a new password.", "en", "account"),
    ("Paying by card", "We take major credit cards; a declined card is best checked with your bank.", "en", "payment"),
]


@pytest.fixture
def kb(desk, tmp_path, monkeypatch):
    """A knowledge base with its index bucket, and a deployment offering self-service for logistics tickets."""
    from kefu import deployment
    from kefu.knowledge import published, suggestions

    monkeypatch.setenv("KEFU_KB_BUCKET", "kefu-test-kb")
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps({"knowledge": {"self_service_categories": ["logistics"]}}), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    published.forget()
    suggestions.forget()
    PUBLISHED.restore_or_build(lambda: publish_others(desk))
    yield desk
    published.forget()
    suggestions.forget()
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


#: The knowledge base with OTHERS published, kept per test process (tests/moto_images.py): each publication
#: rebuilds the search index.
PUBLISHED = MotoImage("published articles", "dynamodb", "s3")


def publish_others(desk) -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    for title, body, language, category in OTHERS:
        published_article(desk, title=title, body=body, language=language, category=category, visibility="public")


def published_article(api, **fields) -> dict:
    article = api("POST", "/kb/articles", who=EDITOR, body=fields)
    assert article.status == 201, article.text
    done = api("POST", f"/kb/articles/{article.json['id']}/publish", who=EDITOR, body={})
    assert done.status == 200, done.text
    return done.json


def entries(api, ticket_id: str, who=AGENT) -> list[dict]:
    reply = api("GET", f"/tickets/{ticket_id}/timeline", who=who, query={"limit": "100"})
    assert reply.status == 200, reply.text
    return reply.json["items"]


def is_problem(reply) -> bool:
    return reply.headers["content-type"] == "application/problem+json"


def of_kind(items: list[dict], kind: str) -> list[dict]:
    return [item for item in items if item["kind"] == kind]


# --- suggestions at opening --------------------------------------------------------------------------------


def test_a_new_portal_ticket_records_its_suggestions_with_why_on_the_internal_timeline(kb):
    article = published_article(kb, **LOGISTICS_ZH)
    ticket = open_ticket(kb, subject="快递到哪里了", description="三天没有物流信息", category="order")

    [recorded] = of_kind(entries(kb, ticket["id"]), "suggestions")

    assert recorded["visibility"] == "internal"
    assert [a["id"] for a in recorded["data"]["articles"]] == [article["id"]]
    assert "快递" in recorded["data"]["articles"][0]["why"]
    assert not of_kind(entries(kb, ticket["id"], who=CUSTOMER), "suggestions")


def test_an_intake_ticket_records_its_suggestions_too(kb):
    from kefu.intake import service as intake
    from kefu.intake.model import IntakeMessage

    published_article(kb, **LOGISTICS_EN)
    message = IntakeMessage.model_validate(
        {
            "channel": "chat",
            "externalId": "chat-881",
            "customer": {"email": "wei@example.com", "name": "Wei"},
            "subject": "Where is my parcel",
            "body": "The tracking has not moved for three days.",
        }
    )
    ticket_id = intake.take(message).ticketId

    [recorded] = of_kind(entries(kb, ticket_id), "suggestions")
    assert recorded["data"]["language"] == "en" and recorded["data"]["articles"]
    assert not of_kind(entries(kb, ticket_id), "self-service")  # a chat is neither e-mail nor the portal


def test_a_ticket_opens_without_suggestions_when_the_index_cannot_be_read(kb, monkeypatch, caplog):
    from kefu.store import kb_index

    published_article(kb, **LOGISTICS_ZH)
    monkeypatch.setenv("KEFU_KB_REFRESH_SECONDS", "0")  # the function asks the table for the index on every opening
    kb_index.write("broken", data=b"not an index")

    ticket = open_ticket(kb, subject="快递到哪里了", description="三天没有物流信息", category="logistics")

    assert kb("GET", f"/tickets/{ticket['id']}", who=CUSTOMER).status == 200
    assert not of_kind(entries(kb, ticket["id"]), "suggestions")
    [warning] = [r for r in caplog.records if r.getMessage() == "no knowledge suggestions for a new ticket"]
    assert warning.levelname == "WARNING" and getattr(warning, "ticketId", None) == ticket["id"]


def test_a_deployment_without_a_knowledge_base_opens_tickets_as_before(desk):
    ticket = open_ticket(desk, subject="快递到哪里了", description="三天没有物流信息")
    kinds = {item["kind"] for item in entries(desk, ticket["id"])}
    assert not kinds & {"suggestions", "self-service"}


# --- self-service: the offer --------------------------------------------------------------------------------


def test_a_portal_ticket_of_a_self_service_category_is_offered_a_public_article_in_its_language(kb):
    published_article(kb, **INTERNAL)
    zh = published_article(kb, **LOGISTICS_ZH)
    en = published_article(kb, **LOGISTICS_EN)

    chinese = open_ticket(kb, subject="我的快递到哪里了", description="物流三天没有更新", category="logistics")
    english = open_ticket(kb, subject="Where is my parcel", description="Tracking has not moved", category="logistics")

    [offer] = of_kind(entries(kb, chinese["id"], who=CUSTOMER), "self-service")
    assert (offer["visibility"], offer["data"]["articleId"], offer["data"]["event"]) == ("public", zh["id"], "offered")
    [offer] = of_kind(entries(kb, english["id"], who=CUSTOMER), "self-service")
    assert offer["data"]["articleId"] == en["id"] and offer["data"]["language"] == "en"


def test_no_offer_outside_the_configured_categories_nor_to_staff_opened_tickets(kb):
    published_article(kb, **LOGISTICS_ZH)
    other = open_ticket(kb, subject="我的快递到哪里了", description="物流三天没有更新", category="payment")
    by_staff = open_ticket(
        kb, who=AGENT, subject="我的快递到哪里了", description="物流三天没有更新", category="logistics",
        customer={"email": "carol@example.com"},
    )  # fmt: skip
    assert not of_kind(entries(kb, other["id"]), "self-service")
    assert not of_kind(entries(kb, by_staff["id"]), "self-service")


# --- self-service: the customer says it answered them ---------------------------------------------------------


def offered_ticket(api) -> tuple[dict, dict]:
    article = published_article(api, **LOGISTICS_ZH)
    ticket = open_ticket(api, subject="我的快递到哪里了", description="物流三天没有更新", category="logistics")
    return article, ticket


def test_the_customer_who_says_the_offered_article_answered_them_resolves_the_ticket_as_self_service(kb):
    article, ticket = offered_ticket(kb)

    reply = kb("POST", f"/tickets/{ticket['id']}/self-service", who=CUSTOMER, body={"articleId": article["id"]})

    assert reply.status == 200, reply.text
    assert reply.json["status"] == "resolved"
    assert reply.json["resolution"]["kind"] == "self-service"
    [status] = [e for e in of_kind(entries(kb, ticket["id"], who=CUSTOMER), "status") if e["data"]["to"] == "resolved"]
    assert status["data"]["resolution"]["kind"] == "self-service"
    assert status["data"]["selfService"]["articleId"] == article["id"]


def test_self_service_on_a_ticket_no_longer_waiting_is_a_409(kb):
    article, ticket = offered_ticket(kb)
    done = kb("POST", f"/tickets/{ticket['id']}/self-service", who=CUSTOMER, body={"articleId": article["id"]})
    assert done.status == 200, done.text
    again = kb("POST", f"/tickets/{ticket['id']}/self-service", who=CUSTOMER, body={"articleId": article["id"]})
    assert again.status == 409 and is_problem(again)


@pytest.mark.parametrize(
    ("who", "article", "status"),
    [
        (OTHER_CUSTOMER, "offered", 404),  # someone else's ticket is one that does not exist to them
        (AGENT, "offered", 403),  # only the customer says it answered them
        (CUSTOMER, "KB-00000000", 422),  # no such article
        (CUSTOMER, "not-an-id", 422),
        (CUSTOMER, "internal", 422),  # staff only
        (CUSTOMER, "draft", 422),  # never published
    ],
)
def test_self_service_refusals_are_problems(kb, who, article, status):
    offered, ticket = offered_ticket(kb)
    ids = {
        "offered": offered["id"],
        "internal": published_article(kb, **INTERNAL)["id"],
        "draft": kb("POST", "/kb/articles", who=EDITOR, body=LOGISTICS_EN).json["id"],
    }
    reply = kb("POST", f"/tickets/{ticket['id']}/self-service", who=who, body={"articleId": ids.get(article, article)})
    assert reply.status == status, reply.text
    assert is_problem(reply)
    assert kb("GET", f"/tickets/{ticket['id']}", who=CUSTOMER).json["status"] != "resolved"


@pytest.mark.parametrize("body", [{}, {"articleId": ""}, {"articleId": 7}, {"articleId": "x" * 65}, {"other": 1}])
def test_a_self_service_body_without_a_usable_article_id_is_a_422(kb, body):
    _, ticket = offered_ticket(kb)
    reply = kb("POST", f"/tickets/{ticket['id']}/self-service", who=CUSTOMER, body=body)
    assert reply.status == 422 and is_problem(reply)


def test_self_service_on_a_ticket_that_does_not_exist_is_a_404(kb):
    article, _ = offered_ticket(kb)
    reply = kb("POST", "/tickets/TK-00000000/self-service", who=CUSTOMER, body={"articleId": article["id"]})
    assert reply.status == 404 and is_problem(reply)


# --- deflections on the new-ticket form -------------------------------------------------------------------------


def test_a_deflection_on_the_new_ticket_form_is_counted_once_per_customer_article_and_day(kb):
    article = published_article(kb, **LOGISTICS_ZH)
    path = f"/kb/articles/{article['id']}/deflections"

    first = kb("POST", path, who=CUSTOMER, body={"query": "快递到哪里了"})
    again = kb("POST", path, who=CUSTOMER, body={})
    other = kb("POST", path, who=OTHER_CUSTOMER, body={})

    assert (first.status, again.status, other.status) == (201, 201, 201)
    assert (first.json["counted"], again.json["counted"], other.json["counted"]) == (True, False, True)
    day = first.json["day"]
    report = kb("GET", "/reports/kpis", who=SUPERVISOR, query={"from": day, "to": day})
    assert report.json["totals"]["deflections"] == {"count": 2, "ticketsResolved": 0, "withoutTicket": 2}


@pytest.mark.parametrize(
    ("who", "article", "body", "status"),
    [
        (AGENT, "public", {}, 403),
        (SUPERVISOR, "public", {}, 403),
        (CUSTOMER, "KB-00000000", {}, 422),
        (CUSTOMER, "internal", {}, 422),
        (CUSTOMER, "public", {"query": "x" * 501}, 422),
        (CUSTOMER, "public", {"query": 5}, 422),
        (CUSTOMER, "public", {"articleId": "KB-1"}, 422),
    ],
)
def test_deflection_refusals_are_problems(kb, who, article, body, status):
    ids = {"public": published_article(kb, **LOGISTICS_ZH)["id"], "internal": published_article(kb, **INTERNAL)["id"]}
    reply = kb("POST", f"/kb/articles/{ids.get(article, article)}/deflections", who=who, body=body)
    assert reply.status == status, reply.text
    assert is_problem(reply)


# --- self-service: the e-mail acknowledgement ---------------------------------------------------------------------


@pytest.fixture
def mail_kb(mailroom, tmp_path, monkeypatch):
    """The mailroom's deployment, with self-service for logistics tickets, and a knowledge base with its index."""
    import boto3

    from kefu import deployment
    from kefu.knowledge import published, suggestions

    path = tmp_path / "kefu-deployment.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["knowledge"] = {"self_service_categories": ["logistics"]}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    deployment.reload()
    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    monkeypatch.setenv("KEFU_KB_BUCKET", "kefu-test-kb")
    published.forget()
    suggestions.forget()
    api = Api()
    for title, body, language, category in OTHERS:
        published_article(api, title=title, body=body, language=language, category=category, visibility="public")
    yield mailroom


@pytest.fixture
def mail_api(mailroom):
    return Api()


@pytest.mark.parametrize(
    ("article", "subject", "body", "says"),
    [
        (LOGISTICS_ZH, "我的快递到哪里了", "物流三天没有更新，快递到哪里了", "这篇文章也许能解答您的问题"),
        (
            {**LOGISTICS_ZH, "title": "快遞到哪裡了？如何查詢物流", "language": "zh-Hant"},
            "我的快遞到哪裡了",
            "物流三天沒有更新，快遞到哪裡了",
            "這篇文章也許能解答您的問題",
        ),
        (
            LOGISTICS_EN,
            "Where is my parcel",
            "The tracking of my parcel has not moved",
            "This may answer your question",
        ),
    ],
)
def test_an_email_ticket_of_a_self_service_category_is_offered_the_article_in_its_acknowledgement(
    mail_kb, mail_api, article, subject, body, says
):
    from tests.integration.mailroom import mail, sent_messages

    offered = published_article(mail_api, **article)

    mail_kb.deliver(mail(subject=subject, body=body))
    mail_kb.flush()

    [ack] = sent_messages()
    text = ack.get_content()
    assert says in text and offered["title"] in text
    assert text.index("您好" if article["language"] != "en" else "Hello") < text.index(says)  # after the usual text
