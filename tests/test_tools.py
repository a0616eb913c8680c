"""A missing Chromium or nginx skips its tests with a reason, except on CI where it fails."""

from __future__ import annotations

import pytest

from tests.tools import require_tool


def test_missing_tool_skips_with_a_reason_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-xyz is not installed .*apt-get install"):
        require_tool("no-such-tool-xyz")


def test_missing_tool_fails_on_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        require_tool("chromium", "/nonexistent/chromium")


def test_present_tool_passes(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require_tool("sh")  # on every machine that runs the suite
