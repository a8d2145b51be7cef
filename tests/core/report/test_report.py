"""The post-strike report on a hand-built history whose figures are worked out by hand below."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from core import queries, report, workflow
from core.enums import Action, Role
from core.models import StrikePeriod
from core.platform.db import write_session
from core.platform.errors import BadArgument, NotFound, PermissionDenied
from ops import builders
from tests.conftest import TRUST_A, TRUST_OTHER_REGION, valid_form

START = datetime(2025, 7, 25, 6, 0, tzinfo=UTC)  # the July 2025 strike: 07:00 London
END = datetime(2025, 7, 30, 6, 0, tzinfo=UTC)
T0 = START + timedelta(hours=2)
NOW = T0 + timedelta(minutes=400)  # the report is drawn up here


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class History:
    """Five submitted requests and a draft, acted on at known minutes after T0.

    r1 R0A urgent, 3 doctors: CD 30 → TMD 45 → RMD 100 → NMDT 150 → BMA 60, approved 2 (needed by +300: late)
    r2 R0A cancer, 2 doctors: CD 90 → TMD 20 returned, answered at +150 → TMD 10 resolved locally
    r3 RJ1 (London) urgent, mass casualty, 4 doctors: CD 15 → TMD 70 declined on criteria
    r4 R0A urgent, 1 doctor: withdrawn after 40 at CD
    r6 R0A time-critical, 2 doctors: submitted +200, still at CD at +400 (needed by +250: not decided in time)
    """

    def __init__(self, staff) -> None:
        self.period = builders.add_period(START, END, "July 2025 strike")
        self.a = staff.team(TRUST_A, "Y62")
        self.o = staff.team(TRUST_OTHER_REGION, "Y56")
        self.o[Role.NATIONAL_MDT], self.o[Role.BMA] = self.a[Role.NATIONAL_MDT], self.a[Role.BMA]

        r1 = self.submit(self.a, 0, doctors=3, needed_by=300)
        r1 = self.walk(self.a, r1, [(30, Action.ESCALATE), (75, Action.ESCALATE), (175, Action.ESCALATE)])
        r1 = self.walk(self.a, r1, [(325, Action.ESCALATE)])
        self.r1 = builders.approve(
            self.a[Role.BMA], r1, at(385), rationale="Evidenced.", approved_doctors=2, approved_grades=["ST3+"]
        )

        r2 = self.submit(self.a, 10, doctors=2, category="cancer")
        r2 = self.walk(self.a, r2, [(100, Action.ESCALATE), (120, Action.RETURN_FOR_INFO)])
        r2 = workflow.answer_more_info(
            self.a[Role.REQUESTER],
            r2.id,
            r2.version,
            self.form(TRUST_A, doctors=2, category="cancer"),
            "Done.",
            at(150),
        )
        self.r2 = self.walk(self.a, r2, [(160, Action.RESOLVE_LOCALLY)])

        r3 = self.submit(self.o, 20, doctors=4, mass_casualty=True, service="=HYPERLINK(1) <b>Resus</b>")
        self.r3 = self.walk(self.o, r3, [(35, Action.ESCALATE), (105, Action.DECLINE_CRITERIA)])

        r4 = self.submit(self.a, 30, doctors=1)
        self.r4 = workflow.withdraw(self.a[Role.REQUESTER], r4.id, r4.version, "Cover found.", now=at(70))

        workflow.save_draft(self.a[Role.REQUESTER], self.form(TRUST_A), now=at(5))  # a draft is not a request
        self.r6 = self.submit(self.a, 200, doctors=2, needed_by=250, category="time_critical_intervention")

    def form(self, trust: str, doctors: int = 3, needed_by: float = 600, **overrides):
        return valid_form(
            self.period,
            trust,
            doctors_requested=doctors,
            minimum_safe_doctors=6,
            risk_from=at(0),
            decision_needed_by=at(needed_by),
            window_start=at(480),
            window_end=at(1200),
            **overrides,
        )

    def submit(self, team, minute: float, **form):
        requester = team[Role.REQUESTER]
        return builders.file(requester, self.form(requester.trust_code, **form), at(minute), drafted_at=at(0))

    def walk(self, team, request, steps):
        for minute, action in steps:
            reviewer = team[Role(request.current_tier)]
            request = workflow.review(
                reviewer, request.id, request.version, action, "Because.", now=at(minute), reasons=["evidence_missing"]
            )
        return request


@pytest.fixture
def history(staff) -> History:
    return History(staff)


def _times(built: report.Report) -> dict[str, tuple]:
    return {t.tier: (t.visits, t.median_minutes, t.p90_minutes, t.breaches, t.waiting_now) for t in built.tier_times}


def test_national_figures_match_the_hand_count(history: History) -> None:
    built = report.build(history.a[Role.NATIONAL_MDT], history.period.id, now=NOW)
    assert built.scope == "England" and not built.is_final

    h = built.headline
    assert (h.requests, h.approved, h.not_eligible, h.resolved_locally, h.withdrawn) == (5, 1, 1, 1, 1)
    assert (h.pending, h.not_decided_in_time, h.mass_casualty) == (0, 1, 1)
    assert built.decided_late == 1  # r1: needed by +300, decided at +385
    assert built.breached_requests == 4  # r1 (national MDT), r2 (CD), r3 (trust MD), r6 (still at CD)

    # CD [15, 30, 40, 90]: median 35, p90 = 40 + 0.7 × 50; trust MD [10, 20, 45, 70]: median 32.5, p90 45 + 0.7 × 25
    assert _times(built) == {
        "Clinical director": (4, 35.0, 75.0, 2, 1),
        "Trust medical director": (4, 32.5, 62.5, 1, 0),
        "Regional medical director": (1, 100.0, 100.0, 0, 0),
        "National MDT": (1, 150.0, 150.0, 1, 0),
        "BMA": (1, 60.0, 60.0, 0, 0),
    }

    outcomes = built.tier_outcomes.set_index("Tier")
    assert outcomes.loc["Clinical director", ["Escalated", "Withdrawn while waiting"]].tolist() == [3, 1]
    assert outcomes.loc["Trust medical director"][
        ["Escalated", "Returned for information", "Resolved locally", "Declined: criteria"]
    ].tolist() == [1, 1, 1, 1]
    assert outcomes.loc["BMA", ["Approvals given", "Declined by the BMA", "Escalated"]].tolist() == [1, 0, 0]
    assert int(outcomes.to_numpy().sum()) == 3 + 1 + 4 + 1 + 1 + 1

    a = built.approvals
    assert (a.requests, a.reached_bma, a.approvals_given, a.revoked, a.declined_by_bma) == (5, 1, 1, 0, 0)
    assert (a.doctors_requested, a.doctors_requested_at_bma, a.doctors_given, a.doctors_recalled) == (12, 3, 2, 2)
    assert (a.decision_median_minutes, a.decision_p90_minutes) == (385.0, 385.0)

    by_region = built.by_region.set_index("Region")
    assert by_region.loc["North West"].tolist() == [4, 1, 0, 0, 1, 1, 1, 8, 2]
    assert by_region.loc["London"].tolist() == [1, 0, 0, 1, 0, 0, 0, 4, 0]
    by_category = built.by_category.set_index("Category")
    assert by_category["Requests"].to_dict() == {
        "Urgent and emergency care": 3,
        "Essential cancer care": 1,
        "Time-critical intervention (e.g. elective caesarean section)": 1,
    }
    assert built.by_trust[["ODS code", "Requests"]].values.tolist() == [["R0A", 4], ["RJ1", 1]]
    assert built.mass_casualty[["Request", "Outcome"]].values.tolist() == [
        [history.r3.id, "Declined: does not meet the criteria"]
    ]


def test_approved_means_still_valid_in_every_table_as_on_the_dashboard(history: History) -> None:
    """A revoked approval is counted once, as revoked: never as "Approved" beside "Doctors approved" 0."""
    revoked = workflow.revoke(
        history.a[Role.BMA], history.r1.id, history.r1.version, "Facts changed.", at(390), reasons=["facts_changed"]
    )
    national = history.a[Role.NATIONAL_MDT]
    built = report.build(national, history.period.id, now=at(395))
    dashboard = queries.headline(queries.dashboard_breakdown(national, history.period.id, now=at(395)))

    assert revoked.status == "revoked" and built.headline.approved == dashboard.approved == 0
    assert built.headline.revoked == 1 and built.headline.doctors_approved == 0
    for table in (built.by_region, built.by_trust, built.by_category):
        assert (table["Approved"].sum(), table["Revoked"].sum(), table["Doctors approved"].sum()) == (0, 1, 0)


def test_a_regional_md_sees_only_their_region(history: History) -> None:
    built = report.build(history.a[Role.REGIONAL_MD], history.period.id, now=NOW)
    assert built.scope == "North West region"
    assert built.headline.requests == 4 and built.headline.mass_casualty == 0
    assert list(built.by_region["Region"]) == ["North West"]
    assert list(built.by_trust["ODS code"]) == ["R0A"]
    assert built.mass_casualty.empty
    # CD [30, 40, 90]: median 40, p90 40 + 0.8 × 50; trust MD [10, 20, 45]: median 20, p90 20 + 0.8 × 25
    times = _times(built)
    assert times["Clinical director"] == (3, 40.0, 80.0, 2, 1)
    assert times["Trust medical director"] == (3, 20.0, 40.0, 0, 0)
    assert built.breached_requests == 3

    london = report.build(history.o[Role.REGIONAL_MD], history.period.id, now=NOW)
    assert london.headline.requests == 1 and london.approvals.doctors_requested == 4


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.BMA, Role.ADMIN])
def test_other_roles_are_refused(history: History, role: Role) -> None:
    with pytest.raises(PermissionDenied):
        report.build(history.a[role], history.period.id, now=NOW)


def test_unknown_period_is_not_found(history: History) -> None:
    with pytest.raises(NotFound):
        report.build(history.a[Role.NATIONAL_MDT], 9999, now=NOW)


@pytest.mark.parametrize("period_id", ["x", "1", None, True, 1.0])
def test_a_period_id_that_is_not_a_whole_number_is_refused(history: History, period_id) -> None:
    with pytest.raises(BadArgument):
        report.build(history.a[Role.NATIONAL_MDT], period_id, now=NOW)


def test_csv_holds_every_table_and_defuses_formulas(history: History) -> None:
    built = report.build(history.a[Role.NATIONAL_MDT], history.period.id, now=NOW)
    data = report.to_csv(built)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    index = {(r["table"], r["row"], r["measure"]): r["value"] for r in rows}
    assert index[("Summary", "Requests", "Value")] == "5"
    assert index[("Approvals and doctors", "Doctors recalled (approvals still valid)", "Value")] == "2"
    assert index[("Approvals and doctors", "Submission to BMA decision, median (minutes)", "Value")] == "385.0"
    assert index[("Requests by region", "North West", "Doctors requested")] == "8"
    assert index[("Time at each tier", "Clinical director", "90th percentile (minutes)")] == "75.0"
    assert index[("Outcomes at each tier", "Trust medical director", "Declined: criteria")] == "1"
    assert (
        index[("Requests by trust", "Manchester University NHS Foundation Trust | R0A | North West", "Requests")] == "4"
    )
    assert index[("Mass-casualty events", str(history.r3.id), "Service")] == "'=HYPERLINK(1) <b>Resus</b>"
    assert {r["period"] for r in rows} == {"July 2025 strike"} and {r["scope"] for r in rows} == {"England"}
    assert {r["table"] for r in rows} == {title for title, frame, _ in report.tables(built) if not frame.empty}


def test_html_is_self_contained_escaped_and_embeds_the_charts(history: History) -> None:
    built = report.build(history.a[Role.NATIONAL_MDT], history.period.id, now=NOW)
    svg = "<svg xmlns='http://www.w3.org/2000/svg'><text>chart</text></svg>"
    page = report.to_html(built, [("Requests by region", svg)])
    assert page.startswith("<!DOCTYPE html>") and "<title>Post-strike report: July 2025 strike</title>" in page
    assert "data:image/svg+xml;base64," in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "&lt;b&gt;Resus&lt;/b&gt;" in page and "<b>Resus</b>" not in page
    assert "Provisional" in page and "could not be drawn" not in page
    assert "35m (35 min)" in page  # CD median
    assert "could not be drawn" in report.to_html(built, [("Requests by region", None)])
    assert report.filename(built, "html") == "post-strike-report-2025-07-25-england.html"


def test_percentile_is_linear_between_ranks() -> None:
    assert report.percentile([], 0.5) is None
    assert report.percentile([7.0], 0.9) == 7.0
    assert report.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert report.percentile([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9) == pytest.approx(91.0)


def test_an_empty_period_reports_zeros(history: History) -> None:
    with write_session() as session:
        empty = StrikePeriod(name="Quiet", starts_at=END + timedelta(days=30), ends_at=END + timedelta(days=31))
        session.add(empty)
    built = report.build(history.a[Role.NATIONAL_MDT], empty.id, now=NOW)
    assert built.headline.requests == 0 and built.by_region.empty and built.breached_requests == 0
    assert all(t.visits == 0 and t.median_minutes is None for t in built.tier_times)
    assert report.to_csv(built) and "None in this period" in report.to_html(built, [])
