"""Words: every error code the server can answer has a message in French and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from realtime.errors import HTTP_STATUS
from tests.browser.conftest import PASSWORD, unique

pytestmark = pytest.mark.browser

MESSAGES_OF = """async ([codes, lang]) => {
  const i18n = await import("/static/js/i18n.js");
  i18n.setLang(lang);
  const out = {};
  for (const code of [...codes, ...i18n.CLIENT_ERROR_CODES]) {
    out[code] = i18n.errorText({ code, message: "server detail", retry_after: 3 });
  }
  return out;
}"""


def test_every_error_code_is_worded_in_french_and_english(screens):
    codes = sorted(HTTP_STATUS)  # the server's list of protocol error codes
    page = screens.new_page("codes")
    page.goto("/#/signin")
    expect(page.get_by_test_id("register-submit")).to_be_visible()
    french = page.evaluate(MESSAGES_OF, [codes, "fr"])
    english = page.evaluate(MESSAGES_OF, [codes, "en"])
    assert set(codes) <= set(french) and set(codes) <= set(english)
    generic_fr, generic_en = french["unknown"], english["unknown"]
    for code in codes:
        # Its own message (not the generic fallback), different in each language.
        assert french[code] and french[code] != generic_fr, (code, french[code])
        assert english[code] and english[code] != generic_en, (code, english[code])
        assert french[code] != english[code], code
        assert f"error.{code}" not in french[code] + english[code], code  # not the bare key
    assert "3 secondes" in french["rate_limited"] and "3 seconds" in english["rate_limited"]
    # The server's English detail is shown only where it names what to fix.
    assert "server detail" in french["bad_request"] and "server detail" not in french["forbidden"]
    screens.pages.clear()  # nothing to see on this page: the test is the table above


def test_sign_in_and_sign_up_errors_in_both_languages(screens, daphne_server):
    taken = unique("pris")
    daphne_server.register(taken)
    page = screens.new_page("auth-errors")
    page.goto("/#/signin")
    page.get_by_test_id("signin-username").fill(taken)
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Nom d'utilisateur ou mot de passe incorrect.")
    page.get_by_test_id("register-username").fill(taken)
    page.get_by_test_id("register-password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("register-error")).to_have_text(
        "Ce nom d'utilisateur est déjà pris : choisissez-en un autre."
    )

    page.get_by_test_id("lang-select").select_option("en")
    page.get_by_test_id("signin-username").fill(taken)
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Wrong username or password.")
    page.get_by_test_id("register-username").fill(taken)
    page.get_by_test_id("register-password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("register-error")).to_have_text("This username is taken: please choose another one.")
    # The failed sign-ins answered 401 and 409 on purpose.
    screens.console_errors.clear()
