"""Checks emitted events against the registered schema of their kind (see conftest)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from realtime.registry import event_schemas


def emitted_events_check(emitted: list[tuple[str, dict]]) -> None:
    schemas = event_schemas()
    for kind, data in emitted:
        schema = schemas.get(kind)
        if schema is None:
            pytest.fail(f"event kind {kind!r} was emitted but has no schema in settings.REALTIME_EVENT_SCHEMAS")
        try:
            schema.model_validate(data)
        except ValidationError as exc:
            pytest.fail(f"event {kind!r} does not match {schema.__name__}: {exc}\ndata: {data}")
