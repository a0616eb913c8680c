"""Signals other apps listen to without proposals knowing them (the layers point down)."""

from django.dispatch import Signal

# Sent with `proposal=` inside the transaction that closes a vote, after `proposal.closed` was
# appended: a receiver's writes commit or roll back with the close (co-moderation applies a
# moderation vote's decision there).
proposal_resolved = Signal()

# Sent with `proposal=` by `proposal_reopen` under the proposal's row lock, before anything
# changes: a receiver raises `AppError` to refuse (outcomes: a decision already followed by an
# outcome statement or actions does not reopen).
proposal_reopening = Signal()
