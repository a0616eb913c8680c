"""The session engine (settings.SESSION_ENGINE): Django's database sessions, whose rows also name
their user, the browser that signed in and when, so that a person can list and end every browser
session of theirs (accounts.selectors.browser_sessions), not only those a token is linked to."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from accounts.models import BrowserSession

# Kept in the session's data by `session_signed_in`, copied to the row's columns on each save.
USER_AGENT = "_cl_user_agent"
SIGNED_IN_AT = "_cl_signed_in_at"


class SessionStore(DatabaseSessionStore):
    """Named like Django's: the name is part of the signing salt, so existing sessions stay readable."""

    @classmethod
    def get_model_class(cls):
        return BrowserSession

    def create_model_instance(self, data):
        return _described(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data):
        return _described(await super().acreate_model_instance(data), data)


def _described(row: BrowserSession, data: dict) -> BrowserSession:
    user_id = data.get(SESSION_KEY)
    row.user_id = int(user_id) if user_id and str(user_id).isdigit() else None
    row.user_agent = str(data.get(USER_AGENT, ""))[:200]
    signed_in = data.get(SIGNED_IN_AT)
    row.signed_in_at = datetime.fromisoformat(signed_in) if isinstance(signed_in, str) else None
    return row


def session_signed_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: what the account page shows of this session."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[USER_AGENT] = request.headers.get("User-Agent", "")[:200]
    session[SIGNED_IN_AT] = timezone.now().isoformat()
