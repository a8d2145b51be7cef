"""The live state proven against its audit history (docs/audit-chain.md: "The live records proven against
their history").

The hash chain (core/records/audit.py) proves the audit rows were not changed; it says nothing about the live
rows. A request, an account or a strike period changed by hand in SQL keeps its intact history and
differs from it. Here each one's audit rows are replayed into the facts they imply (`fold_*`) and those
facts compared, field by field, with the live row (`*_facts`).

A full check replays every row from the first. What it replays is kept (`replayed_state`, and the id and
hash of the last row replayed in `integrity_check`), so an incremental check walks only the rows added
since, folds them into the kept facts, and still compares every live row: a change behind the audit's
back adds no audit row. The requester's contact details are never compared (retention removes them)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Row, delete, insert
from sqlmodel import Session, col, select

from core.enums import Action, AdminAction
from core.models import (
    AuditChainHead,
    AuditEvent,
    DerogationRequest,
    EmailOutbox,
    IntegrityCheck,
    ReplayedState,
    RequestReason,
    StrikePeriod,
    User,
)
from core.notifications import notify
from core.platform.clock import format_london, utcnow
from core.platform.db import locked_row, read_session, write_session
from core.records import audit

REQUEST, ACCOUNT, PERIOD = "request", "account", "period"
BATCH = 2000
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
MISSING = "(no row)"
NO_HISTORY = "(no history)"

# A request's facts as its CREATE row leaves them: everything the route may set later, unset.
REQUEST_DEFAULTS: dict[str, object] = {
    "submitted_at": None,
    "decided_at": None,
    "approved_doctors": None,
    "approved_grades": None,
    "approved_window_start": None,
    "approved_window_end": None,
    "approved_scope": "",
    "confirmation_ref": None,
    "revoked_at": None,
    "revoke_reason": "",
    "bypass_recalled_at": None,
    "bypass_doctors": None,
    "bypass_grades": None,
    "bypass_declared_by": "",
    "bypass_recorded_at": None,
    "bypass_ref": None,
    "bypass_stood_down_at": None,
    "bypass_review": None,
    "bypass_review_reasons": None,
    "bypass_reviewed_at": None,
}
# Every column a request's history can vouch for (never the contact details, nor the form's free text).
REQUEST_COLUMNS = ("status", "current_tier", "trust_code", "region_code", "strike_period_id", *REQUEST_DEFAULTS)
ACCOUNT_COLUMNS = ("role", "trust_code", "region_code", "active")
PERIOD_COLUMNS = ("name", "starts_at", "ends_at")


def plain(value: object) -> object:
    """A value as the replayed facts hold it (JSON): times as canonical UTC text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, tuple):
        return list(value)
    return value


def _time(text: object) -> object:
    return plain(datetime.fromisoformat(text)) if isinstance(text, str) else text


# ---------------------------------------------------------------- what the history says


def fold_request(facts: dict, event: AuditEvent | Row) -> None:
    """Apply one of a request's audit rows to the facts its earlier rows implied."""
    action, details, at = event.action, event.details or {}, plain(event.at)
    if action == Action.CREATE:
        facts.update(REQUEST_DEFAULTS, reasons={})
    if action != Action.COMMENT:  # a comment records the status it saw, and no tier
        facts["status"], facts["current_tier"] = event.to_status, event.to_tier
    if "trust_code" in details and action in (Action.CREATE, Action.UPDATE_DRAFT, Action.RESUBMIT):
        facts["trust_code"], facts["region_code"] = details["trust_code"], details["region_code"]
    if action == Action.SUBMIT:
        facts["submitted_at"] = at
        if "strike_period_id" in details:
            facts["strike_period_id"] = details["strike_period_id"]
    elif action == Action.APPROVE:
        facts.update({name: details.get(name) for name in ("approved_doctors", "approved_grades", "approved_scope")})
        facts["approved_window_start"] = _time(details.get("approved_window_start"))
        facts["approved_window_end"] = _time(details.get("approved_window_end"))
        facts["confirmation_ref"], facts["decided_at"] = details.get("confirmation_ref"), at
    elif action == Action.DECLINE:
        facts["decided_at"] = at
    elif action == Action.REVOKE:
        facts["revoked_at"], facts["revoke_reason"] = at, event.rationale
    elif action == Action.RECORD_BYPASS:
        facts.update(
            bypass_recalled_at=_time(details.get("recalled_at")),
            bypass_doctors=details.get("doctors"),
            bypass_grades=details.get("grades"),
            bypass_declared_by=details.get("declared_by"),
            bypass_recorded_at=at,
        )
        if "reference" in details:  # written since the bypass has a reference of its own
            facts["bypass_ref"] = details["reference"]
    elif action == Action.STAND_DOWN:
        facts["bypass_stood_down_at"] = _time(details.get("stood_down_at"))
    elif action == Action.REVIEW_BYPASS:
        facts.update(bypass_review=details.get("finding"), bypass_review_reasons=details.get("findings"))
        facts["bypass_reviewed_at"] = at
    if details.get("reasons"):
        facts.setdefault("reasons", {})[str(event.id)] = sorted(details["reasons"])


