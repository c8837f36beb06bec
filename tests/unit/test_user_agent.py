"""kefu's botocore session sends one User-Agent, built once (kefu.store.user_agent)."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.config import Config

from kefu.store.user_agent import fix_user_agent


class _Sent(Exception):
    pass


def _user_agent_sent(client) -> str:
    """The User-Agent of a call, as it leaves (after botocore's own before-send handlers), the call stopped there.
    Powertools, when imported, appends its own `PT/…` to every client's (a handler on every session)."""
    sent: list[str] = []

    def capture(request, **_):
        value = request.headers["User-Agent"]
        sent.append(value.decode() if isinstance(value, bytes) else value)
        raise _Sent

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Sent):
        client.get_item(TableName="kefu", Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
    return sent[0]


def _session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", "secret")
    return session


def test_a_client_of_the_fixed_session_sends_the_sessions_user_agent_as_it_is():
    session = _session()
    fix_user_agent(session)

    client = session.create_client("dynamodb", region_name="us-east-1")

    sent = _user_agent_sent(client)
    assert sent.startswith(session.user_agent()) and "ua/2" not in sent


def test_a_client_with_a_config_of_its_own_keeps_it_and_the_fixed_user_agent():
    session = _session()
    session.set_default_client_config(Config(connect_timeout=7))
    fix_user_agent(session)

    client = session.create_client("dynamodb", region_name="us-east-1", config=Config(read_timeout=9))

    sent = _user_agent_sent(client)
    assert sent.startswith(session.user_agent()) and "ua/2" not in sent
    assert (client.meta.config.read_timeout, client.meta.config.connect_timeout) == (9, 7)


def test_without_it_botocore_builds_its_own_user_agent_per_call():
    # The comparison that shows the test above can fail: botocore's own header is not the session's user_agent().
    session = _session()

    client = session.create_client("dynamodb", region_name="us-east-1")

    assert "ua/2.1" in _user_agent_sent(client)
