import pytest
from django.core.management import call_command

from outcomes.models import Action, Assignee, Outcome

pytestmark = pytest.mark.django_db


def test_demo_shows_a_decision_turned_into_actions_once(capsys):
    call_command("load_demo")
    assert "outcomes.demo: 1 outcome, 3 actions" in capsys.readouterr().out
    call_command("load_demo")
    assert Outcome.objects.count() == 1 and Action.objects.count() == 3
    assert sorted(Action.objects.values_list("status", flat=True)) == ["doing", "todo", "todo"]
    assert Assignee.objects.filter(volunteered=True, user__username="jean").exists()
