"""Survey tokens: signed with the survey secret (moto's Secrets Manager, in process), expiring, compact, and
refused alike whatever was forged; keys rotate without breaking the links already sent."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from kefu import config
from kefu.errors import SurveyExpired, SurveyNotFound
from kefu.surveys import tokens

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
SURVEY = tokens.survey_id_for("daily-csat-survey", "TK-7F3K9Q2M")


@pytest.fixture
def keys(aws):
    """A fresh process's view of the secret: nothing read yet."""
    tokens.forget_keys()
    yield os.environ[config.SURVEY_SECRET_ARN_VAR]
    tokens.forget_keys()


def rotate(arn: str, value: str) -> None:
    """What an operator does to rotate: a new version becomes AWSCURRENT, the old one AWSPREVIOUS."""
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=value)


def secret_reads(aws_calls) -> int:
    return aws_calls.count()[("secretsmanager", "GetSecretValue")]


def raw(token: str) -> bytearray:
    return bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


# --- a genuine token -------------------------------------------------------------------------------------------


def test_a_signed_token_verifies_to_its_survey_and_expiry(keys):
    # Given a token signed for a survey until a moment, when verified before it, then it names them
    claims = tokens.verify(tokens.sign(SURVEY, EXPIRES), NOW)
    assert (claims.survey_id, claims.expires_at) == (SURVEY, EXPIRES)


def test_a_token_is_70_url_safe_characters_with_nothing_readable_in_it(keys):
    # Given a survey about ticket TK-7F3K9Q2M, when its token is signed, then it is short, URL-safe, and neither the
    # ticket nor the survey id can be read from it or from its decoded bytes
    token = tokens.sign(SURVEY, EXPIRES)
    assert len(token) == 70
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    decoded = bytes(raw(token))
    for clear in ("TK-7F3K9Q2M", "7F3K9Q2M", SURVEY, SURVEY[3:], "daily-csat-survey"):
        assert clear not in token and clear.encode() not in decoded


def test_the_same_campaign_and_ticket_always_give_the_same_survey_id_and_others_another():
    # Given a campaign and a ticket, when the survey id is derived twice, then it is the same; for another, not
    assert tokens.survey_id_for("c", "TK-1") == tokens.survey_id_for("c", "TK-1")
    assert tokens.survey_id_for("c", "TK-1") != tokens.survey_id_for("c", "TK-2")
    assert tokens.survey_id_for("c", "TK-1") != tokens.survey_id_for("d", "TK-1")
    assert tokens.is_survey_id(SURVEY) and not tokens.is_survey_id("SV-0000")


def test_the_secret_is_read_once_for_all_the_tokens_a_process_signs_and_checks(keys, aws_calls):
    # Given a process that has read nothing, when it signs and verifies five tokens, then one read of the secret
    for n in range(5):
        tokens.verify(tokens.sign(tokens.survey_id_for("c", f"TK-{n}"), EXPIRES), NOW)
    assert secret_reads(aws_calls) == 1


def test_without_the_secret_arn_signing_fails_loudly(keys, monkeypatch):
    # Given no KEFU_SURVEY_SECRET_ARN, when a token is signed, then an error names the missing variable
    monkeypatch.delenv(config.SURVEY_SECRET_ARN_VAR)
    with pytest.raises(RuntimeError, match=config.SURVEY_SECRET_ARN_VAR):
        tokens.sign(SURVEY, EXPIRES)


# --- expiry ----------------------------------------------------------------------------------------------------


def test_a_token_at_its_expiry_is_refused_as_expired_with_the_date(keys):
    # Given a token valid until EXPIRES, when verified at that moment, then SurveyExpired saying when
    token = tokens.sign(SURVEY, EXPIRES)
    with pytest.raises(SurveyExpired, match="expired on 2026-03-16 08:00 UTC"):
        tokens.verify(token, EXPIRES)


def test_a_token_one_second_before_its_expiry_is_accepted(keys):
    token = tokens.sign(SURVEY, EXPIRES)
    assert tokens.verify(token, EXPIRES - timedelta(seconds=1)).survey_id == SURVEY


def test_moving_the_expiry_forward_breaks_the_signature(keys):
    # Given an expired token, when its expiry bytes are rewritten a year later, then it is no survey at all
    data = raw(tokens.sign(SURVEY, EXPIRES))
    later = int((EXPIRES + timedelta(days=365)).timestamp()).to_bytes(5, "big")
    data[15:20] = later
    with pytest.raises(SurveyNotFound):
        tokens.verify(encode(data), EXPIRES + timedelta(days=1))


# --- forgery ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", range(0, 52, 3))
def test_any_changed_byte_makes_the_token_unknown(keys, position):
    # Given a genuine token, when one byte anywhere in it (version, key id, survey, expiry, MAC) is changed, then
    # the same refusal, whichever part it was
    data = raw(tokens.sign(SURVEY, EXPIRES))
    data[position] ^= 0x01
    with pytest.raises(SurveyNotFound, match="there is no such survey"):
        tokens.verify(encode(data), NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t + "A",
        lambda t: "",
        lambda t: "!" * 70,
        lambda t: "é" * 70,
        lambda t: t[:35] + "=" + t[36:],
        lambda t: "x" * 2100,
    ],
    ids=["cut-short", "one-more-char", "empty", "not-base64", "not-ascii", "padding-inside", "very-long"],
)
def test_a_malformed_token_is_unknown(keys, mangle):
    with pytest.raises(SurveyNotFound):
        tokens.verify(mangle(tokens.sign(SURVEY, EXPIRES)), NOW)


