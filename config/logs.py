"""Logs an operator can search: one JSON object per line in production, readable lines in development.

What a line may carry is decided where it is logged (`extra=`): ids, the command, the outcome,
the duration — never a message body, a token, a password or a ballot choice.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import orjson

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class ReadableFormatter(logging.Formatter):
    """Development: the usual line, then the structured fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        text = super().formatMessage(record)
        fields = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        )
        return f"{text} [{fields}]" if fields else text


request_log = logging.getLogger("http.requests")


class RequestLogMiddleware:
    """One line per HTTP request: an id (also sent back as X-Request-ID), user, route, status, duration.

    The path is logged without its query string (which may carry search terms) and never a body.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        response = self.get_response(request)
        # The token's user, or the session's if something already loaded it (not loaded here: health checks stay cheap).
        user = getattr(request, "caller", None) or getattr(request, "_cached_user", None)
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        request_log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request": request_id,
                "user": user.pk if user is not None and user.is_authenticated else None,
                "method": request.method,
                "path": request.path,
                "outcome": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        response["X-Request-ID"] = request_id
        return response


# Polled every few seconds by orchestrators and Prometheus: not worth a line each at INFO.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
