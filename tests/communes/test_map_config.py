"""Map tiles: the CSP's img-src allows exactly the configured tile host, and the client learns
the tile URL and attribution from GET /api/map."""

import pytest

from config.security import policy, tile_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png", "https://*.tiles.example.org:8443"),
        ("/tiles/{z}/{x}/{y}.png", ""),
        ("", ""),
    ],
)
def test_tile_origin(url, origin):
    assert tile_origin(url) == origin


def test_csp_img_src_is_self_data_and_the_tile_host(settings, client, db):
    settings.MAP_TILE_URL = "https://tiles.commune.example/{z}/{x}/{y}.png"
    policy.cache_clear()
    try:
        csp = client.get("/").headers["Content-Security-Policy"]
    finally:
        policy.cache_clear()
    img = next(d.split() for d in csp.split(";") if d.strip().startswith("img-src"))
    assert img == ["img-src", "'self'", "data:", "https://tiles.commune.example"]


def test_map_config_route(settings, client, db):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    body = client.get("/api/map").json()
    assert body["tile_url"] == settings.MAP_TILE_URL
    assert "OpenStreetMap" in body["attribution"] and body["cluster_from"] == 50
