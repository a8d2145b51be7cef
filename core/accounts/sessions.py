"""Server-side sessions: who a browser is signed in as, for how long, and the moment that ends.

A sign-in (password or identity provider) creates a `user_session` row and a one-time ticket. The
browser redeems the ticket at a small HTTP route (server/routes.py), which sets the session id in an
HttpOnly cookie; every later page run, callback, download and live refresh hands that id to `check`,
which reads the row and the account afresh. Only SHA-256 hashes of the ticket and the session id are
stored: a copy of the table signs nobody in. Rules: docs/sessions.md.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete, func, update
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col, select

from core.accounts import devices
from core.enums import AdminAction
from core.models import AddressThrottle, TrustedDevice, User, UserSession
from core.platform.clock import utcnow
from core.platform.config import security_settings
from core.platform.db import DatabaseBusy, read_session, write_session
from core.platform.errors import DerogationError
from core.records import audit

COOKIE_NAME = "derog_session"
# A ticket travels in one redirect right after sign-in; a minute is ample, and it works once.
TICKET_LIFETIME = timedelta(seconds=60)
# Activity is written at most this often: a click is not a write, and idle time is still exact to it.
TOUCH_EVERY = timedelta(seconds=15)
# Ended and expired rows are kept this long (who was signed in when), then removed by upkeep.
KEEP_ENDED = timedelta(days=30)
_SECRET_BYTES = 32  # 256 bits
_MAX_SECRET_LENGTH = 100  # a longer cookie or ticket is not one of ours: no need to hash it


class EndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    ENDED_BY_ADMIN = "ended_by_admin"
    PASSWORD_CHANGED = "password_changed"
    ACCOUNT_CHANGED = "account_changed"
    ACCOUNT_CLOSED = "account_closed"
    IDLE = "idle"
    EXPIRED = "expired"
    REPLACED = "replaced"


ENDED_MESSAGES = {
    EndReason.SIGNED_OUT: "You have signed out.",
    EndReason.SIGNED_OUT_EVERYWHERE: "You signed out on every device. Sign in again to carry on.",
    EndReason.ENDED_BY_ADMIN: "An administrator ended your session. Sign in again to carry on.",
    EndReason.PASSWORD_CHANGED: "Your password was changed, so you were signed out. Sign in with the new password.",
    EndReason.ACCOUNT_CHANGED: "An administrator changed your role or scope. Sign in again to carry on with it.",
    EndReason.ACCOUNT_CLOSED: "Your account is no longer active. Ask an administrator if you think this is wrong.",
    EndReason.IDLE: "You were signed out because you were inactive. Sign in again to carry on.",
    EndReason.EXPIRED: "You were signed out because your session reached its time limit. Sign in again to carry on.",
    EndReason.REPLACED: "You signed in again in this browser, so this page's earlier session ended. Reload the page.",
}


def end_reason(value: object) -> EndReason | None:
    """The reason a stored row or an address gives, if it is one of ours (anything else is None)."""
    try:
        return EndReason(value)
    except ValueError:
        return None


def safe_return_path(address: str | None) -> str:
    """A path and query on this server to go back to after signing in; anything else (another host, a
    scheme, a control character, the session routes themselves) is '/'."""
    if not isinstance(address, str) or not address or any(ord(ch) < 32 for ch in address):
        return "/"
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("//", "/\\")):
        return "/"
    if parts.path.startswith("/session/"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SessionEnded(DerogationError):
    """No live session: `str(exc)` says why ('' when there never was one in this browser)."""

    def __init__(self, reason: EndReason | None = None) -> None:
        self.reason = reason
        super().__init__(ENDED_MESSAGES[reason] if reason else "")


@dataclass(frozen=True)
class LiveSession:
    """A checked session: the account as it is now, and when the session will end if nothing happens."""

    user: User
    signs_out_at: datetime  # the idle deadline or the absolute expiry, whichever comes first


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=security_settings().idle_timeout_minutes)


def new_secret() -> str:
    """A random secret for a ticket, a session id or a device cookie (256 bits, URL-safe)."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def begin(session: Session, user: User, method: str, now: datetime | None = None) -> str:
    """Open a session for `user` inside the caller's sign-in transaction; return its one-time ticket."""
    now = now or utcnow()
    ticket = new_secret()
    session.add(
        UserSession(
            user_id=user.id,
            ticket_hash=digest(ticket),
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=security_settings().session_max_hours),
        )
    )
    return ticket


def well_formed(secret: object) -> bool:
    return isinstance(secret, str) and 0 < len(secret) <= _MAX_SECRET_LENGTH


