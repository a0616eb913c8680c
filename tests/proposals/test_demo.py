import pytest
from django.core.management import call_command

from proposals.models import Proposal, Vote

pytestmark = pytest.mark.django_db


def test_demo_load_creates_the_demo_proposals_once(capsys):
    call_command("load_demo")
    assert "proposals.demo: 2 proposals" in capsys.readouterr().out
    call_command("load_demo")
    assert Proposal.objects.count() == 2
    secret = Proposal.objects.get(anonymous=True)
    assert secret.multiple_choice and secret.room is not None
    assert Vote.objects.count() == 1
