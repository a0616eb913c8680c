import pytest
from django.core.management import call_command

from proposals.models import Proposal, Vote

pytestmark = pytest.mark.django_db


def test_demo_load_creates_the_demo_proposals_once(capsys):
    call_command("load_demo")
    assert "proposals.demo: 2 proposals" in capsys.readouterr().out
    loaded = Proposal.objects.count()  # the organisations' demo opens one more, in the town hall's room
    call_command("load_demo")
    assert Proposal.objects.count() == loaded
    # Open: the two of proposals.demo and the town hall's (organisations.demo); outcomes.demo's is decided.
    assert Proposal.objects.filter(phase=Proposal.TOVOTE).count() == 3
    secret = Proposal.objects.get(anonymous=True)
    assert secret.multiple_choice and secret.room is not None
    assert Vote.objects.count() == 1 + 3
