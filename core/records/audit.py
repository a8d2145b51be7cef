"""The append-only audit history, chained by hashes so any edit after the fact shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.access_control.visibility import load_visible
from core.enums import Action, AdminAction
from core.models import AuditChainHead, AuditEvent, DerogationRequest, DisplaySession, StrikePeriod, User
from core.platform import spreadsheet
from core.platform.clock import utcnow
from core.platform.errors import NotFound
from core.platform.input_checks import DB_INT_MAX, whole
from core.platform.spreadsheet import defuse

SYSTEM_ACTOR = "system"
Row = TypeVar("Row", DerogationRequest, DisplaySession, StrikePeriod, User)  # a row whose change is audited
HASHED_FIELDS = (
    "request_id",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "from_status",
    "to_status",
    "from_tier",
    "to_tier",
    "rationale",
    "details",
    "prev_hash",
)


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def compute_hash(event: AuditEvent) -> str:
    payload = {name: _canonical(getattr(event, name)) for name in HASHED_FIELDS}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    action: Action | AdminAction,
    actor: User | None,
    request_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    from_tier: str | None = None,
    to_tier: str | None = None,
    rationale: str = "",
    details: dict | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row inside the caller's transaction, linked to the newest row."""
    head = session.exec(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).one()
    event = AuditEvent(
        request_id=request_id,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else SYSTEM_ACTOR,
        actor_role=actor.role if actor else SYSTEM_ACTOR,
        action=str(action),  # the value as stored and hashed, whichever enum it came from
        from_status=from_status,
        to_status=to_status,
        from_tier=from_tier,
        to_tier=to_tier,
        rationale=rationale,
        details=details or {},
        prev_hash=head.last_hash,
    )
    event.row_hash = compute_hash(event)
    session.add(event)
    session.flush()
    head.last_hash = event.row_hash
    head.last_event_id = event.id
    session.add(head)
    return event


def saved(
    session: Session,
    row: Row,
    *,
    action: Action | AdminAction,
    actor: User | None,
    details: Callable[[Row], dict],
    to_status: str | None = None,
    at: datetime | None = None,
) -> Row:
    """Write `row`, new or changed, and its audit row inside the caller's transaction: the row first, so
    `details` (given the row) can name its id. A new request's audit row names the request."""
    session.add(row)
    session.flush()
    request_id = row.id if isinstance(row, DerogationRequest) else None
    append(session, action=action, actor=actor, request_id=request_id, to_status=to_status, details=details(row), at=at)
    return row


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_bad_id: int | None
    problem: str
    last_hash: str = ""
    missing_anchors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.missing_anchors


EDITED = "its content does not match its hash (it was edited)"


def verify_chain(
    session: Session, batch: int = 5000, anchors: Iterable[str] = (), after: tuple[int, str] = (0, "")
) -> ChainReport:
    """Walk every row in id order; name the first whose hash or link does not match.

    `anchors` are row hashes recorded earlier (e.g. printed by a past check): someone able to rewrite
    the whole table could recompute every hash, but could not make an old, recorded hash reappear.
    `after` (row id, its hash): walk only the rows after one checked before (core/records/integrity.py).

    A row whose personal data retention replaced (`redactions`) no longer matches its own hash; it must
    then match, exactly, what a later pseudonymisation row recorded of it. Its `row_hash` is untouched,
    so every link still holds."""
    last_id, previous = after
    checked = 0
    pending = {a.strip().lower() for a in anchors if a.strip()}
    changed: dict[int, tuple[AuditEvent, str]] = {}  # rows that no longer match their hash, with what they hold now
    recorded = Redactions(session)  # what pseudonymisation rows say those rows hold, where they may say it
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            checked += 1
            if row.prev_hash != previous:
                if last_id in changed:  # the previous row's own hash was changed, so this link fails too
                    return ChainReport(checked - 1, last_id, EDITED)
                return ChainReport(
                    checked, row.id, "its link to the previous row is broken (a row was removed or reordered)"
                )
            content = compute_hash(row)
            if content != row.row_hash:
                changed[row.id] = (row, content)
            recorded.add(row)
            pending.discard(row.row_hash)
            previous = row.row_hash
            last_id = row.id
    edited = sorted(row_id for row_id, (row, content) in changed.items() if not recorded.vouches(row, content))
    if edited:
        return ChainReport(checked, edited[0], EDITED)
    head = session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != previous:
        return ChainReport(checked, last_id or None, "the newest rows are missing (the chain head does not match)")
    if pending:
        return ChainReport(
            checked,
            None,
            "hashes recorded earlier are no longer in the chain (it was rewritten)",
            previous,
            tuple(sorted(pending)),
        )
    return ChainReport(checked, None, "", previous)


