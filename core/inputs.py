"""What any typed value must satisfy before it reaches either database (SQLite or PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.clock import from_london

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the shape of an address, nothing more
UNSTORABLE_MESSAGE = "Remove the invisible control character from this text."
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def unstorable(text: str) -> bool:
    """PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 by either database."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def plausible_time(value: object) -> bool:
    """A real date and time this century (an exotic offset near datetime's limits cannot overflow here)."""
    if not isinstance(value, datetime):
        return False
    try:
        moment = from_london(value)
    except (OverflowError, ValueError):
        return False
    return EARLIEST <= moment < LATEST
