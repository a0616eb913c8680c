"""The input rules every client value obeys, over HTTP (config.input_guard) and the socket
(the consumer): no NUL byte, integers within the signed 64-bit range, dates within years
1000-9000. Why: see config/input_guard.py."""

from __future__ import annotations

import re
from datetime import datetime

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
INTEGER = re.compile(r"[+-]?\d+")
ISO_DATE = re.compile(r"[+-]?\d{4,}-\d{2}-\d{2}")
YEAR_MIN, YEAR_MAX = 1000, 9000
# Keys whose value is text that no schema turns into a number or a date: the idempotency key `ref`
# (a strict string) and a message's, question's or proposal's `body`. Digits there are text, however
# many: a ref of 32 digits (a random hex key can be one) or a long number posted in a room is accepted.
TEXT_KEYS = frozenset({"ref", "body"})


def _date_out_of_range(value: str) -> bool:
    if not ISO_DATE.match(value):
        return False
    try:
        year = datetime.fromisoformat(value.replace("Z", "+00:00")).year
    except ValueError:
        return int(value[: value.index("-", 1)]) not in range(YEAR_MIN, YEAR_MAX + 1)
    return not YEAR_MIN <= year <= YEAR_MAX


def input_problem(value: object, where: str = "frame", *, text: bool = False) -> str | None:
    """What is wrong with one decoded input value, or None. `text`: a string that stays text
    (TEXT_KEYS), never read as a number."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where}: NUL bytes are not allowed"
        if text:
            return None  # neither a number nor a date, whatever it looks like
        # str.strip() removes more than int() ignores (the separators \x1c-\x1f): parse what was matched.
        stripped = value.strip()
        if INTEGER.fullmatch(stripped) and len(stripped) < 4300 and not INT_MIN <= int(stripped) <= INT_MAX:
            return f"{where}: number out of range"
        if _date_out_of_range(stripped):
            return f"{where}: dates run from year {YEAR_MIN} to {YEAR_MAX}"
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return f"{where}: number out of range"
    elif isinstance(value, float) and value != value:  # NaN
        return f"{where}: not a number"
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = input_problem(key, where) or input_problem(item, f"{where}.{key}", text=key in TEXT_KEYS)
            if problem:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = input_problem(item, f"{where}[{index}]")
            if problem:
                return problem
    return None
