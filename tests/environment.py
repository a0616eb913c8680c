"""Loaded with `-p tests.environment` (pytest.ini), before Django reads its settings: the test
processes and the servers they start get a secret key, as production requires one."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
# Throttles sized for a suite that signs up many users from 127.0.0.1; the tests that measure a
# limit set their own (settings fixture, or LiveStack's env).
for name, value in {
    "LOGIN_BURST": "1000",
    "REGISTER_BURST": "1000",
    "SOCKETS_PER_IP": "100000",
    "SOCKETS_PER_USER": "100000",
}.items():
    os.environ.setdefault(name, value)
