"""The local stack's web app serves the local S3 endpoint on its own origin: a browser's pre-signed POST of a file
reaches the bucket (policy and all) and its pre-signed download comes back as an attachment."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

from kefu_local.tokens import LocalUserPool
from kefu_local.web import S3_PREFIX, WebServer, WebSettings
from tests.e2e.local_stack import free_port

BUCKET = "kefu-local-attachments"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def web(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>kefu</title>")
    pool = LocalUserPool.load_or_create(tmp_path_factory.mktemp("state"))
    server = WebServer(
        WebSettings("127.0.0.1", free_port(), explicit=True), "http://127.0.0.1:9", pool, dist, s3_endpoint
    )
    server.start()
    yield server.url
    server.stop()


def through_web(url: str, web: str) -> str:
    parts = urlsplit(url)
    return f"{web}{S3_PREFIX}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def test_a_presigned_upload_and_download_go_through_the_web_apps_origin(s3_endpoint: str, web: str):
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )
    s3.create_bucket(Bucket=BUCKET)
    key = "uploads/cust-demo/1/photo.png"
    post = s3.generate_presigned_post(
        Bucket=BUCKET, Key=key, Fields={"Content-Type": "image/png"}, Conditions=[{"Content-Type": "image/png"}]
    )
    answer = requests.post(
        through_web(post["url"], web), data=post["fields"], files={"file": ("photo.png", b"\x89PNG-1")}, timeout=10
    )
    assert answer.status_code in (200, 201, 204), answer.text
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert (head["ContentLength"], head["ContentType"]) == (6, "image/png")

    link = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": BUCKET, "Key": key, "ResponseContentDisposition": 'attachment; filename="photo.png"'},
    )
    download = requests.get(through_web(link, web), timeout=10)
    assert download.content == b"\x89PNG-1"
    assert download.headers["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
