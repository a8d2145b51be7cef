"""Time to decision (core.report.decision_times) on the report's hand-built history (tests/core/report/test_report.py),
against the minutes worked out by hand and against the same pairs read straight from the audit rows."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from core import report
from core.enums import Role, Tier
from core.models import AuditEvent, DerogationRequest
from core.platform.db import read_session
from core.report import decision_times as times
from core.report.figures import percentile
from tests.core.report.test_report import NOW, History


@pytest.fixture
def history(staff) -> History:
    return History(staff)


def by_stage(found: list[times.DecisionTime]) -> dict[str, tuple]:
    return {t.stage: (t.decisions, t.median_minutes, t.p90_minutes) for t in found}


def test_national_times_match_the_hand_count(history: History) -> None:
    found = times.decision_times(history.a[Role.NATIONAL_MDT], [history.period.id])
    # Decided: r1 approved at +385 (submitted 0), r2 resolved at +160 (10), r3 declined at +105 (20):
    # [85, 150, 385], median 150, p90 = 150 + 0.8 × 235. r4 was withdrawn and r6 is open: no decision.
    # Clinical director [15, 30, 90] (r4's withdrawal decides nothing); trust MD [10, 20, 45, 70]: the return
    # at +120 after 20 minutes, and 10 more minutes from the answer at +150 to resolving at +160.
    assert by_stage(found) == {
        times.WHOLE: (3, 150.0, 338.0),
        Tier.CLINICAL_DIRECTOR.value: (3, 30.0, 78.0),
        Tier.TRUST_MD.value: (4, 32.5, 62.5),
        Tier.REGIONAL_MD.value: (1, 100.0, 100.0),
        Tier.NATIONAL_MDT.value: (1, 150.0, 150.0),
        Tier.BMA.value: (1, 60.0, 60.0),
    }


def test_a_region_sees_its_own_requests_only(history: History) -> None:
    found = times.decision_times(history.a[Role.REGIONAL_MD], [history.period.id])
    assert by_stage(found)[times.WHOLE] == (2, 267.5, 361.5)  # r1 385 and r2 150, not London's r3
    assert by_stage(found)[Tier.CLINICAL_DIRECTOR.value] == (2, 60.0, 84.0)  # r1 30, r2 90


def test_equal_to_the_pairs_read_straight_from_the_audit_rows(history: History) -> None:
    """Pair each tier's decision with the latest arrival at that tier before it, in Python over every row."""
    with read_session() as session:
        rows = session.exec(
            select(AuditEvent)
            .join(DerogationRequest, col(DerogationRequest.id) == AuditEvent.request_id)
            .where(DerogationRequest.strike_period_id == history.period.id)
            .order_by(AuditEvent.id)
        ).all()
    minutes: dict[str, list[float]] = {}
    arrived: dict[tuple[int, str], object] = {}
    submitted: dict[int, object] = {}
    for row in rows:
        if row.action in {a.value for a in times.TIER_DECISIONS} and row.from_tier:
            waited = row.at - arrived[(row.request_id, row.from_tier)]
            minutes.setdefault(row.from_tier, []).append(waited.total_seconds() / 60)
        if row.action in {a.value for a in times.FINAL_ACTIONS}:
            minutes.setdefault(times.WHOLE, []).append((row.at - submitted[row.request_id]).total_seconds() / 60)
        if row.action in {a.value for a in times.ARRIVALS}:
            arrived[(row.request_id, row.to_tier)] = row.at
        if row.action == "submit":
            submitted[row.request_id] = row.at
    expected = {
        stage: (len(m), round(percentile(m, 0.5), 4), round(percentile(m, 0.9), 4)) for stage, m in minutes.items()
    }
    assert by_stage(times.decision_times(history.a[Role.NATIONAL_MDT], [history.period.id])) == expected


def test_the_report_and_the_comparison_show_them(history: History) -> None:
    national = history.a[Role.NATIONAL_MDT]
    built = report.build(national, history.period.id, now=NOW)
    table = dict((title, frame) for title, frame, _ in report.tables(built))["Time to decision"]
    assert table.iloc[0].tolist() == ["Submission to final decision", 3, 150.0, 338.0]
    compared = report.compare.compare(national, [history.period.id], now=NOW)
    median, p90 = report.compare.decision_columns(times.stage_label(times.WHOLE))
    assert compared.table.loc[0, median] == 150.0 and compared.table.loc[0, p90] == 338.0


def test_each_scope_counts_what_it_may_see(history: History) -> None:
    # The BMA sees what reached it (r1) and the mass-casualty r3 from submission: [85, 385].
    assert by_stage(times.decision_times(history.a[Role.BMA], [history.period.id]))[times.WHOLE] == (2, 235.0, 355.0)
    assert times.decision_times(history.a[Role.ADMIN], [history.period.id])[0].median_minutes is None
    assert times.decision_times(history.a[Role.NATIONAL_MDT], []) == []
