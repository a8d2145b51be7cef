"""docs/rules.md rule 10: the report compares strike periods side by side (by default every period of the last 12
months), with the same figures per period as the dashboard and the post-strike report, as a table, a CSV and
a printable summary."""

import csv
import io
from datetime import timedelta

import pytest

from core import queries, report, workflow
from core.enums import Reason, Role, Tier
from core.platform.clock import utcnow
from core.platform.errors import NotFound, PermissionDenied
from tests.core.conftest import REASON, add_period, escalate_to, file_request, timed_form

compare = report.compare


def _decline(team, request, reasons):
    request = escalate_to(team, request, Tier.BMA, now=request.submitted_at + timedelta(minutes=5))
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=reasons)
    return workflow.bma_decide(
        team[Role.BMA], request.id, request.version, decision, now=request.submitted_at + timedelta(minutes=30)
    )


def _file_at(team, period, now, **overrides):
    draft = workflow.save_draft(team[Role.REQUESTER], timed_form(period, now, **overrides), now=now)
    return workflow.submit(team[Role.REQUESTER], draft.id, draft.version, now=now)


@pytest.fixture
def rounds(db, team):
    """Three rounds: one 14 months ago (outside the default), two in the last year, the latest running."""
    now = utcnow()
    old = add_period(now - timedelta(days=420), now - timedelta(days=415), "Old round")
    autumn = add_period(now - timedelta(days=60), now - timedelta(days=55), "Autumn round")
    current = add_period(now - timedelta(hours=12), now + timedelta(days=3), "Current round")
    _decline(
        team, _file_at(team, autumn, autumn.starts_at + timedelta(hours=2)), [Reason.NON_URGENT_WORK_RUNNING.value]
    )
    _decline(
        team,
        _file_at(team, autumn, autumn.starts_at + timedelta(hours=3)),
        [Reason.NON_URGENT_WORK_RUNNING.value, Reason.INCENTIVES_NOT_OFFERED.value],
    )
    file_request(team, current, mass_casualty=True)
    file_request(team, current)
    return old, autumn, current


def test_by_default_the_last_twelve_months_side_by_side(team, rounds):
    old, autumn, current = rounds
    assert compare.default_period_ids() == [current.id, autumn.id]
    result = compare.compare(team[Role.NATIONAL_MDT])
    table = result.table.set_index(compare.PERIOD)
    assert list(table.index) == [compare.period_name(autumn), compare.period_name(current)]  # oldest first
    autumn_row, current_row = table.iloc[0], table.iloc[1]
    assert (autumn_row["Requests"], autumn_row["Declined by the BMA"], autumn_row["Pending"]) == (2, 2, 0)
    assert (current_row["Requests"], current_row["Mass-casualty events"], current_row["Pending"]) == (2, 1, 2)
    assert autumn_row["Doctors asked for"] == 6
    assert autumn_row[compare.declines_column(Reason.NON_URGENT_WORK_RUNNING)] == 2
    assert autumn_row[compare.declines_column(Reason.INCENTIVES_NOT_OFFERED)] == 1
    assert current_row[compare.declines_column(Reason.NON_URGENT_WORK_RUNNING)] == 0
    median = compare.tier_columns(Tier.CLINICAL_DIRECTOR)[0]
    assert autumn_row[median] == pytest.approx(5.0)  # submitted, then escalated up the route five minutes later
    assert list(result.reasons["Who"]) == ["BMA", "BMA"]
    # The same figures as each period's own dashboard.
    headline = queries.headline(queries.dashboard_breakdown(team[Role.NATIONAL_MDT], autumn.id))
    assert autumn_row["Declined by the BMA"] == headline.declined_by_bma


def test_chosen_periods_csv_and_printable(team, rounds):
    old, autumn, current = rounds
    result = compare.compare(team[Role.NATIONAL_MDT], [old.id, current.id])
    assert list(result.table["Requests"]) == [0, 2]
    rows = list(csv.DictReader(io.StringIO(compare.to_csv(result).decode("utf-8-sig"))))
    assert {r["period"] for r in rows} == {compare.period_name(old), compare.period_name(current)}
    assert {r["measure"] for r in rows} == set(result.measures)
    page = compare.to_html(result, [("Requests per period", "<svg xmlns='http://www.w3.org/2000/svg'></svg>")])
    assert "Strike periods compared" in page and "Old round" in page and "<script" not in page
    assert compare.filename(result, "csv").startswith("strike-periods-compared-")


def test_who_may_compare_and_what_they_see(team, rounds, staff):
    _, autumn, current = rounds
    for role in (Role.REQUESTER, Role.TRUST_MD, Role.BMA, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            compare.compare(team[role])
    elsewhere = staff.make(Role.REGIONAL_MD, region="Y56")
    assert list(compare.compare(elsewhere, [autumn.id, current.id]).table["Requests"]) == [0, 0]
    with pytest.raises(NotFound):
        compare.compare(team[Role.NATIONAL_MDT], [autumn.id, 999_999])
