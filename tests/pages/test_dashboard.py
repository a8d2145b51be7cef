"""Live dashboard: headline figures and charts in the viewer's scope, one section at a time, what
needs attention, and the link to the period's list (tests/pages/test_requests_list.py)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from core import workflow
from core.enums import Role, Tier
from core.models import DerogationRequest
from core.platform.clock import utcnow
from core.platform.db import write_session
from tests.conftest import valid_form
from tests.pages.conftest import escalate_to, file_request, open_page, other_trust_team, shown
from tests.pages.test_my_requests import approve
from ui import live_figures

PAGE = "pages/dashboard.py"


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def charts(at) -> list:  # noqa: ANN001
    return at.get("vega_lite_chart")


def chart_titles(at) -> set[str]:  # noqa: ANN001
    """The titles of the charts drawn (a layered chart may carry its title in a layer)."""
    found = set()
    for chart in charts(at):
        spec = json.loads(chart.proto.spec)
        for part in [spec, *spec.get("layer", [])]:
            if isinstance(part.get("title"), str):
                found.add(part["title"])
    return found


SECTION_CHARTS = {
    "where": {"Open requests by region", "Open requests by category", "Open requests by region and category"},
    "route": {"Waiting at each tier (and breached)", "Past the response target now (BREACHED)"},
    "time": {
        "Submissions and BMA decisions over the strike period (UK time)",
        "Resident doctors approved for recall over time (UK time)",
    },
    "outcomes": {"Outcomes", "Resident doctors: asked for and approved"},
}


def test_national_figures_count_every_region_and_each_outcome_once(people, staff, strike):
    london = other_trust_team(staff)
    approve(people, file_request(people, strike))  # 3 asked, 2 approved
    file_request(london, strike, trust="RJ1")  # pending
    withdrawn = file_request(people, strike)
    workflow.withdraw(people[Role.REQUESTER], withdrawn.id, withdrawn.version, "Cover found.")
    declined = escalate_to(people, file_request(people, strike), Tier.BMA)
    workflow.bma_decide(
        people[Role.BMA],
        declined.id,
        declined.version,
        workflow.BmaDecision(approve=False, rationale="No.", reasons=["evidence_missing"]),
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
    assert "National picture" in shown(at)
    assert chart_titles(at) == SECTION_CHARTS["where"]  # the first section until another is chosen


def test_every_chart_is_one_click_away_with_its_figures_in_words(people, strike):
    approve(people, file_request(people, strike))
    file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    control = at.segmented_control(key="dash_section")
    assert control.options == ["Where", "Route and breaches", "Over time", "Outcomes", "Declines by reason"]
    for section, titles in SECTION_CHARTS.items():
        at.segmented_control(key="dash_section").set_value(section).run()
        assert not at.exception
        assert chart_titles(at) == titles, section
        assert all(chart.proto.alt for chart in charts(at)), section  # a text alternative for each chart
        assert metrics(at)["Requests"] == "2"  # the headline stays on top whichever section is shown
    at.segmented_control(key="dash_section").set_value("where").run()
    words = [chart.proto.alt for chart in charts(at)]
    assert "Open requests by region: North West 1" in words


def test_a_region_sees_only_its_own_region(people, staff, strike):
    london = other_trust_team(staff)
    file_request(london, strike, trust="RJ1")
    file_request(london, strike, trust="RJ1")
    mine = file_request(people, strike)
    at = open_page(people[Role.REGIONAL_MD], PAGE)
    assert metrics(at)["Requests"] == "1"
    assert "North West region only." in shown(at)
    for table in at.dataframe:  # what needs attention: its own region only
        assert set(table.value["No."]) <= {mine.id}
    at.segmented_control(key="dash_section").set_value("where").run()
    assert [chart.proto.alt for chart in charts(at)][0] == "Open requests by region: North West 1"


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


def test_the_dashboard_links_to_the_periods_list(people, strike):
    file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    [link] = [p for p in at.get("page_link") if p.proto.page == "requests-list"]
    assert "download as CSV" in link.proto.label
    assert link.proto.query_string == f"period={strike.id}"
    assert not at.get("download_button")  # the list and its downloads are on that page


def test_an_empty_period_says_so(people, strike):
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert "No requests have been submitted in this strike period." in shown(at)
    assert metrics(at)["Requests"] == "0"


def test_mass_casualty_banner_and_attention_from_submission(people, strike):
    """A fresh mass-casualty request (neither breached nor near its deadline) is at the top of what needs
    attention and a banner says so while it is open (docs/rules.md rule 5)."""
    calm = file_request(people, strike)
    mass = file_request(people, strike, mass_casualty=True)
    for role in (Role.NATIONAL_MDT, Role.REGIONAL_MD):
        at = open_page(people[role], PAGE)
        assert any("MASS CASUALTY: 1 open mass-casualty request" in e.value for e in at.error), role
        table = at.dataframe[0].value
        assert table.iloc[0, 0] == mass.id and calm.id not in table.iloc[:, 0].tolist(), role
    workflow.withdraw(people[Role.REQUESTER], mass.id, mass.version, "Stood down.")
    live_figures.counted.clear()  # the figures may be a few seconds old: count afresh
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert not any("MASS CASUALTY" in e.value for e in at.error)


def test_declines_by_reason_and_by_who(people, strike):
    for reasons in (["non_urgent_work_running"], ["non_urgent_work_running", "incentives_not_offered"]):
        declined = escalate_to(people, file_request(people, strike), Tier.BMA)
        decision = workflow.BmaDecision(approve=False, rationale="No.", reasons=reasons)
        workflow.bma_decide(people[Role.BMA], declined.id, declined.version, decision)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    at.segmented_control(key="dash_section").set_value("reasons").run()
    assert not at.exception
    assert chart_titles(at) == {"Declines by reason (a decline may give several)", "Declines by who declined"}
    words = [chart.proto.alt for chart in charts(at)]
    assert "Declines by reason: Non-urgent work still running that could release staff 2; Incentives or " in words[0]
    assert words[1] == "Declines by who declined: BMA 2"