def account_and_period_of(event: AuditEvent | Row) -> tuple[str, int] | None:
    """Which account or strike period a row about no request changes, if any."""
    details = event.details or {}
    if event.action in (AdminAction.USER_CREATED, AdminAction.USER_UPDATED) and "user_id" in details:
        return ACCOUNT, details["user_id"]
    if event.action in (AdminAction.PERIOD_CREATED, AdminAction.PERIOD_UPDATED) and "period_id" in details:
        return PERIOD, details["period_id"]
    return None


def fold_other(kind: str, facts: dict, event: AuditEvent | Row) -> None:
    details = event.details or {}
    if event.action == AdminAction.USER_CREATED:
        facts.update({name: details.get(name) for name in ("role", "trust_code", "region_code")}, active=True)
    elif kind == ACCOUNT:
        facts.update({name: details["after"][name] for name in ACCOUNT_COLUMNS if name in details.get("after", {})})
    else:
        after = details.get("after", {})
        facts.update(
            name=after.get("name"), starts_at=_time(after.get("starts_at")), ends_at=_time(after.get("ends_at"))
        )


def fold(kind: str, facts: dict, event: AuditEvent | Row) -> None:
    if kind == REQUEST:
        fold_request(facts, event)
    else:
        fold_other(kind, facts, event)


def subject(event: AuditEvent | Row) -> tuple[str, int] | None:
    """The request, account or strike period an audit row is about (None: sign-ins, targets and the like)."""
    if event.request_id is not None:
        return REQUEST, event.request_id
    return account_and_period_of(event)


# ---------------------------------------------------------------- what the live rows hold


def request_facts(request: DerogationRequest | Row, reasons: dict[str, list[str]]) -> dict:
    facts = {name: plain(getattr(request, name)) for name in REQUEST_COLUMNS}
    facts["reasons"] = {event_id: sorted(given) for event_id, given in reasons.items()}
    return facts


