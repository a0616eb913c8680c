"""Idempotent writes: a write resent with the same `ref` by the same user returns the first result."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from realtime.errors import AppError
from realtime.models import WriteReceipt

# Set by a write whose receipt would itself be a secret (a secret ballot: user + time).
_forget: ContextVar[bool] = ContextVar("receipt_forget", default=False)


def receipt_forget() -> None:
    """Called inside a write: keep no receipt for it (a resend then runs again, so the write
    must be harmless to repeat)."""
    _forget.set(True)


def write_once(*, user, ref: str | None, action: str, perform: Callable[[], dict]) -> dict:
    """Run `perform` at most once per (user, ref) within the idempotency window.

    Must run inside the service's transaction: the receipt is inserted first, so a
    concurrent duplicate blocks on the unique index until the first commits, then reads
    its result; if `perform` raises, the receipt rolls back with the write.
    """
    if ref is None:
        return perform()
    if not connection.in_atomic_block:
        raise RuntimeError("write_once must run inside transaction.atomic")
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    existing = WriteReceipt.objects.filter(user=user, ref=ref).first()
    if existing is not None:
        if existing.created_at >= cutoff:
            return _replayed(existing, action)
        existing.delete()
    try:
        with transaction.atomic():
            receipt = WriteReceipt.objects.create(user=user, ref=ref, action=action)
    except IntegrityError:
        return _replayed(WriteReceipt.objects.get(user=user, ref=ref), action)
    token = _forget.set(False)
    try:
        result = perform()
        if _forget.get():
            receipt.delete()
            return result
    finally:
        _forget.reset(token)
    receipt.result = result
    receipt.save(update_fields=["result"])
    return result


def _replayed(receipt: WriteReceipt, action: str) -> dict:
    if receipt.action != action:
        raise AppError("conflict", f"ref already used for a '{receipt.action}' write")
    return receipt.result


def receipts_purge() -> int:
    """Scheduler job: forget receipts older than the idempotency window."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    deleted, _ = WriteReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
