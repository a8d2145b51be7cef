"""Personal details kept only as long as needed (docs/retention.md).

- The contact details of a request (name, role, phone, e-mail of the trust's contact) are removed once its
  strike period ended more than DEROG_CONTACT_RETENTION_MONTHS ago (default 24); a draft never filed counts
  from when it was started. The request, its figures, its reasons and its audit history stay.
- An account closed longer than the same limit keeps its audit trail under a pseudonym: its name, e-mail,
  job title and phone are replaced, and so are its name and address in the audit rows that hold them (the
  chain stays intact: core.records.audit's redactions).
- An address typed at a sign-in that was locked out or unlocked, which belongs to no account, is removed
  from those audit rows after the same limit, with the sign-in throttle's rows for it.
- E-mails sent (or given up) longer ago than the limit are deleted from the outbox.

`python -m ops retention` shows what is due (`--apply` removes it); the mail worker applies it once a day.
Each removal is one transaction with its audit rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from core.accounts.users import UNUSABLE_PASSWORD
from core.enums import AdminAction
from core.models import AuditEvent, DerogationRequest, EmailOutbox, LoginThrottle, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import _positive
from core.platform.db import read_session, write_session
from core.platform.errors import DerogationError
from core.records import audit

MONTHS_SETTING = "DEROG_CONTACT_RETENTION_MONTHS"
DEFAULT_MONTHS = 24
CONTACT_FIELDS = ("contact_name", "contact_role", "contact_phone", "contact_email")
# Rows that may hold another account's e-mail address in their details (core.accounts.users).
ABOUT_ACCOUNTS = [
    a.value
    for a in (AdminAction.USER_CREATED, AdminAction.USER_UPDATED, AdminAction.USER_UNLOCKED, AdminAction.SIGN_IN_LOCKED)
]
# Rows that hold an address typed at sign-in, which may belong to no account (core.accounts.users).
TYPED_ADDRESS = [AdminAction.SIGN_IN_LOCKED.value, AdminAction.USER_UNLOCKED.value]
REMOVED = "(removed)"
PSEUDONYM_DOMAIN = "pseudonymised.invalid"  # .invalid can never be a real address (RFC 2606)


def retention_months() -> int:
    return int(_positive(MONTHS_SETTING, DEFAULT_MONTHS))


def cutoff(now: datetime, months: int) -> datetime:
    """`now` less `months` calendar months (the 31st falls back to the month's last day)."""
    month_index = now.year * 12 + now.month - 1 - months
    year, month = divmod(month_index, 12)
    for day in range(now.day, 27, -1):
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    return now.replace(year=year, month=month + 1, day=min(now.day, 28))


def pseudonym(user_id: int) -> tuple[str, str]:
    """The name and e-mail address a closed account is kept under."""
    return f"Closed account {user_id}", f"closed-account-{user_id}@{PSEUDONYM_DOMAIN}"


class ChainBroken(DerogationError):
    def __init__(self, report: audit.ChainReport) -> None:
        super().__init__(
            f"The audit chain is broken at row {report.first_bad_id} ({report.problem}): no account was "
            "pseudonymised. Run `python -m ops verify-audit`."
        )


@dataclass(frozen=True)
class Due:
    """What retention would remove now: requests whose contact details are past the limit, and accounts
    closed longer than it."""

    cutoff: datetime
    request_ids: list[int]
    account_ids: list[int]
    address_rows: list[int]  # audit rows holding an address typed at sign-in that is no account's
    mail_ids: list[int]  # e-mails sent (or given up) before the limit: addresses, names and request details

    def __bool__(self) -> bool:
        return bool(self.request_ids or self.account_ids or self.address_rows or self.mail_ids)


def _requests_due(session: Session, before: datetime) -> list[int]:
    has_contact = or_(*(getattr(DerogationRequest, name) != "" for name in CONTACT_FIELDS))
    ended = select(StrikePeriod.id).where(StrikePeriod.ends_at < before)
    old = or_(
        col(DerogationRequest.strike_period_id).in_(ended),
        (col(DerogationRequest.strike_period_id).is_(None)) & (DerogationRequest.created_at < before),
    )
    return list(session.exec(select(DerogationRequest.id).where(has_contact, old).order_by(DerogationRequest.id)))


def _closed_at(session: Session) -> dict[int, datetime]:
    """When each account was last closed, from the audit history (an account closed by an update)."""
    closed: dict[int, datetime] = {}
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.action == AdminAction.USER_UPDATED.value).order_by(AuditEvent.id)
    )
    for row in rows:
        user_id, after = row.details.get("user_id"), row.details.get("after") or {}
        if isinstance(user_id, int) and after.get("active") is False:
            closed[user_id] = row.at
    return closed


def _accounts_due(session: Session, before: datetime) -> list[int]:
    closed = _closed_at(session)
    accounts = session.exec(
        select(User).where(col(User.active).is_(False), col(User.email).not_like(f"%@{PSEUDONYM_DOMAIN}"))
    )
    due = []
    for user in accounts:
        when = closed.get(user.id, user.created_at)  # never open: from when it was made
        if when.replace(tzinfo=when.tzinfo or before.tzinfo) < before:
            due.append(user.id)
    return sorted(due)


