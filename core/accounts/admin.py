"""What administrators change: accounts, strike periods and response targets. Each change is one
transaction with its audit row, and only an active administrator may make it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from core.accounts import sessions, users
from core.enums import AdminAction, Role, Tier
from core.models import LoginThrottle, StrikePeriod, User, column_limit
from core.platform.clock import format_london, from_london, utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import BadArgument, NotFound, PermissionDenied, ValidationFailed
from core.platform.input_checks import DB_INT_MAX, free_text_problem, unstorable, whole, yes_no
from core.records import audit
from core.request.timing import MAX_TARGET_MINUTES, TARGET_MESSAGE, set_target

MAX_PERIOD_NAME = column_limit(StrikePeriod.name)
USER_LIST_LIMIT = 100


def _admin(session: Session, actor: User) -> User:
    fresh = session.get(User, actor.id) if actor.id is not None else None
    if fresh is None or not fresh.active or Role(fresh.role) is not Role.ADMIN:
        raise PermissionDenied("Only an administrator can do this.")
    return fresh


# ---------------------------------------------------------------- accounts


def list_accounts(actor: User, search: str = "", limit: int = USER_LIST_LIMIT) -> tuple[list[User], int]:
    """Accounts matching `search` (name or e-mail), and how many match in all. Administrators only."""
    limit = whole(limit, "number of accounts to list", low=1, high=10_000)
    where = col(User.id).is_not(None)
    text = search.strip().lower()
    with read_session() as session:
        _admin(session, actor)
        if unstorable(text):
            return [], 0  # no name or address can contain it (and PostgreSQL cannot compare with it)
        if text:
            pattern = f"%{text}%"
            where = or_(func.lower(User.full_name).like(pattern), col(User.email).like(pattern))
        total = session.exec(select(func.count()).select_from(User).where(where)).one()
        found = list(session.exec(select(User).where(where).order_by(User.role, User.email).limit(limit)).all())
    return found, total


def create_account(actor: User, *, password: str | None, **fields: object) -> User:
    """A new account; `password` None for one that signs in only through the identity provider."""
    with write_session() as session:
        admin = _admin(session, actor)
        return users.create_user(session, password=password, created_by=admin, **fields)


def change_account(
    actor: User,
    user_id: int,
    *,
    role: Role | str,
    trust_code: str | None,
    region_code: str | None,
    active: bool,
) -> User:
    user_id, active = whole(user_id, "account id"), yes_no(active, "account's active setting")
    with write_session() as session:
        admin = _admin(session, actor)
        if user_id == admin.id and (not active or Role(role) is not Role.ADMIN):
            raise ValidationFailed({"role": "You cannot remove your own administrator access."})
        return users.update_user(
            session, user_id, by=admin, role=role, trust_code=trust_code, region_code=region_code, active=active
        )


def end_sessions(actor: User, user_id: int) -> int:
    """Sign an account out of every browser now (a lost phone, a shared computer left signed in)."""
    user_id = whole(user_id, "account id")
    with write_session() as session:
        admin = _admin(session, actor)
        if not users.is_row_id(user_id) or session.get(User, user_id) is None:
            raise NotFound("account")
        ended = sessions.end_all(session, user_id, sessions.EndReason.ENDED_BY_ADMIN)
        audit.append(
            session, action=AdminAction.SESSIONS_ENDED, actor=admin, details={"user_id": user_id, "sessions": ended}
        )
        return ended


def signed_in_browsers(actor: User, user_id: int) -> int:
    """How many browsers are signed in as this account now. Administrators only."""
    user_id = whole(user_id, "account id", low=1, high=DB_INT_MAX)
    with read_session() as session:
        _admin(session, actor)
    return sessions.live_count(user_id)


def unlock_account(actor: User, email: str) -> None:
    with write_session() as session:
        users.unlock(session, email, _admin(session, actor))


def reset_password(actor: User, user_id: int, password: str) -> None:
    """A new temporary password, e.g. for someone who forgot theirs; their failed sign-ins are cleared too."""
    user_id = whole(user_id, "account id")
    with write_session() as session:
        admin = _admin(session, actor)
        target = session.get(User, user_id) if users.is_row_id(user_id) else None
        if target is not None:
            # The throttle row before the audit chain's head, the order a sign-in takes them in
            # (PostgreSQL would otherwise find the two deadlocked).
            throttle = session.get(LoginThrottle, target.email, with_for_update=True)
            if throttle is not None:
                throttle.failed_count, throttle.locked_until = 0, None
                session.add(throttle)
                session.flush()
        users.set_password(session, user_id, password, by=admin)


def locked_emails(actor: User, emails: list[str], now: datetime | None = None) -> set[str]:
    """Which of these addresses cannot sign in just now (one query for the whole list). Administrators only."""
    with read_session() as session:
        _admin(session, actor)
        if not emails:
            return set()
        return set(
            session.exec(
                select(LoginThrottle.email).where(
                    col(LoginThrottle.email).in_([users.normalise_email(e) for e in emails]),
                    col(LoginThrottle.locked_until) > (now or utcnow()),
                )
            ).all()
        )


# ---------------------------------------------------------------- strike periods


def save_period(
    actor: User,
    *,
    name: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    period_id: int | None = None,
    now: datetime | None = None,
) -> StrikePeriod:
    """Create or change a strike period (times typed in London); periods may not overlap."""
    period_id = whole(period_id, "strike period id", optional=True)
    if period_id is not None and not 0 < period_id <= DB_INT_MAX:
        raise NotFound("strike period")
    now = now or utcnow()
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > MAX_PERIOD_NAME:
        errors["name"] = f"Enter a name of up to {MAX_PERIOD_NAME} characters, like 'July 2025 strike'."
    elif problem := free_text_problem(name):
        errors["name"] = problem
    if starts_at is None:
        errors["starts_at"] = "Enter when the strike action starts."
    if ends_at is None:
        errors["ends_at"] = "Enter when the strike action ends."
    if errors:
        raise ValidationFailed(errors)
    start, end = from_london(starts_at), from_london(ends_at)
    if end <= start:
        raise ValidationFailed({"ends_at": "The end must be after the start."})
    with write_session() as session:
        admin = _admin(session, actor)
        clash = session.exec(
            select(StrikePeriod).where(
                StrikePeriod.starts_at < end,
                StrikePeriod.ends_at > start,
                StrikePeriod.id != (period_id or -1),
            )
        ).first()
        if clash is not None:
            raise ValidationFailed(
                {
                    "starts_at": f"This overlaps '{clash.name}' ({format_london(clash.starts_at)} to "
                    f"{format_london(clash.ends_at)}). Change that period instead."
                }
            )
        if period_id is None:
            period = StrikePeriod(name=name, starts_at=start, ends_at=end)
            before: dict = {}
        else:
            period = session.get(StrikePeriod, period_id)
            if period is None:
                raise NotFound("strike period")
            before = {
                "name": period.name,
                "starts_at": period.starts_at.isoformat(),
                "ends_at": period.ends_at.isoformat(),
            }
            period.name, period.starts_at, period.ends_at = name, start, end
        if end > now:
            period.expired_processed_at = None  # moved into the future: expire its requests when it ends
        return audit.saved(
            session,
            period,
            action=AdminAction.PERIOD_CREATED if period_id is None else AdminAction.PERIOD_UPDATED,
            actor=admin,
            details=lambda period: {
                "period_id": period.id,
                "before": before,
                "after": {"name": name, "starts_at": start.isoformat(), "ends_at": end.isoformat()},
            },
            at=now,
        )


# ---------------------------------------------------------------- response targets


def save_targets(actor: User, minutes: dict[Tier, int], now: datetime | None = None) -> None:
    """Set every tier's response target at once; all or nothing."""
    if not isinstance(minutes, dict) or not all(isinstance(tier, Tier) for tier in minutes):
        raise BadArgument("set of response targets")
    errors: dict[str, str] = {}
    for tier, value in minutes.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TARGET_MINUTES:
            errors[f"target.{tier.value}"] = TARGET_MESSAGE
    if errors:
        raise ValidationFailed(errors)
    with write_session() as session:
        admin = _admin(session, actor)
        for tier, value in minutes.items():
            set_target(session, tier, value)
        audit.append(
            session,
            action=AdminAction.TARGETS_UPDATED,
            actor=admin,
            details={tier.value: value for tier, value in minutes.items()},
            at=now or utcnow(),
        )