def _live_reasons(session: Session, request_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    found: dict[int, dict[str, list[str]]] = {}
    rows = session.exec(
        select(RequestReason.request_id, RequestReason.audit_event_id, RequestReason.reason).where(
            col(RequestReason.request_id).in_(request_ids)
        )
    ).all()
    for request_id, event_id, reason in rows:
        found.setdefault(request_id, {}).setdefault(str(event_id), []).append(reason)
    return found


def _live_batches(session: Session, kind: str) -> Iterator[dict[int, dict]]:
    """Every live row of `kind` as its facts, a batch at a time, in id order."""
    table, key, columns = {
        REQUEST: (DerogationRequest, DerogationRequest.id, REQUEST_COLUMNS),
        ACCOUNT: (User, User.id, ACCOUNT_COLUMNS),
        PERIOD: (StrikePeriod, StrikePeriod.id, PERIOD_COLUMNS),
    }[kind]
    after = 0
    while True:
        rows = session.exec(
            select(key, *(getattr(table, name) for name in columns)).where(key > after).order_by(key).limit(BATCH)
        ).all()
        if not rows:
            return
        after = rows[-1][0]
        if kind == REQUEST:
            reasons = _live_reasons(session, [row[0] for row in rows])
            yield {row[0]: request_facts(row, reasons.get(row[0], {})) for row in rows}
        else:
            yield {row[0]: {name: plain(getattr(row, name)) for name in columns} for row in rows}


# ---------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Difference:
    kind: str
    entity_id: int
    field: str
    recorded: object  # what the history says
    live: object  # what the row holds

    def __str__(self) -> str:
        if self.field == NO_HISTORY:
            return f"{self.kind} {self.entity_id}: the row has no audit history (made outside the application)"
        if self.field == MISSING:
            return f"{self.kind} {self.entity_id}: its audit history exists but the row is gone"
        return f"{self.kind} {self.entity_id}: {self.field} is {_shown(self.live)}, its audit history says {_shown(self.recorded)}"


def _shown(value: object) -> str:
    """A fact as a person reads it: times in UK time, nothing as "empty"."""
    if value is None or value == "":
        return "empty"
    if isinstance(value, str) and ISO_TIME.match(value):
        return format_london(datetime.fromisoformat(value))
    return repr(value)


def compare(kind: str, entity_id: int, recorded: dict | None, live: dict | None) -> list[Difference]:
    """Every field the history vouches for that the live row does not hold."""
    if recorded is None:
        return [] if live is None else [Difference(kind, entity_id, NO_HISTORY, None, "row")]
    if live is None:
        return [Difference(kind, entity_id, MISSING, "row", None)]
    return [
        Difference(kind, entity_id, name, value, live.get(name))
        for name, value in recorded.items()
        if live.get(name) != value
    ]


# ---------------------------------------------------------------- the checks


@dataclass
class Report:
    chain: audit.ChainReport
    differences: list[Difference] = field(default_factory=list)
    rows_replayed: int = 0
    compared: dict[str, int] = field(default_factory=dict)
    full: bool = True

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.differences

    def findings(self) -> list[str]:
        found = [] if self.chain.ok else [chain_problem(self.chain)]
        return found + [str(d) for d in self.differences]


def chain_problem(chain: audit.ChainReport) -> str:
    if chain.first_bad_id is None:
        return f"Audit chain BROKEN: {chain.problem}: {', '.join(chain.missing_anchors)}"
    return f"Audit chain BROKEN at row {chain.first_bad_id}: {chain.problem}"


def snapshot(session: Session) -> None:
    """Read everything from one moment: a change committed mid-check must not look like a difference."""
    if session.get_bind().dialect.name == "postgresql":  # SQLite's read transaction is a snapshot already
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _rows(session: Session, after: int, until: int) -> Iterator[Row]:
    columns = (AuditEvent.id, AuditEvent.request_id, AuditEvent.at, AuditEvent.action, AuditEvent.to_status,
               AuditEvent.to_tier, AuditEvent.rationale, AuditEvent.details)  # fmt: skip
    while after < until:
        rows = session.exec(
            select(*columns)
            .where(AuditEvent.id > after, AuditEvent.id <= until)
            .order_by(AuditEvent.id)
            .limit(BATCH * 5)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _kept(session: Session, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    wanted = sorted(set(keys))
    kept: dict[tuple[str, int], dict] = {}
    for kind in (REQUEST, ACCOUNT, PERIOD):
        ids = [entity_id for k, entity_id in wanted if k == kind]
        for start in range(0, len(ids), BATCH):
            rows = session.exec(
                select(ReplayedState).where(
                    ReplayedState.kind == kind, col(ReplayedState.entity_id).in_(ids[start : start + BATCH])
                )
            ).all()
            kept.update({(kind, row.entity_id): dict(row.facts) for row in rows})
    return kept


@dataclass
class _Recorded:
    """The replayed facts to compare the live rows with: this check's folds, over (incremental) the facts
    kept by the checks before, read a batch at a time."""

    session: Session
    states: dict[tuple[str, int], dict]
    incremental: bool

    def of(self, kind: str, ids: list[int]) -> dict[int, dict]:
        found = _kept(self.session, [(kind, i) for i in ids]) if self.incremental else {}
        found |= {(kind, i): self.states[(kind, i)] for i in ids if (kind, i) in self.states}
        return {entity_id: facts for (_, entity_id), facts in found.items()}

    def ids(self, kind: str) -> set[int]:
        ids = {entity_id for k, entity_id in self.states if k == kind}
        if self.incremental:
            ids.update(self.session.exec(select(ReplayedState.entity_id).where(ReplayedState.kind == kind)).all())
        return ids


def _compare_all(session: Session, recorded: _Recorded, report: Report) -> None:
    """Every live row against its replayed facts, and every replayed entity whose row is gone."""
    for kind in (REQUEST, ACCOUNT, PERIOD):
        seen: set[int] = set()
        for live in _live_batches(session, kind):
            facts_of = recorded.of(kind, list(live))
            for entity_id, facts in live.items():
                report.differences += compare(kind, entity_id, facts_of.get(entity_id), facts)
            seen.update(live)
        report.differences += [d for i in sorted(recorded.ids(kind) - seen) for d in compare(kind, i, {}, None)]
        report.compared[kind] = len(seen)


def _start(session: Session, full: bool, report: Report, mark: IntegrityCheck | None) -> tuple[bool, int]:
    """Where this check replays from: the first row, or the row the last check ended on if it is unchanged."""
    if full or mark is None:
        return True, 0
    ended_on = session.get(AuditEvent, mark.last_event_id)
    if ended_on is None or ended_on.row_hash != mark.last_hash:
        if report.chain.ok:  # changed or removed since it was checked: say so, and replay all next time
            report.chain = audit.ChainReport(0, mark.last_event_id, "the row the last check ended on was changed")
        report.full = True
    return report.full, mark.last_event_id


def check(full: bool = False, anchors: Iterable[str] = (), now: datetime | None = None) -> Report:
    """Prove the live state against the history: the chain, then every request, account and strike period.
    Incremental unless `full` (or anchors given, or nothing was replayed before); keeps what it replayed."""
    now = now or utcnow()
    anchors = [a for a in anchors if a.strip()]
    with read_session() as session:
        snapshot(session)
        mark = session.get(IntegrityCheck, 1)
        head = session.get(AuditChainHead, 1)
        until = (head.last_event_id if head else None) or 0
        nothing_kept = session.exec(select(ReplayedState.kind).limit(1)).first() is None  # first, or emptied
        full = full or bool(anchors) or mark is None or mark.last_event_id == 0 or nothing_kept
        after = (0, "") if full else (mark.last_event_id, mark.last_hash)
        report = Report(audit.verify_chain(session, anchors=anchors, after=after), full=full)
        full, after_id = _start(session, full, report, mark)
        if not report.chain.ok:
            return _remember(report, None, now)
        if full:  # streamed: every row of the chain
            rows: Iterable[Row] = _rows(session, 0, until)
            states: dict[tuple[str, int], dict] = {}
        else:  # the few rows since the last check, over the facts kept for what they touch
            rows = list(_rows(session, after_id, until))
            states = _kept(session, {key for row in rows if (key := subject(row))})
        for row in rows:
            if key := subject(row):
                fold(key[0], states.setdefault(key, {}), row)
                report.rows_replayed += 1
        _compare_all(session, _Recorded(session, states, incremental=not full), report)
    return _remember(report, (until, report.chain.last_hash, states), now)


def _remember(report: Report, replayed: tuple[int, str, dict] | None, now: datetime) -> Report:
    """Keep what was replayed (so the next check can start from it) and raise or clear the alarm."""
    with write_session() as session:
        # Two checks at once (two workers for a moment during a deployment, or the worker and `ops verify-audit`)
        # store what they replayed one after the other.
        mark = locked_row(session, IntegrityCheck, "id", 1)
        if replayed is not None and not report.full and replayed[0] < mark.last_event_id:
            replayed = None  # a check that went further has stored what it replayed: that stands
        if replayed is not None:
            until, last_hash, states = replayed
            if report.full:
                session.execute(delete(ReplayedState))
            else:
                for kind, entity_id in states:
                    session.execute(
                        delete(ReplayedState).where(ReplayedState.kind == kind, ReplayedState.entity_id == entity_id)
                    )
            rows = [{"kind": k, "entity_id": i, "facts": f} for (k, i), f in states.items()]
            for start in range(0, len(rows), BATCH):
                session.execute(insert(ReplayedState), rows[start : start + BATCH])
            mark.last_event_id, mark.last_hash = until, last_hash
            if report.full:
                mark.full_at = now
        elif report.full:  # the chain is broken: start from the first row next time
            mark.last_event_id, mark.last_hash = 0, ""
        mark.checked_at = now
        session.add(mark)
        session.flush()
        alarm(session, report.findings(), now, replace=True)
    return report


# ---------------------------------------------------------------- one request, for the public check


def prove_request(session: Session, request: DerogationRequest) -> list[str]:
    """What stops one request's live row being vouched for; empty when it is proven. A few indexed reads,
    whatever the size of the chain:
    - each of its audit rows matches its hash (or a redaction vouches for it: core.records.audit.Redactions), is
      linked to the row before it, and the row after it is linked to it (the newest: the chain's head), so
      none of its rows can be removed from the end or from after one of its own without it showing;
    - every fact its rows record equals the live row;
    - what the last integrity check replayed of it (`replayed_state`) is what its rows up to that check
      still replay to: a row of it removed since that check shows, wherever it stood in the chain;
    - the alarm does not name it (a problem the checks found stands until a check finds it gone)."""
    events = session.exec(select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)).all()
    problems: list[str] = []
    facts: dict = {}
    changed = {event.id: content for event in events if (content := audit.compute_hash(event)) != event.row_hash}
    recorded = _redactions(session) if changed else None
    head = session.get(AuditChainHead, 1)
    mark = session.get(IntegrityCheck, 1)
    checked_until = mark.last_event_id if mark is not None else 0
    at_check: dict | None = None  # the facts its rows up to the last check replay to
    for event in events:
        name = f"audit row {event.id} of request {request.id}"
        if event.id in changed and not (recorded and recorded.vouches(event, changed[event.id])):
            problems.append(f"{name} does not match its hash")
        before = session.exec(
            select(AuditEvent.row_hash).where(AuditEvent.id < event.id).order_by(col(AuditEvent.id).desc()).limit(1)
        ).first()
        if (before or "") != event.prev_hash:
            problems.append(f"{name} is not linked to the row before it")
        after = session.exec(
            select(AuditEvent.prev_hash).where(AuditEvent.id > event.id).order_by(AuditEvent.id).limit(1)
        ).first()
        linked_on = after if after is not None else (head.last_hash if head is not None else None)
        if linked_on != event.row_hash:
            problems.append(f"{name} is not linked to the row after it (a row after it was removed)")
        fold_request(facts, event)
        if event.id <= checked_until:
            at_check = dict(facts, reasons=dict(facts.get("reasons", {})))
    if checked_until:
        kept = session.get(ReplayedState, (REQUEST, request.id))
        if (kept.facts if kept is not None else None) != at_check:
            problems.append(
                f"request {request.id}: its audit history no longer replays to what the integrity check kept of it"
                " (a row of it was removed or changed since)"
            )
    live = request_facts(request, _live_reasons(session, [request.id]).get(request.id, {}))
    problems += [str(d) for d in compare(REQUEST, request.id, facts or None, live)]
    if not problems and mark is not None and _named(mark.findings, request.id):
        problems.append(f"request {request.id}: the integrity alarm names it")
    return problems


def _named(findings: str, request_id: int) -> bool:
    """Whether the alarm's findings name the request."""
    return re.search(rf"\brequest {request_id}(?!\d)", findings) is not None


def _redactions(session: Session) -> audit.Redactions:
    """What retention's redacting rows vouch for: a row they changed no longer matches its own hash, by
    design (core.records.audit.verify_chain reads them with the same rule). Read only when a row does not match: rare."""
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.action).in_(audit.REDACTING)).order_by(AuditEvent.id)
    ).all()
    recorded = audit.Redactions(session)
    for row in rows:
        recorded.add(row)
    return recorded


