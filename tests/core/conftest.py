"""Helpers for the core tests: the builders of ops/builders.py under the names the tests use, the team and
period fixtures, and proof that nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import select

from core.accounts import users
from core.enums import Role
from core.models import AuditEvent, Comment, DerogationRequest, Notification, StrikePeriod, User
from core.platform.db import read_session
from core.request.form import RequestForm
from ops import builders
from ops.builders import REASON, add_period, escalate_to, file_request
from ops.builders import approval as bma_approval
from tests.conftest import TRUST_A, Staff

# The builders the core tests import from here (ops/builders.py holds them for the seeds as well).
__all__ = ["REASON", "add_period", "bma_approval", "escalate_to", "file_request"]

# A fixed clock for tests that place periods and requests in time themselves.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


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


def make_team(staff: Staff, trust: str = TRUST_A, region: str = "Y62") -> dict[Role, User]:
    """staff.team(): one person per role over `trust` (ops.builders.make_team, numbered after staff's others)."""
    return staff.team(trust, region)


def timed_form(period: StrikePeriod, now: datetime, **overrides: object) -> RequestForm:
    """A valid form whose times are placed relative to `now` (for tests on the fixed clock T0)."""
    return builders.request_form(now=now, **overrides)


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
