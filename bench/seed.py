"""Create the bench's users and API tokens straight in the project's database.

Registering thousands of users over HTTP would spend minutes hashing passwords (PBKDF2),
which is not what the bench measures; this script hashes one password once and
bulk-inserts users and tokens. Run from the repository root, against the database the
servers will use (same environment), before the servers start:

    DJANGO_SETTINGS_MODULE=config.settings python -m bench.seed N OUT.json

OUT.json receives ``[[username, token], ...]``.
"""

import json
import sys


def main(n: int, out: str) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Token

    User = get_user_model()  # noqa: N806
    password = make_password("bench-password-1234")
    names = [f"bench{i:05d}" for i in range(n)]
    keys = [Token.new_key() for _ in range(n)]
    with transaction.atomic():
        User.objects.bulk_create([User(username=u, password=password) for u in names], batch_size=500)
        ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
        Token.objects.bulk_create(
            [Token(user_id=ids[u], key_hash=Token.hash(k)) for u, k in zip(names, keys, strict=False)], batch_size=500
        )
    with open(out, "w") as f:
        json.dump([[u, k] for u, k in zip(names, keys, strict=False)], f)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
