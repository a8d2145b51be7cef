"""Helpers for the core tests: file a request, walk it up the route, and prove nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import select

from core import workflow
from core.accounts import users
from core.enums import REGION_ROLES, TRUST_ROLES, Action, Role, Tier
from core.models import AuditEvent, Comment, DerogationRequest, Notification, StrikePeriod, User
from core.platform.db import read_session, write_session
from tests.conftest import TRUST_A, Staff, valid_form

REASON = "Checked with the service and the on-call consultant."
# A fixed clock for tests that place periods and requests in time themselves.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def file_request(
    team: dict[Role, User], period: StrikePeriod, now: datetime | None = None, **overrides
) -> DerogationRequest:
    """Save and submit a valid request as the team's requester; it waits at the clinical director.
    With `now`, the form's times are placed relative to it (see timed_form)."""
    requester = team[Role.REQUESTER]
    form = timed_form(period, now, **overrides) if now else valid_form(period, **overrides)
    draft = workflow.save_draft(requester, form, now=now)
    return workflow.submit(requester, draft.id, draft.version, now=now)


def escalate_to(
    team: dict[Role, User], request: DerogationRequest, tier: Tier, now: datetime | None = None
) -> DerogationRequest:
    """Escalate one tier at a time, each by the team's reviewer for that tier, until `tier` is reached."""
    while request.current_tier != tier.value:
        reviewer = team[Role(request.current_tier)]
        request = workflow.review(reviewer, request.id, request.version, Action.ESCALATE, REASON, now=now)
    return request


def bma_approval(request: DerogationRequest, **overrides) -> workflow.BmaDecision:
    """An approval exactly as wide as the request; override fields to narrow or widen it."""
    values = {
        "approve": True,
        "rationale": "Risk evidenced and mitigations exhausted.",
        "approved_doctors": request.doctors_requested,
        "approved_grades": list(request.grades_requested),
        "approved_window_start": request.window_start,
        "approved_window_end": request.window_end,
        "approved_scope": "Majors only",
    }
    return workflow.BmaDecision(**(values | overrides))


def reload(request_id: int) -> DerogationRequest:
    with read_session() as session:
        return session.get(DerogationRequest, request_id)


def audit_rows(request_id: int | None = None) -> list[AuditEvent]:
    with read_session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if request_id is not None:
            query = query.where(AuditEvent.request_id == request_id)
        return list(session.exec(query).all())


def notifications_for(user: User, request_id: int | None = None) -> list[Notification]:
    with read_session() as session:
        query = select(Notification).where(Notification.user_id == user.id)
        if request_id is not None:
            query = query.where(Notification.request_id == request_id)
        return list(session.exec(query).all())


def _state(request_id: int | None) -> tuple:
    """Everything an action could touch: the request row and the row counts of the tables it writes."""
    with read_session() as session:
        row = session.get(DerogationRequest, request_id) if request_id is not None else None
        counts = tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (DerogationRequest, AuditEvent, Comment, Notification)
        )
        return (row.model_dump() if row else None, counts)


@contextmanager
def nothing_changes(request_id: int | None = None) -> Iterator[None]:
    """Assert that the block leaves the request and every table it could write exactly as they were."""
    before = _state(request_id)
    yield
    assert _state(request_id) == before


def add_period(starts_at: datetime, ends_at: datetime, name: str = "Strike") -> StrikePeriod:
    with write_session() as session:
        period = StrikePeriod(name=name, starts_at=starts_at, ends_at=ends_at)
        session.add(period)
    return period


def timed_form(period: StrikePeriod, now: datetime, **overrides):
    """A valid form whose times are placed relative to `now` (for tests on the fixed clock T0)."""
    times = {
        "risk_from": now + timedelta(hours=1),
        "decision_needed_by": now + timedelta(hours=3),
        "window_start": now + timedelta(hours=4),
        "window_end": now + timedelta(hours=16),
    }
    return valid_form(period, **(times | overrides))


def make_team(staff: Staff, trust: str = TRUST_A, region: str = "Y62") -> dict[Role, User]:
    """What staff.team() makes (one person per role over `trust`), in one transaction instead of seven."""
    made = {}
    with write_session() as session:
        for role in Role:
            staff.count += 1
            made[role] = users.create_user(
                session,
                email=f"{role.value}{staff.count}@test.nhs.uk",
                full_name=f"{role.label} {staff.count}",
                role=role,
                password=None,
                trust_code=trust if role in TRUST_ROLES else None,
                region_code=region if role in REGION_ROLES else None,
            )
    return made


@pytest.fixture
def team(staff: Staff) -> dict[Role, User]:
    return make_team(staff)


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its real cost takes a fifth of a second a hash; tests about rules need not pay it."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("not-a-real-password"))


@pytest.fixture
def fixed_period(db: str) -> StrikePeriod:
    """A strike period around the fixed clock T0: from 12 hours before to 3 days after."""
    return add_period(T0 - timedelta(hours=12), T0 + timedelta(days=3), "Fixed strike")
