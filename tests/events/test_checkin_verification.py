"""Verification at an event's check-in: an organiser who is a referent of the event's commune
checks an attendee in and verifies them as a resident in one write; refused (and nothing written)
when the organiser is not a referent, when the attendee declared another commune, or when the
event is in no commune."""

from __future__ import annotations

import pytest
from django.test import Client

from communes.models import Referent, ResidentVerification
from events import services
from events.models import Rsvp
from realtime.errors import AppError

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(make_user, make_event, communes):
    """An event in Saint-Denis whose organiser is a referent there, and a `going` attendee."""
    organiser = make_user("referente")
    Referent.objects.create(commune_id="97411", user=organiser)
    event = make_event(organiser, commune="97411")

    def attendee(username: str, home: str | None) -> str:
        user = make_user(username, home_commune_id=home)
        services.rsvp_set(user=user, event_id=event.id, status="going")
        return Rsvp.objects.get(user=user, event=event).code

    return event, organiser, attendee


def _checked_in(code: str) -> bool:
    return Rsvp.objects.get(code=code).checked_in_at is not None


def test_a_referent_organiser_checks_in_and_verifies_a_declared_resident(door):
    event, organiser, attendee = door
    code = attendee("paul", "97411")
    result = services.checkin(by=organiser, event_id=event.id, code=code, verify_resident=True)
    assert result["checked_in"] is True and result["resident"] == "verified"
    verification = ResidentVerification.objects.get(user__username="paul")
    assert (verification.commune_id, verification.method, verification.verified_by) == ("97411", "checkin", organiser)
    # A plain check-in tells the referent where the attendee stands, without verifying.
    other = attendee("lea", "97411")
    assert services.checkin(by=organiser, event_id=event.id, code=other)["resident"] == "declared"
    assert not ResidentVerification.objects.filter(user__username="lea").exists()


def test_refused_when_the_attendee_declared_another_commune_and_nothing_is_written(door):
    event, organiser, attendee = door
    code = attendee("pierre", "97416")
    with pytest.raises(AppError) as refused:
        services.checkin(by=organiser, event_id=event.id, code=code, verify_resident=True)
    assert refused.value.code == "conflict" and "has not declared Saint-Denis" in refused.value.message
    assert not _checked_in(code) and not ResidentVerification.objects.exists()
    assert services.checkin(by=organiser, event_id=event.id, code=code)["resident"] == "elsewhere"
    assert _checked_in(code)


def test_refused_when_the_organiser_is_not_a_referent_of_the_commune(door, make_user):
    event, organiser, attendee = door
    co_organiser = make_user("coorga")
    event.organisers.add(co_organiser)
    Referent.objects.create(commune_id="97416", user=co_organiser)  # a referent, of another commune
    code = attendee("paul", "97411")
    with pytest.raises(AppError) as refused:
        services.checkin(by=co_organiser, event_id=event.id, code=code, verify_resident=True)
    assert refused.value.code == "forbidden"
    assert not _checked_in(code) and not ResidentVerification.objects.exists()
    plain = services.checkin(by=co_organiser, event_id=event.id, code=code)
    assert plain["checked_in"] is True and "resident" not in plain  # not told where people live


def test_refused_for_an_event_in_no_commune(make_user, make_event):
    organiser = make_user("orga")
    event = make_event(organiser)
    attendee = make_user("paul")
    services.rsvp_set(user=attendee, event_id=event.id, status="going")
    code = Rsvp.objects.get(user=attendee).code
    with pytest.raises(AppError) as refused:
        services.checkin(by=organiser, event_id=event.id, code=code, verify_resident=True)
    assert refused.value.code == "bad_request" and not _checked_in(code)


def test_over_http_the_flag_verifies_and_a_refusal_is_a_clear_4xx(door):
    event, organiser, attendee = door
    ok_code, other_code = attendee("paul", "97411"), attendee("pierre", "97416")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {organiser.token}"}
    answer = Client().post(
        f"/api/events/{event.id}/checkin", {"code": ok_code, "verify_resident": True}, "application/json", **bearer
    )
    assert answer.status_code == 200 and answer.json()["resident"] == "verified"
    refused = Client().post(
        f"/api/events/{event.id}/checkin", {"code": other_code, "verify_resident": True}, "application/json", **bearer
    )
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    bad = Client().post(
        f"/api/events/{event.id}/checkin", {"code": other_code, "verify_resident": "yes"}, "application/json", **bearer
    )
    assert bad.status_code == 400
    assert not _checked_in(other_code)
