"""System tools some tests drive (Debian's Chromium, nginx): skipped with a reason when missing,
except on CI (CI=true), where a missing tool fails the run instead of silently shrinking it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

INSTALL_HINT = "sudo apt-get install -y chromium nginx-light"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_tool(name: str, path: str | None = None) -> None:
    """Skip (or, on CI, fail) the calling test when `name` is not installed."""
    if Path(path).exists() if path else shutil.which(name):
        return
    reason = f"{path or name} is not installed ({INSTALL_HINT}); test skipped"
    if on_ci():
        pytest.fail(f"{reason}: CI=true requires it", pytrace=False)
    pytest.skip(reason)
