"""docs/PROTOCOL.md lists everything the code speaks: every command, event kind, state kind,
close code and HTTP route, collected from the code's own registries (not a hand-kept list)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from config.api import api
from realtime.consumers import CORE_COMMANDS
from realtime.registry import event_schemas, write_commands
from realtime.topics import topic_kinds

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def _close_codes() -> set[int]:
    """Codes the transport closes sockets with: `close(code=N)` calls and CLOSE_* constants."""
    codes: set[int] = set()
    for path in (ROOT / "realtime").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and "close" in ast.unparse(node.func).lower():
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        codes.add(keyword.value.value)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(re.fullmatch(r"CLOSE_\w+", name) for name in names) and isinstance(node.value.value, int):
                    codes.add(node.value.value)
    return codes


def _routes() -> list[str]:
    paths = api.get_openapi_schema()["paths"]
    return [f"{method.upper()} {path}" for path, operations in paths.items() for method in operations]


def test_the_collection_finds_what_the_code_knows():
    # Guards the collectors themselves: each finds the kinds the floor names.
    assert {"subscribe", "post", "vote"} <= set(CORE_COMMANDS) | set(write_commands())
    assert {"message.posted", "proposal.closed"} <= set(event_schemas())
    assert {"POST /api/auth/register", "GET /api/events/{event_id}/ics"} <= set(_routes())
    assert _close_codes()


@pytest.mark.parametrize("command", sorted(set(CORE_COMMANDS) | set(write_commands())))
def test_every_command_is_documented(command):
    assert f"`{command}`" in DOC


@pytest.mark.parametrize("kind", sorted(event_schemas()))
def test_every_event_kind_is_documented(kind):
    assert f"`{kind}`" in DOC


def _state_kinds() -> set[str]:
    kinds = topic_kinds().values()
    return {k.state_kind for k in kinds if k.state_kind} | (
        {"presence"} if any(k.has_presence for k in kinds) else set()
    )


@pytest.mark.parametrize("kind", sorted(_state_kinds()))
def test_every_state_kind_is_documented(kind):
    assert f"`{kind}` state" in DOC


@pytest.mark.parametrize("code", sorted(_close_codes()))
def test_every_close_code_is_documented(code):
    assert re.search(rf"\b{code}\b", DOC)


@pytest.mark.parametrize("route", _routes())
def test_every_http_route_is_documented(route):
    assert f"`{route}`" in DOC
