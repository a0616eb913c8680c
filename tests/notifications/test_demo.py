"""The private-room demo goes through the services and is idempotent."""

from __future__ import annotations

import pytest

from discussions.demo_private import demo_load
from discussions.models import Invitation, Reaction
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_demo_private_room_shows_invitation_notifications_and_reactions():
    assert "4 notifications" in demo_load()
    kinds = set(Notification.objects.values_list("user__username", "kind"))
    assert kinds == {("jean", "room_invitation"), ("jean", "mention"), ("marie", "reply"), ("lucie", "room_invitation")}
    assert Invitation.objects.filter(user__username="lucie", status="pending").count() == 1
    assert Reaction.objects.count() == 2
    assert demo_load() == ""