# ---------------------------------------------------------------- the alarm


def alarm(session: Session, findings: list[str], now: datetime, *, replace: bool = False) -> None:
    """Record what the last check found; tell administrators and the national MDT when it is new.
    `replace`: a whole check, which also clears the alarm when it found nothing; otherwise (the public
    check of one request) findings are only added."""
    mark = locked_row(session, IntegrityCheck, "id", 1)
    before = [line for line in mark.findings.splitlines() if line]
    after = findings if replace else before + [f for f in findings if f not in before]
    mark.findings, mark.differences = "\n".join(after), len(after)
    if not after:
        mark.alarm_since = None
    elif mark.alarm_since is None:
        mark.alarm_since = now
    session.add(mark)
    new = [f for f in after if f not in before]
    if new:
        notify.integrity_alarm(session, new, now)


def raise_alarm(findings: list[str], now: datetime | None = None) -> None:
    """Add findings to the alarm (the public check); a finding already raised takes no write."""
    if set(findings) <= set(alarm_state().findings):
        return
    with write_session() as session:
        alarm(session, findings, now or utcnow())


@dataclass(frozen=True)
class AlarmState:
    differences: int
    findings: list[str]
    since: datetime | None
    checked_at: datetime | None


def alarm_state() -> AlarmState:
    """What the last check found (Administration's banner, /metrics)."""
    with read_session() as session:
        mark = session.get(IntegrityCheck, 1)
    if mark is None:
        return AlarmState(0, [], None, None)
    return AlarmState(mark.differences, [f for f in mark.findings.splitlines() if f], mark.alarm_since, mark.checked_at)


