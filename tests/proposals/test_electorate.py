"""Finding 3 of issue #9: nobody makes themselves a resident (or a member) to vote. The electorate
of a residents' or members' vote is fixed when it opens; a home commune changes at most once per
HOME_COMMUNE_CHANGE_DAYS and every change is logged; a commune may count only residents verified
by its referents; the proposal shows which rule applied."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import user_home_commune_set
from proposals.models import Proposal
from proposals.services import vote_cast
from realtime.errors import AppError
from tests.proposals.conftest import proposal_make

pytestmark = pytest.mark.django_db


def refused(action) -> str | None:
    try:
        action()
    except AppError as exc:
        return exc.code
    return None


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def residents_vote(author, insee: str, **fields) -> Proposal:
    created = proposal_make(
        author=author, title="Budget participatif", body="…", commune=insee, eligibility="residents", **fields
    )
    return Proposal.objects.get(id=created["id"])


def room_vote(author, room_id: int, title: str) -> Proposal:
    created = proposal_make(author=author, title=title, body="…", room=room_id, eligibility="members")
    return Proposal.objects.get(id=created["id"])


def test_the_reported_attack_vote_here_move_vote_there(make_user, commune, other_commune):
    author, mover = make_user("maire"), make_user("baladeur")
    here, there = residents_vote(author, commune.insee), residents_vote(author, other_commune.insee)
    user_home_commune_set(user=mover, insee=commune.insee)
    # Declared after the vote opened: not in its electorate.
    assert refused(lambda: vote_cast(user=mover, proposal_id=here.id, choice="up")) == "forbidden"
    moved = Client().patch(
        "/api/auth/me", json.dumps({"home_commune": other_commune.insee}), "application/json", **bearer(mover)
    )
    assert moved.status_code == 429 and moved.json()["code"] == "rate_limited" and moved.json()["retry_after"] > 0
    assert refused(lambda: vote_cast(user=mover, proposal_id=there.id, choice="up")) == "forbidden"


def test_the_electorate_is_fixed_at_opening_and_eligible_is_exact(make_user, commune):
    author = make_user("maire")
    residents = [make_user(f"habitant{i}") for i in range(3)]
    for resident in residents:
        user_home_commune_set(user=resident, insee=commune.insee)
    proposal = residents_vote(author, commune.insee, quorum="50%")
    late = make_user("nouveau")
    user_home_commune_set(user=late, insee=commune.insee)
    assert refused(lambda: vote_cast(user=late, proposal_id=proposal.id, choice="up")) == "forbidden"
    vote_cast(user=residents[0], proposal_id=proposal.id, choice="up")
    vote_cast(user=residents[1], proposal_id=proposal.id, choice="up")
    tally = Client().get(f"/api/proposals/{proposal.id}").json()["tally"]
    assert tally["eligible"] == 3 and tally["total"] == 2
    assert tally["electorate"]["rule"] == "residents_declared" and tally["electorate"]["fixed"] is True
    assert tally["electorate"]["size"] == 3 and tally["electorate"]["fixed_at"]
    # An amendable proposal fixes its electorate when its vote opens, not when it is created.
    amendable = residents_vote(author, commune.insee, amendable_until=timezone.now() + timedelta(hours=1))
    assert amendable.electorate_size is None


def test_home_commune_changes_at_most_once_per_window_and_every_change_is_logged(
    make_user, commune, other_commune, settings
):
    from accounts.models import HomeCommuneChange

    settings.HOME_COMMUNE_CHANGE_DAYS = 30
    user = make_user("habitante")
    user_home_commune_set(user=user, insee=commune.insee)
    assert refused(lambda: user_home_commune_set(user=user, insee=other_commune.insee)) == "rate_limited"
    assert refused(lambda: user_home_commune_set(user=user, insee=None)) == "rate_limited"
    HomeCommuneChange.objects.filter(user=user).update(at=timezone.now() - timedelta(days=31))
    user_home_commune_set(user=user, insee=other_commune.insee)
    log = list(HomeCommuneChange.objects.filter(user=user).order_by("at").values_list("old", "new"))
    assert log == [(None, commune.insee), (commune.insee, other_commune.insee)]


def test_a_commune_may_count_only_residents_verified_by_its_referents(make_user, commune):
    from communes.models import Referent

    commune.residents_verified_only = True
    commune.save()
    author, referent, resident, impostor = (make_user(n) for n in ("maire", "guichet", "habitante", "imposteur"))
    Referent.objects.create(commune=commune, user=referent)
    for user in (resident, impostor):
        user_home_commune_set(user=user, insee=commune.insee)
    before = residents_vote(author, commune.insee)
    assert refused(lambda: vote_cast(user=resident, proposal_id=before.id, choice="up")) == "forbidden"

    def verify(by, username):
        return Client().post(
            "/api/auth/residents/verify",
            json.dumps({"commune": commune.insee, "username": username}),
            "application/json",
            **bearer(by),
        )

    assert verify(impostor, "imposteur").status_code == 403  # not a referent
    assert verify(referent, "habitante").status_code == 200
    assert verify(referent, "maire").status_code == 409  # has not declared this home
    after = residents_vote(author, commune.insee)
    vote_cast(user=resident, proposal_id=after.id, choice="up")
    assert refused(lambda: vote_cast(user=impostor, proposal_id=after.id, choice="up")) == "forbidden"
    shown = Client().get(f"/api/proposals/{after.id}").json()["tally"]["electorate"]
    assert shown["rule"] == "residents_verified" and shown["size"] == 1


def test_members_count_from_the_opening_unless_the_room_says_otherwise(make_user, make_room):
    from discussions.models import Room
    from discussions.services import room_join

    owner, late = make_user("proprio"), make_user("retardataire")
    room = make_room(owner)
    fixed = room_vote(owner, room.id, "Vote")
    room_join(user=late, room_id=room.id)
    assert refused(lambda: vote_cast(user=late, proposal_id=fixed.id, choice="up")) == "forbidden"
    vote_cast(user=owner, proposal_id=fixed.id, choice="up")
    Room.objects.filter(id=room.id).update(members_vote_live=True)
    live = room_vote(owner, room.id, "Vote 2")
    latest = make_user("dernier")
    room_join(user=latest, room_id=room.id)
    vote_cast(user=latest, proposal_id=live.id, choice="up")
    shown = Client().get(f"/api/proposals/{live.id}").json()["tally"]["electorate"]
    assert shown["rule"] == "members_live" and shown["fixed"] is False