def test_a_token_signed_with_another_secret_is_unknown(keys, monkeypatch):
    # Given a token signed by another deployment's secret, when verified here, then it is unknown
    other = boto3.client("secretsmanager").create_secret(Name="someone-else", SecretString="another key")["ARN"]
    monkeypatch.setenv(config.SURVEY_SECRET_ARN_VAR, other)
    foreign = tokens.sign(SURVEY, EXPIRES)
    monkeypatch.setenv(config.SURVEY_SECRET_ARN_VAR, keys)
    with pytest.raises(SurveyNotFound):
        tokens.verify(foreign, NOW)


def test_a_token_of_another_format_version_is_unknown_even_if_correctly_signed(keys):
    # Given a token re-signed with the right key but announcing format version 2, when verified, then unknown
    data = raw(tokens.sign(SURVEY, EXPIRES))
    data[0] = 2
    _, key = tokens._keyring().current()
    data[20:] = tokens._mac(key, bytes(data[:20]))
    with pytest.raises(SurveyNotFound):
        tokens.verify(encode(data), NOW)


def test_the_signature_is_compared_in_constant_time(keys, monkeypatch):
    # Given a forged signature, when verified, then hmac.compare_digest makes the comparison
    compared = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    data = raw(tokens.sign(SURVEY, EXPIRES))
    data[-1] ^= 0xFF
    with pytest.raises(SurveyNotFound):
        tokens.verify(encode(data), NOW)
    assert len(compared) == 1 and compared[0][1] == bytes(data[20:])


# --- rotation --------------------------------------------------------------------------------------------------


def test_after_a_rotation_links_signed_with_the_previous_key_still_verify(keys):
    # Given a link signed before the secret was rotated, when a new process verifies it, then it is accepted,
    # and what the new process signs uses the new key
    before = tokens.sign(SURVEY, EXPIRES)
    rotate(keys, "the second key")
    tokens.forget_keys()
    assert tokens.verify(before, NOW).survey_id == SURVEY
    after = tokens.sign(SURVEY, EXPIRES)
    assert raw(after)[1:5] != raw(before)[1:5]
    assert tokens.verify(after, NOW).survey_id == SURVEY


def test_after_two_rotations_links_of_the_oldest_key_are_unknown(keys):
    # Given links signed under keys one and two, when the secret is rotated to a third, then only key two's verify
    first = tokens.sign(SURVEY, EXPIRES)
    rotate(keys, "the second key")
    tokens.forget_keys()
    second = tokens.sign(SURVEY, EXPIRES)
    rotate(keys, "the third key")
    tokens.forget_keys()
    assert tokens.verify(second, NOW).survey_id == SURVEY
    with pytest.raises(SurveyNotFound):
        tokens.verify(first, NOW)


def test_a_running_process_learns_a_rotation_from_a_token_with_the_new_key(keys, monkeypatch):
    # Given a process that read the key before a rotation, when a link signed after it (elsewhere) arrives once the
    # refresh interval has passed, then the process reads the secret again and accepts it
    tokens.sign(SURVEY, EXPIRES)  # this process reads key one
    rotate(keys, "the second key")
    ring = tokens._keyring()
    new_key_id, new_key = tokens.Keyring(keys).current()  # another process, started after the rotation
    body = bytes([tokens.VERSION]) + new_key_id + tokens.survey_id_bytes(SURVEY) + tokens._expiry_bytes(EXPIRES)
    signed_elsewhere = encode(body + tokens._mac(new_key, body))
    with pytest.raises(SurveyNotFound):
        tokens.verify(signed_elsewhere, NOW)  # within the refresh interval: not read again yet
    monkeypatch.setattr(ring, "read_at", ring.read_at - tokens.REFRESH_SECONDS - 1)
    assert tokens.verify(signed_elsewhere, NOW).survey_id == SURVEY


def test_forged_tokens_do_not_make_a_process_read_the_secret_again_and_again(keys, aws_calls):
    # Given a process that has read the secret, when a hundred tokens with unknown key ids arrive within the refresh
    # interval, then it reads the secret at most twice in all (current, then previous once)
    genuine = raw(tokens.sign(SURVEY, EXPIRES))
    for n in range(100):
        forged = bytearray(genuine)
        forged[1:5] = n.to_bytes(4, "big")
        with pytest.raises(SurveyNotFound):
            tokens.verify(encode(forged), NOW)
    assert secret_reads(aws_calls) <= 2


def test_a_token_spelled_differently_in_its_unused_last_bits_is_refused():
    # Given a token's last character, which holds bits base64 leaves unused
    from kefu.surveys import tokens

    raw = bytes(range(52))
    token = tokens._b64(raw)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(token[-1])
    sibling = alphabet[index ^ 1]  # differs only in a bit the decoder drops
    # When the character is swapped for its sibling, then the token no longer decodes
    assert tokens._decode(token) == raw
    assert tokens._decode(token[:-1] + sibling) is None


@pytest.mark.parametrize("expiry", [0xFFFFFFFFFF, 253402300800], ids=["five-bytes-max", "year-10000"])
def test_a_correctly_signed_token_whose_expiry_no_date_can_hold_is_unknown(keys, expiry):
    # Given a token signed with the right key whose expiry lies past year 9999, when verified, then no survey
    data = raw(tokens.sign(SURVEY, EXPIRES))
    data[15:20] = expiry.to_bytes(5, "big")
    _, key = tokens._keyring().current()
    data[20:] = tokens._mac(key, bytes(data[:20]))
    with pytest.raises(SurveyNotFound):
        tokens.verify(encode(data), NOW)


def test_a_token_expiring_at_the_last_second_a_date_can_hold_is_accepted(keys):
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert tokens.verify(tokens.sign(SURVEY, last), NOW).expires_at == last
