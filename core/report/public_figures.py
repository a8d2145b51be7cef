"""The daily public figures of a strike period (docs/figures.md): one row per day and NHS England region, the
cumulative state of the period's requests at the end of each day (Europe/London), counted as requests and as
doctors. Aggregates by region only: no trust, no free text, nothing a sign-in would be needed for.

Each day's row is the dashboard's headline at the end of that day (core.request.outcomes, core.queries.headline):
the outcome a request had at that moment is read off its own times (submitted, closed, decided, revoked),
so the last row, counted "now", equals the live dashboard's national figures. Counted in SQL, one GROUP BY a
day in one statement; published through a cache a minute old at most, shared by the page and the routes."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import Select, case, func, literal, union_all
from sqlmodel import Session, col, select

from core.enums import Status
from core.models import DerogationRequest, Region, StrikePeriod
from core.platform.clock import LONDON, from_london, to_london, utcnow
from core.platform.config import database_url
from core.platform.db import read_session
from core.platform.errors import NotFound
from core.platform.input_checks import DB_INT_MAX
from core.reference import periods
from core.request.outcomes import DECLINES, Outcome, outcome_at
from core.request.timing import MOMENT

# The published columns, in this order (the first nine are the issue's; the rest are appended after them).
COLUMNS = (
    "date",
    "region",
    "requests",
    "approved",
    "declined",
    "withdrawn",
    "pending",
    "doctors_requested",
    "doctors_approved",
    "revoked",
    "not_decided_in_time",
    "resolved_locally",
    "expired",
)
# Each request's outcome at a day's end counts in one column, named as the dashboard's Headline field: the outcome's
# value, but both kinds of decline count in "declined" (the BMA's, and a tier's "does not meet the criteria").
OUTCOME_COLUMN = {outcome.value: "declined" if outcome in DECLINES else outcome.value for outcome in Outcome}
OUTCOME_COLUMNS = tuple(dict.fromkeys(OUTCOME_COLUMN.values()))  # in the order outcomes are shown
CACHE_SECONDS = 60


class BadPeriod(ValueError):
    """A `period` that cannot name a strike period (not a whole number in range)."""


@dataclass(frozen=True)
class DayRow:
    date: date
    region: str
    requests: int
    approved: int
    declined: int
    withdrawn: int
    pending: int
    doctors_requested: int
    doctors_approved: int
    revoked: int
    not_decided_in_time: int
    resolved_locally: int
    expired: int


@dataclass(frozen=True)
class Publication:
    period: StrikePeriod
    counted_at: datetime
    rows: list[DayRow]  # date, then region name, ascending


def period_id_from(text: str | None) -> int | None:
    """The `period` of an address: None when absent; BadPeriod unless it is a whole number that could be an id."""
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 0 < int(text) <= DB_INT_MAX:
        raise BadPeriod("period must be the number of a strike period")
    return int(text)


def published_periods(now: datetime | None = None) -> list[StrikePeriod]:
    """The periods with figures: every one that has started, newest first."""
    now = now or utcnow()
    with read_session() as session:
        started = select(StrikePeriod).where(periods.started_sql(now))
        return list(session.exec(started.order_by(col(StrikePeriod.starts_at).desc())).all())


def chosen_period(period_id: int | None, now: datetime | None = None) -> StrikePeriod:
    """The period asked for, or without one the most relevant: in progress, else the latest ended.
    NotFound for a period that does not exist or has not started (it has no figures yet)."""
    now = now or utcnow()
    started = published_periods(now)
    if period_id is None:
        current = periods.in_progress(started, now)
        ended = [p for p in started if p.ends_at <= now]
        found = current or (max(ended, key=lambda p: p.ends_at) if ended else None)
    else:
        found = next((p for p in started if p.id == period_id), None)
    if found is None:
        raise NotFound("strike period")
    return found


def _day_ends(period: StrikePeriod, last_change: datetime | None, now: datetime) -> list[tuple[date, datetime]]:
    """(day, the moment its figures are counted at) from the period's first day to its last (or the last day
    any of its requests changed, if later), never past today; a day not over yet is counted at `now`."""
    first = to_london(period.starts_at).date()
    last = to_london(max(period.ends_at - timedelta(microseconds=1), last_change or period.starts_at)).date()
    last = min(last, to_london(now).date())
    days = []
    day = first
    while day <= last:
        end = from_london(datetime.combine(day + timedelta(days=1), clock_time()))
        days.append((day, min(end, now)))
        day += timedelta(days=1)
    return days


def _last_change(session: Session, period_id: int) -> datetime | None:
    request = DerogationRequest
    latest = func.max(func.coalesce(request.revoked_at, request.closed_at, request.submitted_at))
    return session.exec(select(latest).where(request.strike_period_id == period_id)).one()


def _day_counts(period_id: int, day: date, moment: datetime) -> Select:
    request = DerogationRequest
    at = literal(moment, MOMENT)
    outcome = outcome_at(at)
    approved_doctors = case((outcome == Outcome.APPROVED.value, func.coalesce(request.approved_doctors, 0)), else_=0)
    return (
        select(
            literal(day.isoformat()).label("day"),
            request.region_code,
            outcome.label("outcome"),
            func.count().label("requests"),
            func.coalesce(func.sum(request.doctors_requested), 0).label("doctors_requested"),
            func.coalesce(func.sum(approved_doctors), 0).label("doctors_approved"),
        )
        .where(
            request.strike_period_id == period_id,
            request.status != Status.DRAFT.value,
            col(request.submitted_at) <= at,
        )
        .group_by(request.region_code, outcome)
    )


def daily(period: StrikePeriod, now: datetime | None = None) -> Publication:
    """Count the period's figures now (no cache): every region on every day, zeros included."""
    now = now or utcnow()
    with read_session() as session:
        region_names = dict(session.exec(select(Region.code, Region.name)).all())
        days = _day_ends(period, _last_change(session, period.id), now)
        counted: dict[tuple[str, str], dict[str, int]] = {}
        if days:
            statement = union_all(*(_day_counts(period.id, day, moment) for day, moment in days))
            for day, region, outcome, requests, doctors, approved_doctors in session.execute(statement):
                cell = counted.setdefault((day, region), dict.fromkeys(COLUMNS[2:], 0))
                cell["requests"] += int(requests)
                cell[OUTCOME_COLUMN[outcome]] += int(requests)
                cell["doctors_requested"] += int(doctors or 0)
                cell["doctors_approved"] += int(approved_doctors or 0)
    rows = [
        DayRow(
            date=day,
            region=name,
            **counted.get((day.isoformat(), code), dict.fromkeys(COLUMNS[2:], 0)),
        )
        for day, _ in days
        for code, name in sorted(region_names.items(), key=lambda item: item[1])
    ]
    return Publication(period=period, counted_at=now, rows=rows)


