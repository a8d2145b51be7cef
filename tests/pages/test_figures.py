"""Strike figures (public, no sign-in), time to decision on the dashboard and in the report, and the advice
from past declines on the request form: through the real app in AppTest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import queries, workflow
from core.enums import Role, Tier
from core.models import StrikePeriod
from core.platform.clock import utcnow
from core.report import public_figures
from tests.conftest import TRUST_OTHER_REGION
from tests.core.conftest import add_period
from tests.core.request.test_advice import bma_declines
from tests.pages.conftest import escalate_to, file_request, html_rows, open_page, other_trust_team, shown

PAGE = "pages/figures.py"


@pytest.fixture(autouse=True)
def no_cache():
    public_figures.clear_cache()
    yield
    public_figures.clear_cache()


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def table_with(at, column: str):  # noqa: ANN001, ANN201
    """The first table on the page with this column, as a DataFrame."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_anyone_reads_the_figures_without_signing_in(people, strike, staff) -> None:
    file_request(people, strike, risk_description="Private clinical detail.")
    file_request(other_trust_team(staff), strike, trust=TRUST_OTHER_REGION)
    at = open_page(None, PAGE)
    page = shown(at)
    assert "Strike figures" in page and "Sign in" not in [t.value for t in at.title]
    h = queries.headline(queries.dashboard_breakdown(people[Role.NATIONAL_MDT], strike.id))
    assert metrics(at)["Requests"] == str(h.requests) == "2"
    assert metrics(at)["Doctors requested"] == str(h.doctors_requested)
    assert metrics(at)["Pending"] == str(h.pending)
    table = table_with(at, "region")
    assert list(table.columns) == list(public_figures.COLUMNS)
    assert set(table["region"]) == {r.name for r in queries.regions()}
    everything = page + table.to_csv()
    assert "Manchester" not in everything and "Private clinical detail" not in everything  # no trust, no free text
    assert f"/figures/daily.csv?period={strike.id}" in page


def test_a_signed_in_person_reads_the_same_page(people, strike) -> None:
    file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE)
    assert metrics(at)["Requests"] == "1"


def test_an_earlier_period_can_be_chosen(people, strike) -> None:
    earlier = add_period(utcnow() - timedelta(days=60), utcnow() - timedelta(days=57), "Earlier strike")
    file_request(people, strike)
    at = open_page(None, PAGE)
    at.selectbox(key="figures_period").set_value(earlier.id).run()
    assert "No requests have been submitted in this strike period." in shown(at)
    assert f"/figures/daily.json?period={earlier.id}" in shown(at)


def test_with_no_strike_period_started_the_page_says_so(sqlite_db) -> None:
    assert "No strike period has started yet" in shown(open_page(None, PAGE))


def test_the_dashboard_and_the_report_show_time_to_decision(people, strike: StrikePeriod) -> None:
    request = escalate_to(people, file_request(people, strike), Tier.TRUST_MD)
    workflow.review(people[Role.TRUST_MD], request.id, request.version, "resolve_locally", "Sorted locally.")
    national = people[Role.NATIONAL_MDT]
    dashboard = open_page(national, "pages/dashboard.py")
    assert "Time to decision" in shown(dashboard)
    (table,) = [str(h.proto.body) for h in dashboard.html if "Time to decision in this strike" in str(h.proto.body)]
    stages = html_rows(table)
    assert stages[0] == ["Stage", "Decisions", "Median", "90th percentile"]
    assert [row[:2] for row in stages[1:4]] == [
        ["Submission to final decision", "1"],
        ["Clinical director: arrival to decision", "1"],
        ["Trust medical director: arrival to decision", "1"],
    ]
    assert stages[4][1:] == ["0", "—", "—"]  # nothing decided at the regional tier yet
    report = open_page(national, "pages/report.py")
    assert "Time to decision" in shown(report)


def test_the_form_shows_what_past_declines_cited_and_still_submits(people, strike) -> None:
    past = add_period(utcnow() - timedelta(days=30), utcnow() - timedelta(days=27), "Last strike")
    bma_declines(people, past, ["non_urgent_work_running"], ["incentives_not_offered"])
    at = open_page(people[Role.REQUESTER], "pages/file_request.py")
    at.checkbox(key="rf_non_urgent_work_running").check().run()
    page = shown(at)
    assert "Before you submit: what past declines cited" in page
    assert "In the last strike period, 50% of the BMA's declines (1 of 2) gave" in page
    assert "This request says non-urgent work is still running" in page
    assert not at.exception
