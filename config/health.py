"""Health endpoints for orchestrators and load balancers: unauthenticated, cheap, never rate-limited.

`/healthz`: the process answers (restart it if not). `/readyz`: send it traffic — the database
answers, Redis (when configured) answers and this process's hub is connected to it, and the
process is not draining for a restart. Each check has a short timeout, so a stuck dependency
reads as "not ready" within about a second instead of hanging the probe.
"""

from __future__ import annotations

import asyncio

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from realtime import fanout, lifecycle
from realtime.db import db_call
from realtime.redis_clients import redis_async, redis_enabled

CHECK_TIMEOUT = 1.0


def _database_ping() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _redis_ping() -> None:
    client = redis_async(socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _check(awaitable) -> str:
    try:
        await asyncio.wait_for(awaitable, CHECK_TIMEOUT)
    except Exception as exc:
        return f"failing: {exc.__class__.__name__}"
    return "ok"


@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@require_GET
async def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": await _check(db_call(_database_ping))}
    if redis_enabled():
        checks["redis"] = await _check(_redis_ping())
        # Starts the hub if no socket did yet (and gives it the timeout to connect): ready means able to fan out.
        checks["hub"] = await _check(fanout.process_hub().link.ready.wait())
    checks["draining"] = "failing: restarting" if lifecycle.is_draining() else "ok"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)
