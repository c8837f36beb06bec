"""E-mail receiving: SES accepts mail for the configured addresses and stores each raw MIME message in the
raw-mail bucket under `inbound/` (kept: it is the evidence of what the customer sent).

Turning stored mail into tickets (`functions/email_inbound`) comes with the issue that writes it. SES
receives through the account's single *active* rule set; activating this one is an operator step (README),
because doing it from CloudFormation would silently switch off another application's rule set.
"""

from __future__ import annotations

from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from constructs import Construct

from kefu_infra.config import Mail

RAW_MAIL_PREFIX = "inbound/"


class EmailReceiving(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, mail: Mail, raw_mail_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.mail = mail
        self.identity = ses.EmailIdentity(self, "Domain", identity=ses.Identity.domain(mail.domain))
        self.rule_set = ses.ReceiptRuleSet(self, "RuleSet", receipt_rule_set_name=prefix)
        self.rule_set.add_rule(
            "StoreRawMail",
            recipients=list(mail.recipients),
            scan_enabled=True,
            tls_policy=ses.TlsPolicy.REQUIRE,
            actions=[ses_actions.S3(bucket=raw_mail_bucket, object_key_prefix=RAW_MAIL_PREFIX)],
        )
        self.rule_set_name = prefix