_cache: dict[tuple[str, int], tuple[float, Publication]] = {}
_cache_lock = threading.Lock()


def published(period: StrikePeriod) -> Publication:
    """daily(period), counted at most once a minute in this process: what the page and the routes show."""
    key = (database_url(), period.id)
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None and time.monotonic() - kept[0] < CACHE_SECONDS:
            return kept[1]
    fresh = daily(period)
    with _cache_lock:
        _cache[key] = (time.monotonic(), fresh)
    return fresh


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def to_csv(publication: Publication) -> str:
    """The rows with a header of COLUMNS; no cell is text anyone typed (region names are reference data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in publication.rows:
        values = asdict(row)
        writer.writerow([values["date"].isoformat(), *(values[c] for c in COLUMNS[1:])])
    return out.getvalue()


def to_json(publication: Publication) -> str:
    period = publication.period
    document = {
        "period": {
            "id": period.id,
            "name": period.name,
            "starts_at": period.starts_at.isoformat(),
            "ends_at": period.ends_at.isoformat(),
        },
        "counted_at": publication.counted_at.isoformat(),
        "timezone": str(LONDON),
        "columns": list(COLUMNS),
        "rows": [asdict(row) | {"date": row.date.isoformat()} for row in publication.rows],
    }
    return json.dumps(document, indent=1)
