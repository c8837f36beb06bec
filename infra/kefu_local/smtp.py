"""SES e-mail receiving, locally: an SMTP server (aiosmtpd) that does what the templates' SES receipt rules do.

It accepts mail for the recipients of the templates' `AWS::SES::ReceiptRule`s (an address, a domain, `.domain`
for its subdomains; no recipients: every address) and refuses any other with SES's `550`. A rule with
`TlsPolicy: Require` refuses a recipient until the client has said STARTTLS (`530`), as SES does; the server
offers STARTTLS with a self-signed certificate made at start (clients need not verify it locally). For a
received message, each matching enabled rule's actions run in order: `AddHeaderAction` prepends its header,
`S3Action` stores the raw message under `<ObjectKeyPrefix><SES message id>` in its bucket with the headers SES
prepends on receipt (`Return-Path`, `Received`, the spam and virus verdicts when the rule scans, `Received-SPF`,
`Authentication-Results`: locally SPF, DKIM and DMARC are `none`, the verdicts `PASS`), then hands S3's "Object
Created" event to EventBridge (`kefu_local.events`), and `StopAction` ends the rules. Other actions are logged,
not run. Messages over SES's 40 MB are refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import secrets
import ssl
import string
import tempfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import boto3
from aiosmtpd.controller import Controller

from kefu import clock
from kefu_local import references
from kefu_local.config import SMTP_PORT_VAR, ensure_port_free
from kefu_local.events import EventBus
from kefu_local.runtime import LOCAL_REGION
from kefu_local.templates import Templates, Unresolvable

log = logging.getLogger(__name__)

RECEIPT_RULE = references.RECEIPT_RULE
#: SES receives messages of up to 40 MB, headers included.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
_MESSAGE_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class ReceiptRule:
    name: str
    recipients: list[str]
    actions: list[dict[str, Any]]
    enabled: bool = True
    scan_enabled: bool = False
    tls_required: bool = False
    after: str | None = None

    def matches(self, address: str) -> bool:
        """SES's recipient matching: an address exactly, a domain's addresses, `.domain` for its subdomains."""
        if not self.recipients:
            return True
        address = address.lower()
        domain = address.rpartition("@")[2]
        for recipient in (r.lower() for r in self.recipients):
            if "@" in recipient:
                if address == recipient:
                    return True
            elif recipient.startswith("."):
                if domain.endswith(recipient):
                    return True
            elif domain == recipient:
                return True
        return False

    @property
    def stores(self) -> list[tuple[str, str]]:
        """The (bucket, key prefix) of each S3 action."""
        return [
            (a["S3Action"]["BucketName"], a["S3Action"].get("ObjectKeyPrefix", ""))
            for a in self.actions
            if "S3Action" in a
        ]


def receipt_rules(templates: Templates) -> list[ReceiptRule]:
    """The templates' receipt rules, each rule set's in order (`After`), resolved to local bucket names."""
    rules = []
    for resource in templates.resources(RECEIPT_RULE):
        try:
            props = templates.resolve(resource.stack, resource.properties)
        except Unresolvable as err:
            log.warning("receipt rule %s is not run locally: %s has no local value", resource.logical_id, err)
            continue
        rule = props["Rule"]
        rules.append(
            ReceiptRule(
                name=references.physical_name(templates, resource),
                recipients=list(rule.get("Recipients", [])),
                actions=list(rule.get("Actions", [])),
                enabled=bool(rule.get("Enabled", True)),
                scan_enabled=bool(rule.get("ScanEnabled", False)),
                tls_required=rule.get("TlsPolicy", "Optional") == "Require",
                after=props.get("After"),
            )
        )
    return _in_order(rules)


def _in_order(rules: list[ReceiptRule]) -> list[ReceiptRule]:
    ordered = [r for r in rules if not r.after or r.after not in {other.name for other in rules}]
    remaining = [r for r in rules if r not in ordered]
    while remaining:
        placed = next((r for r in remaining if r.after in {o.name for o in ordered}), remaining[0])
        ordered.insert(next(i for i, o in enumerate(ordered) if o.name == placed.after) + 1, placed)
        remaining.remove(placed)
    return ordered


def ses_message_id() -> str:
    """An id like those SES gives received messages (40 lower-case letters and digits)."""
    return "".join(secrets.choice(_MESSAGE_ID_ALPHABET) for _ in range(40))


def receipt_headers(
    *,
    message_id: str,
    mail_from: str,
    recipients: list[str],
    helo: str,
    client_ip: str,
    header_from: str | None,
    scanned: bool,
    region: str = LOCAL_REGION,
    received_at: dt.datetime | None = None,
) -> list[tuple[str, str]]:
    """The headers SES prepends to a received message, in order."""
    moment = received_at or clock.now()
    envelope_domain = mail_from.rpartition("@")[2] or helo
    from_domain = (email.utils.parseaddr(header_from or "")[1].rpartition("@")[2]) or envelope_domain
    spf = (
        f"none (spfCheck: {client_ip} is neither permitted nor denied by domain of {envelope_domain}) "
        f"client-ip={client_ip}; envelope-from={mail_from}; helo={helo};"
    )
    received_for = f"\r\n for {recipients[0]};" if len(recipients) == 1 else ";"
    headers = [
        ("Return-Path", f"<{mail_from}>"),
        (
            "Received",
            f"from {helo} ({helo} [{client_ip}])\r\n by inbound-smtp.{region}.amazonaws.com with SMTP id {message_id}"
            f"{received_for}\r\n {email.utils.format_datetime(moment.astimezone(dt.UTC))} (UTC)",
        ),
    ]
    if scanned:
        headers += [("X-SES-Spam-Verdict", "PASS"), ("X-SES-Virus-Verdict", "PASS")]
    headers += [
        ("Received-SPF", spf),
        (
            "Authentication-Results",
            f"amazonses.com;\r\n spf={spf}\r\n dkim=none header.i=@{from_domain};"
            f"\r\n dmarc=none header.from={from_domain};",
        ),
    ]
    return headers


def _with_headers(headers: list[tuple[str, str]], content: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("utf-8") + content


@dataclass
class StoredMail:
    bucket: str
    key: str
    message_id: str
    rule: str


class SesReceiving:
    """The aiosmtpd handler: recipients checked against the receipt rules, messages stored as SES stores them."""

    def __init__(self, rules: list[ReceiptRule], bus: EventBus, endpoint: str | None, *, region: str = LOCAL_REGION):
        self.rules = [rule for rule in rules if rule.enabled]
        self.bus = bus
        self.endpoint = endpoint
        self.region = region
        self.stored: list[StoredMail] = []
        self._s3: Any = None

    def _rules_for(self, address: str) -> list[ReceiptRule]:
        return [rule for rule in self.rules if rule.matches(address)]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        rules = self._rules_for(address)
        if not rules:
            return "550 5.1.1 Requested action not taken: mailbox unavailable"
        if session.ssl is None and any(rule.tls_required for rule in rules):
            return "530 5.7.0 Must issue a STARTTLS command first"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        loop = asyncio.get_running_loop()
        try:
            message_ids = await loop.run_in_executor(None, self.receive, session, envelope)
        except Exception:
            log.exception("storing a received message failed")
            return "451 4.3.0 Temporary service failure; please try again"
        return f"250 Ok {message_ids[0] if message_ids else ses_message_id()}"

    def receive(self, session: Any, envelope: Any) -> list[str]:
        """Run the matching rules' actions on a message; the SES message ids it was stored under."""
        content: bytes = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        header_from = BytesHeaderParser(policy=compat32).parsebytes(content).get("From")
        helo = session.host_name or "unknown"
        client_ip = session.peer[0] if session.peer else "127.0.0.1"
        message_id = ses_message_id()
        ids: list[str] = []
        for rule in self.rules:
            recipients = [r for r in envelope.rcpt_tos if rule.matches(r)]
            if not recipients:
                continue
            headers = receipt_headers(
                message_id=message_id,
                mail_from=envelope.mail_from or "",
                recipients=recipients,
                helo=helo,
                client_ip=client_ip,
                header_from=header_from,
                scanned=rule.scan_enabled,
                region=self.region,
            )
            stopped = False
            for action in rule.actions:
                if "AddHeaderAction" in action:
                    added = action["AddHeaderAction"]
                    content = _with_headers([(added["HeaderName"], added["HeaderValue"])], content)
                elif "S3Action" in action:
                    s3_action = action["S3Action"]
                    self._store(
                        s3_action["BucketName"],
                        s3_action.get("ObjectKeyPrefix", ""),
                        message_id,
                        headers,
                        content,
                        rule,
                    )
                    ids.append(message_id)
                elif "StopAction" in action:
                    stopped = True
                    break
                else:
                    log.warning("receipt rule %s: %s is not run locally", rule.name, ", ".join(action))
            if stopped:
                break
        return ids

    def _store(
        self,
        bucket: str,
        prefix: str,
        message_id: str,
        headers: list[tuple[str, str]],
        content: bytes,
        rule: ReceiptRule,
    ) -> None:
        if self._s3 is None:
            self._s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region)
        key = f"{prefix}{message_id}"
        body = _with_headers(headers, content)
        stored = self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        self.stored.append(StoredMail(bucket, key, message_id, rule.name))
        log.info("received mail stored at s3://%s/%s", bucket, key)
        self.bus.object_created(bucket, key, len(body), stored["ETag"], version_id=stored.get("VersionId"))


