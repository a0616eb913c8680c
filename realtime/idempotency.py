"""Idempotent writes: a write resent with the same `ref` by the same user returns the first result."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from realtime.batching import batch_receipt_result, batch_staged_result
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

    Must run inside the service's transaction: the receipt is claimed first (one insert that
    does nothing on a conflict), so a concurrent duplicate waits on the unique index until the
    first commits, then reads its result; if `perform` raises, the receipt rolls back with the
    write. Two queries on the first send (claim, result), two on a resend (claim, read); in a
    group-commit batch the result joins the batch's one UPDATE of receipts (a resend inside the
    batch reads it from there).
    """
    if ref is None:
        return perform()
    if not connection.in_atomic_block:
        raise RuntimeError("write_once must run inside transaction.atomic")
    receipt_id = _receipt_claim(user_id=user.pk, ref=ref, action=action)
    if receipt_id is None:
        existing = WriteReceipt.objects.get(user=user, ref=ref)
        staged = batch_staged_result(existing.pk)  # an earlier write of this batch
        if staged is not None:
            return _replayed(existing, action, staged)
        cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
        if existing.created_at >= cutoff:
            return _replayed(existing, action)
        existing.delete()  # an expired receipt: the ref may be used again
        receipt_id = _receipt_claim(user_id=user.pk, ref=ref, action=action)
        if receipt_id is None:
            return _replayed(WriteReceipt.objects.get(user=user, ref=ref), action)
    token = _forget.set(False)
    try:
        result = perform()
        if _forget.get():
            WriteReceipt.objects.filter(pk=receipt_id).delete()
            return result
    finally:
        _forget.reset(token)
    if not batch_receipt_result(receipt_id, result):  # in a batch: one UPDATE for all its receipts
        WriteReceipt.objects.filter(pk=receipt_id).update(result=result)
    return result


def _receipt_claim(*, user_id: int, ref: str, action: str) -> int | None:
    """Insert the receipt; its id, or None when (user, ref) already has one (committed, or ours)."""
    table = WriteReceipt._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, ref, action, result, created_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (user_id, ref) DO NOTHING RETURNING id",
            [user_id, ref, action, "{}", now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _replayed(receipt: WriteReceipt, action: str, result: dict | None = None) -> dict:
    if receipt.action != action:
        raise AppError("conflict", f"ref already used for a '{receipt.action}' write")
    return receipt.result if result is None else result


def receipts_purge() -> int:
    """Scheduler job: forget receipts older than the idempotency window."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    deleted, _ = WriteReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def write_receipts_erase(*, user) -> None:
    """Account erasure: the stored results of the user's writes go with it."""
    WriteReceipt.objects.filter(user=user).delete()
