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

# Sent with `proposal=` when a reported proposal is hidden or removed (co-moderation): each
# receiver returns the texts it holds about the proposal (outcomes: the outcome statement, the
# actions' titles), so they are blanked from stored events and notifications with its own.
proposal_texts = Signal()

# Sent with `proposal=` inside the transaction of a removal by a moderation vote, after the
# stored events were blanked: receivers erase the texts they hold about it (outcomes).
proposal_removed = Signal()
