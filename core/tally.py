"""Running counts of submitted requests, kept in the transaction of every state change.

One row per strike period, region, category, status, tier and mass-casualty flag: how many requests,
the doctors they ask for and the doctors approved. `core.workflow._apply` moves a request from its
old row to its new one in the same transaction as its audit row, so the counts are always exactly
the requests' (tests/core/test_tally.py recounts after every kind of action, on SQLite and
PostgreSQL). The dashboard sums these rows for closed requests and reads the open ones themselves,
because whether an open request is breached or past its decision-needed-by time depends on the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.enums import Status
from core.models import AuditChainHead, DerogationRequest, RequestTally

KEY = ("strike_period_id", "region_code", "category", "status", "current_tier", "mass_casualty")
SUMS = ("requests", "doctors_requested", "approved_doctors")


@dataclass(frozen=True)
class Entry:
    """Where one request counts in the tally, and what it adds there."""

    key: tuple
    doctors_requested: int
    approved_doctors: int


def entry(request: DerogationRequest) -> Entry | None:
    """The request's place in the tally; drafts (and requests of no strike period) are not counted."""
    if request.status == Status.DRAFT or request.strike_period_id is None:
        return None
    key = (
        request.strike_period_id,
        request.region_code,
        request.category,
        request.status,
        request.current_tier or "",
        bool(request.mass_casualty),
    )
    return Entry(key, request.doctors_requested or 0, request.approved_doctors or 0)


def move(session: Session, before: Entry | None, after: Entry | None) -> None:
    """Count a request where it is now instead of where it was (inside the caller's transaction)."""
    if before == after:
        return
    if before is not None:
        _add(session, before, -1)
    if after is not None:
        _add(session, after, 1)


def _add(session: Session, counted: Entry, sign: int) -> None:
    table = RequestTally.__table__
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(table).values(
        **dict(zip(KEY, counted.key, strict=True)),
        requests=sign,
        doctors_requested=sign * counted.doctors_requested,
        approved_doctors=sign * counted.approved_doctors,
    )
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_={name: table.c[name] + statement.excluded[name] for name in SUMS}
    )
    session.execute(statement)


def _fresh_count() -> tuple:
    """Every submitted request counted afresh, grouped as the tally is."""
    req = DerogationRequest
    keys = (
        req.strike_period_id,
        req.region_code,
        req.category,
        req.status,
        func.coalesce(req.current_tier, ""),
        req.mass_casualty,
    )
    sums = (
        func.count(),
        func.coalesce(func.sum(req.doctors_requested), 0),
        func.coalesce(func.sum(req.approved_doctors), 0),
    )
    where = (req.status != Status.DRAFT.value, col(req.strike_period_id).is_not(None))
    return keys, sums, where


def hold_writers(session: Session) -> None:
    """Lock the audit chain's head, which every state change takes before it moves a request in the
    tally: until this transaction ends, no count changes under a recount (PostgreSQL; SQLite's write
    transactions are serial anyway)."""
    session.exec(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).one()


def rebuild(session: Session) -> None:
    """Count every request afresh (after a bulk load that bypassed the workflow, or a repair)."""
    hold_writers(session)
    keys, sums, where = _fresh_count()
    session.execute(delete(RequestTally))
    session.execute(insert(RequestTally).from_select([*KEY, *SUMS], select(*keys, *sums).where(*where).group_by(*keys)))


def differences(session: Session) -> dict[tuple, tuple[tuple, tuple]]:
    """Where the tally and a fresh count disagree: key -> (tally's sums, fresh sums). Empty when right.
    On a database in use, call it after hold_writers: its two reads must see the same moment."""
    keys, sums, where = _fresh_count()
    fresh = {tuple(r[:6]): tuple(r[6:]) for r in session.exec(select(*keys, *sums).where(*where).group_by(*keys))}
    tally = {
        tuple(getattr(row, name) for name in KEY): tuple(getattr(row, name) for name in SUMS)
        for row in session.exec(select(RequestTally)).all()  # an emptied row must hold zeros too
    }
    zero = (0, 0, 0)
    return {
        key: (tally.get(key, zero), fresh.get(key, zero))
        for key in fresh.keys() | tally.keys()
        if tally.get(key, zero) != fresh.get(key, zero)
    }
