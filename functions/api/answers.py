"""What every route module of the HTTP API shares: who is calling, and a JSON answer.

The resolver (handler.py) and each Router (the `*_routes.py` modules) read the same event: a Router's
`current_event` is the resolver's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from kefu.customers import linking
from kefu.identity import Caller

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2


def caller_of(event: APIGatewayProxyEventV2) -> Caller:
    """The caller as their token says, a customer as the record their login is (their own, or the one a verified
    contact point linked it to), as on every ticket route."""
    return linking.resolved(token_caller(event))


def token_caller(event: APIGatewayProxyEventV2) -> Caller:
    """The caller as their token says, a customer's login not resolved to its record."""
    authorizer = event.request_context.authorizer
    return Caller.from_claims(authorizer.jwt_claim if authorizer else None)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A model, a list of them (or of plain values), or a plain value, as JSON."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    return Response(status_code=status, content_type="application/json", body=json.dumps(data), headers=headers)
