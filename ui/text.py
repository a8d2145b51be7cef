"""Words for the screen: user text made safe for markdown, durations, statuses and times."""

from __future__ import annotations

import re
import string
from datetime import datetime

from core.enums import Role, Status, Tier
from core.platform.clock import format_duration, format_london, to_london
from core.platform.input_checks import invisible_at

_PUNCTUATION = {ch: f"&#{ord(ch)};" for ch in string.punctuation}


def visible(text: object) -> str:
    """User text with each invisible character shown as its code point, e.g. "ok [U+202E]gnp.exe" where
    "ok \\u202egnp.exe" would read "ok exe.png". Core refuses these characters in every free-text field
    (core.platform.input_checks.invisible_at); text stored before that is kept exactly as it was (the audit history's
    hashes cover it) and shown this way. Every helper below applies it; show other user text with
    st.text(visible(...))."""
    value = "" if text is None else str(text)
    positions = invisible_at(value)
    if not positions:
        return value
    chars = list(value)
    for i in positions:
        chars[i] = f"[U+{ord(value[i]):04X}]"
    return "".join(chars)


def md_escape(text: object) -> str:
    """User text inside markdown, shown exactly as typed: every ASCII punctuation mark becomes its
    numeric character reference, so no markup, link, emoji code or Streamlit directive can form, and
    invisible characters are shown as code points (visible)."""
    value = visible(text)
    escaped = "".join(_PUNCTUATION.get(ch, ch) for ch in value)
    # Leading spaces would start a code block; line breaks stay line breaks.
    return "  \n".join(line.strip() for line in escaped.splitlines()) if "\n" in value else escaped.strip()


def html_text(text: object) -> str:
    """User text inside HTML (st.html), shown exactly as typed, line breaks included (with CSS
    white-space: pre-wrap): every ASCII punctuation mark becomes its numeric character reference, so
    no tag or entity can form, and nothing that would be markup elsewhere appears raw; invisible characters
    are shown as code points (visible)."""
    return "".join(_PUNCTUATION.get(ch, ch) for ch in visible(text))


def when(moment: datetime | None) -> str:
    return format_london(moment) if moment else "—"


def when_short(moment: datetime | None) -> str:
    """'Wed 25 Nov 09:05' for tables (UK time; the page says so)."""
    local = to_london(moment)
    return local.strftime("%a %d %b %H:%M") if local else "—"


def wall_clock(moment: datetime | None) -> datetime | None:
    """A stored time as a date-time widget holds it: UK wall-clock time to the minute, without a zone (the
    widget takes none; core.platform.clock.from_london reads it back)."""
    local = to_london(moment)
    return None if local is None else local.replace(tzinfo=None, second=0, microsecond=0)


def duration(minutes: float | None) -> str:
    return format_duration(minutes) if minutes is not None else "—"


def status_word(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def tier_word(tier: str | None) -> str:
    if not tier:
        return "—"
    try:
        return Tier(tier).label
    except ValueError:
        return tier


def role_word(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return "System" if role == "system" else role


def time_left(minutes: float | None, is_open: bool, not_decided_in_time: bool) -> str:
    """'3h 05m left' while open, 'Not decided in time' once its time passed undecided, else a dash."""
    if not_decided_in_time:
        return "Not decided in time"
    if minutes is None or not is_open:
        return "—"
    return f"{format_duration(minutes)} left"


def at_tier(minutes: float | None, target: int | None, breached: bool) -> str:
    """'1h 20m of 1h 00m: BREACHED' so a breach is a word, not only a colour."""
    if minutes is None or target is None:
        return "—"
    text = f"{format_duration(minutes)} of {format_duration(target)}"
    return f"{text}: BREACHED" if breached else text


def counted(number: int | None, noun: str) -> str:
    """'1 doctor', '3 doctors': a count with its noun, plural unless it is one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def one_line(text: str, limit: int = 60) -> str:
    """Short, single-line version of user text for option labels (shown as plain text)."""
    flat = re.sub(r"\s+", " ", visible(text or "")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
