"""Requests in any state for the security tests, and the invariants every test ends with."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import AuditChainHead, AuditEvent, Comment, DerogationRequest, StrikePeriod, User
from core.platform.db import read_session
from core.records import audit
from core.request import running_counts
from tests.conftest import TRUST_A, valid_form

REASON = "Reviewed with the service: the risk is real."
TIER_STATES = tuple(t.value for t in Tier)  # waiting at that tier
STATES = ("draft", *TIER_STATES, "more_info", "approved", "declined", "not_eligible")


def approval(request: DerogationRequest, **overrides: object) -> workflow.BmaDecision:
    values = {
        "approve": True,
        "rationale": "Risk evidenced; mitigations exhausted.",
        "approved_doctors": 1,
        "approved_grades": list(request.grades_requested[:1]),
        "approved_window_start": request.window_start,
        "approved_window_end": request.window_end,
        "approved_scope": "Majors only",
    }
    return workflow.BmaDecision(**(values | overrides))


def make_request(team: dict[Role, User], period: StrikePeriod, state: str, trust: str = TRUST_A) -> DerogationRequest:
    """A request of `trust` filed by the team's requester and walked to `state` by the team's reviewers."""
    requester = team[Role.REQUESTER]
    request = workflow.save_draft(requester, valid_form(period, trust=trust))
    if state == "draft":
        return request
    request = workflow.submit(requester, request.id, request.version)
    if state == "more_info":
        return workflow.review(
            team[Role.CLINICAL_DIRECTOR],
            request.id,
            request.version,
            Action.RETURN_FOR_INFO,
            REASON,
            reasons=["evidence_missing"],
        )
    if state == "not_eligible":
        return workflow.review(
            team[Role.CLINICAL_DIRECTOR],
            request.id,
            request.version,
            Action.DECLINE_CRITERIA,
            REASON,
            reasons=["evidence_missing"],
        )
    target = Tier.BMA if state in ("approved", "declined") else Tier(state)
    while request.current_tier != target.value:
        reviewer = team[Role(request.current_tier)]
        request = workflow.review(reviewer, request.id, request.version, Action.ESCALATE, REASON)
    if state == "approved":
        return workflow.bma_decide(team[Role.BMA], request.id, request.version, approval(request))
    if state == "declined":
        decision = workflow.BmaDecision(
            approve=False, rationale="Mitigations not evidenced.", reasons=["evidence_missing"]
        )
        return workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
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