# ---------------------------------------------------------------- personal data in the history
# Retention (core.records.retention) replaces a long-closed account's name and e-mail address in the rows that hold
# them, and addresses typed at a sign-in that belong to no account. Those rows keep their row_hash, so the chain's links (and any anchor recorded) are unchanged; the row
# that records the replacement (AdminAction.ACCOUNT_PSEUDONYMISED or ADDRESSES_REMOVED, itself chained) lists each changed row
# with the hash of what it holds now, so the verifier can tell a recorded replacement from an edit.
REDACTED_ROWS = "rows"
REDACTING = frozenset([AdminAction.ACCOUNT_PSEUDONYMISED.value, AdminAction.ADDRESSES_REMOVED.value])


def redacted(rows: list[tuple[AuditEvent, str]]) -> dict:
    """The details of a pseudonymisation row: each changed row's id with the hash of its new content."""
    return {REDACTED_ROWS: [[row.id, content] for row, content in rows]}


def redactions(event: AuditEvent) -> dict[int, str]:
    """What a pseudonymisation row recorded (row id -> hash of its new content); nothing for other rows."""
    if event.action not in REDACTING:
        return {}
    listed = event.details.get(REDACTED_ROWS, [])
    return {int(row_id): str(content) for row_id, content in listed if int(row_id) < event.id}  # only rows before it


