"""WebSocket handshake authentication: Bearer token for clients, session cookie for browsers."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack

from accounts.selectors import token_from_authorization, tokens_get_valid
from realtime.errors import AppError
from realtime.shared_reads import SharedReads


def bearer_token(scope) -> str | None:
    """The token from `Authorization: Bearer <token>`, or from the subprotocols `["bearer", <token>]`
    (browsers cannot set headers on a WebSocket; this keeps a socket signed in when the session expires)."""
    token = token_from_authorization(dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1"))
    if token is not None:
        return token
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) == 2 and subprotocols[0] == "bearer":
        return subprotocols[1]
    return None


class SocketAuthMiddleware:
    """A token decides alone (scope["bearer_user"], None when invalid); without one, the browser's
    session cookie does, through Channels' session and auth middleware."""

    def __init__(self, app) -> None:
        self.app = app
        self.session_app = AuthMiddlewareStack(app)

    async def __call__(self, scope, receive, send):
        token = bearer_token(scope)
        if token is None:
            return await self.session_app(scope, receive, send)
        try:
            user, token_id = await _token_reads.get(token)
            found = {"bearer_user": user, "bearer_token_id": token_id}
        except AppError as exc:  # no database thread in time: the consumer says so and closes (4013)
            found = {"bearer_user": None, "bearer_busy": exc}
        # This frame lives as long as the socket: it keeps the user and no more (issue 17: memory per socket).
        del token
        return await self.app(dict(scope, bearer_given=True, **found), receive, send)


def _token_users(tokens: dict[str, None]) -> dict[str, tuple]:
    """{token: (user, token id)} of the valid ones."""
    return {key: (token.user, token.id) for key, token in tokens_get_valid(list(tokens)).items()}


# The handshakes of a reconnect storm look their tokens up together (realtime.shared_reads).
_token_reads = SharedReads("tokens", _token_users, missing=(None, None))


def SocketAuthStack(app):  # noqa: N802 - named like Channels' own stacks
    return SocketAuthMiddleware(app)
