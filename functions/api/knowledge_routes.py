"""The knowledge base's routes: articles (customers: published public only), canned replies (话术), a ticket's
suggestions, and self-service (a customer saying an article answered them: on their ticket, or instead of opening
one). Included into the API's resolver by handler.py; domain errors become problems there."""

from __future__ import annotations

import re
from typing import Annotated

from answers import json_response, token_caller
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu import errors
from kefu.identity import Caller
from kefu.knowledge import articles, replies
from kefu.kpis.tallies import Deflection, DeflectionRequest, record_deflection
from kefu.model.knowledge import KbCategory, Language, Reply, Suggestions
from kefu.model.knowledge_answers import Page, Rendered, ReplyUsage
from kefu.model.knowledge_articles import Article, ArticleHit, ArticleVersion
from kefu.model.knowledge_requests import (
    ArticleChange,
    ArticleDraft,
    PublishRequest,
    RenderRequest,
    ReplySpec,
    SelfServiceRequest,
)
from kefu.model.tickets import Ticket
from kefu.tickets import knowledge as ticket_knowledge
from kefu.tickets import policy

router = APIGatewayHttpRouter()
PROBLEM = "application/problem+json"
#: Longer questions are refused (422) before they are read: nobody types a 10 KB search.
MAX_QUERY = 500
_ETAG = re.compile(r'^(?:W/)?"([0-9]{1,12})"$|^([0-9]{1,12})$')

WRITERS = "Editors (the `editor` group), supervisors and admins."
CURSOR_RULE = "`cursor` is one this listing issued, with the same filters (400 otherwise)."
SEARCH_RULE = "A search answers in one page: no `cursor` with `q` (400)."
TAG_RULE = "Each tag has a character other than white space (422 otherwise)."
IF_MATCH = "`If-Match` is an ETag this API issued for the article, and its current one (412 otherwise)."


def _caller() -> Caller:
    return token_caller(router.current_event)


def _article(article: Article, status: int = 200) -> Response:
    return json_response(article, status, headers={"ETag": f'"{article.version}"'})


