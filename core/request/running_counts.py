"""Running counts of submitted requests, kept in the transaction of every state change.

One row per strike period, region, category, status, tier, mass-casualty flag and failsafe-bypass state:
how many requests, the doctors they ask for, the doctors approved and the doctors recalled under the
bypass. `core.workflow.command.apply` moves a request from its
old row to its new one in the same transaction as its audit row, so the counts are always exactly
the requests' (tests/core/request/test_running_counts.py recounts after every kind of action, on SQLite and
PostgreSQL). The dashboard sums these rows for closed requests and reads the open ones themselves,
because whether an open request is breached or past its decision-needed-by time depends on the clock.

The reasons given with declines, returns and revocations are counted the same way (ReasonTally, one row
per period, region, action, tier and reason), by `count_reasons` in the action's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, delete, func, insert, literal, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.enums import BypassState, Status
from core.models import AuditChainHead, DerogationRequest, ReasonTally, RequestReason, RequestTally

KEY = ("strike_period_id", "region_code", "category", "status", "current_tier", "mass_casualty", "bypass")
SUMS = ("requests", "doctors_requested", "approved_doctors", "bypass_doctors")
REASON_KEY = ("strike_period_id", "region_code", "action", "by_tier", "reason")
REASON_SUMS = ("times", "doctors_requested")
EVERY_REASON = ""  # the reason of a ReasonTally row that counts the actions themselves, once each (by who acted)


def bypass_state(request: DerogationRequest) -> BypassState:
    """Whether the trust recalled doctors under the failsafe bypass, and what the national MDT found."""
    if request.bypass_recorded_at is None:
        return BypassState.NONE
    return BypassState(request.bypass_review) if request.bypass_review else BypassState.REVIEW_DUE


def bypass_state_sql(req: type[DerogationRequest] = DerogationRequest) -> ColumnElement[str]:
    """bypass_state as one SQL CASE."""
    return case(
        (col(req.bypass_recorded_at).is_(None), literal(BypassState.NONE.value)),
        (col(req.bypass_review).is_(None), literal(BypassState.REVIEW_DUE.value)),
        else_=req.bypass_review,
    )


@dataclass(frozen=True)
class Entry:
    """Where one request counts in the tally, and what it adds there."""

    key: tuple
    doctors_requested: int
    approved_doctors: int
    bypass_doctors: int = 0


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
        bypass_state(request).value,
    )
    bypass = request.bypass_doctors or 0 if request.bypass_recorded_at is not None else 0
    return Entry(key, request.doctors_requested or 0, request.approved_doctors or 0, bypass)


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
        bypass_doctors=sign * counted.bypass_doctors,
    )
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_={name: table.c[name] + statement.excluded[name] for name in SUMS}
    )
    session.execute(statement)


def count_reasons(session: Session, request: DerogationRequest, given: list[RequestReason]) -> None:
    """Count the reasons just given (inside the caller's transaction, after its audit row: writers take the
    chain head first)."""
    if request.strike_period_id is None:
        return
    table = ReasonTally.__table__
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    counted = [(row.action, row.by_tier, row.reason, row.doctors_requested) for row in given]
    if given:  # and the action itself, once, so that declines by who declined are counted exactly
        counted.append((given[0].action, given[0].by_tier, EVERY_REASON, given[0].doctors_requested))
    for action, by_tier, reason, doctors in counted:
        statement = upsert(table).values(
            strike_period_id=request.strike_period_id,
            region_code=request.region_code,
            action=action,
            by_tier=by_tier,
            reason=reason,
            times=1,
            doctors_requested=doctors,
        )
        statement = statement.on_conflict_do_update(
            index_elements=list(REASON_KEY),
            set_={name: table.c[name] + statement.excluded[name] for name in REASON_SUMS},
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
        bypass_state_sql(req),
    )
    bypass_doctors = case((col(req.bypass_recorded_at).is_not(None), func.coalesce(req.bypass_doctors, 0)), else_=0)
    sums = (
        func.count(),
        func.coalesce(func.sum(req.doctors_requested), 0),
        func.coalesce(func.sum(req.approved_doctors), 0),
        func.coalesce(func.sum(bypass_doctors), 0),
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
    session.execute(delete(ReasonTally))
    session.execute(insert(ReasonTally).from_select([*REASON_KEY, *REASON_SUMS], reasons_grouped()))


def reasons_grouped(where: ColumnElement[bool] | None = None):
    """Every reason given (of the requests matching `where`), counted afresh as the reason tally counts
    them: one row per period, region, action, tier and reason, and one per action with EVERY_REASON
    counting the actions themselves. Columns: REASON_KEY, then REASON_SUMS."""
    req, reason = DerogationRequest, RequestReason
    scope = col(req.strike_period_id).is_not(None) if where is None else where
    keys = (req.strike_period_id, req.region_code, reason.action, reason.by_tier, reason.reason)
    per_reason = (
        select(
            *keys, func.count().label("times"), func.coalesce(func.sum(reason.doctors_requested), 0).label("doctors")
        )
        .select_from(RequestReason)
        .join(req, col(req.id) == RequestReason.request_id)
        .where(scope)
        .group_by(*keys)
    )
    actions = (
        select(reason.audit_event_id, reason.request_id, reason.action, reason.by_tier, reason.doctors_requested)
        .distinct()
        .subquery()
    )
    keys = (req.strike_period_id, req.region_code, actions.c.action, actions.c.by_tier)
    per_action = (
        select(*keys, literal(EVERY_REASON), func.count(), func.coalesce(func.sum(actions.c.doctors_requested), 0))
        .select_from(actions)
        .join(req, col(req.id) == actions.c.request_id)
        .where(scope)
        .group_by(*keys)
    )
    return union_all(per_reason, per_action)


def differences(session: Session) -> dict[tuple, tuple[tuple, tuple]]:
    """Where the tally and a fresh count disagree: key -> (tally's sums, fresh sums). Empty when right.
    On a database in use, call it after hold_writers: its two reads must see the same moment."""
    keys, sums, where = _fresh_count()
    width = len(KEY)
    fresh = {
        tuple(r[:width]): tuple(r[width:]) for r in session.exec(select(*keys, *sums).where(*where).group_by(*keys))
    }
    tally = {
        tuple(getattr(row, name) for name in KEY): tuple(getattr(row, name) for name in SUMS)
        for row in session.exec(select(RequestTally)).all()  # an emptied row must hold zeros too
    }
    found = _compare(tally, fresh, (0,) * len(SUMS))
    width = len(REASON_KEY)
    fresh = {("reason", *r[:width]): tuple(r[width:]) for r in session.execute(reasons_grouped())}
    tally = {
        ("reason", *(getattr(row, name) for name in REASON_KEY)): tuple(getattr(row, name) for name in REASON_SUMS)
        for row in session.exec(select(ReasonTally)).all()
    }
    return found | _compare(tally, fresh, (0,) * len(REASON_SUMS))


def _compare(tally: dict, fresh: dict, zero: tuple) -> dict[tuple, tuple[tuple, tuple]]:
    return {
        key: (tally.get(key, zero), fresh.get(key, zero))
        for key in fresh.keys() | tally.keys()
        if tally.get(key, zero) != fresh.get(key, zero)
    }
