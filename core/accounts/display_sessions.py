"""Display sessions: a wall screen that holds one scope's live dashboard up for a shift, with none of a
person's powers.

1. The wall's browser opens /wall: `begin_pairing` makes a row with a short one-time **code** (shown on
   the screen, typed by a person) and a long **claim** (kept by the wall's own browser tab, never shown).
2. The national MDT or an administrator types the code on the Wall displays page and chooses the scope
   and how long it lasts: `start` (one transaction with its audit row).
3. The wall's tab sees it started and redeems its claim at GET /display/start (server/routes.py) for a
   random **display id** in the HttpOnly cookie `derog_display`: `redeem`.
4. Every run and refresh of the wall hands that id to `check`, which reads the row afresh. A display is
   not a person: it has no idle limit (refreshing is its job), it ends at the time set when it started,
   or when someone ends it (`end`), and its ending is an audit row (`expire_due` notes the lapsed ones).

A display is not a user session: every other page, callback, download and route asks core/accounts/sessions.py,
which knows nothing of it, so a wall's browser can only draw the wall. Only SHA-256 hashes of the
secrets are stored. Rules: docs/wall.md."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import Session, col, select

from core.accounts.sessions import digest, new_secret, swap_for_token, well_formed
from core.enums import AdminAction, Role
from core.models import DisplaySession, Region, User
from core.platform.clock import utcnow
from core.platform.db import DatabaseBusy, read_session, write_session
from core.platform.errors import DerogationError, PermissionDenied, ValidationFailed
from core.records import audit

COOKIE_NAME = "derog_display"
# The code a person reads off the wall and types: 8 characters with none that look alike (0/O, 1/I/L),
# 40 bits. It works once, for CODE_LIFETIME, and only for the national MDT or an administrator.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_TYPED_CODE = 12  # the code as typed off the screen: "KM4P - 7RTX"
CODE_LIFETIME = timedelta(minutes=10)
# How long a display may last, chosen when it starts; never more than a shift.
DURATIONS_HOURS = (4, 8, 12)
# The wall's latest refresh is written at most this often (the Wall displays page shows it).
TOUCH_EVERY = timedelta(minutes=1)
# Codes nobody typed are removed after this; ended displays are kept (who showed what, when) this long.
KEEP_UNSTARTED = timedelta(hours=1)
KEEP_ENDED = timedelta(days=30)
STARTERS = frozenset({Role.NATIONAL_MDT, Role.ADMIN})
CODE_FIELD = "code"
NO_SUCH_CODE = (
    "No wall screen is showing that code. A code lasts 10 minutes and works once: type the code the screen shows now."
)


class EndReason(StrEnum):
    ENDED = "ended"  # by the national MDT or an administrator
    EXPIRED = "expired"  # reached the time set when it started


class DisplayEnded(DerogationError):
    """No live display in this browser."""


@dataclass(frozen=True)
class Pairing:
    """What the wall's browser tab keeps while it shows its code: the code, and the claim it redeems."""

    code: str
    claim: str
    expires_at: datetime

    @property
    def shown(self) -> str:
        """The code as the screen shows it: two groups of four."""
        return f"{self.code[:4]}-{self.code[4:]}"


@dataclass(frozen=True)
class LiveDisplay:
    """A checked display: what it shows (None: England) and when it ends."""

    id: int
    region_code: str | None
    ends_at: datetime


@dataclass(frozen=True)
class DisplayRow:
    """A live display as the Wall displays page lists it."""

    id: int
    region_code: str | None
    started_at: datetime
    started_by: str
    ends_at: datetime
    last_seen_at: datetime | None


def _starter_refusal(actor: User) -> PermissionDenied | None:
    if not actor.active or Role(actor.role) not in STARTERS:
        return PermissionDenied("Only the national MDT or an administrator can start or end a wall display.")
    return None


def normalised_code(typed: object) -> str | None:
    """The code as typed, in capitals without spaces or dashes; None if it cannot be one of ours."""
    if not isinstance(typed, str):
        return None
    code = re.sub(r"[\s-]", "", typed).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def viewer(region_code: str | None) -> User:
    """A stand-in with only the scope a display shows, for the dashboard's queries (core.access_control.visibility reads
    the role, region and whether it is active). It is never stored and no page accepts it as a person."""
    role = Role.NATIONAL_MDT if region_code is None else Role.REGIONAL_MD
    return User(email="", full_name="", password_hash="", role=role.value, region_code=region_code, active=True)


def begin_pairing(now: datetime | None = None) -> Pairing:
    """A new code for a wall's browser to show (and its claim), valid for CODE_LIFETIME. Codes nobody
    typed, and displays that ended more than KEEP_ENDED ago, are removed here, so a screen left on the
    code page does not fill the table."""
    now = now or utcnow()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    claim = new_secret()
    expires_at = now + CODE_LIFETIME
    with write_session() as session:
        session.execute(
            delete(DisplaySession).where(
                (col(DisplaySession.started_at).is_(None) & (col(DisplaySession.created_at) < now - KEEP_UNSTARTED))
                | (col(DisplaySession.ended_at) < now - KEEP_ENDED)
            )
        )
        session.add(
            DisplaySession(code_hash=digest(code), claim_hash=digest(claim), created_at=now, expires_at=expires_at)
        )
    return Pairing(code, claim, expires_at)


def paired(claim: str | None, now: datetime | None = None) -> bool | None:
    """Whether the code of this claim has been typed (True), not yet (False), or can no longer be
    (None: it expired, or the display has ended or been redeemed)."""
    if not well_formed(claim):
        return None
    now = now or utcnow()
    with read_session() as session:
        row = session.exec(select(DisplaySession).where(col(DisplaySession.claim_hash) == digest(claim))).first()
    if row is None or row.ended_at is not None or now >= row.expires_at:
        return None
    return row.started_at is not None


