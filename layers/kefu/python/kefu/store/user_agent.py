"""One User-Agent per process for kefu's AWS calls, set once on its botocore session.

botocore builds the User-Agent header again for every call, twice (when it makes the request, then in a
`before-send` handler that adds the features the call used), from a dozen components each sanitized character by
character: about a tenth of a warm call's CPU (tests/bench/test_function_cold_start.py, the CPU bench). A client
configured with `Config(user_agent=...)` sends that string as it is. kefu sets the one `Session.user_agent()` gives
(botocore's version, Python's, the OS) on the session's default client config, so every client made from it (the
table's, Powertools idempotency's, those of kefu.store.clients) sends it. What AWS no longer receives is the
per-call feature list botocore's own metrics collect; nothing kefu or a user reads depends on it.
"""

from __future__ import annotations

from botocore.config import Config
from botocore.session import Session


def fix_user_agent(session: Session) -> None:
    """Clients made from `session` from now on send its `user_agent()` as their User-Agent, built once."""
    fixed = Config(user_agent=session.user_agent())
    default = session.get_default_client_config()
    session.set_default_client_config(fixed if default is None else default.merge(fixed))
