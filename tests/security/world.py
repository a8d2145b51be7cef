"""Requests in any state for the security tests, and the invariants every test ends with."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from core.enums import Action, Role, Status
from core.models import AuditChainHead, AuditEvent, Comment, DerogationRequest, StrikePeriod, User
from core.platform.db import read_session
from core.records import audit
from core.request import running_counts
from ops.builders import REASON, STATES, TIER_STATES, request_in_state
from ops.builders import approval_of_one as approval
from tests.conftest import TRUST_A, valid_form

# What the security tests import from here: the states a request can be walked to, the BMA's approval
# (ops/builders.py) and the invariants below.
__all__ = ["REASON", "STATES", "TIER_STATES", "approval", "assert_consistent", "fingerprint", "make_request"]


def make_request(team: dict[Role, User], period: StrikePeriod, state: str, trust: str = TRUST_A) -> DerogationRequest:
    """A request of `trust` filed by the team's requester and walked to `state` (ops.builders.STATES)."""
    request = request_in_state(team, state, valid_form(period, trust=trust))
    assert request.strike_period_id in (None, period.id)  # a draft has no period yet
    return request


def fingerprint() -> dict[str, object]:
    """Everything an action could change, to show a refused action changed nothing."""
    with read_session() as session:
        return {
            "requests": sorted(r.model_dump_json() for r in session.exec(select(DerogationRequest)).all()),
            "audit": session.exec(select(func.count()).select_from(AuditEvent)).one(),
            "comments": session.exec(select(func.count()).select_from(Comment)).one(),
        }


def assert_consistent() -> None:
    """No request without its audit rows, no audit row without its change, the chain intact, and the
    dashboard's tally equal to a fresh count."""
    with read_session() as session:
        versions = dict(session.exec(select(DerogationRequest.id, DerogationRequest.version)).all())
        changes = dict(
            session.exec(
                select(AuditEvent.request_id, func.count())
                .where(col(AuditEvent.request_id).is_not(None), AuditEvent.action != Action.COMMENT.value)
                .group_by(AuditEvent.request_id)
            ).all()
        )
        # Created at version 1 with one row; every later change adds one version and one row.
        assert versions == changes
        comment_rows = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == Action.COMMENT.value)
        ).one()
        assert comment_rows == session.exec(select(func.count()).select_from(Comment)).one()
        drafts_in_review = session.exec(
            select(func.count())
            .select_from(DerogationRequest)
            .where(DerogationRequest.status == Status.IN_REVIEW.value, col(DerogationRequest.current_tier).is_(None))
        ).one()
        assert drafts_in_review == 0
        report = audit.verify_chain(session)
        assert report.ok, report
        head = session.get(AuditChainHead, 1)
        newest = session.exec(select(func.max(AuditEvent.id))).one()
        assert head.last_event_id == newest
        assert running_counts.differences(session) == {}  # the dashboard's running counts moved with every change
