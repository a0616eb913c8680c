"""One check of every HTTP API input before any route sees it: no NUL byte (PostgreSQL text cannot
hold one) and no integer outside the signed 64-bit range the database stores (SQLite and
PostgreSQL both fail on them), and no date before year 1000 or after 9000 (year 0001 or 9999
leave the calendar once moved to UTC or to an event's zone, and PostgreSQL stores a year-10000
timestamp that nothing can read back); the text of a `ref` or a `body` is only checked for NUL
(realtime.inputs.TEXT_KEYS). The routes' own schemas then check types and limits;
anything that still overflows is answered `bad_request` by the API's OverflowError handler.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from django.http import HttpRequest, JsonResponse

from realtime.inputs import input_problem


def request_input_problem(request: HttpRequest) -> str | None:
    path = unquote(request.path)
    if "\x00" in path:
        return "path: NUL bytes are not allowed"
    for segment in path.split("/"):
        problem = input_problem(segment, "path") if segment.lstrip("+-").isdigit() else None
        if problem:
            return problem
    for key, values in request.GET.lists():
        for value in values:
            problem = input_problem(key, "query") or input_problem(value, key)
            if problem:
                return problem
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            return None  # the route answers malformed JSON itself
        return input_problem(body, "body")
    return None


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path.startswith("/api/"):
            problem = request_input_problem(request)
            if problem:
                return JsonResponse({"code": "bad_request", "message": problem}, status=400)
        return self.get_response(request)
