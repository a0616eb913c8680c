"""The one write path: an authenticated, rate-limited, idempotent write that appends events.

Every service a user calls to change something is declared with `@user_write(action)`;
the socket command handlers and the HTTP API call those services, so both transports
take the same path:

    signed in? (auth_required) -> one token of the user's rate limit (rate_limited)
    -> transaction.atomic -> write receipt (user, ref) -> the service body -> commit
    -> events and state frames published on commit (topic_event_append, topic_state_changed)

A write called by another write (an event creating its discussion room) joins the outer
one: no second token, receipt or transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec

from django.db import transaction

from realtime import ratelimit
from realtime.auth import signed_in
from realtime.batching import batch_write_token, in_batched_write
from realtime.errors import AppError
from realtime.idempotency import write_once

P = ParamSpec("P")
_inside_write: ContextVar[bool] = ContextVar("inside_write", default=False)


def user_write(
    action: str, *, actor: str = "user", signed_out: str = "sign in to write"
) -> Callable[[Callable[P, dict]], Callable[P, dict]]:
    """Declare a service as a user write named `action` (the receipt's label).

    The service takes keyword arguments only: the acting user as `actor`, an optional
    `ref` (the idempotency key), and returns its JSON-able result (the `ok` data), which
    a resent write with the same `ref` gets back unchanged.
    """

    def decorate(service: Callable[P, dict]) -> Callable[P, dict]:
        @functools.wraps(service)
        def write(**kwargs) -> dict:
            if _inside_write.get():
                return service(**kwargs)
            user = kwargs.get(actor)
            if not signed_in(user):
                raise AppError("auth_required", signed_out)
            wait = batch_write_token(user.pk)  # the batch asked Redis for its writes' tokens at once
            if wait is None:
                ratelimit.write_allow(user.pk)
            else:
                ratelimit.write_refuse(wait)
            token = _inside_write.set(True)
            try:
                # In a batch the write already runs in its own savepoint (realtime.batching): no second one.
                with transaction.atomic(savepoint=not in_batched_write()):
                    return write_once(
                        user=user, ref=kwargs.get("ref"), action=action, perform=lambda: service(**kwargs)
                    )
            finally:
                _inside_write.reset(token)

        return write

    return decorate