def start(actor: User, code: object, region_code: str | None, hours: int, now: datetime | None = None) -> int:
    """Start the display showing `code`: it shows `region_code`'s dashboard (None: England) for `hours`.
    One transaction with its audit row; the display's id."""
    refusal = _starter_refusal(actor)
    if refusal:
        raise refusal
    if hours not in DURATIONS_HOURS:
        raise ValidationFailed({"hours": "Choose how long the display stays up: 4, 8 or 12 hours."})
    typed = normalised_code(code)
    if typed is None:
        raise ValidationFailed(
            {CODE_FIELD: "Type the 8 letters and numbers the wall screen shows, for example KM4P-7RTX."}
        )
    now = now or utcnow()
    with write_session() as session:
        if region_code is not None and session.get(Region, region_code) is None:
            raise ValidationFailed({"scope": "Choose England or one of the regions listed."})
        row = session.exec(
            select(DisplaySession)
            .where(
                col(DisplaySession.code_hash) == digest(typed),
                col(DisplaySession.started_at).is_(None),
                col(DisplaySession.expires_at) > now,
            )
            .with_for_update()
        ).first()
        if row is None:
            raise ValidationFailed({CODE_FIELD: NO_SUCH_CODE})
        row.code_hash, row.started_at, row.started_by = None, now, actor.id
        row.region_code, row.expires_at = region_code, now + timedelta(hours=hours)
        audit.saved(
            session,
            row,
            action=AdminAction.DISPLAY_STARTED,
            actor=actor,
            details=lambda row: {"display_id": row.id, "region_code": region_code, "hours": hours},
            at=now,
        )
        return row.id


def redeem(claim: str | None, now: datetime | None = None) -> str | None:
    """Swap a started display's claim for the id its cookie will hold (once); None if it is not valid."""
    if not well_formed(claim):
        return None
    now = now or utcnow()
    still_valid = [
        col(DisplaySession.started_at).is_not(None),
        col(DisplaySession.ended_at).is_(None),
        col(DisplaySession.expires_at) > now,
    ]
    with write_session() as session:
        return swap_for_token(session, DisplaySession.claim_hash, claim, still_valid, now)


def _end(session: Session, which: ColumnElement[bool], reason: EndReason, actor: User | None, now: datetime) -> bool:
    """End one display inside the caller's transaction, with its audit row; False if it had already ended."""
    row = session.exec(select(DisplaySession).where(which).with_for_update()).first()
    if row is None or row.ended_at is not None:
        return False
    row.ended_at, row.ended_reason = now, reason.value
    session.add(row)
    audit.append(
        session,
        action=AdminAction.DISPLAY_EXPIRED if reason is EndReason.EXPIRED else AdminAction.DISPLAY_ENDED,
        actor=actor,
        details={"display_id": row.id, "region_code": row.region_code},
        at=now,
    )
    return True


def check(token: str | None, now: datetime | None = None) -> LiveDisplay:
    """The live display a browser's cookie names, read afresh; DisplayEnded if none. A display that has
    reached its end is marked ended here (with its audit row)."""
    if not well_formed(token):
        raise DisplayEnded()
    now = now or utcnow()
    with read_session() as session:
        row = session.exec(select(DisplaySession).where(col(DisplaySession.token_hash) == digest(token))).first()
    if row is None or row.ended_at is not None:
        raise DisplayEnded()
    if now >= row.expires_at:
        try:
            with write_session() as session:
                _end(session, col(DisplaySession.id) == row.id, EndReason.EXPIRED, None, now)
        except DatabaseBusy:
            pass  # its time has passed whatever the row says; the next check or listing notes it
        raise DisplayEnded()
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        try:
            with write_session() as session:
                session.execute(update(DisplaySession).where(col(DisplaySession.id) == row.id).values(last_seen_at=now))
        except DatabaseBusy:
            pass  # showing the figures matters more than noting that it did
    return LiveDisplay(row.id, row.region_code, row.expires_at)


def end(actor: User, display_id: int, now: datetime | None = None) -> None:
    """End a display (the national MDT or an administrator): its wall shows the code screen at its next
    refresh. Refused if it had already ended, so nobody is told they ended what had gone already."""
    refusal = _starter_refusal(actor)
    if refusal:
        raise refusal
    now = now or utcnow()
    with write_session() as session:
        if not _end(session, col(DisplaySession.id) == display_id, EndReason.ENDED, actor, now):
            raise ValidationFailed({"_form": "That display had already ended."})


def expire_due(now: datetime | None = None) -> int:
    """Note every display past its end as ended (one transaction and audit row each); how many."""
    now = now or utcnow()
    with read_session() as session:
        due = session.exec(
            select(DisplaySession.id).where(
                col(DisplaySession.started_at).is_not(None),
                col(DisplaySession.ended_at).is_(None),
                col(DisplaySession.expires_at) <= now,
            )
        ).all()
    ended = 0
    for display_id in due:
        with write_session() as session:
            ended += _end(session, col(DisplaySession.id) == display_id, EndReason.EXPIRED, None, now)
    return ended


def live_displays(now: datetime | None = None) -> list[DisplayRow]:
    """Displays started and not ended, soonest to end first."""
    now = now or utcnow()
    with read_session() as session:
        rows = session.exec(
            select(DisplaySession, User.full_name)
            .join(User, col(User.id) == DisplaySession.started_by)
            .where(col(DisplaySession.ended_at).is_(None), col(DisplaySession.expires_at) > now)
            .order_by(col(DisplaySession.expires_at), col(DisplaySession.id))
        ).all()
    return [
        DisplayRow(row.id, row.region_code, row.started_at, name, row.expires_at, row.last_seen_at)
        for row, name in rows
    ]
