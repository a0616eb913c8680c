import pytest
from django.core.management import call_command

from proposals.models import Proposal, Vote

pytestmark = pytest.mark.django_db


def test_demo_load_creates_the_demo_proposals_once(capsys):
    call_command("load_demo")
    assert "proposals.demo: 8 proposals" in capsys.readouterr().out
    loaded = Proposal.objects.count()  # the organisations' demo opens one more, in the town hall's room
    call_command("load_demo")
    assert Proposal.objects.count() == loaded
    # Open: the eight of proposals.demo, the town hall's (organisations.demo) and the debate's vote on
    # the spot (debates.demo); outcomes.demo's is decided; moderation.demo's votes among named
    # electors, and the commune-wide proposal it hid pending the referents' vote, are left aside.
    public = Proposal.objects.exclude(eligibility=Proposal.ELECTORS).filter(hidden_at__isnull=True)
    assert public.filter(phase=Proposal.TOVOTE).count() == 10
    secret = public.get(anonymous=True)
    assert secret.multiple_choice and secret.room is not None
    assert Vote.objects.count() == 1 + 10 + 3 + 2  # the debate's vote on the spot has two ballots
    kinds = set(Proposal.objects.values_list("kind", flat=True))
    assert kinds == {"vote", "consent", "approval", "ranked", "score", "dot", "meeting"}
    consent = Proposal.objects.get(kind="consent", title__startswith="Fermer la rue")
    assert consent.counts == {"agree": 1, "abstain": 0, "disagree": 0, "block": 1}
