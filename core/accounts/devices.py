"""Device cookies for lockout (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
that has signed in to an account holds a long-lived random cookie, and failed sign-ins from it count
against that browser's own small budget, never against the account's. So someone who types wrong
passwords for a reviewer's address from elsewhere locks out only browsers that never signed in as the
reviewer (core/accounts/users.py counts those per account and per client address); the reviewer's own browser
still signs in.

OWASP signs a cookie holding the login and a nonce; here the cookie is 256 random bits and the server
keeps only its SHA-256 hash, per account (`trusted_device`), like the session cookie: an invented or
altered cookie matches no row, there is no signing key to keep, and a row can be locked or removed.
One cookie per browser, trusted for every account that signed in with it (a shared ward computer).
The hashes come from core.accounts.sessions.digest; this module never sees a cookie itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.models import TrustedDevice
from core.platform.db import insert_for

COOKIE_NAME = "derog_device"
# A browser stays trusted this long after its last successful sign-in (the cookie's Max-Age too).
LIFETIME = timedelta(days=180)


def trust(session: Session, device_hash: str, user_id: int, now: datetime) -> None:
    """Note, in the caller's transaction, that this browser has just signed in to this account."""
    session.execute(
        insert_for(session)(TrustedDevice)
        .values(token_hash=device_hash, user_id=user_id, created_at=now, last_signed_in_at=now, failed_count=0)
        .on_conflict_do_update(index_elements=["token_hash", "user_id"], set_={"last_signed_in_at": now})
    )


def trusted(session: Session, device_hash: str | None, user_id: int | None, now: datetime) -> TrustedDevice | None:
    """This browser's row for this account, locked for the caller's update, if the browser signed in to it
    within LIFETIME and has not used up its own budget; None otherwise (the browser counts as unknown)."""
    if device_hash is None or user_id is None:
        return None
    row = session.exec(
        select(TrustedDevice)
        .where(col(TrustedDevice.token_hash) == device_hash, col(TrustedDevice.user_id) == user_id)
        .with_for_update()
    ).first()
    if row is None or row.last_signed_in_at <= now - LIFETIME:
        return None
    if row.locked_until is not None and row.locked_until > now:
        return None  # its own budget is spent: it is an unknown browser until the lock ends (OWASP)
    return row


def unlock_all(session: Session, user_id: int) -> None:
    """Give every browser of this account its budget back (an administrator's unlock)."""
    session.execute(
        update(TrustedDevice)
        .where(col(TrustedDevice.user_id) == user_id)
        .values(failed_count=0, locked_until=None, last_failed_at=None)
    )


def purge(session: Session, now: datetime) -> int:
    """Remove rows of browsers that have not signed in for LIFETIME (their cookie has expired too)."""
    return session.execute(delete(TrustedDevice).where(col(TrustedDevice.last_signed_in_at) <= now - LIFETIME)).rowcount
