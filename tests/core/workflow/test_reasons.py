"""docs/rules.md rule 9: every decline (by a tier or the BMA), return for more information and revocation gives one
or more reasons from a fixed list as well as the written rationale; the reasons are audited, counted by who
gave them (the dashboard's tally agrees with a fresh count), filter the requests list and fill the CSV."""

import csv
import io

import pytest

from core import queries, workflow
from core.enums import REASONS_FOR, Action, Reason, Role, Tier
from core.models import RequestReason
from core.platform.db import read_session
from core.platform.errors import BadArgument, ValidationFailed
from core.request import running_counts
from tests.conftest import TRUST_OTHER_REGION
from tests.core.conftest import (
    REASON,
    audit_rows,
    bma_approval,
    escalate_to,
    file_request,
    make_team,
    nothing_changes,
    notifications_for,
)

GIVEN = [Reason.NON_URGENT_WORK_RUNNING.value, Reason.INCENTIVES_NOT_OFFERED.value]


def _decline_by_bma(team, period, reasons=GIVEN):
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=reasons)
    return workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)


def test_every_reasoned_action_refuses_no_reasons_and_unknown_ones(team, period):
    request = file_request(team, period)
    director = team[Role.CLINICAL_DIRECTOR]
    for action in (Action.RETURN_FOR_INFO, Action.DECLINE_CRITERIA):
        for reasons, message in (([], "Choose at least one reason"), (["pay"], "Choose from the reasons listed")):
            with nothing_changes(request.id), pytest.raises(ValidationFailed, match=message) as caught:
                workflow.review(director, request.id, request.version, action, REASON, reasons=reasons)
            assert set(caught.value.errors) == {"reasons"}
    with nothing_changes(request.id), pytest.raises(BadArgument):
        workflow.review(director, request.id, request.version, Action.DECLINE_CRITERIA, REASON, reasons="other")
    # "The facts changed" is a reason to revoke an approval, not to decline a request.
    with nothing_changes(request.id), pytest.raises(ValidationFailed, match="Choose from the reasons listed"):
        workflow.review(
            director, request.id, request.version, Action.DECLINE_CRITERIA, REASON, reasons=["facts_changed"]
        )
    at_bma = escalate_to(team, request, Tier.BMA)
    with nothing_changes(at_bma.id), pytest.raises(ValidationFailed, match="Choose at least one reason"):
        workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, workflow.BmaDecision(False, REASON))
    approved = workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, bma_approval(at_bma))
    with nothing_changes(approved.id), pytest.raises(ValidationFailed, match="Choose at least one reason"):
        workflow.revoke(team[Role.BMA], approved.id, approved.version, "New information.")
    assert Reason.FACTS_CHANGED in REASONS_FOR[Action.REVOKE]


def test_reasons_are_audited_kept_and_told_to_the_trust(team, period):
    declined = _decline_by_bma(team, period, reasons=[GIVEN[1], GIVEN[0], GIVEN[1]])  # any order, repeats
    last = audit_rows(declined.id)[-1]
    assert last.action == Action.DECLINE and last.details["reasons"] == GIVEN  # in the list's order, once each
    with read_session() as session:
        kept = session.exec(RequestReason.__table__.select().where(RequestReason.request_id == declined.id)).all()
    assert [(r.action, r.by_tier, r.reason, r.audit_event_id) for r in kept] == [
        ("decline", "bma", reason, last.id) for reason in GIVEN
    ]
    (told,) = notifications_for(team[Role.REQUESTER], declined.id)[-1:]
    assert "Declined by the BMA" in told.message
    assert "Reasons: Non-urgent work still running that could release staff; Incentives or enhanced" in told.message


def test_reasons_are_ignored_with_actions_that_take_none(team, period):
    request = file_request(team, period)
    escalated = workflow.review(
        team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON, reasons=GIVEN
    )
    assert "reasons" not in audit_rows(escalated.id)[-1].details


