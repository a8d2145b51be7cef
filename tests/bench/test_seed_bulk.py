"""The benchmark's bulk seed writes what the workflow would: a valid audit chain, requests open at every
tier in the strike period in progress, and dashboard figures that the naive baseline reproduces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bench.naive import naive_headline
from bench.seed_bulk import seed_bulk
from core.enums import OPEN_STATUSES, Action, Role, Status, Tier
from core.models import AuditEvent, DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, read_session
from core.queries import dashboard_breakdown, headline
from core.records import audit, integrity
from ops.builders import add_period, approve, escalate_to, file, make_team, request_form


def test_bulk_seed_is_realistic_and_its_audit_chain_verifies(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    counts = seed_bulk(url, 400)
    monkeypatch.setenv("DATABASE_URL", url)
    dispose_engines()
    with read_session() as session:
        assert audit.verify_chain(session).ok
        statuses = dict(
            session.exec(select(DerogationRequest.status, func.count()).group_by(DerogationRequest.status)).all()
        )
        open_tiers = set(
            session.exec(
                select(DerogationRequest.current_tier).where(
                    col(DerogationRequest.status).in_([s.value for s in OPEN_STATUSES])
                )
            ).all()
        )
        per_request = session.exec(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.request_id).is_not(None))
        ).one()
        period = session.exec(select(StrikePeriod).order_by(col(StrikePeriod.starts_at).desc())).first()
        national = session.exec(select(User).where(User.role == Role.NATIONAL_MDT.value)).first()
    assert sum(statuses.values()) == counts["requests"] == 400
    assert counts["open"] == 100  # a quarter at this size (300 at 10,000 and above)
    assert open_tiers == {tier.value for tier in Tier}
    for closed in (Status.APPROVED, Status.DECLINED, Status.RESOLVED_LOCALLY, Status.NOT_ELIGIBLE, Status.WITHDRAWN):
        assert statuses.get(closed.value, 0) > 0, closed
    assert 4 <= per_request / 400 <= 7
    now = utcnow()
    assert naive_headline(period.id, now) == headline(dashboard_breakdown(national, period.id, now))
    # Every live request, account and period is what its history says, as the workflow keeps them.
    report = integrity.check(full=True)
    assert report.ok, report.findings()[:5]


def test_a_bulk_approval_is_shaped_as_the_workflow_stores_one(tmp_path, monkeypatch, sqlite_db: str) -> None:
    """The fast path writes rows itself: an approval must carry the fields, and its audit row the details,
    that approving through the real workflow (ops.builders) does."""
    team = make_team()
    now = utcnow()
    add_period(now - timedelta(hours=12), now + timedelta(days=3), "Workflow strike")
    request = escalate_to(team, file(team[Role.REQUESTER], request_form()), Tier.BMA)
    real = approve(team[Role.BMA], request)
    with read_session() as session:
        real_details = session.exec(
            select(AuditEvent.details).where(
                AuditEvent.request_id == real.id, AuditEvent.action == Action.APPROVE.value
            )
        ).one()

    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    seed_bulk(url, 200)
    monkeypatch.setenv("DATABASE_URL", url)
    dispose_engines()
    with read_session() as session:
        bulk = session.exec(select(DerogationRequest).where(DerogationRequest.status == Status.APPROVED.value)).first()
        bulk_details = session.exec(
            select(AuditEvent.details).where(
                AuditEvent.request_id == bulk.id, AuditEvent.action == Action.APPROVE.value
            )
        ).one()
    approved_fields = [name for name in DerogationRequest.model_fields if name.startswith("approved_")]
    for name in [*approved_fields, "confirmation_ref", "decided_at", "closed_at"]:
        assert type(getattr(bulk, name)) is type(getattr(real, name)), name
    assert bulk.approved_scope == f"{bulk.ward or bulk.service} only"
    assert real.approved_scope == f"{real.ward or real.service} only"
    assert bulk_details.keys() == real_details.keys()


def test_bulk_seed_refuses_a_database_that_already_holds_requests(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    seed_bulk(url, 20)
    with pytest.raises(SystemExit, match="already holds requests"):
        seed_bulk(url, 20)
