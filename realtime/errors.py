"""The one application error type: services raise it, the socket and the HTTP API translate it."""

from __future__ import annotations

# Protocol error code -> HTTP status used by the API.
HTTP_STATUS = {
    "bad_request": 400,
    "auth_required": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "rate_limited": 429,
    "internal": 500,
}


class AppError(Exception):
    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        assert code in HTTP_STATUS, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]
