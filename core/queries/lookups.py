"""Reference data, strike periods, response targets, the facts the header shows on every page, and what
part of England a viewer's figures cover."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from core.access_control.scope import Scope, ScopeKind
from core.enums import Category, Role, Tier
from core.models import Region, StrikePeriod, Trust, User
from core.platform.clock import format_london
from core.platform.db import read_session
from core.reference import periods
from core.request.timing import tier_targets

ENGLAND = "England"  # the national MDT's figures, in words


def trust_of(code: str | None) -> Trust | None:
    if not code:
        return None
    with read_session() as session:
        return session.get(Trust, code)


def region_name(code: str | None) -> str:
    if not code:
        return ""
    with read_session() as session:
        region = session.get(Region, code)
        return region.name if region else code


def regions() -> list[Region]:
    with read_session() as session:
        return list(session.exec(select(Region).order_by(Region.name)).all())


def trusts_in(region_code: str | None = None) -> list[Trust]:
    with read_session() as session:
        query = select(Trust).order_by(Trust.name)
        if region_code:
            query = query.where(Trust.region_code == region_code)
        return list(session.exec(query).all())


def targets() -> dict[Tier, int]:
    """Each tier's response target in minutes (the defaults unless an administrator changed them)."""
    with read_session() as session:
        return tier_targets(session)


def strike_periods() -> list[StrikePeriod]:
    """Newest first."""
    with read_session() as session:
        return list(session.exec(select(StrikePeriod).order_by(col(StrikePeriod.starts_at).desc())).all())


def periods_now(now: datetime | None = None) -> tuple[StrikePeriod | None, StrikePeriod | None]:
    """The strike period in progress, and the next one to start (core.reference.periods)."""
    with read_session() as session:
        return periods.current(session, now), periods.upcoming(session, now)


def user_scope_label(user: User) -> str:
    """The user's scope in words, for the header."""
    with read_session() as session:
        return scope_label(session, user)


def scope_label(session: Session, user: User) -> str:
    """The scope the user's role gives them, in words (whether or not the account is open: the words are
    shared by everyone with the same role, trust and region)."""
    role = Role(user.role)
    scope = Scope.of_role(role, user.trust_code, user.region_code)
    if scope.trust_code:
        trust = session.get(Trust, scope.trust_code)
        return f"{trust.name} ({trust.ods_code})" if trust else scope.trust_code
    if scope.region_code:
        region = session.get(Region, scope.region_code)
        return region_label(region.name) if region else scope.region_code
    if scope.kind is ScopeKind.BMA_ROUTE:
        return "Requests escalated to the BMA"
    if role is Role.ADMIN:
        return "System administration"
    return "England (national)"


def region_label(name: str) -> str:
    return f"{name} region"


def figures_region(user: User) -> str | None:
    """The region a viewer's figures (live dashboard, post-strike report) cover, as their scope decides
    (core.access_control.scope): a regional medical director's own; None for the national MDT, whose figures
    are England's."""
    return Scope.of(user).region_code


def figures_scope_label(user: User, region_names: Mapping[str, str] | None = None) -> str:
    """What part of England the viewer's figures cover, in words: "England" or "North West region".
    `region_names` (code -> name) saves a read when the caller has them to hand."""
    code = figures_region(user)
    if code is None:
        return ENGLAND
    return region_label(region_names.get(code, code) if region_names is not None else region_name(code))


def category_label(value: str | None) -> str:
    try:
        return Category(value).label if value else ""
    except ValueError:
        return value or ""


def period_label(period: StrikePeriod) -> str:
    return f"{period.name}: {format_london(period.starts_at)} to {format_london(period.ends_at)}"
