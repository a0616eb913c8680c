import json

import pytest
from django.core.management import CommandError, call_command

from communes.models import Commune

pytestmark = pytest.mark.django_db


def test_import_communes_reads_the_etalab_format(tmp_path):
    rows = [
        {
            "code": "97411",
            "nom": "Saint-Denis",
            "departement": "974",
            "type": "commune-actuelle",
            "codesPostaux": ["97400", "97490"],
            "population": 153001,
        },
        {"code": "75056", "nom": "Paris", "departement": "75", "type": "commune-actuelle", "codesPostaux": ["75001"]},
        {"code": "75101", "nom": "Paris 1er Arrondissement", "type": "arrondissement-municipal"},
    ]
    path = tmp_path / "communes.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    call_command("import_communes", str(path), verbosity=0)
    assert sorted(Commune.objects.values_list("insee", flat=True)) == ["75056", "97411"]
    saint_denis = Commune.objects.get(insee="97411")
    assert saint_denis.postal_codes == ["97400", "97490"] and saint_denis.name_folded == "saint denis"
    rows[0]["nom"] = "Saint-Denis (renamed)"
    path.write_text(json.dumps(rows), encoding="utf-8")
    call_command("import_communes", str(path), "--department", "974", verbosity=0)
    assert Commune.objects.get(insee="97411").name == "Saint-Denis (renamed)"
    assert Commune.objects.count() == 2


def test_import_communes_refuses_a_bad_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_communes", str(path))
    assert Commune.objects.count() == 0


def test_a_national_size_import_takes_batches_not_a_query_per_commune(tmp_path, django_assert_max_num_queries):
    """3,000 communes in a few dozen queries (a national file, 35,000, is timed by
    scripts/measure_import_communes.py); a second import changes nothing and writes nothing."""
    from scripts.measure_import_communes import generated

    path = tmp_path / "communes.json"
    path.write_text(json.dumps(generated(3000)), encoding="utf-8")
    with django_assert_max_num_queries(80):
        call_command("import_communes", str(path), verbosity=0)
    assert Commune.objects.count() == 3000
    sample = Commune.objects.get(insee="01001")
    assert sample.postal_codes_text == " ".join(sample.postal_codes) and sample.name_folded
    assert sample.longitude is not None
    with django_assert_max_num_queries(5):
        call_command("import_communes", str(path), verbosity=0)
