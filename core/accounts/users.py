"""Accounts: argon2 password hashes, sign-in with lockout, and administration of users."""

from __future__ import annotations

import ipaddress
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from core.access_control.scope import Scope, ScopeKind, kind_of
from core.accounts import devices, sessions
from core.enums import AdminAction, Role
from core.models import AddressThrottle, LoginThrottle, Region, Trust, TrustedDevice, User, column_limit
from core.platform.clock import utcnow
from core.platform.config import security_settings
from core.platform.db import locked_row, write_session
from core.platform.errors import AuthFailed, NotFound, ValidationFailed
from core.platform.input_checks import DB_INT_MAX, EMAIL_RE, UNSTORABLE_MESSAGE, unstorable, whole, yes_no
from core.records import audit

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's default
# (64 MiB, 4 lanes). Older hashes are upgraded at the next sign-in (authenticate).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Every hash runs on this one thread. Each Streamlit session runs on a thread of its own, and the C
# allocator keeps a freed 19 MiB block in the arena of the thread that used it, so hashing on session
# threads grew the process by 19 MiB a signed-in person. One thread: one block, reused, however many
# sign in at once (a shift change's burst queues, ~20 ms each).
_hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hashing")
MIN_PASSWORD_LENGTH = 10
# Same message whether the e-mail is unknown or the password wrong: it must not reveal who has an account.
GENERIC_FAILURE = "The e-mail address or password is not right. Check them and try again."
# A hash that no password matches, for accounts that cannot sign in with a password.
UNUSABLE_PASSWORD = "!unusable"


def is_row_id(value: object) -> bool:
    """A number that can be a row id (a larger one is an error on PostgreSQL, not a miss)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= DB_INT_MAX


def hash_password(password: str) -> str:
    return _hashing.submit(lambda: _hasher.hash(password)).result()


# Verified when the e-mail is unknown so that a miss costs the same time as a hit.
_DUMMY_HASH = hash_password("not-a-real-password")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hashing.submit(lambda: _hasher.verify(password_hash, password)).result()
    except (VerificationError, InvalidHashError, UnicodeEncodeError):  # a lone surrogate matches no password
        return False


def _needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_scope(role: Role, trust_code: str | None, region_code: str | None, session: Session) -> dict[str, str]:
    """A role's scope (core/access_control/scope.py): a trust's roles need a trust, a region's a region,
    national roles neither."""
    errors: dict[str, str] = {}
    kind = kind_of(role)
    if kind is ScopeKind.TRUST:
        if not trust_code or session.get(Trust, trust_code) is None:
            errors["trust_code"] = "Choose the trust this person works for."
    elif kind is ScopeKind.REGION and (not region_code or session.get(Region, region_code) is None):
        errors["region_code"] = "Choose the NHS England region this person covers."
    return errors


def _scoped(role: Role, trust_code: str | None, region_code: str | None) -> tuple[str | None, str | None]:
    """The codes an account of `role` keeps: only the one its scope needs."""
    scope = Scope.of_role(role, trust_code, region_code)
    return scope.trust_code, scope.region_code


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    role: Role | str,
    password: str | None,
    trust_code: str | None = None,
    region_code: str | None = None,
    job_title: str = "",
    phone: str = "",
    created_by: User | None = None,
) -> User:
    """Create an account inside the caller's transaction (None password: cannot sign in with one)."""
    role = Role(role)
    email = normalise_email(email)
    errors = check_scope(role, trust_code, region_code, session)
    if unstorable(email):
        errors["email"] = UNSTORABLE_MESSAGE
    elif not EMAIL_RE.match(email) or len(email) > column_limit(User.email):
        errors["email"] = "Enter an e-mail address in the right format, like name@nhs.net."
    elif session.exec(select(User).where(User.email == email)).first() is not None:
        errors["email"] = "An account with this e-mail address already exists."
    name_limit, job_limit, phone_limit = (column_limit(c) for c in (User.full_name, User.job_title, User.phone))
    if not full_name.strip() or len(full_name) > name_limit:
        errors["full_name"] = f"Enter the person's full name (up to {name_limit} characters)."
    if len(job_title) > job_limit:
        errors["job_title"] = f"Enter the job title as plain text (up to {job_limit} characters)."
    if len(phone) > phone_limit:
        errors["phone"] = f"Enter the phone number as plain text (up to {phone_limit} characters)."
    for name, value in (("full_name", full_name), ("job_title", job_title), ("phone", phone)):
        if name not in errors and unstorable(value):
            errors[name] = UNSTORABLE_MESSAGE
    if password is not None and (len(password) < MIN_PASSWORD_LENGTH or unstorable(password)):
        errors["password"] = f"The password must be at least {MIN_PASSWORD_LENGTH} characters of ordinary text."
    if errors:
        raise ValidationFailed(errors)
    trust_code, region_code = _scoped(role, trust_code, region_code)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role.value,
        trust_code=trust_code,
        region_code=region_code,
        job_title=job_title.strip(),
        phone=phone.strip(),
        password_hash=hash_password(password) if password is not None else UNUSABLE_PASSWORD,
    )
    return audit.saved(
        session,
        user,
        action=AdminAction.USER_CREATED,
        actor=created_by,
        details=lambda user: {
            "user_id": user.id,
            "email": email,
            "role": role.value,
            "trust_code": trust_code,
            "region_code": region_code,
        },
    )