def newest_event(session: Session) -> tuple[int, str, datetime | None]:
    """The chain's head: (last id, its hash, when it was written), for the anchor."""
    head = session.get(AuditChainHead, 1)
    newest = session.get(AuditEvent, head.last_event_id) if head and head.last_event_id else None
    return (newest.id, newest.row_hash, newest.at) if newest else (0, "", None)


# ---------------------------------------------------------------- on a schedule (ops/mail_worker.py)

FULL_EVERY = timedelta(days=1)  # the incremental check trusts the replayed facts it kept; this re-derives them
ANCHOR_EVERY = timedelta(days=1)
ANCHOR_ADDRESS = "DEROG_AUDIT_ANCHOR_EMAIL"


def check_every() -> timedelta:
    return timedelta(minutes=float(os.environ.get("DEROG_INTEGRITY_MINUTES", "5") or 5))


def check_if_due(now: datetime | None = None) -> Report | None:
    """The incremental check every few minutes, a full one once a day; None when none was due."""
    now = now or utcnow()
    with read_session() as session:
        mark = session.get(IntegrityCheck, 1)
    if mark is not None and mark.checked_at is not None and now - mark.checked_at < check_every():
        return None
    full = mark is None or mark.full_at is None or now - mark.full_at >= FULL_EVERY
    return check(full=full, now=now)


