"""`/api/docs` renders Swagger UI from the vendored files with the project's CSP in force."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_api_docs_render_under_the_csp(screens, daphne_server):
    response = httpx.get(f"{daphne_server.url}/api/docs")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unpkg" not in response.text and "cdn" not in response.text.lower()

    page = screens.new_page("docs")
    violations: list[str] = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    page.goto("/api/docs")
    # The document's tags are listed collapsed (143 operations: Swagger UI stopped rendering the
    # whole list at once); opening two shows their operations, so the bundle ran and fetched it.
    expect(page.locator(".swagger-ui .opblock-tag").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock-tag").count() >= 10
    page.locator('.swagger-ui .opblock-tag[data-tag="rooms"]').click()
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/rooms").first).to_be_visible()
    page.locator('.swagger-ui .opblock-tag[data-tag="accounts"]').click()
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/auth/register").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 20
    page.locator(".swagger-ui .opblock-summary-path", has_text="/api/auth/register").first.click()
    expect(page.locator(".swagger-ui .opblock.is-open").first).to_be_visible()
    assert not violations, violations
    assert not screens.console_errors, screens.console_errors
