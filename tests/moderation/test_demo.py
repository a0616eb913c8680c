import pytest
from django.core.management import call_command

from discussions.models import Message
from moderation.models import Case, Report, Trusted

pytestmark = pytest.mark.django_db


def test_demo_shows_a_message_hidden_pending_its_vote_once(capsys):
    call_command("load_demo")
    assert "moderation.demo: 1 trusted member, 1 message hidden pending its moderation vote" in capsys.readouterr().out
    call_command("load_demo")
    case = Case.objects.get()
    assert case.status == Case.OPEN and Report.objects.count() == 3 and Trusted.objects.count() == 1
    assert Message.objects.get(id=case.item).hidden_at is not None
    assert set(case.proposal.electors.values_list("user__username", flat=True)) == {"marie", "jean"}
