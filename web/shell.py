"""The installable shell: the web app manifest and the service worker, served from the site root
(a worker controls only the paths under its own URL, so it cannot live under /static/)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings


def _static_dir() -> Path:
    return settings.BASE_DIR / "static"


def shell_paths() -> list[str]:
    """The URLs the app needs to start: the page, its stylesheet, every module, the icons."""
    static = _static_dir()
    files = [static / "css" / "app.css", static / "favicon.svg", *sorted((static / "js").rglob("*.js"))]
    files += sorted((static / "icons").glob("*.png"))
    return ["/", "/manifest.webmanifest", *(f"/static/{f.relative_to(static).as_posix()}" for f in files)]


def _service_worker_text() -> str:
    static = _static_dir()
    paths = shell_paths()
    digest = hashlib.sha256()
    for path in [static / "index.html", static / "manifest.webmanifest"] + [
        static / p.removeprefix("/static/") for p in paths if p.startswith("/static/")
    ]:
        digest.update(path.read_bytes())
    template = (static / "sw.js").read_text(encoding="utf-8")
    return template.replace("__VERSION__", digest.hexdigest()[:16]).replace("__SHELL__", json.dumps(paths))


_service_worker_cached = lru_cache(maxsize=1)(_service_worker_text)


def service_worker_text() -> str:
    # Recomputed on each request while developing, so edited files reach the cache.
    return _service_worker_text() if settings.DEBUG else _service_worker_cached()
