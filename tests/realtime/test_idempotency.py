"""write_once: one claim per (user, ref); a resend replays, an expired receipt frees the ref."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from realtime.errors import AppError
from realtime.idempotency import write_once
from realtime.models import WriteReceipt


def once(user, ref: str, value: int, action: str = "post") -> dict:
    with transaction.atomic():
        return write_once(user=user, ref=ref, action=action, perform=lambda: {"value": value})


@pytest.mark.django_db
def test_a_resend_replays_the_first_result(make_user):
    alice = make_user()
    assert once(alice, "r1", 1) == {"value": 1}
    assert once(alice, "r1", 2) == {"value": 1}
    assert WriteReceipt.objects.get(user=alice, ref="r1").result == {"value": 1}


@pytest.mark.django_db
def test_the_same_ref_for_another_action_is_a_conflict(make_user):
    alice = make_user()
    once(alice, "r1", 1)
    with pytest.raises(AppError) as caught:
        once(alice, "r1", 2, action="vote")
    assert caught.value.code == "conflict"


@pytest.mark.django_db
def test_an_expired_receipt_frees_its_ref(make_user, settings):
    alice = make_user()
    once(alice, "r1", 1)
    aged = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS + 5)
    WriteReceipt.objects.filter(user=alice, ref="r1").update(created_at=aged)
    assert once(alice, "r1", 2) == {"value": 2}
    assert WriteReceipt.objects.filter(user=alice, ref="r1").count() == 1


@pytest.mark.django_db
def test_a_failed_write_leaves_no_receipt(make_user):
    alice = make_user()

    def fail() -> dict:
        raise AppError("bad_request", "no")

    with pytest.raises(AppError), transaction.atomic():
        write_once(user=alice, ref="r1", action="post", perform=fail)
    assert not WriteReceipt.objects.filter(user=alice, ref="r1").exists()
    assert once(alice, "r1", 3) == {"value": 3}


@pytest.mark.django_db
def test_refs_are_per_user(make_user):
    alice, bob = make_user(), make_user()
    assert once(alice, "r1", 1) == {"value": 1}
    assert once(bob, "r1", 2) == {"value": 2}
