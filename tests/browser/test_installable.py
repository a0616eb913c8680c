"""Installable and offline-tolerant: a web app manifest, and a service worker keeping the shell."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser


def test_manifest_names_the_app_and_its_icons_exist(daphne_server):
    response = httpx.get(f"{daphne_server.url}/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        got = httpx.get(f"{daphne_server.url}{icon['src']}")
        assert got.status_code == 200, icon
        if icon["type"] == "image/png":
            width, height = Image.open(io.BytesIO(got.content)).size
            assert f"{width}x{height}" == icon["sizes"]
            sizes.add(width)
    assert {192, 512} <= sizes  # what browsers ask of an installable app
    worker = httpx.get(f"{daphne_server.url}/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "__SHELL__" not in worker.text and '"/static/js/app.js"' in worker.text


def test_the_app_opens_without_network_once_visited(screens):
    page = screens.signed_up("offline-start", unique("hors"), phone=True)
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the page is controlled by the worker
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.get_by_test_id("me")).to_have_count(1)

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("brand")).to_be_visible()
    expect(page.get_by_test_id("conn-status")).not_to_have_attribute("data-state", "online")
    # The shell runs (script, styles, router): it says who is signed in and that it is offline.
    expect(page.get_by_test_id("nav-toggle")).to_be_visible()  # a phone: the links are behind it
    page.get_by_test_id("nav-toggle").click()
    expect(page.get_by_test_id("nav-commune")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_the_app_opens_without_network-offline.png"))
    page.context.set_offline(False)
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    screens.console_errors.clear()  # the offline reload logs its failed API calls on purpose