Budget = LoginThrottle | AddressThrottle | TrustedDevice


def _minutes_locked(budget: Budget, now: datetime) -> int | None:
    if budget.locked_until is None or budget.locked_until <= now:
        return None
    return max(1, math.ceil((budget.locked_until - now).total_seconds() / 60))


def _count_failure(budget: Budget, limit: int, now: datetime) -> bool:
    """One more failure against this budget; True when it used the budget up (now locked). Failures
    further apart than the lockout itself start the count again."""
    settings = security_settings()
    if budget.last_failed_at is not None and budget.last_failed_at < settings.failures_forgotten_before(now):
        budget.failed_count = 0
    budget.failed_count += 1
    budget.last_failed_at = now
    if budget.failed_count < limit:
        return False
    budget.locked_until, budget.failed_count = now + settings.lockout, 0
    return True


def _client_address(address: str | None) -> str | None:
    """The client's address as the server determined it (server/client_address.py); None if there is none."""
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the account, and the one-time ticket the browser redeems for its session
    cookie (core/accounts/sessions.py)."""

    user: User
    ticket: str


def record_sign_in(session: Session, user: User, method: str, now: datetime | None = None) -> SignedIn:
    """Open a session and note who signed in, when and how, in the audit history (the caller's transaction)."""
    now = now or utcnow()
    ticket = sessions.begin(session, user, method, now)
    audit.append(session, action=AdminAction.SIGNED_IN, actor=user, details={"method": method}, at=now)
    return SignedIn(user=user, ticket=ticket)


def authenticate(
    email: str, password: str, now: datetime | None = None, *, device: str | None = None, address: str | None = None
) -> SignedIn:
    """Sign in with a password and open a session, or raise AuthFailed with a message that reveals nothing
    about who exists.
    `device`: the browser's device cookie (core/accounts/devices.py); `address`: the client's address. A browser
    that signed in to this account before has its own budget of failures; any other browser counts
    against the account's budget for unknown browsers and its address's (docs/sessions.md, Lockout).
    Every answer takes at least DEROG_SIGN_IN_FLOOR_MS: a password check costs what its hash's
    parameters say (an account not signed in since the hashes were strengthened takes several times
    the dummy check an unknown address gets), and the time of an answer must not tell who has an
    account. The wait is after the transaction, holding no lock."""
    started = time.monotonic()
    try:
        return _authenticate(email, password, now, device, address)
    finally:
        floor = security_settings().sign_in_floor_ms / 1000
        time.sleep(max(0.0, started + floor - time.monotonic()))


def _budgets(
    session: Session, known: TrustedDevice | None, email: str, address: str | None
) -> list[tuple[str, Budget, int]]:
    """What this attempt counts against, each with its limit: a browser that signed in to the account
    before, only its own budget; any other, the address's budget and the typed address's. Locked in this
    order, then the audit chain's head: the order administrators' actions take them in too."""
    settings = security_settings()
    if known is not None:
        return [("device", known, settings.max_failed_logins)]
    budgets: list[tuple[str, Budget, int]] = []
    if address:
        budgets.append(
            (
                "address",
                locked_row(session, AddressThrottle, "address", address),
                settings.max_failed_logins_per_address,
            )
        )
    budgets.append(("account", locked_row(session, LoginThrottle, "email", email), settings.max_failed_logins))
    return budgets


def _locked_message(kind: str, minutes: int) -> str:
    if kind == "address":
        where = "from this network, in browsers that have not signed in here before,"
    else:
        where = "to this account from this browser"
    return (
        f"Too many failed attempts. Sign-in {where} is locked for about {minutes} more minute(s). "
        "A browser you have signed in with before still works, and an administrator can unlock it sooner."
    )


def _authenticate(email: str, password: str, now: datetime | None, device: str | None, address: str | None) -> SignedIn:
    now = now or utcnow()
    email = normalise_email(email)[: column_limit(User.email)]
    if unstorable(email):
        raise AuthFailed(GENERIC_FAILURE)  # no account can have such an address
    address = _client_address(address)
    failure: str | None = None
    with write_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        device_hash = sessions.digest(device) if sessions.well_formed(device) else None
        known = devices.trusted(session, device_hash, user.id if user is not None else None, now)
        budgets = _budgets(session, known, email, address)
        for kind, budget, _limit in budgets:
            minutes = _minutes_locked(budget, now)
            if minutes is not None:
                raise AuthFailed(_locked_message(kind, minutes))
        valid = user is not None and verify_password(user.password_hash, password)
        if user is None:
            verify_password(_DUMMY_HASH, password)  # same cost as a real check
        if valid and user.active:
            for kind, budget, _limit in budgets:
                if kind != "address" and budget.failed_count:  # an address's count is many people's
                    budget.failed_count, budget.locked_until = 0, None
                    session.add(budget)
            if _needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)  # the right password is in hand only now
                session.add(user)
            return record_sign_in(session, user, "password", now)
        for kind, budget, limit in budgets:
            if _count_failure(budget, limit, now):
                # Who or where was being guessed at, and until when: for whoever looks into it (SECURITY.md).
                details = {"email": email, "locked_until": budget.locked_until.isoformat(), "locked": kind}
                if kind == "address":
                    details["address"] = address
                audit.append(session, action=AdminAction.SIGN_IN_LOCKED, actor=None, details=details, at=now)
            session.add(budget)
        failure = GENERIC_FAILURE
    raise AuthFailed(failure)


