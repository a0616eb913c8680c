"""`/api/docs`: Swagger UI from vendored static files (static/vendor/), allowed by the project's CSP."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} — API</title>
  <link rel="icon" href="{favicon}" type="image/svg+xml">
  <link rel="stylesheet" href="{css}">
  <link rel="stylesheet" href="{own_css}">
</head>
<body>
  <main id="swagger-ui"></main>
  <script type="application/json" id="swagger-settings">{settings}</script>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""


class VendoredSwagger(DocsBase):
    """django-ninja's Swagger page loads its files from ninja's own static app or a CDN; ours are
    pinned in static/vendor with their licences, and the settings travel as JSON, not inline code."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            # Deep links put a link inside each operation's toggle button: nested controls that
            # screen readers and keyboards handle badly (axe: nested-interactive).
            "deepLinking": False,
            "docExpansion": "none",
            "filter": True,
        }
        # "</" cannot close the JSON block early: the title and URL are ours, but keep it safe anyway.
        settings_json = json.dumps(settings).replace("</", "<\\/")
        html = PAGE.format(
            title=escape(api.title),
            favicon=static("favicon.svg"),
            css=static(f"{SWAGGER_UI}/swagger-ui.css"),
            bundle=static(f"{SWAGGER_UI}/swagger-ui-bundle.js"),
            init=static("docs/init.js"),
            own_css=static("docs/docs.css"),
            settings=settings_json,
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")