def _self_signed_context(folder: Path, hostname: str) -> ssl.SSLContext:
    """A TLS context for STARTTLS with a certificate made now (local clients do not verify it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname), x509.DNSName("localhost")]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


class SmtpServer:
    """The SMTP endpoint of the local stack, in a thread of its own."""

    def __init__(self, receiving: SesReceiving, host: str, port: int, *, region: str = LOCAL_REGION):
        self.receiving = receiving
        self.host = host
        self.port = port
        self.region = region
        self._controller: Controller | None = None
        self._certificates: tempfile.TemporaryDirectory[str] | None = None

    @property
    def recipients(self) -> list[str]:
        return [recipient for rule in self.receiving.rules for recipient in rule.recipients]

    @property
    def example_recipient(self) -> str | None:
        """An address the rules accept, for examples (`support@` a domain rule's domain)."""
        for recipient in self.recipients:
            if "@" in recipient:
                return recipient
            return f"support@{recipient.lstrip('.')}"
        return None

    @property
    def tls_required(self) -> bool:
        return any(rule.tls_required for rule in self.receiving.rules)

    def start(self) -> None:
        ensure_port_free(self.host, self.port, SMTP_PORT_VAR)
        self._certificates = tempfile.TemporaryDirectory(prefix="kefu-smtp-")
        greeting = f"inbound-smtp.{self.region}.amazonaws.com"
        controller = Controller(
            self.receiving,
            hostname=self.host,
            port=self.port,
            server_hostname=greeting,
            ident="Amazon SES",
            tls_context=_self_signed_context(Path(self._certificates.name), greeting),
            require_starttls=False,
            data_size_limit=MAX_MESSAGE_BYTES,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._certificates is not None:
            self._certificates.cleanup()
            self._certificates = None
