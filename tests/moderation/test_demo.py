import pytest
from django.core.management import call_command

from discussions.models import Message
from moderation.models import Case, Report, Trusted
from proposals.models import Proposal

pytestmark = pytest.mark.django_db


def test_demo_shows_a_message_hidden_pending_its_vote_once(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "moderation.demo: 1 trusted member, 1 message hidden pending its moderation vote" in out
    assert "moderation.demo: 1 commune-wide proposal hidden pending the referents' moderation vote" in out
    call_command("load_demo")
    case = Case.objects.get(room__isnull=False)
    assert case.status == Case.OPEN and Report.objects.filter(room__isnull=False).count() == 3
    assert Trusted.objects.count() == 1
    assert Message.objects.get(id=case.item).hidden_at is not None
    assert set(case.proposal.electors.values_list("user__username", flat=True)) == {"marie", "jean"}


def test_demo_shows_a_commune_wide_proposal_pending_the_referents_vote():
    call_command("load_demo")
    call_command("load_demo")
    case = Case.objects.get(commune__isnull=False)
    assert (case.commune_id, case.kind, case.status) == ("97411", "proposal", Case.OPEN)
    assert Report.objects.filter(commune="97411").count() == 3
    assert list(case.proposal.electors.values_list("user__username", flat=True)) == ["marie"]
    assert Proposal.objects.get(id=case.item).hidden_at is not None
    # The commune's referent set its rule: its vote lasts three days, not the default two.
    hours = (case.proposal.closes_at - case.proposal.created_at).total_seconds() / 3600
    assert 71.9 < hours <= 72
