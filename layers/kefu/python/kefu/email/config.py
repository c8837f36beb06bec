"""The e-mail channel's settings: the deployment document's `mail` section (infra/config/<stage>.yaml, validated at
synth), with defaults for what it leaves out; the buckets from the settings (kefu.config) the deployment gives each
function."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from kefu import deployment
from kefu.config import ATTACHMENTS_BUCKET_VAR, RAW_MAIL_BUCKET_VAR, required, settings

DEFAULT_ACKNOWLEDGEMENT = {
    "zh": "您好，我们已收到您的来信，工单号 {ticket_id}。客服人员会尽快回复您；回复本邮件即可补充信息。",
    "en": (
        "Hello, we have received your message and opened ticket {ticket_id}. An agent will answer soon; "
        "reply to this e-mail to add anything."
    ),
}


# A named tuple, not a frozen dataclass: a dataclass compiles its methods from source at import, ~5 M instructions
# of the cold start of each function that sends or reads mail (callgrind), a named tuple ~1 M (its annotations are
# evaluated: no `from __future__ import annotations`, whose text types a named tuple compiles one by one).
class MailSettings(NamedTuple):
    domain: str = "kefu.localhost"
    #: kefu's own addresses; the first is where answers come from when a ticket has no mail thread yet.
    recipients: tuple[str, ...] = ("support@kefu.localhost",)
    from_name: str = "Customer Service"
    #: Mail to this address (one of `recipients`) is always a complaint, whatever it says.
    complaints: str | None = None
    #: Whether a ticket opened by e-mail is acknowledged by e-mail.
    acknowledge: bool = True
    #: The acknowledgement's text by language (`{ticket_id}` and `{subject}` are filled in).
    acknowledgement: Mapping[str, str] = MappingProxyType(DEFAULT_ACKNOWLEDGEMENT)
    #: More mails than this from one sender in one hour are kept but not ticketed (a loop or a flood).
    burst_per_hour: int = 20
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_attachment_bytes: int = 25 * 1024 * 1024

    @property
    def support_address(self) -> str:
        return self.recipients[0]

    def own_addresses(self) -> frozenset[str]:
        return frozenset(address.lower() for address in self.recipients)

    def to_complaints(self, addresses: tuple[str, ...]) -> bool:
        """Whether the complaints address is among `addresses` (To and Cc; a +tag ignored)."""
        if self.complaints is None:
            return False
        wanted = self.complaints.lower()
        for address in addresses:
            local, _, domain = address.lower().rpartition("@")
            if f"{local.split('+', 1)[0]}@{domain}" == wanted:
                return True
        return False

    def mailbox_for(self, addresses: tuple[str, ...]) -> str:
        """Which of kefu's addresses a mail was sent to (the first that matches, ignoring a +tag), else the
        support address."""
        own = {address.lower(): address for address in self.recipients}
        for address in addresses:
            local, _, domain = address.lower().rpartition("@")
            plain = f"{local.split('+', 1)[0]}@{domain}"
            if plain in own:
                return own[plain]
        return self.support_address


def mail_settings() -> MailSettings:
    section: dict[str, Any] = dict(deployment.document().get("mail") or {})
    defaults = MailSettings()
    recipients = tuple(section.get("recipients") or ())
    domain = section.get("domain")
    if not recipients and domain:
        recipients = (f"support@{domain}",)
    return MailSettings(
        domain=domain or defaults.domain,
        recipients=recipients or defaults.recipients,
        from_name=section.get("from_name") or defaults.from_name,
        complaints=section.get("complaints") or None,
        acknowledge=bool(section.get("acknowledge", defaults.acknowledge)),
        acknowledgement=dict(section.get("acknowledgement") or defaults.acknowledgement),
        burst_per_hour=int(section.get("burst_per_hour", defaults.burst_per_hour)),
        max_attachment_bytes=int(section.get("max_attachment_bytes", defaults.max_attachment_bytes)),
        max_total_attachment_bytes=int(section.get("max_total_attachment_bytes", defaults.max_total_attachment_bytes)),
    )


def raw_mail_bucket() -> str:
    return required(settings().raw_mail_bucket, RAW_MAIL_BUCKET_VAR)


def attachments_bucket() -> str:
    return required(settings().attachments_bucket, ATTACHMENTS_BUCKET_VAR)
