"""The browser tests' server: the service's settings with a fast password hasher.

Each browser test signs people up and in through the pages; PBKDF2's deliberate cost (about half a
second of CPU per sign-up) is not what they test. Only tests/browser/conftest.py's server uses this.
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
