"""One meaning of "Approved" everywhere (issue 23): approved by the BMA and still valid. An approval the BMA later
revoked is "Revoked", and a recall under the failsafe bypass is no approval. One strike's requests, counted by the
live dashboard, the post-strike report (its summary and its tables by region, trust and category), the comparison
of periods and the public figures, give the same Approved, Revoked and Declined."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import queries, report, workflow
from core.enums import OPEN_STATUSES, Action, Role, Status, Tier
from core.models import DerogationRequest
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.report import public_figures
from core.request.outcomes import DECLINED_EITHER, Outcome, outcome_at, outcome_sql
from tests.core.conftest import REASON, bma_approval, escalate_to, file_request
from tests.core.workflow.test_bypass import recall
from ui.report_charts import COMPARED_COUNTS, COMPARED_DOCTORS

# (Approved, Revoked, Declined by either side) in the strike below.
EXPECTED = (1, 1, 2)


@pytest.fixture
def strike(team, period):
    """Six requests: approved for 2 doctors; approved then revoked; declined by the BMA after the trust recalled
    doctors under the failsafe bypass; declined by the clinical director as not meeting the criteria; one still
    waiting; one withdrawn."""
    bma = team[Role.BMA]
    approved = escalate_to(team, file_request(team, period), Tier.BMA)
    workflow.bma_decide(bma, approved.id, approved.version, bma_approval(approved, approved_doctors=2))
    given = escalate_to(team, file_request(team, period), Tier.BMA)
    given = workflow.bma_decide(bma, given.id, given.version, bma_approval(given))
    workflow.revoke(bma, given.id, given.version, "Facts changed.", reasons=["facts_changed"])
    bypassed = file_request(team, period, mass_casualty=True)
    bypassed = workflow.record_bypass(team[Role.REQUESTER], bypassed.id, bypassed.version, recall())
    bypassed = escalate_to(team, bypassed, Tier.BMA)
    refusal = workflow.BmaDecision(approve=False, rationale=REASON, reasons=["non_urgent_work_running"])
    workflow.bma_decide(bma, bypassed.id, bypassed.version, refusal)
    criteria = file_request(team, period)
    workflow.review(
        team[Role.CLINICAL_DIRECTOR], criteria.id, criteria.version, Action.DECLINE_CRITERIA, REASON,
        reasons=["not_eligible"],
    )  # fmt: skip
    file_request(team, period)
    withdrawn = file_request(team, period)
    workflow.withdraw(team[Role.REQUESTER], withdrawn.id, withdrawn.version, "Cover found.")
    public_figures.clear_cache()
    return period


def test_every_surface_counts_approved_revoked_and_declined_alike(team, strike) -> None:
    national = team[Role.NATIONAL_MDT]
    now = utcnow()
    breakdown = queries.dashboard_breakdown(national, strike.id, now)
    dashboard = queries.headline(breakdown, queries.reason_counts(national, strike.id))
    assert (dashboard.approved, dashboard.revoked, dashboard.declined) == EXPECTED
    assert (dashboard.approvals_given, dashboard.doctors_approved, dashboard.bypasses) == (2, 2, 1)

    built = report.build(national, strike.id, now)
    summary = dict(report.summary_rows(built))
    approved, revoked = Outcome.APPROVED.long_label, Outcome.REVOKED.long_label
    declined = summary[Outcome.DECLINED.long_label] + summary[Outcome.NOT_ELIGIBLE.long_label]
    assert (summary[approved], summary[revoked], declined) == EXPECTED
    for table in (built.by_region, built.by_trust, built.by_category):
        columns = (Outcome.APPROVED.label, Outcome.REVOKED.label, DECLINED_EITHER)
        assert tuple(int(table[c].sum()) for c in columns) == EXPECTED
        assert int(table["Doctors approved"].sum()) == dashboard.doctors_approved  # the approvals still valid
    assert (built.approvals.approvals_given, built.approvals.revoked) == (2, 1)  # "given" has its own name

    compared = report.compare.compare(national, [strike.id], now).table.iloc[0]
    declined = compared[Outcome.DECLINED.long_label] + compared[Outcome.NOT_ELIGIBLE.long_label]
    assert (compared[approved], compared[revoked], declined) == EXPECTED
    assert set(COMPARED_COUNTS + COMPARED_DOCTORS) <= set(compared.index)  # no charted series can go missing

    published = public_figures.daily(strike, now)
    today = [row for row in published.rows if row.date == published.rows[-1].date]
    assert tuple(sum(getattr(row, c) for row in today) for c in ("approved", "revoked", "declined")) == EXPECTED


def test_the_outcome_now_and_the_outcome_read_off_the_times_agree(strike) -> None:
    """The dashboard's outcome (from the status) and the public figures' (from the request's own times) are two
    SQL expressions of one classification: at the same moment they give every request the same outcome."""
    now = utcnow()
    with read_session() as session:
        rows = session.exec(
            select(DerogationRequest.id, outcome_sql(now), outcome_at(now)).where(
                DerogationRequest.strike_period_id == strike.id
            )
        ).all()
    assert len(rows) == 6 and all(from_status == from_times for _, from_status, from_times in rows)
    assert {Outcome(o) for _, o, _ in rows} == {
        Outcome.APPROVED, Outcome.REVOKED, Outcome.DECLINED, Outcome.NOT_ELIGIBLE, Outcome.PENDING, Outcome.WITHDRAWN
    }  # fmt: skip


def test_a_closed_status_is_its_own_outcome() -> None:
    """The running tally counts a closed request's outcome as its status: each closed status must name one."""
    closed = set(Status) - OPEN_STATUSES - {Status.DRAFT}
    assert {status.value for status in closed} <= {outcome.value for outcome in Outcome}
    assert len({o.label for o in Outcome}) == len(Outcome) == len({o.long_label for o in Outcome})
