"""What the write services share: limits, text cleaning, the proposal row lock."""

from __future__ import annotations

import re
from datetime import timedelta

from proposals.models import Proposal
from realtime.errors import AppError

TITLE_MAX = 200
BODY_MAX = 20_000
ARGUMENTS_MAX = 10_000
CHOICE_LABEL_MAX = 200
AMENDMENT_MAX = 4000
DEFAULT_VOTING_PERIOD = timedelta(days=7)
QUORUM_SHARE = re.compile(r"^\s*(\d{1,3})\s*%\s*$")


def text_clean(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise AppError("bad_request", f"{field} must be a string")
    value = value.strip()
    if required and not value:
        raise AppError("bad_request", f"{field} must not be empty")
    if len(value) > max_length:
        raise AppError("bad_request", f"{field} is limited to {max_length} characters")
    return value


def proposal_row_locked(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(id=proposal_id).first()
    if proposal is None:
        raise AppError("not_found", f"proposal {proposal_id} does not exist")
    return proposal
