"""The account page in a real browser: signed-in devices revoked from another one (its socket
closes with 4003 and it says so), sign out everywhere else, home commune with its 30-day rule,
password change, and deletion end to end."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PASSWORD, unique
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser

# A session as a sign-in made before the token–session link left it: the cookie and nothing else.
OLD_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import User
from accounts.sessions import SessionStore
user = User.objects.get(username="{name}")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def signed_in(screens, label: str, username: str, *, phone: bool = False):
    """A second browser (its own cookies and storage) signing in to an existing account."""
    page = screens.new_page(label, phone=phone)
    page.goto("/#/signin")
    page.get_by_test_id("signin-username").fill(username)
    page.get_by_test_id("signin-password").fill(PASSWORD)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("me")).to_contain_text(username)
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    return page


def watch_revocations(page) -> None:
    """Record each 4003 close the page's socket receives (LiveSocket dispatches `revoked` for it)."""
    page.evaluate(
        "() => { window.__revoked = 0; window.__cl.socket.addEventListener('revoked', () => window.__revoked++); }"
    )


def test_a_device_revoked_from_another_is_signed_out_live(screens, daphne_server):
    name = unique("ana")
    phone = screens.signed_up("phone", name, phone=True)
    laptop = signed_in(screens, "laptop", name)
    tablet = signed_in(screens, "tablet", name)
    watch_revocations(phone)
    watch_revocations(tablet)

    laptop.get_by_test_id("nav-account").click()
    sessions = laptop.get_by_test_id("session")
    expect(sessions).to_have_count(3)
    expect(laptop.locator("[data-testid=session][data-current=true]")).to_have_count(1)
    phone_token = screens.token_of(phone)
    with daphne_server.api(phone_token) as client:
        phone_id = next(t["id"] for t in client.get("/auth/tokens").json()["items"] if t["current"])
    row = laptop.locator(f"[data-testid=session][data-id='{phone_id}']")
    expect(row).to_contain_text("Inscription · ")  # the phone's sign-in was its registration
    row.get_by_test_id("session-revoke").focus()
    laptop.keyboard.press("Enter")  # keyboard only
    expect(laptop.get_by_test_id("sessions-status")).to_have_text("Appareil déconnecté.")
    expect(sessions).to_have_count(2)

    # The phone's socket was closed with 4003 and the phone says why, signed out.
    expect(phone.get_by_test_id("site-notice-text")).to_have_attribute("data-reason", "revoked")
    expect(phone.get_by_test_id("site-notice-text")).to_contain_text("cette connexion a été révoquée")
    assert phone.evaluate("() => window.__revoked") >= 1
    phone.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    expect(phone.get_by_test_id("nav-signin")).to_be_visible()
    expect(phone.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")  # anonymous again
    assert screens.token_of(phone) is None
    with daphne_server.api(phone_token) as client:
        assert client.get("/auth/me").status_code == 401
    assert phone.evaluate("async () => (await fetch('/api/auth/me')).status") == 401  # its session ended too
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390

    # A browser signed in before tokens and sessions were linked (or through the admin): no token,
    # listed all the same, and signed out from here; its socket closes with 4003 too.
    old_key = daphne_server.run_python(OLD_SESSION.format(name=name)).strip().splitlines()[-1]
    old_browser = screens.new_page("old-browser")
    host = daphne_server.url.split("//")[1].split(":")[0]
    old_browser.context.add_cookies([{"name": "sessionid", "value": old_key, "domain": host, "path": "/"}])
    old_browser.goto("/favicon.svg")  # same origin, without the app (it would open its own socket)
    assert old_browser.evaluate("async () => (await fetch('/api/auth/me')).status") == 200
    laptop.reload()
    old_row = laptop.get_by_test_id("browser-session")
    expect(old_row).to_have_count(1)
    expect(old_row).to_contain_text("Session de navigateur · navigateur inconnu (connexion antérieure)")
    expect(old_row).to_contain_text("connecté vers le")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    laptop.screenshot(path=str(ARTIFACTS / "account-sessions-old-browser.png"), full_page=True)
    old_row.get_by_test_id("browser-session-revoke").focus()
    laptop.keyboard.press("Enter")
    expect(laptop.get_by_test_id("sessions-status")).to_have_text("Appareil déconnecté.")
    expect(old_row).to_have_count(0)
    assert old_browser.evaluate("async () => (await fetch('/api/auth/me')).status") == 401

    # Sign out every other device: the tablet goes, the laptop stays.
    laptop.get_by_test_id("signout-others").click()
    expect(laptop.get_by_test_id("sessions-status")).to_have_text("1 autre appareil déconnecté.")
    expect(sessions).to_have_count(1)
    expect(tablet.get_by_test_id("site-notice-text")).to_have_attribute("data-reason", "revoked")
    assert tablet.evaluate("() => window.__revoked") >= 1
    expect(laptop.get_by_test_id("nav-account")).to_be_visible()
    expect(laptop.get_by_test_id("site-notice")).to_be_hidden()


def test_home_commune_rule_password_change_and_deletion(screens, daphne_server):
    name = unique("leo")
    page = screens.signed_up("account", name, phone=True)
    token = screens.token_of(page)
    room_id = create_room(daphne_server, token, unique("Salon "))
    with daphne_server.api(token) as client:
        assert client.post(f"/rooms/{room_id}/messages", json={"body": "Bonjour de Léo"}).status_code == 201

    page.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    page.get_by_test_id("nav-account").click()
    expect(page.get_by_test_id("home-status")).to_have_text("Vous n’avez pas encore déclaré de commune.")
    expect(page.get_by_test_id("account-profile-link")).to_have_attribute("href", "#/me")
    expect(page.get_by_test_id("home-rule")).to_contain_text("une fois tous les 30 jours")
    expect(page.get_by_test_id("home-next")).to_have_attribute("data-allowed", "true")
    page.get_by_test_id("home-search").fill("97410")
    page.get_by_test_id("home-search").press("Enter")
    page.locator("[data-testid=home-found] button[data-insee='97416']").click()
    expect(page.get_by_test_id("home-confirm-box")).to_contain_text("Vous ne pourrez plus en changer avant le")
    page.get_by_test_id("home-confirm").click()
    expect(page.get_by_test_id("account-saved")).to_have_text("Votre commune est maintenant Saint-Pierre.")
    expect(page.get_by_test_id("home-status")).to_contain_text("Saint-Pierre")
    expect(page.get_by_test_id("home-verified")).to_have_attribute("data-verified", "false")
    expect(page.get_by_test_id("home-next")).to_have_attribute("data-allowed", "false")
    expect(page.get_by_test_id("home-next")).to_contain_text("Prochain changement possible à partir du")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "account-page-phone.png"), full_page=True)

    # A second move within 30 days: a clear refusal, in English too.
    page.get_by_test_id("lang-select").select_option("en")
    expect(page.get_by_test_id("home-rule")).to_contain_text("once every 30 days")
    page.get_by_test_id("home-search").fill("Saint-Denis")
    page.get_by_test_id("home-search-submit").click()
    page.locator("[data-testid=home-found] button[data-insee='97411']").click()
    page.get_by_test_id("home-confirm").click()
    expect(page.get_by_test_id("home-result")).to_contain_text("Not yet: your commune changed less than 30 days ago")
    with daphne_server.api(token) as client:
        assert client.get("/auth/me").json()["home_commune"] == "97416"

    # Password change: this device stays signed in (new token), the old token no longer works.
    page.get_by_test_id("password-current").fill(PASSWORD)
    page.get_by_test_id("password-new").fill("another-horse-battery")
    page.get_by_test_id("password-again").fill("another-horse-battery-x")
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("password-status")).to_have_text("The two new passwords differ.")
    page.get_by_test_id("password-again").fill("another-horse-battery")
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("password-status")).to_have_text("Password changed. Your other devices are signed out.")
    new_token = screens.token_of(page)
    assert new_token and new_token != token
    with daphne_server.api(token) as client:
        assert client.get("/auth/me").status_code == 401
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    page.reload()
    expect(page.get_by_test_id("nav-account")).to_be_attached()
    expect(page.get_by_test_id("site-notice")).to_be_hidden()

    # Deletion: says what goes and what stays; needs the box ticked and the right password.
    page.get_by_test_id("delete-open").click()
    expect(page.get_by_test_id("delete-kept")).to_contain_text("signed “deleted user”")
    expect(page.get_by_test_id("delete-erased")).to_contain_text("your username")
    page.get_by_test_id("delete-password").fill("another-horse-battery")
    page.get_by_test_id("delete-submit").click()
    expect(page.get_by_test_id("delete-status")).to_have_text("Tick the box to confirm that you understand.")
    page.get_by_test_id("delete-understand").check()
    page.get_by_test_id("delete-password").fill("not-my-password")
    page.get_by_test_id("delete-submit").click()
    expect(page.get_by_test_id("delete-status")).to_have_text("Wrong password.")
    page.get_by_test_id("delete-password").fill("another-horse-battery")
    page.get_by_test_id("delete-submit").click()
    expect(page.get_by_test_id("site-notice-text")).to_have_attribute("data-reason", "deleted")
    expect(page.get_by_test_id("site-notice-text")).to_contain_text("Your messages remain")
    page.get_by_test_id("nav-toggle").click()
    expect(page.get_by_test_id("nav-signin")).to_be_visible()
    assert screens.token_of(page) is None
    with daphne_server.api(new_token) as client:
        assert client.get("/auth/me").status_code == 401
    with daphne_server.api() as client:
        messages = client.get(f"/rooms/{room_id}/messages").json()["items"]
        assert [(m["author"], m["body"]) for m in messages] == [("deleted user", "Bonjour de Léo")]
        signin = client.post("/auth/token", json={"username": name, "password": "another-horse-battery"})
        assert signin.status_code == 401
    # The two expected refusals (wrong password, second move) are the only HTTP errors.
    expected = ("403", "429", "401")  # wrong password, second move, the ended session's logout
    screens.console_errors[:] = [e for e in screens.console_errors if not any(code in e for code in expected)]
    assert screens.console_errors == []