def unlock(session: Session, email: str, by: User) -> None:
    """Unlock sign-in for this address: from unknown browsers, and from every browser of its account. Client
    addresses locked now are unlocked too: an outsider's guessing from the network a reviewer shares (one
    NAT, one proxy) must not outlast an administrator's unlock."""
    throttle = session.get(LoginThrottle, normalise_email(email), with_for_update=True)
    if throttle is not None:
        throttle.failed_count, throttle.locked_until = 0, None
        session.add(throttle)
    session.execute(
        update(AddressThrottle)
        .where(col(AddressThrottle.locked_until).is_not(None))
        .values(failed_count=0, locked_until=None, last_failed_at=None)
    )
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is not None:
        devices.unlock_all(session, user.id)
    audit.append(session, action=AdminAction.USER_UNLOCKED, actor=by, details={"email": normalise_email(email)})


def update_user(
    session: Session,
    user_id: int,
    *,
    by: User,
    role: Role | str | None = None,
    trust_code: str | None = None,
    region_code: str | None = None,
    active: bool | None = None,
) -> User:
    user_id, active = whole(user_id, "account id"), yes_no(active, "account's active setting", optional=True)
    user = session.get(User, user_id) if is_row_id(user_id) else None
    if user is None:
        raise NotFound("user")
    new_role = Role(role) if role is not None else Role(user.role)
    errors = check_scope(new_role, trust_code, region_code, session)
    if errors:
        raise ValidationFailed(errors)
    before = {"role": user.role, "trust_code": user.trust_code, "region_code": user.region_code, "active": user.active}
    user.role = new_role.value
    user.trust_code, user.region_code = _scoped(new_role, trust_code, region_code)
    if active is not None:
        user.active = active
    session.add(user)
    after = {"role": user.role, "trust_code": user.trust_code, "region_code": user.region_code, "active": user.active}
    details: dict[str, object] = {"user_id": user.id, "before": before, "after": after}
    if after != before:
        # New powers (or none) start with a new sign-in: no browser keeps acting with the old ones.
        reason = sessions.EndReason.ACCOUNT_CLOSED if not user.active else sessions.EndReason.ACCOUNT_CHANGED
        details["sessions_ended"] = sessions.end_all(session, user.id, reason)
    audit.append(session, action=AdminAction.USER_UPDATED, actor=by, details=details)
    return user


def set_password(session: Session, user_id: int, password: str, by: User | None) -> None:
    user_id = whole(user_id, "account id")
    if len(password) < MIN_PASSWORD_LENGTH or unstorable(password):
        raise ValidationFailed(
            {"password": f"The password must be at least {MIN_PASSWORD_LENGTH} characters of ordinary text."}
        )
    user = session.get(User, user_id) if is_row_id(user_id) else None
    if user is None:
        raise NotFound("user")
    user.password_hash = hash_password(password)
    session.add(user)
    ended = sessions.end_all(session, user.id, sessions.EndReason.PASSWORD_CHANGED)
    audit.append(
        session, action=AdminAction.PASSWORD_SET, actor=by, details={"user_id": user.id, "sessions_ended": ended}
    )
