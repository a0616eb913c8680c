"""Commune search by postal code: communes that have the code come before INSEE look-alikes."""

import pytest
from django.core.management import call_command

from communes.selectors import commune_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def reunion(db):
    call_command("loaddata", "reunion", verbosity=0)


def test_postal_code_97410_ranks_saint_pierre_before_saint_benoit(reunion):
    names = [c.name for c in commune_search(q="97410")]
    # Saint-Benoît's INSEE code is 97410 but its postal codes are 97437 and 97470.
    assert names[0] == "Saint-Pierre"
    assert "Saint-Benoît" in names
    assert names.index("Saint-Pierre") < names.index("Saint-Benoît")


def test_a_second_postal_code_of_a_commune_ranks_it_first(reunion):
    # 97490 is Saint-Denis's second postal code (97400 97417 97490).
    assert commune_search(q="97490")[0].insee == "97411"


def test_a_postal_code_prefix_ranks_holders_before_insee_prefixes(reunion):
    results = list(commune_search(q="9741", limit=50))
    ranks = [c.code_rank for c in results]
    assert ranks == sorted(ranks)
    assert any(c.code_rank == 1 for c in results)


def test_the_http_search_returns_saint_pierre_first(client, reunion):
    response = client.get("/api/communes", {"q": "97410"})
    assert response.status_code == 200
    assert response.json()["items"][0]["name"] == "Saint-Pierre"
