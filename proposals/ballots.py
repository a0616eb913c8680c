"""Secret-ballot sealing: how a secret vote is stored so that no page can pair a voter with a choice.

A secret `Vote` keeps `choice` empty and stores `seal = HMAC(SECRET_KEY, proposal:voter:choice)`
instead. Nothing the API, the socket, the exports or the admin show can turn a seal back
into a choice: it is never sent anywhere, and the admin does not display it. The server
itself can test a seal against the (at most 20) option keys, which it needs for two things:

- `can_change`: moving a changed vote means decrementing the old choice's count;
- showing a voter their own choice (`my_vote`), to that voter only.

Trade-off, on purpose: someone holding both the database and SECRET_KEY (the operator) could
recover choices the same way — as they could by watching the server while people vote.
Votes carry no timestamps, so the rows cannot be dated against the live tally. The write
receipt of a secret vote omits the choice too, so receipts hold no pair either.

What storage cannot prevent: a live tally moves by one when someone votes, so a person who
watches it while watching a neighbour vote learns their choice. Ballots that need that much
secrecy combine `anonymous` with `hide_results` (the counts then appear only at closing).
Without `can_change`, the seal is still kept, only so the voter can see their own choice.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "proposals.ballot.seal"


def seal_make(*, scope: str, object_id: int, voter_id: int, choice: str) -> str:
    return salted_hmac(_SALT, f"{scope}:{object_id}:{voter_id}:{choice}", algorithm="sha256").hexdigest()


def seal_open(*, scope: str, object_id: int, voter_id: int, seal: str, keys: list[str]) -> str | None:
    """The option key `seal` was made with, or None."""
    if not seal:
        return None
    for key in keys:
        if constant_time_compare(seal_make(scope=scope, object_id=object_id, voter_id=voter_id, choice=key), seal):
            return key
    return None
