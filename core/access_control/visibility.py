"""Who may see which requests and open which pages: every list and load of requests is scoped here, by the
user's Scope (core/access_control/scope.py, where a role's scope is decided). What a person may do to one
request they can see is asked of core/access_control/permissions.py, which never asks back."""

from __future__ import annotations

import operator
import re

from sqlalchemy import ColumnElement, and_, false
from sqlmodel import Session, select

from core.access_control.scope import Scope, reviewer_tier
from core.enums import Role, Status, Tier
from core.models import DerogationRequest, RequestTally, User
from core.platform.errors import NotFound
from core.platform.input_checks import DB_INT_MAX, whole


def scope_key(user: User) -> tuple:
    """Everything of a user that the filters below read: two users with the same key see the same
    requests, so what is built or counted for one scope can be shared by everyone in it."""
    return (user.role, user.trust_code, user.region_code, bool(user.active))


def visible_filter(user: User) -> ColumnElement[bool]:
    """SQL condition for the requests `user` may see (their Scope's). Every list and load goes through it."""
    return Scope.of(user).visible_filter()


def strike_period_id(period_id: object) -> int | None:
    """A strike period's id as code passes it (None: no period), checked before it names a query or a
    cached statement: True would otherwise read as period 1."""
    return whole(period_id, "strike period", optional=True, high=DB_INT_MAX)


def period_filter(user: User, period_id: int | None) -> ColumnElement[bool]:
    """The submitted requests of one strike period that `user` may see: what the live dashboard and the
    post-strike report count. No period, no requests."""
    period_id = strike_period_id(period_id)
    if period_id is None:
        return false()
    return and_(
        visible_filter(user),
        DerogationRequest.strike_period_id == period_id,
        DerogationRequest.status != Status.DRAFT.value,
    )


def tally_filter(user: User, table: type = RequestTally) -> ColumnElement[bool] | None:
    """visible_filter on a running tally, or None where the user's scope must be counted from the requests
    (Scope.tally_filter)."""
    return Scope.of(user).tally_filter(table)


def request_id_from(value: object) -> int | None:
    """An id as code passes it (an integer, numpy's too) or a deep link carries it (decimal text);
    anything else is no id: int() alone would turn True, 1.0 or b"1" into request 1."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,18}", value.strip()):
            return None
        number = int(value)
    elif isinstance(value, bool):
        return None
    else:
        try:
            number = operator.index(value)
        except TypeError:
            return None
    return number if 0 < number <= DB_INT_MAX else None


def load_visible(session: Session, user: User, request_id: object, *, for_update: bool = False) -> DerogationRequest:
    """The request if `user` may see it; otherwise NotFound, exactly as for an id that does not exist."""
    request_id = request_id_from(request_id)
    if request_id is None:
        raise NotFound()
    query = select(DerogationRequest).where(DerogationRequest.id == request_id, visible_filter(user))
    if for_update:
        query = query.with_for_update()
    found = session.exec(query).first()
    if found is None:
        raise NotFound()
    return found


def queue_filter(user: User, tier: Tier) -> ColumnElement[bool]:
    """Requests waiting at `tier` that `user` may act on (their own tier only)."""
    if reviewer_tier(user) is not tier:
        return false()
    return and_(
        visible_filter(user),
        DerogationRequest.status == Status.IN_REVIEW.value,
        DerogationRequest.current_tier == tier.value,
    )


# Which roles may open which page; app.py builds the navigation from this and each page asks it again.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "file_request": frozenset({Role.REQUESTER}),
    "my_requests": frozenset({Role.REQUESTER}),
    "review_queue": frozenset({Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT, Role.BMA}),
    "request_detail": frozenset(Role) - {Role.ADMIN},
    "dashboard": frozenset({Role.NATIONAL_MDT, Role.REGIONAL_MD}),
    "requests_list": frozenset({Role.NATIONAL_MDT, Role.REGIONAL_MD}),
    "report": frozenset({Role.NATIONAL_MDT, Role.REGIONAL_MD}),
    "cover_register": frozenset(
        {Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT}
    ),  # core/request/cover_register.py
    "inbox": frozenset(Role),
    "admin": frozenset({Role.ADMIN}),
    "wall_displays": frozenset({Role.NATIONAL_MDT, Role.ADMIN}),
}


def may_open(user: User | None, page: str) -> bool:
    return user is not None and user.active and Role(user.role) in PAGE_ROLES.get(page, frozenset())
