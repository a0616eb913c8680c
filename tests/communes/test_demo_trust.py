import pytest
from django.core.management import call_command

from communes.models import Referent, ResidentVerification

pytestmark = pytest.mark.django_db


def test_demo_has_a_referent_a_verified_resident_and_one_waiting(capsys):
    call_command("load_demo")
    assert "demo.trust: marie is a referent of Saint-Denis" in capsys.readouterr().out
    call_command("load_demo")
    assert list(Referent.objects.values_list("user__username", "commune_id")) == [("marie", "97411")]
    verified = ResidentVerification.objects.get(commune_id="97411")
    assert verified.user.username == "lucie" and verified.verified_by.username == "marie"
    assert not ResidentVerification.objects.filter(user__username="paul").exists()
