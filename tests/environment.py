"""Loaded with `-p tests.environment` (pytest.ini), before Django reads its settings: the test
processes and the servers they start get a secret key, as production requires one."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
