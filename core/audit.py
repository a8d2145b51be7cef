"""The append-only audit history, chained by hashes so any edit after the fact shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from core.clock import utcnow
from core.models import AuditChainHead, AuditEvent, User

SYSTEM_ACTOR = "system"
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
    action: str,
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
        action=action,
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


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_bad_id: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk every row in id order; name the first whose hash or link does not match."""
    previous = ""
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            checked += 1
            if row.prev_hash != previous:
                return ChainReport(
                    checked, row.id, "its link to the previous row is broken (a row was removed or reordered)"
                )
            if compute_hash(row) != row.row_hash:
                return ChainReport(checked, row.id, "its content does not match its hash (it was edited)")
            previous = row.row_hash
            last_id = row.id
    head = session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != previous:
        return ChainReport(checked, last_id or None, "the newest rows are missing (the chain head does not match)")
    return ChainReport(checked, None, "")
