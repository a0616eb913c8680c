"""The outbound event schemas: registered for every kind the services emit, and strict."""

from __future__ import annotations

import pytest

from realtime.registry import event_schemas
from tests.event_schemas import emitted_events_check


def test_every_schema_is_strict_about_its_fields():
    schemas = event_schemas()
    assert {"message.posted", "event.updated", "proposal.closed", "rsvp.promoted"} <= set(schemas)
    for kind, schema in schemas.items():
        assert schema.model_config.get("extra") == "forbid", kind


@pytest.mark.parametrize(
    "kind, data",
    [
        ("message.posted", {"id": 1, "author": "ana", "body": "x", "reply_to": None}),  # `at` missing
        ("message.deleted", {"id": "1"}),  # a string id
        ("rsvp.promoted", {"rsvp": 1, "user": None, "status": "waitlisted"}),
        ("proposal.archived", {"id": 1, "result": None, "extra": True}),
        ("shout", {}),  # no schema at all
    ],
)
def test_a_wrong_event_fails_the_check(kind, data):
    with pytest.raises(pytest.fail.Exception):
        emitted_events_check([(kind, data)])


def test_a_right_event_passes_the_check():
    emitted_events_check([("message.posted", {"id": 1, "author": "ana", "body": "x", "reply_to": None, "at": "t"})])
