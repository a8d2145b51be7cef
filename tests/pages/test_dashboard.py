"""Live dashboard: headline figures and charts in the viewer's scope, what needs attention, the list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core import workflow
from core.clock import utcnow
from core.db import write_session
from core.enums import Role, Tier
from core.models import DerogationRequest
from tests.conftest import valid_form
from tests.pages.conftest import escalate_to, file_request, open_page, other_trust_team, shown
from tests.pages.test_my_requests import approve

PAGE = "pages/dashboard.py"


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def charts(at) -> list:  # noqa: ANN001
    return at.get("vega_lite_chart")


def test_national_figures_count_every_region_and_each_outcome_once(people, staff, strike):
    london = other_trust_team(staff)
    approve(people, file_request(people, strike))  # 3 asked, 2 approved
    file_request(london, strike, trust="RJ1")  # pending
    withdrawn = file_request(people, strike)
    workflow.withdraw(people[Role.REQUESTER], withdrawn.id, withdrawn.version, "Cover found.")
    declined = escalate_to(people, file_request(people, strike), Tier.BMA)
    workflow.bma_decide(
        people[Role.BMA], declined.id, declined.version, workflow.BmaDecision(approve=False, rationale="No.")
    )
    late = file_request(people, strike)
    with write_session() as session:  # its decision-needed-by passed while it waited
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == late.id)
            .values(decision_needed_by=utcnow() - timedelta(minutes=5))
        )
    workflow.save_draft(people[Role.REQUESTER], valid_form(strike))  # drafts never count
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    figures = metrics(at)
    assert figures["Requests"] == "5"
    assert figures["Approved"] == "1"
    assert figures["Declined"] == "1"
    assert figures["Withdrawn"] == "1"
    assert figures["Pending"] == "1"
    assert figures["Not decided in time"] == "1"
    assert figures["Doctors asked for"] == "15"
    assert figures["Doctors approved"] == "2"
    assert len(charts(at)) >= 8
    assert "National picture" in shown(at)


def test_a_region_sees_only_its_own_region(people, staff, strike):
    london = other_trust_team(staff)
    file_request(london, strike, trust="RJ1")
    file_request(london, strike, trust="RJ1")
    mine = file_request(people, strike)
    at = open_page(people[Role.REGIONAL_MD], PAGE)
    assert metrics(at)["Requests"] == "1"
    assert "North West region only." in shown(at)
    frame = at.dataframe[-1].value
    assert frame["No."].tolist() == [mine.id]
    assert "dash_region" not in [s.key for s in at.selectbox]  # no filter over other regions


def test_breached_and_near_deadline_requests_need_attention(people, strike):
    calm = file_request(people, strike)
    breached = file_request(people, strike)
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == breached.id)
            .values(tier_entered_at=utcnow() - timedelta(hours=5))
        )
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == calm.id)
            .values(decision_needed_by=utcnow() + timedelta(hours=10))
        )
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    attention = at.dataframe[0].value
    ids = attention["No."].tolist()
    assert breached.id in ids and calm.id not in ids
    assert attention["Time at tier (target)"].tolist()[ids.index(breached.id)].endswith("BREACHED")


def test_the_list_filters_by_outcome_and_offers_both_downloads(people, strike):
    approved = approve(people, file_request(people, strike))
    file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    at.selectbox(key="dash_outcome").set_value("approved").run()
    assert at.dataframe[-1].value["No."].tolist() == [approved.id]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download this list (CSV)", "Download the audit history of this list (CSV)"]


def test_an_empty_period_says_so(people, strike):
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert "No requests have been submitted in this strike period." in shown(at)
    assert metrics(at)["Requests"] == "0"