def send_anchor_if_due(now: datetime | None = None) -> bool:
    """Once a day, e-mail the chain's newest checked row (id, hash, time) to a second party
    (DEROG_AUDIT_ANCHOR_EMAIL), who can later run `verify-audit --anchor HASH` against it: a rewrite of
    the whole chain cannot make that hash reappear. True when one was queued."""
    address = os.environ.get(ANCHOR_ADDRESS, "").strip()
    if not address:
        return False
    now = now or utcnow()
    with write_session() as session:
        mark = session.get(IntegrityCheck, 1, with_for_update=True)
        if mark is None or not mark.last_hash or (mark.anchor_sent_at and now - mark.anchor_sent_at < ANCHOR_EVERY):
            return False
        row = session.get(AuditEvent, mark.last_event_id)
        alarm_line = (
            f"WARNING: the last check found {mark.differences} difference(s); the alarm is raised."
            if mark.differences
            else "The last check found the live records equal to their history."
        )
        session.add(
            EmailOutbox(
                to_address=address,
                subject=f"Derogations audit anchor {format_london(now)}: row {mark.last_event_id}",
                body=(
                    "Keep this message: it records the derogations service's audit history as it stood.\n\n"
                    f"Row: {mark.last_event_id}\nWritten: {format_london(row.at) if row else 'unknown'} (UK time)\n"
                    f"Hash: {mark.last_hash}\nChecked: {format_london(mark.checked_at)} (UK time)\n{alarm_line}\n\n"
                    "To prove later that the history was not rewritten since, the service's operators run:\n"
                    f"    python -m ops verify-audit --anchor {mark.last_hash}\n"
                    "It fails if this hash is no longer in the chain (docs/audit-chain.md).\n"
                ),
                created_at=now,
                next_attempt_at=now,
            )
        )
        mark.anchor_sent_at = now
        session.add(mark)
    return True