class Redactions:
    """What retention's redacting rows recorded, and what they may vouch for: the one rule both
    `verify_chain` and the public check (core.records.integrity.prove_request) apply. Feed it redacting rows in id
    order (`add`; other rows are ignored), then ask whether a row that no longer matches its hash is vouched
    for (`vouches`).

    A listed row is vouched for only when its content is exactly what the latest row listing it recorded,
    and that row may cover it:
    - `account_pseudonymised`: the first such row naming the account (details user_id; a later one naming
      it again is retention's never, so it vouches for nothing), whose live account is closed and carries
      the pseudonym retention gives it; and the listed row is about that account: the account acted in it,
      or it is an account row (core.records.retention.ABOUT_ACCOUNTS) whose user_id is that account, or a sign-in
      row whose address is now the account's pseudonymous one;
    - `addresses_removed`: a sign-in row of the kinds retention changes, whose address now reads removed.
    Anything else listed reads as edited (docs/audit-chain.md, "Retention and pseudonymised accounts")."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.recorded: dict[int, tuple[str, AuditEvent]] = {}  # row id -> (hash of its content, the row saying so)
        self.accounts: set[int] = set()  # accounts a pseudonymisation row has named already
        self.closed: dict[int, bool] = {}  # account id -> closed and pseudonymised, in the live table

    def add(self, event: AuditEvent) -> None:
        if event.action not in REDACTING:
            return
        if event.action == AdminAction.ACCOUNT_PSEUDONYMISED.value:
            user_id = (event.details or {}).get("user_id")
            if not isinstance(user_id, int) or user_id in self.accounts:
                return  # retention names the account, and pseudonymises it once: a second row is not its
            self.accounts.add(user_id)
        self.recorded.update({row_id: (content, event) for row_id, content in redactions(event).items()})

    def vouches(self, row: AuditEvent, content: str) -> bool:
        found = self.recorded.get(row.id)
        return found is not None and found[0] == content and self._may_cover(found[1], row)

    def _may_cover(self, redacting: AuditEvent, row: AuditEvent) -> bool:
        from core.records import retention  # core.records.retention imports this module

        details = row.details or {}
        if redacting.action == AdminAction.ADDRESSES_REMOVED.value:
            return row.action in retention.TYPED_ADDRESS and details.get("email") == retention.REMOVED
        user_id = (redacting.details or {}).get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not self._closed(user_id):
            return False
        if row.actor_id == user_id:
            return True
        if row.action not in retention.ABOUT_ACCOUNTS:
            return False
        if details.get("user_id") == user_id:
            return True
        return row.action in retention.TYPED_ADDRESS and details.get("email") == retention.pseudonym(user_id)[1]

    def _closed(self, user_id: int) -> bool:
        from core.records import retention

        if user_id not in self.closed:
            user = self.session.get(User, user_id)
            self.closed[user_id] = (
                user is not None and not user.active and (user.full_name, user.email) == retention.pseudonym(user_id)
            )
        return self.closed[user_id]


# ---------------------------------------------------------------- export for readers outside the system
# The exact recipe is in docs/audit-chain.md; scripts/verify_audit_csv.py re-checks a file with it.

EXPORT_COLUMNS = ("id", *HASHED_FIELDS[:-1], "prev_hash", "row_hash")
PERIOD_FLAG = "period_request"  # not hashed: marks the rows about the period's own requests
EXPORT_BATCH = 2000


def export_cells(event: AuditEvent) -> list[str]:
    """One row of the export: every hashed value in its canonical text form, then the two hashes."""
    cells = [str(event.id)]
    for name in HASHED_FIELDS[:-1]:
        value = _canonical(getattr(event, name))
        if name == "details":
            cells.append(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
        else:
            cells.append("" if value is None else str(value))  # empty = null (these never hold "")
    cells += [event.prev_hash, event.row_hash]
    return [defuse(cell) for cell in cells]  # the verifier strips exactly one leading apostrophe


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    first_id: int | None
    last_id: int | None
    first_prev_hash: str
    last_row_hash: str


def write_csv(
    events: Iterable[AuditEvent], out: TextIO, flag: Callable[[AuditEvent], bool] | None = None
) -> ExportSummary:
    """Write `events` (oldest first) as CSV to `out`, which must be opened with newline=""."""
    writer = spreadsheet.writer(out, lineterminator="\r\n")
    writer.writerow([*EXPORT_COLUMNS, PERIOD_FLAG] if flag else EXPORT_COLUMNS)
    rows, first, last = 0, None, None
    for event in events:
        cells = export_cells(event)
        writer.writerow([*cells, "yes" if flag(event) else "no"] if flag else cells)
        rows += 1
        first = first or event
        last = event
    return ExportSummary(
        rows,
        first.id if first else None,
        last.id if last else None,
        first.prev_hash if first else "",
        last.row_hash if last else "",
    )


def _request_id(value: object) -> int:
    number = whole(value, "request id")  # int() would read True, 1.9 or "1" as request 1
    if not 0 < number <= DB_INT_MAX:
        raise NotFound()
    return number


def request_events(session: Session, request_id: object, viewer: User | None = None) -> list[AuditEvent]:
    """One request's audit rows, oldest first. With a viewer, out of scope reads exactly as missing;
    without one (the command line, run by whoever runs the server) every request is readable."""
    if viewer is not None:
        number = load_visible(session, viewer, request_id).id
    else:
        number = _request_id(request_id)
        if session.get(DerogationRequest, number) is None:
            raise NotFound()
    return list(session.exec(select(AuditEvent).where(AuditEvent.request_id == number).order_by(AuditEvent.id)))


def export_request(session: Session, out: TextIO, request_id: object, viewer: User | None = None) -> ExportSummary:
    """A request's history. Each row re-checks on its own; rows in between belong to other requests,
    so the links between them are checked by verify-audit or a period export, not by this file."""
    return write_csv(request_events(session, request_id, viewer), out)


def _segment(session: Session, first_id: int, last_id: int) -> Iterator[tuple[AuditEvent, int | None]]:
    after = first_id - 1
    while True:
        batch = session.exec(
            select(AuditEvent, DerogationRequest.strike_period_id)
            .outerjoin(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
            .where(AuditEvent.id > after, AuditEvent.id <= last_id)
            .order_by(AuditEvent.id)
            .limit(EXPORT_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1][0].id


def export_period(session: Session, out: TextIO, period_id: object) -> ExportSummary:
    """The unbroken stretch of the chain from the first to the last row about the period's requests,
    so every link can be checked. Rows in between about other things (users, other periods' drafts)
    are included and flagged "no": this export is for the command line, not for a page."""
    number = whole(period_id, "strike period id")
    period = session.get(StrikePeriod, number) if 0 < number <= DB_INT_MAX else None
    if period is None:
        raise NotFound("strike period")
    first_id, last_id = session.exec(
        select(func.min(AuditEvent.id), func.max(AuditEvent.id))
        .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
        .where(DerogationRequest.strike_period_id == period.id)
    ).one()
    if first_id is None:
        return write_csv([], out, flag=lambda _event: False)
    in_period: set[int] = set()

    def events() -> Iterator[AuditEvent]:
        for event, event_period in _segment(session, first_id, last_id):
            if event_period == period.id:
                in_period.add(event.id)
            yield event

    return write_csv(events(), out, flag=lambda event: event.id in in_period)
