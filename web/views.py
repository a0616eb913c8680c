"""The browser client's entry page: static/index.html served as is (the client is a no-build ES module app)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from web.shell import service_worker_text


@lru_cache(maxsize=1)
def _index_html_cached() -> bytes:
    return (settings.BASE_DIR / "static" / "index.html").read_bytes()


def _index_html() -> bytes:
    # Re-read on each request while developing so edits show without a restart.
    if settings.DEBUG:
        return (settings.BASE_DIR / "static" / "index.html").read_bytes()
    return _index_html_cached()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_index_html(), content_type="text/html; charset=utf-8")
    # The page is tiny and names unversioned module URLs: always revalidate it.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(service_worker_text(), content_type="text/javascript; charset=utf-8")
    # Browsers check the worker for updates on navigation; never let a proxy keep an old one.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    body = (settings.BASE_DIR / "static" / "manifest.webmanifest").read_bytes()
    response = HttpResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