def test_reasons_are_counted_by_who_gave_them_and_the_tally_agrees(team, staff, period):
    london = make_team(staff, trust=TRUST_OTHER_REGION, region="Y56")
    _decline_by_bma(team, period)
    r = file_request(london, period, trust_code=TRUST_OTHER_REGION)
    workflow.review(
        london[Role.CLINICAL_DIRECTOR], r.id, r.version, Action.DECLINE_CRITERIA, REASON, reasons=["not_eligible"]
    )
    r = escalate_to(team, file_request(team, period), Tier.TRUST_MD)
    workflow.review(team[Role.TRUST_MD], r.id, r.version, Action.RETURN_FOR_INFO, REASON, reasons=["evidence_missing"])
    approved = escalate_to(team, file_request(team, period), Tier.BMA)
    approved = workflow.bma_decide(team[Role.BMA], approved.id, approved.version, bma_approval(approved))
    workflow.revoke(team[Role.BMA], approved.id, approved.version, "Cover found.", reasons=["facts_changed"])

    def counted(viewer):
        table = queries.reason_counts(viewer, period.id)
        rows = zip(*(table[c].to_pylist() for c in queries.REASON_COLUMNS), strict=True)
        return sorted(row for row in rows if not row[0].startswith("#"))  # the reasons, not the counts beside them

    doctors = r.doctors_requested
    national = counted(team[Role.NATIONAL_MDT])  # from the tally
    assert national == sorted(
        [
            ("decline", "bma", GIVEN[0], 1, doctors),
            ("decline", "bma", GIVEN[1], 1, doctors),
            ("decline", "bma", "", 1, doctors),  # the decline itself, once: declines by who declined
            ("decline_criteria", "clinical_director", "not_eligible", 1, doctors),
            ("decline_criteria", "clinical_director", "", 1, doctors),
            ("return_for_info", "trust_md", "evidence_missing", 1, doctors),
            ("return_for_info", "trust_md", "", 1, doctors),
            ("revoke", "bma", "facts_changed", 1, doctors),
            ("revoke", "bma", "", 1, doctors),
        ]
    )
    london_only = [row for row in national if row[:2] == ("decline_criteria", "clinical_director")]
    assert not set(london_only) & set(counted(team[Role.REGIONAL_MD]))
    # A trust's medical director's scope is counted from the reasons themselves: the same figures.
    assert counted(team[Role.TRUST_MD]) == [row for row in national if row not in london_only]
    with read_session() as session:
        running_counts.hold_writers(session)
        assert running_counts.differences(session) == {}


def test_the_requests_list_filters_by_reason_and_the_csv_carries_them(team, period):
    declined = _decline_by_bma(team, period)
    other = file_request(team, period)
    national = team[Role.NATIONAL_MDT]
    rows, total = queries.period_requests(national, period.id, queries.ListFilters(reason=GIVEN[0]))
    assert [row.request.id for row in rows] == [declined.id] and total == 1
    rows, _ = queries.period_requests(national, period.id, queries.ListFilters(reason="no_urgent_need"))
    assert rows == []
    text = queries.requests_csv(national, period.id, queries.ListFilters())
    records = {int(r["id"]): r for r in csv.DictReader(io.StringIO(text))}
    assert records[declined.id]["declined_by"] == "BMA"
    assert records[declined.id]["decline_reasons"] == (
        "Non-urgent work still running that could release staff; "
        "Incentives or enhanced rates not offered to non-striking doctors"
    )
    assert records[other.id]["decline_reasons"] == "" and records[other.id]["return_reasons"] == ""
    audit = queries.audit_csv(national, period.id, queries.ListFilters(reason=GIVEN[0]))
    assert "non_urgent_work_running" in audit  # the audit row's details, hashed with the rest


def test_both_sides_counts_are_on_one_page(team, staff, period):
    """NHS England counts approvals given (requests); the BMA counts doctors: both, for every scope."""
    first = escalate_to(team, file_request(team, period), Tier.BMA)
    workflow.bma_decide(team[Role.BMA], first.id, first.version, bma_approval(first, approved_doctors=2))
    second = escalate_to(team, file_request(team, period), Tier.BMA)
    second = workflow.bma_decide(team[Role.BMA], second.id, second.version, bma_approval(second))
    workflow.revoke(team[Role.BMA], second.id, second.version, "Cover found.", reasons=["facts_changed"])
    for viewer in (team[Role.NATIONAL_MDT], team[Role.REGIONAL_MD], team[Role.TRUST_MD]):
        figures = queries.headline(
            queries.dashboard_breakdown(viewer, period.id), queries.reason_counts(viewer, period.id)
        )
        assert (figures.approved, figures.revoked, figures.approvals_given) == (1, 1, 2), viewer.role
        assert (figures.doctors_requested, figures.doctors_given, figures.doctors_approved) == (6, 5, 2), viewer.role
