"""The browser client's words: French and English name the same keys, and every key the code
asks for exists (a missing key would show as its raw name on screen)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC_JS = Path(__file__).resolve().parents[1] / "static" / "js"
KEY = re.compile(r'^\s*"([a-z_]+\.[a-z0-9_.]+)":', re.MULTILINE)


def keys(lang: str) -> set[str]:
    return set(KEY.findall((STATIC_JS / "i18n" / f"{lang}.js").read_text(encoding="utf-8")))


def test_french_and_english_have_the_same_keys():
    french, english = keys("fr"), keys("en")
    assert len(french) > 150
    assert french - english == set() and english - french == set()


def added_keys() -> set[str]:
    """Keys a page module adds itself with `addMessages({fr: …, en: …})` (e.g. debate mode)."""
    found: set[str] = set()
    for path in STATIC_JS.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        if "addMessages({" in text:
            found |= set(KEY.findall(text))
    return found


def test_every_literal_key_the_client_uses_exists():
    known = keys("fr") | added_keys()
    used: set[str] = set()
    for path in STATIC_JS.rglob("*.js"):
        if "i18n" in path.parts:
            continue
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+\.[a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 100
    assert used - known == set()
