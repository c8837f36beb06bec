"""`kefu local token` mints what Cognito would: an e-mail (and phone) verified by default, unverified on request."""

from __future__ import annotations

from pathlib import Path

import jwt
from typer.testing import CliRunner

from kefu.identity import Caller
from kefu_local import cli


def minted(state: Path, *args: str) -> dict:
    result = CliRunner().invoke(cli.app, ["local", "token", *args], env={"KEFU_LOCAL_STATE": str(state)})
    assert result.exit_code == 0, result.output
    return jwt.decode(result.output.strip(), options={"verify_signature": False})


def test_a_customer_tokens_email_is_verified_by_default(tmp_path):
    claims = minted(tmp_path, "--role", "customer", "--sub", "app-carol", "--email", "carol@example.com")
    assert claims["email"] == "carol@example.com"
    assert claims["email_verified"] is True
    assert Caller.from_claims(claims).email_verified


def test_unverified_issues_an_unverified_email_and_phone(tmp_path):
    args = ("--sub", "app-x", "--email", "x@example.com", "--phone", "+8613800138000", "--unverified")
    claims = minted(tmp_path, *args)
    assert claims["email_verified"] is False and claims["phone_number_verified"] is False
    caller = Caller.from_claims(claims)
    assert (caller.email_verified, caller.phone_verified, caller.phone) == (False, False, "+8613800138000")


def test_a_phone_is_verified_by_default(tmp_path):
    claims = minted(tmp_path, "--sub", "app-p", "--phone", "+8613800138000")
    assert claims["phone_number"] == "+8613800138000" and claims["phone_number_verified"] is True
