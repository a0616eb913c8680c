"""Factories for organisations: one in Saint-Denis, made through the service like any real write."""

from __future__ import annotations

import pytest

from tests.events.conftest import communes  # noqa: F401


@pytest.fixture
def make_organisation(db, communes, make_user):  # noqa: F811
    from organisations.inputs import OrganisationIn
    from organisations.models import Organisation
    from organisations.services import organisation_create
    from realtime.schemas import input_parse

    def make(admin=None, **fields):
        admin = admin or make_user()
        fields.setdefault("kind", "association")
        fields.setdefault("name", "Jardins partagés")
        fields.setdefault("commune", "97411")
        created = organisation_create(creator=admin, organisation=input_parse(OrganisationIn, fields))
        return Organisation.objects.get(id=created["id"])

    return make
