"""The HTTP API (django-ninja): one router per app, JSON errors carrying the protocol codes."""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from config.docs import VendoredSwagger
from realtime.db import database_timeout_error
from realtime.errors import AppError

api = NinjaAPI(
    title="Communecter Live",
    version="1.0",
    description="HTTP side of the wire contract (PROTOCOL.md §5). Writes here and over the socket share one code path.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=VendoredSwagger(),
    urls_namespace="api",
)


def error_body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


@api.exception_handler(AppError)
def app_error(request: HttpRequest, exc: AppError):
    extra = {"retry_after": exc.retry_after} if exc.retry_after is not None else {}
    response = api.create_response(request, error_body(exc.code, exc.message, **extra), status=exc.http_status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(max(1, round(exc.retry_after)))
    return response


@api.exception_handler(OverflowError)
def overflow_error(request: HttpRequest, exc: OverflowError):
    # Only input can overflow here: a date that leaves the calendar once moved to UTC or to the
    # event's zone, a number the database cannot store.
    return api.create_response(request, error_body("bad_request", f"a value is out of range: {exc}"), status=400)


@api.exception_handler(OperationalError)
def database_error(request: HttpRequest, exc: OperationalError):
    answer = database_timeout_error(exc)
    if answer is None:
        raise exc
    return app_error(request, answer)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'body'}: {e.get('msg')}" for e in exc.errors[:5]
    )
    return api.create_response(request, error_body("bad_request", problems, errors=exc.errors), status=400)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, error_body("auth_required", "sign in first"), status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    code = {400: "bad_request", 401: "auth_required", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(
        exc.status_code, "bad_request"
    )
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


api.add_router("/auth", "accounts.api.router")
api.add_router("/communes", "communes.api.router")
api.add_router("/map", "communes.api.map_router")
api.add_router("/rooms", "discussions.api.router")
api.add_router("/events", "events.api.router")
api.add_router("/proposals", "proposals.api.router")
api.add_router("/notifications", "notifications.api.router")
api.add_router("/organisations", "organisations.api.router")
api.add_router("/opendata", "opendata.api.router")
api.add_router("/people", "people.api.router")
api.add_router("/tags", "people.api.tags_router")
api.add_router("/outcomes", "outcomes.api.router")
api.add_router("/actions", "outcomes.api.actions_router")
api.add_router("/moderation", "moderation.api.router")
api.add_router("/search", "search.api.router")
api.add_router("/debates", "debates.api.router")