def due(now: datetime | None = None, months: int | None = None) -> Due:
    """What retention would remove (the dry run)."""
    before = cutoff(now or utcnow(), months or retention_months())
    with read_session() as session:
        addresses = [row.id for row in _typed_addresses_due(session, before)]
        return Due(
            before,
            _requests_due(session, before),
            _accounts_due(session, before),
            addresses,
            _mail_due(session, before),
        )


def _mail_due(session: Session, before: datetime) -> list[int]:
    done = or_(EmailOutbox.sent_at < before, EmailOutbox.failed_at < before)  # never one still to send
    return list(session.exec(select(EmailOutbox.id).where(done).order_by(EmailOutbox.id)))


def _typed_addresses_due(session: Session, before: datetime) -> list[AuditEvent]:
    accounts = set(session.exec(select(User.email)))
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action).in_(TYPED_ADDRESS), AuditEvent.at < before)
        .order_by(AuditEvent.id)
    )
    return [row for row in rows if row.details.get("email") not in (None, REMOVED, *accounts)]


def _remove_typed_addresses(session: Session, rows: list[AuditEvent], before: datetime) -> None:
    """Addresses typed at sign-in that are no account's, out of the audit rows and the throttle; recorded."""
    changed: list[tuple[AuditEvent, str]] = []
    for row in rows:
        row.details = row.details | {"email": REMOVED}
        session.add(row)
        changed.append((row, audit.compute_hash(row)))
    accounts = select(User.email)
    session.execute(
        delete(LoginThrottle).where(col(LoginThrottle.email).not_in(accounts), LoginThrottle.last_failed_at < before)
    )
    session.flush()
    audit.append(session, action=AdminAction.ADDRESSES_REMOVED, actor=None, details=audit.redacted(changed))


def _replaced(value: object, personal: dict[str, str]) -> object:
    """`value` (an audit row's details) with each string that is one of the account's details replaced."""
    if isinstance(value, str):
        return personal.get(value, value)
    if isinstance(value, dict):
        return {key: _replaced(inner, personal) for key, inner in value.items()}
    if isinstance(value, list):
        return [_replaced(inner, personal) for inner in value]
    return value


def _pseudonymise(session: Session, user: User) -> int:
    """Replace the account's details, and its name and address in the audit rows that hold them; record it."""
    name, email = pseudonym(user.id)
    personal = {text: email if "@" in text else name for text in (user.full_name, user.email) if text}
    changed: list[tuple[AuditEvent, str]] = []
    candidates = session.exec(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == user.id, col(AuditEvent.action).in_(ABOUT_ACCOUNTS)))
        .order_by(AuditEvent.id)
    )
    for row in candidates:
        actor_name = name if row.actor_id == user.id else row.actor_name
        details = _replaced(row.details, personal)
        if (actor_name, details) == (row.actor_name, row.details):
            continue
        row.actor_name, row.details = actor_name, details
        session.add(row)
        changed.append((row, audit.compute_hash(row)))
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == user.email))
    session.execute(delete(EmailOutbox).where(EmailOutbox.to_address == user.email))  # mail it was sent
    user.full_name, user.email, user.job_title, user.phone = name, email, "", ""
    user.password_hash = UNUSABLE_PASSWORD
    session.add(user)
    session.flush()
    details = {"user_id": user.id} | audit.redacted(changed)
    audit.append(session, action=AdminAction.ACCOUNT_PSEUDONYMISED, actor=None, details=details)
    return len(changed)


def apply(now: datetime | None = None, months: int | None = None) -> Due:
    """Remove what is due, in one transaction with its audit rows; what was removed."""
    before = cutoff(now or utcnow(), months or retention_months())
    with write_session() as session:
        request_ids = _requests_due(session, before)
        if request_ids:
            session.execute(
                update(DerogationRequest)
                .where(col(DerogationRequest.id).in_(request_ids))
                .values(**dict.fromkeys(CONTACT_FIELDS, ""))
                .execution_options(synchronize_session=False)
            )
            audit.append(
                session,
                action=AdminAction.CONTACTS_REMOVED,
                actor=None,
                details={"before": before.isoformat(), "requests": len(request_ids), "first_id": request_ids[0]},
            )
        account_ids, addresses = _accounts_due(session, before), _typed_addresses_due(session, before)
        if (account_ids or addresses) and not (chain := audit.verify_chain(session)).ok:
            raise ChainBroken(chain)  # recording a row's new content would hide an edit made before
        for user_id in account_ids:
            _pseudonymise(session, session.get(User, user_id))
        if addresses:
            _remove_typed_addresses(session, addresses, before)
        mail_ids = _mail_due(session, before)
        session.execute(delete(EmailOutbox).where(col(EmailOutbox.id).in_(mail_ids)))  # not audited, as sending is not
    return Due(before, request_ids, account_ids, [row.id for row in addresses], mail_ids)