def swap_for_token(
    session: Session,
    one_time_hash: InstrumentedAttribute[str | None],
    secret: str,
    still_valid: list[ColumnElement[bool]],
    now: datetime,
) -> str | None:
    """Swap a one-time secret (a sign-in ticket, a wall display's claim) for a new token, the id its cookie
    will hold: the secret's hash cleared and the token's stored in one UPDATE, so of two requests racing
    with the same secret exactly one matches the row. The token, or None if no valid row matched."""
    token = new_secret()
    swapped = session.execute(
        update(one_time_hash.class_)
        .where(col(one_time_hash) == digest(secret), *still_valid)
        .values({one_time_hash.key: None, "token_hash": digest(token), "last_seen_at": now})
    )
    return token if swapped.rowcount == 1 else None


def device_for_browser(presented: str | None) -> str:
    """The device cookie (core/accounts/devices.py) a browser keeps after signing in: the one it presents if this
    server issued it (some account trusts its hash), else a new one. A value planted in the browser by
    another site (cookie tossing from a sibling domain) is never adopted, so it cannot buy a budget of its own."""
    if well_formed(presented):
        with read_session() as session:
            if session.exec(
                select(TrustedDevice.user_id).where(col(TrustedDevice.token_hash) == digest(presented))
            ).first():
                return presented
    return new_secret()


def redeem(
    ticket: str, replacing: str | None = None, now: datetime | None = None, *, device: str | None = None
) -> str | None:
    """Swap a fresh ticket for the session id the cookie will hold (once); None if it is not valid.
    `replacing`: the session this browser's cookie named until now, which ends in the same transaction
    (a browser holds one session: signing in again, perhaps as someone else, ends the earlier one).
    `device`: this browser's device cookie (core/accounts/devices.py), trusted from now on for the account."""
    if not well_formed(ticket):
        return None
    now = now or utcnow()
    with write_session() as session:
        still_valid = [col(UserSession.revoked_at).is_(None), col(UserSession.created_at) > now - TICKET_LIFETIME]
        token = swap_for_token(session, UserSession.ticket_hash, ticket, still_valid, now)
        if token is None:
            return None
        if well_formed(replacing):  # only once the ticket is good: a refused one ends nothing
            _end_where(session, col(UserSession.token_hash) == digest(replacing), EndReason.REPLACED, now)
        if well_formed(device):
            user_id = session.exec(
                select(UserSession.user_id).where(col(UserSession.token_hash) == digest(token))
            ).one()
            devices.trust(session, digest(device), user_id, now)
        return token


def check(token: str | None, *, activity: bool = True, now: datetime | None = None) -> LiveSession:
    """The live session a browser's cookie names, with its account read afresh; SessionEnded if none.

    `activity`: a person did something (a click, a page). An automatic refresh passes False, so an open
    dashboard does not keep its session alive."""
    if not well_formed(token):
        raise SessionEnded()
    now = now or utcnow()
    with read_session() as session:
        found = session.exec(
            select(UserSession, User)
            .join(User, col(User.id) == UserSession.user_id)
            .where(col(UserSession.token_hash) == digest(token))
        ).first()
    if found is None:
        raise SessionEnded()
    row, user = found
    if row.revoked_at is not None:
        raise SessionEnded(end_reason(row.ended_reason) or EndReason.SIGNED_OUT)
    if not user.active:
        raise SessionEnded(EndReason.ACCOUNT_CLOSED)
    lapsed = (
        EndReason.EXPIRED
        if now >= row.expires_at
        else EndReason.IDLE
        if now - row.last_seen_at > _idle_limit()
        else None
    )
    if lapsed is not None:
        _mark_ended(row.id, lapsed, now)
        raise SessionEnded(lapsed)
    last_seen = row.last_seen_at
    if activity and now - last_seen >= TOUCH_EVERY:
        try:
            with write_session() as session:
                touched = session.execute(
                    update(UserSession)
                    .where(col(UserSession.id) == row.id, col(UserSession.revoked_at).is_(None))
                    .values(last_seen_at=now)
                )
            if touched.rowcount == 0:  # ended between the read and the write: the ending wins
                raise SessionEnded(EndReason.SIGNED_OUT)
            last_seen = now
        except DatabaseBusy:
            pass  # a busy database must not refuse the person: the next click notes the activity
    return LiveSession(user=user, signs_out_at=min(last_seen + _idle_limit(), row.expires_at))


def _end_where(session: Session, which: ColumnElement[bool], reason: EndReason, now: datetime) -> None:
    """End the sessions `which` names that have not ended yet (an ended one keeps its first reason)."""
    session.execute(
        update(UserSession)
        .where(which, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now, ended_reason=reason.value)
    )


