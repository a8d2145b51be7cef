"""What any typed value must satisfy before it reaches either database (SQLite or PostgreSQL)."""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime

from core.clock import from_london
from core.errors import BadArgument

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the shape of an address, nothing more
UNSTORABLE_MESSAGE = "Remove the invisible control character from this text."
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
DB_INT_MAX = 2**31 - 1  # ids, versions and counts are PostgreSQL INTEGERs
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


# ---------------------------------------------------------------- the arguments of core's commands


def whole(value: object, what: str, *, optional: bool = False, low: int | None = None, high: int | None = None) -> int:
    """An id, version or count as code passes it: an integer (numpy's too), never a bool (Python counts
    True as 1, and it reached PostgreSQL as `version = true`), float, text or None (unless `optional`).
    Anything else, or a number outside [low, high], is refused with BadArgument before any SQL. Whether
    an id exists, or a version is current, is for the command to say (NotFound, StaleVersion)."""
    if value is None and optional:
        return None  # type: ignore[return-value]
    if isinstance(value, bool):
        raise BadArgument(what)
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise BadArgument(what) from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadArgument(what)
    return int(number)


def request_at(request_id: object, version: object, *, new: bool = False) -> tuple[int, int]:
    """The request a command acts on and the version the person saw, checked with `whole` (both may be
    None for a command that can also create one, `new`)."""
    checked_id = whole(request_id, "request id", optional=new)
    return checked_id, whole(version, "version", optional=checked_id is None, low=1, high=DB_INT_MAX)


def yes_no(value: object, what: str, *, optional: bool = False) -> bool:
    """A flag as code passes it: True or False (numpy's too), never text such as "no", which is truthy."""
    if value is None and optional:
        return None  # type: ignore[return-value]
    if type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    raise BadArgument(what)
