"""Finding 5 of issue #9, as staff would try it: recover secret choices through the admin's URL
lookups, order the rows against a recording of the live tally, probe hidden counts, and read
what is left after the vote closes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client
from django.utils import timezone
from django.utils.crypto import salted_hmac

from proposals import selectors
from proposals.models import Proposal
from proposals.scheduler import proposals_advance
from proposals.services import vote_cast
from realtime.models import WriteReceipt

pytestmark = pytest.mark.django_db

CHOICES = ["Kréol rouge", "Zanbrokal vert", "Samoussa bleu"]  # keys c1, c2, c3


def secret_vote(make_user, make_proposal, **fields):
    proposal = make_proposal(anonymous=True, can_change=True, choices=CHOICES, **fields)
    voters = {make_user(f"secret{i}"): f"c{i}" for i in range(1, 4)}
    for voter, choice in voters.items():
        vote_cast(user=voter, proposal_id=proposal.id, choice=choice, ref=f"r-{voter.username}")
    return proposal, voters


def staff_client(make_user, *codenames: str) -> Client:
    staff = make_user("guichet", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def test_staff_cannot_recover_a_secret_choice_through_admin_url_lookups(make_user, make_proposal):
    """The reported attack: `?seal=<HMAC with the default key>` on the ballots list named each voter."""
    proposal, voters = secret_vote(make_user, make_proposal)
    client = staff_client(make_user, "view_vote", "view_proposal", "view_secretvoter", "view_amendmentvote")
    recovered = {}
    for voter in voters:
        for key in ("c1", "c2", "c3"):
            seal = salted_hmac(
                "proposals.ballot.seal", f"p:{proposal.id}:{voter.id}:{key}", algorithm="sha256"
            ).hexdigest()
            probes = [
                f"/admin/proposals/vote/?seal={seal}",
                f"/admin/proposals/vote/?voter__id__exact={voter.id}&choice={key}",
                f"/admin/proposals/secretvoter/?voter__id__exact={voter.id}&proposal__secret_ballots__choice={key}",
            ]
            for url in probes:
                response = client.get(url)
                if response.status_code == 200 and voter.username in response.content.decode():
                    recovered.setdefault(voter.username, set()).add(key)
    # A hit is a recovery only if it singles out the voter's real choice among the three.
    singled_out = {name: keys for name, keys in recovered.items() if len(keys) == 1}
    assert singled_out == {}


def test_secret_votes_leave_no_orderable_or_timed_trace(make_user, make_proposal):
    """No row about a secret vote has a sequential id or a timestamp, and no write receipt
    (user + time) is kept: nothing can be set against a recording of the live tally."""
    proposal, voters = secret_vote(make_user, make_proposal)
    assert not WriteReceipt.objects.filter(user__in=list(voters)).exists()
    touched = []
    for model in apps.get_app_config("proposals").get_models():
        if model is Proposal:
            continue
        fields = {field.name for field in model._meta.concrete_fields}
        # A row about one ballot: it names a voter or a choice.
        if not {"voter", "choice"} & fields:
            continue
        if "proposal" in fields:
            rows = model.objects.filter(proposal=proposal)
        else:
            rows = model.objects.filter(amendment__proposal=proposal)
        if not rows.exists():
            continue
        touched.append(model.__name__)
        assert isinstance(model._meta.pk, models.UUIDField), f"{model.__name__} rows can be ordered by id"
        timed = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DateField | models.DateTimeField)]
        assert timed == [], f"{model.__name__} rows carry a time"
    assert touched, "the votes were stored somewhere"


def test_closing_destroys_every_link_between_a_voter_and_a_ballot(make_user, make_proposal):
    proposal, voters = secret_vote(make_user, make_proposal)
    assert {selectors.vote_choice_of(proposal=proposal, user=v) for v in voters} == {"c1", "c2", "c3"}
    ballots = apps.get_model("proposals", "SecretBallot")
    before = set(ballots.objects.filter(proposal=proposal).values_list("id", flat=True))
    Proposal.objects.filter(id=proposal.id).update(closes_at=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    proposal.refresh_from_db()
    assert proposal.outcome["counts"] == {"c1": 1, "c2": 1, "c3": 1}
    # The server itself (it holds SECRET_KEY) can no longer tell anyone's choice.
    assert [selectors.vote_choice_of(proposal=proposal, user=v) for v in voters] == [None, None, None]
    after = ballots.objects.filter(proposal=proposal)
    assert set(after.values_list("holder", flat=True)) == {""}
    assert before.isdisjoint(set(after.values_list("id", flat=True)))
    assert sorted(after.values_list("choice", flat=True)) == ["c1", "c2", "c3"]
    assert not apps.get_model("proposals", "BallotKey").objects.filter(proposal=proposal).exists()


@pytest.mark.parametrize("anonymous", [False, True])
def test_hidden_counts_cannot_be_probed_through_admin_filters(make_user, make_proposal, anonymous):
    proposal = make_proposal(hide_results=True, anonymous=anonymous, choices=CHOICES, title="Consultation cachée")
    for index in range(3):
        vote_cast(user=make_user(f"hidden{index}"), proposal_id=proposal.id, choice="c2")
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    def shows(url: str, text: str) -> bool:
        response = client.get(url)
        return response.status_code == 200 and text in response.content.decode()

    # Whether the row is listed must not depend on the guessed count.
    for lookup in ("counts__c2__regex=^{}$", "counts__c2__startswith={}", "counts__c2={}"):
        guesses = {n: shows("/admin/proposals/proposal/?" + lookup.format(n), proposal.title) for n in (0, 3)}
        assert guesses[0] == guesses[3], lookup
    votes = client.get("/admin/proposals/vote/").content.decode()
    # As a word: the page's random CSRF token contains the letters "c2" about once in sixty pages
    # (this test failed so on PostgreSQL under `make test-fast`, with nothing revealed).
    assert re.search(r"\bc2\b", votes) is None and "Zanbrokal" not in votes
    assert not shows("/admin/proposals/vote/?choice=c2", "hidden0")