def _mark_ended(row_id: int, reason: EndReason, now: datetime) -> None:
    """Note on the row that it lapsed, so that it reads as ended like any other (best effort)."""
    try:
        with write_session() as session:
            _end_where(session, col(UserSession.id) == row_id, reason, now)
    except DatabaseBusy:
        pass  # the row's times already end it; the note can wait for the next check


def _live(now: datetime):  # noqa: ANN202 - a SQL condition
    """A session a browser can still use: redeemed, not ended, within its lifetime and its idle limit."""
    return (
        col(UserSession.revoked_at).is_(None)
        & col(UserSession.token_hash).is_not(None)
        & (col(UserSession.expires_at) > now)
        & (col(UserSession.last_seen_at) >= now - _idle_limit())
    )


def end_all(session: Session, user_id: int, reason: EndReason, now: datetime | None = None) -> int:
    """End every session of an account inside the caller's transaction; how many of them were live
    (what a person would count as 'signed in': not the lapsed ones nobody had marked yet)."""
    now = now or utcnow()
    live = session.exec(
        select(func.count()).select_from(UserSession).where(col(UserSession.user_id) == user_id, _live(now))
    ).one()
    _end_where(session, col(UserSession.user_id) == user_id, reason, now)
    return live


def last_ended_at(session: Session, user_id: int) -> datetime | None:
    """When a session of this account last ended (any reason); None if none has."""
    return session.exec(select(func.max(UserSession.revoked_at)).where(col(UserSession.user_id) == user_id)).one()


def sign_out(token: str | None, now: datetime | None = None) -> None:
    """End this browser's session (every tab of it); recorded in the audit history. Idempotent."""
    if not well_formed(token):
        return
    now = now or utcnow()
    with write_session() as session:
        row = session.exec(
            select(UserSession).where(col(UserSession.token_hash) == digest(token)).with_for_update()
        ).first()
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.ended_reason = now, EndReason.SIGNED_OUT.value
        session.add(row)
        user = session.get(User, row.user_id)
        audit.append(session, action=AdminAction.SIGNED_OUT, actor=user, details={"session_id": row.id}, at=now)


def sign_out_everywhere(token: str | None, now: datetime | None = None) -> int:
    """End every session of the account this browser was signed in as (every browser, every device).
    A session that has already ended here still names its account: a person who walked away from a
    shared computer and asks from there must not be told it worked when nothing was ended.
    SessionEnded when the cookie names no session at all."""
    if not well_formed(token):
        raise SessionEnded()
    now = now or utcnow()
    with write_session() as session:
        found = session.exec(select(UserSession.user_id).where(col(UserSession.token_hash) == digest(token))).first()
        if found is None:
            raise SessionEnded()
        user = session.get(User, found)
        ended = end_all(session, user.id, EndReason.SIGNED_OUT_EVERYWHERE, now)
        audit.append(
            session,
            action=AdminAction.SESSIONS_ENDED,
            actor=user,
            details={"user_id": user.id, "sessions": ended},
            at=now,
        )
    return ended


def live_count(user_id: int, now: datetime | None = None) -> int:
    """How many browsers are signed in as this account now (shown to administrators)."""
    now = now or utcnow()
    with read_session() as session:
        return session.exec(
            select(func.count()).select_from(UserSession).where(col(UserSession.user_id) == user_id, _live(now))
        ).one()


def purge(now: datetime | None = None) -> int:
    """Remove sessions that ended (or could no longer be used) more than KEEP_ENDED ago, browsers no
    longer trusted (core/accounts/devices.py) and client addresses' counts of failed sign-ins that have
    lapsed."""
    now = now or utcnow()
    cutoff = now - KEEP_ENDED
    with write_session() as session:
        devices.purge(session, now)
        _forget_lapsed_addresses(session, now)
        removed = session.execute(
            delete(UserSession).where(
                (col(UserSession.expires_at) < cutoff)
                | (col(UserSession.revoked_at) < cutoff)
                | (col(UserSession.last_seen_at) < cutoff)
            )
        )
        return removed.rowcount


def _forget_lapsed_addresses(session: Session, now: datetime) -> None:
    """A client address (personal data) is kept only while its count can still lock: unlocked, and its last
    failure old enough that its count would start again anyway (the same rule as core.accounts.users)."""
    lapsed = security_settings().failures_forgotten_before(now)
    session.execute(
        delete(AddressThrottle).where(
            (col(AddressThrottle.locked_until).is_(None)) | (col(AddressThrottle.locked_until) <= now),
            (col(AddressThrottle.last_failed_at).is_(None)) | (col(AddressThrottle.last_failed_at) < lapsed),
        )
    )
