"""One source of 'now' (aware UTC, as SQLModel stores it) and the Europe/London view of it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_london(moment: datetime | None) -> datetime | None:
    """Stored UTC -> Europe/London (a naive value is taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def from_london(moment: datetime) -> datetime:
    """A wall-clock time typed in London (naive) or any aware time -> aware UTC for storage."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC)


def format_london(moment: datetime | None, *, with_zone: bool = True) -> str:
    local = to_london(moment)
    if local is None:
        return ""
    text = local.strftime("%a %d %b %Y %H:%M")
    return f"{text} {local.tzname()}" if with_zone else text


def format_duration(minutes: float) -> str:
    minutes = int(round(minutes))
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rem = divmod(minutes, 1440)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"
