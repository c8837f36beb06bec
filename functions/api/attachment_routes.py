"""The attachment routes of the HTTP API: the limits, a pre-signed upload, and a ticket's file as a download link.

A Router included by handler.py, whose exception handlers turn the domain's errors into problem+json. The files
themselves never pass through the API: browsers send them to S3 and fetch them from it (kefu.attachments).
"""

from __future__ import annotations

from typing import Annotated

from answers import caller_of
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu.attachments import service as attachments
from kefu.identity import Caller
from kefu.model.attachments import AttachmentLimits, DownloadLink, Upload, UploadRequest

router = APIGatewayHttpRouter()


def caller() -> Caller:
    # A customer's uploads are filed under the record their login is, as their tickets are.
    return caller_of(router.current_event)


@router.get(
    "/tickets/attachments/limits",
    tags=["attachments"],
    summary="What a ticket's files may be: largest size, how many, which media types",
    responses=responses(AttachmentLimits),
)
def attachment_limits():
    caller()  # a protected route answers only with a token (401 otherwise), though the limits are the same for all
    return Response(200, "application/json", attachments.limits().model_dump_json())


@router.post(
    "/tickets/attachments/uploads",
    tags=["attachments"],
    summary="A pre-signed upload (S3 POST) for one file, to name in a new ticket's or message's `attachments`",
    description="The file's declared `contentType` and `size` are checked first (422 for a type not in the limits "
    "or a size over them). Post `fields` and then the file, as `file`, in a multipart form to `uploadUrl` before "
    "`expiresAt`; S3 refuses another type or a larger file. Then send `{key, name, contentType, size}` in the "
    "ticket's `attachments`: the key must be one of your own uploads and be uploaded (422 otherwise), and the "
    "ticket records the size and type S3 holds.",
    responses=responses(Upload, 201, "The pre-signed upload"),
)
def start_upload(body: UploadRequest):
    upload = attachments.start_upload(caller(), body)
    return Response(201, "application/json", upload.model_dump_json())


@router.get(
    "/tickets/<ticketId>/attachments",
    tags=["attachments"],
    summary="A download link for one of the ticket's files",
    description="`key` is a file on the ticket or on a timeline entry you see (customers: the public ones). 404 "
    "for a ticket you do not reach or a key it does not have; the link expires after a few minutes.",
    responses=responses(DownloadLink),
)
def download(ticketId: str, key: Annotated[str, Query(min_length=1, max_length=1024)]):
    link = attachments.download(caller(), ticketId, key)
    return Response(200, "application/json", link.model_dump_json())
