"""WebSocket handshake authentication: Bearer token for clients, session cookie for browsers."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async

from accounts.selectors import user_by_token


class BearerTokenMiddleware:
    """Sets scope["user"] from `Authorization: Bearer <token>`; otherwise the session decides."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        authorization = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            user = await database_sync_to_async(user_by_token)(authorization[7:].strip())
            scope = dict(scope, bearer_user=user, bearer_given=True)
        return await self.app(scope, receive, send)


def SocketAuthStack(app):  # noqa: N802 - named like Channels' own stacks
    return AuthMiddlewareStack(BearerTokenMiddleware(app))
