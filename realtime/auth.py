"""Who is signed in: the one test every transport, service and selector uses."""

from __future__ import annotations


def signed_in(user) -> bool:
    """True for a real account; False for None (no credentials) and Django's AnonymousUser."""
    return user is not None and user.is_authenticated
