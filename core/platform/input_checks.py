"""What any typed value must satisfy before it reaches either database (SQLite or PostgreSQL)."""

from __future__ import annotations

import operator
import re
import unicodedata
from datetime import UTC, datetime

import regex

from core.platform.clock import from_london
from core.platform.errors import BadArgument
from core.records.nhs_numbers import NHS_NUMBER_MESSAGE, holds_nhs_number

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the shape of an address, nothing more
UNSTORABLE_MESSAGE = "Remove the invisible control character from this text."
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Ids, versions and counts are PostgreSQL INTEGERs: a larger number cannot be one, and comparing with one is an
# error there. The one integer ceiling: every check of an id, version or count against the database reads it.
DB_INT_MAX = 2**31 - 1
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def text_problem(value: object, limit: int) -> str | None:
    """Why optional free text cannot be stored as typed (not text, longer than `limit`, or what
    `free_text_problem` refuses), or None."""
    if not isinstance(value, str) or len(value) > limit:
        return f"Use plain text of {limit:,} characters or fewer."
    return free_text_problem(value)


def free_text_problem(text: str) -> str | None:
    """Why words a person writes for others to read (the request's text, rationales, comments, answers,
    harm reports, the bypass's, period names) cannot be stored: what no field may hold (`unstorable`), or
    an NHS number (core.records.nhs_numbers: patient details do not belong in a request). None when they can. Fields with
    a shape of their own (e-mail, phone, password) check `unstorable` only: a phone number is not a patient."""
    if unstorable(text):
        return UNSTORABLE_MESSAGE
    return NHS_NUMBER_MESSAGE if holds_nhs_number(text) else None


def unstorable(text: str) -> bool:
    """Text core refuses to store (UNSTORABLE_MESSAGE): a lone surrogate, which neither database can encode
    as UTF-8; NUL, which PostgreSQL refuses; and any invisible character (see `invisible_at`)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return bool(invisible_at(text, first_only=True))


# Invisible characters: control characters other than tab and line breaks (Unicode category Cc), format
# characters (Cf), and every default-ignorable code point (the Unicode property Default_Ignorable_Code_Point:
# what a font draws as nothing, such as the Hangul fillers U+3164 and U+115F, the combining grapheme joiner
# U+034F, the variation selectors and unassigned code points kept for such use). Among them the bidirectional
# overrides and isolates U+202A-U+202E and U+2066-U+2069, which show "ok \u202egnp.exe" as "ok exe.png", and
# the zero-width U+200B-U+200D, U+2060 and U+FEFF. Three uses are kept, as they only shape an emoji and can
# neither hide nor reorder words: U+200D between two symbols (a phone keyboard's health worker: person,
# U+200D, staff of Aesculapius), the tag characters of a flag after U+1F3F4 (England's), and the emoji or
# text presentation selector U+FE0F or U+FE0E right after a character that has an emoji form.
KEPT_CONTROLS = frozenset("\t\n\r")
ZERO_WIDTH_JOINER = "\u200d"
BLACK_FLAG = "\U0001f3f4"
TAGS = range(0xE0020, 0xE0080)
PRESENTATION = frozenset("\ufe0e\ufe0f")
EMOJI_TRIMMINGS = frozenset([*PRESENTATION, *map(chr, range(0x1F3FB, 0x1F400))])  # presentation, skin tone
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]")
_HAS_EMOJI_FORM = regex.compile(r"\p{Emoji}")


def _joins_emoji(text: str, i: int) -> bool:
    if text[i] == ZERO_WIDTH_JOINER:
        before = i - 1
        while before >= 0 and text[before] in EMOJI_TRIMMINGS:
            before -= 1
        return (
            before >= 0
            and i + 1 < len(text)
            and unicodedata.category(text[before]) == "So"
            and unicodedata.category(text[i + 1]) == "So"
        )
    if text[i] in PRESENTATION:
        return i > 0 and bool(_HAS_EMOJI_FORM.match(text[i - 1]))
    if ord(text[i]) in TAGS:
        before = i - 1
        while before >= 0 and ord(text[before]) in TAGS:
            before -= 1
        return before >= 0 and text[before] == BLACK_FLAG
    return False


def invisible_at(text: str, *, first_only: bool = False) -> list[int]:
    """The positions of the invisible characters in `text` (described above), refused in every free-text field."""
    found: list[int] = []
    pattern = _ASCII_CONTROL if text.isascii() else _INVISIBLE
    for match in pattern.finditer(text):
        i = match.start()
        if text[i] in KEPT_CONTROLS or _joins_emoji(text, i):
            continue
        found.append(i)
        if first_only:
            break
    return found


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