def _if_match(value: str | None, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise errors.PreconditionRequired("changing an article needs If-Match with the ETag you read")
        return None
    text = value.strip()
    if text == "*":
        return None
    match = _ETAG.match(text)
    if match is None:
        raise errors.StaleVersion('If-Match must be an ETag this API issued, such as "3"')
    return int(match.group(1) or match.group(2))


# --- articles ----------------------------------------------------------------------------------------------


@router.get(
    "/kb/articles",
    tags=["knowledge"],
    summary="Search (q) or list articles. Customers: published public ones; staff and editors: all (search covers "
    "published articles)",
    description=f"`q` has words to search for, not only punctuation or very common ones (400 otherwise). {SEARCH_RULE} "
    f"{CURSOR_RULE}",
    responses=responses(Page[ArticleHit], errors=(403,)),
)
def list_articles(
    q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    lang: Annotated[Language | None, Query()] = None,
    category: Annotated[KbCategory | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    page = articles.list_articles(
        _caller(), q=q, language=lang, category=category.value if category else None, limit=limit, cursor=cursor
    )
    return json_response(page)


@router.get(
    "/kb/articles/<articleId>",
    tags=["knowledge"],
    summary="An article, with its ETag (customers: published public ones only)",
    responses=responses(Article, errors=(403,)),
)
def get_article(articleId: str):
    return _article(articles.get_article(_caller(), articleId))


@router.get(
    "/kb/articles/<articleId>/history",
    tags=["knowledge"],
    summary="An article's versions: who changed which fields, when (staff and editors)",
    description=CURSOR_RULE,
    responses=responses(Page[ArticleVersion], errors=(403,)),
)
def article_history(
    articleId: str,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
):
    return json_response(articles.history(_caller(), articleId, limit=limit, cursor=cursor))


@router.post(
    "/kb/articles",
    tags=["knowledge"],
    summary=f"Write an article (a draft until published). {WRITERS}",
    description=f"`status` may be `draft` or `archived`: publishing is `POST /kb/articles/{{id}}/publish`, after "
    f"the article is saved (422 otherwise). {TAG_RULE}",
    responses=responses(Article, 201, "The article", errors=(403, 409)),
)
def create_article(body: ArticleDraft):
    return _article(articles.create_article(_caller(), body), 201)


@router.put(
    "/kb/articles/<articleId>",
    tags=["knowledge"],
    summary=f"Change an article (If-Match required; the history keeps each version). {WRITERS}",
    description=f"{IF_MATCH} `status` may not become `published`: that is `POST /kb/articles/{{id}}/publish` "
    f"(422). {TAG_RULE}",
    responses=responses(Article, errors=(403, 409, 412, 428)),
)
def update_article(
    articleId: str,
    body: ArticleChange,
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
):
    version = _if_match(if_match, required=True)
    return _article(articles.update_article(_caller(), articleId, body, if_match=version))


@router.post(
    "/kb/articles/<articleId>/publish",
    tags=["knowledge"],
    summary=f'Publish an article into search; body `{{}}` or `{{"note": …}}` (If-Match optional). {WRITERS}',
    description=f"{IF_MATCH} Without If-Match, the current version is published.",
    responses=responses(Article, errors=(403, 409, 412)),
)
def publish_article(
    articleId: str, body: PublishRequest, if_match: Annotated[str | None, Header(alias="if-match")] = None
):
    version = _if_match(if_match, required=False)
    return _article(articles.publish_article(_caller(), articleId, if_match=version, note=body.note))


# --- canned replies ------------------------------------------------------------------------------------------


@router.get(
    "/replies",
    tags=["replies"],
    summary="Canned replies by group, category, language, or searched (q); staff",
    description=f"`q` has words to search for, not only punctuation or very common ones (400 otherwise). {SEARCH_RULE} "
    f"{CURSOR_RULE}",
    responses=responses(Page[Reply], errors=(403,)),
)
def list_replies(
    q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[KbCategory | None, Query()] = None,
    lang: Annotated[Language | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
):
    page = replies.list_replies(
        _caller(),
        q=q,
        group=group,
        category=category.value if category else None,
        language=lang,
        limit=limit,
        cursor=cursor,
    )
    return json_response(page)


@router.post(
    "/replies",
    tags=["replies"],
    summary="Write a canned reply; placeholders such as {{customer.name}} are checked (supervisors, admins)",
    description=f"Placeholders must be ones kefu knows, written `{{{{name}}}}` (422 otherwise). {TAG_RULE}",
    responses=responses(Reply, 201, "The reply", errors=(403, 409)),
)
def create_reply(body: ReplySpec):
    return json_response(replies.create_reply(_caller(), body), 201)


@router.put(
    "/replies/<replyId>",
    tags=["replies"],
    summary="Replace a canned reply (supervisors, admins)",
    description=f"Placeholders must be ones kefu knows, written `{{{{name}}}}` (422 otherwise). {TAG_RULE}",
    responses=responses(Reply, errors=(403, 409)),
)
def update_reply(replyId: str, body: ReplySpec):
    return json_response(replies.update_reply(_caller(), replyId, body))


@router.post(
    "/replies/<replyId>/render",
    tags=["replies"],
    summary="A canned reply filled in for a ticket, counted as one use by the caller (staff)",
    description="404 for a reply that does not exist, or a ticket the caller does not reach (the deployment's "
    "access scope); every value the reply's placeholders need must be there (422 otherwise).",
    responses=responses(Rendered, errors=(403, 409)),
)
def render_reply(replyId: str, body: RenderRequest):
    return json_response(ticket_knowledge.render_reply(_caller(), replyId, body.ticketId))


@router.get(
    "/replies/<replyId>/usage",
    tags=["replies"],
    summary="How often each agent used a canned reply (staff)",
    responses=responses(list[ReplyUsage], errors=(403,)),
)
def reply_usage(replyId: str):
    return json_response(replies.usage(_caller(), replyId))


# --- suggestions ---------------------------------------------------------------------------------------------


@router.get(
    "/tickets/<ticketId>/suggestions",
    tags=["knowledge"],
    summary="Articles and canned replies for a ticket's conversation, each with why it matched (staff)",
    description="404 for a ticket the caller does not reach (the deployment's access scope).",
    responses=responses(Suggestions, errors=(403,)),
)
def ticket_suggestions(ticketId: str, limit: Annotated[int, Query(ge=1, le=10)] = 3):
    return json_response(ticket_knowledge.suggestions_for(_caller(), ticketId, limit=limit))


# --- self-service ----------------------------------------------------------------------------------------------


@router.post(
    "/tickets/<ticketId>/self-service",
    tags=["knowledge"],
    summary="The ticket's customer says a public article answered their question: the ticket is resolved as "
    "self-service (a deflection in the KPIs)",
    description="Customers only, on their own ticket (403 for staff; 404 for a ticket that is not theirs). The "
    "ticket must still wait for an answer: new, open or pending (409 otherwise). `articleId` names a published "
    "public article (422 otherwise), usually the one offered when the ticket opened (its `self-service` timeline "
    "entry). The ticket is resolved with the resolution kind `self-service`; its status entry names the article.",
    responses=responses(Ticket, errors=(403, 409)),
)
def self_service(ticketId: str, body: SelfServiceRequest):
    who = _caller()
    ticket = ticket_knowledge.resolve_by_self_service(who, ticketId, body.articleId)
    return json_response(policy.ticket_view(who, ticket), headers={"ETag": f'"{ticket.version}"'})


@router.post(
    "/kb/articles/<articleId>/deflections",
    tags=["knowledge"],
    summary="A customer on the new-ticket form says a public article answered them, so no ticket is opened "
    "(counted as a deflection)",
    description="Customers only (403 for staff). `articleId` names a published public article (422 otherwise); "
    "`query`, optional, is what they typed (up to 500 characters, 422 beyond). Counted once per customer, article "
    "and desk day: saying it again answers 201 with `counted: false`.",
    responses=responses(Deflection, 201, "The deflection", errors=(403,)),
)
def deflection(articleId: str, body: DeflectionRequest):
    return json_response(record_deflection(_caller(), articleId, body), 201)
