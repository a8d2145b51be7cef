"""The daily public figures (core.report.public_figures) on a history of three days worked out by hand: each day's
row is the state at the end of that day, and the last row equals the dashboard's headline and a direct SQL
count at the same moment."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import and_, func
from sqlmodel import col, select

from core import queries, workflow
from core.enums import Action, Role, Status, Tier
from core.models import DerogationRequest
from core.platform.db import read_session
from core.platform.errors import NotFound
from core.report import public_figures
from tests.conftest import TRUST_OTHER_REGION
from tests.core.conftest import REASON, add_period, bma_approval, escalate_to, file_request, make_team

START = datetime(2025, 7, 25, 6, 0, tzinfo=UTC)  # 07:00 London (BST)
END = datetime(2025, 7, 30, 6, 0, tzinfo=UTC)
D1, D2, D3 = date(2025, 7, 25), date(2025, 7, 26), date(2025, 7, 27)
NOW = datetime(2025, 7, 27, 11, 0, tzinfo=UTC)  # noon in London on the third day


def on(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_cache():
    public_figures.clear_cache()
    yield
    public_figures.clear_cache()


class ThreeDays:
    """North West (trust A, Y62) and London (Y56), each request three doctors:

    a1 NW: submitted D1 09:00, approved D1 20:00 for 2 doctors, revoked D2 09:00
    a2 NW: submitted D1 10:00 (needed by 13:00), declined by the clinical director on D2 10:00
    o1 London: submitted D2 11:00 (needed by D3 17:00), withdrawn D3 08:00
    o2 London: submitted D2 12:00 (needed by 14:00), never decided
    a3 NW: submitted D3 09:00 (needed by 12:00), open at NOW (11:00)
    """

    def __init__(self, staff) -> None:
        self.period = add_period(START, END, "July 2025 strike")
        self.a = make_team(staff)
        self.o = make_team(staff, TRUST_OTHER_REGION, "Y56")
        a1 = escalate_to(self.a, file_request(self.a, self.period, on(D1, 9)), Tier.BMA, on(D1, 12))
        a1 = workflow.bma_decide(self.a[Role.BMA], a1.id, a1.version, bma_approval(a1, approved_doctors=2), on(D1, 20))
        workflow.revoke(self.a[Role.BMA], a1.id, a1.version, "New facts.", on(D2, 9), reasons=["facts_changed"])
        a2 = file_request(self.a, self.period, on(D1, 10))
        workflow.review(
            self.a[Role.CLINICAL_DIRECTOR], a2.id, a2.version, Action.DECLINE_CRITERIA, REASON, on(D2, 10),
            reasons=["not_eligible"],
        )  # fmt: skip
        later = {"decision_needed_by": on(D3, 17), "window_start": on(D3, 18), "window_end": on(D3, 23)}
        o1 = file_request(self.o, self.period, on(D2, 11), trust=TRUST_OTHER_REGION, **later)
        workflow.withdraw(self.o[Role.REQUESTER], o1.id, o1.version, "Cover found.", on(D3, 8))
        file_request(self.o, self.period, on(D2, 12), trust=TRUST_OTHER_REGION, decision_needed_by=on(D2, 14))
        file_request(self.a, self.period, on(D3, 9))


@pytest.fixture
def three_days(staff) -> ThreeDays:
    return ThreeDays(staff)


def cells(publication: public_figures.Publication) -> dict[tuple[date, str], dict[str, int]]:
    """The rows that are not all zeros, by (day, region)."""
    return {
        (row.date, row.region): {k: v for k, v in vars(row).items() if k not in ("date", "region") and v}
        for row in publication.rows
        if row.requests
    }


def test_each_day_is_the_state_at_its_end(three_days: ThreeDays) -> None:
    publication = public_figures.daily(three_days.period, NOW)
    assert {row.date for row in publication.rows} == {D1, D2, D3}
    assert len(publication.rows) == 3 * 7  # every region every day, zeros included
    nw, london = "North West", "London"
    assert cells(publication) == {  # fmt: skip
        (D1, nw): {
            "requests": 2,
            "approved": 1,
            "not_decided_in_time": 1,
            "doctors_requested": 6,
            "doctors_approved": 2,
        },
        (D2, nw): {"requests": 2, "revoked": 1, "declined": 1, "doctors_requested": 6},
        (D2, london): {"requests": 2, "pending": 1, "not_decided_in_time": 1, "doctors_requested": 6},
        (D3, nw): {"requests": 3, "revoked": 1, "declined": 1, "pending": 1, "doctors_requested": 9},
        (D3, london): {"requests": 2, "withdrawn": 1, "not_decided_in_time": 1, "doctors_requested": 6},
    }


def test_the_last_day_equals_the_dashboard_and_a_direct_count(three_days: ThreeDays) -> None:
    publication = public_figures.daily(three_days.period, NOW)
    last = [row for row in publication.rows if row.date == D3]
    published = {name: sum(getattr(row, name) for row in last) for name in public_figures.COLUMNS[2:]}

    national = three_days.a[Role.NATIONAL_MDT]
    h = queries.headline(queries.dashboard_breakdown(national, three_days.period.id, NOW))
    dashboard = {name: getattr(h, name) for name in public_figures.COLUMNS[2:]}
    assert published == dashboard

    request = DerogationRequest
    submitted = and_(request.strike_period_id == three_days.period.id, request.status != Status.DRAFT.value)
    undecided = col(request.status).in_(["in_review", "more_info", "expired"])
    late = col(request.decision_needed_by) < NOW
    with read_session() as session:

        def count(*where) -> int:  # noqa: ANN002
            return session.exec(select(func.count()).where(submitted, *where)).one()

        direct = {
            "requests": count(),
            "approved": count(request.status == "approved"),
            "declined": count(col(request.status).in_(["declined", "not_eligible"])),
            "withdrawn": count(request.status == "withdrawn"),
            "pending": count(col(request.status).in_(["in_review", "more_info"]), ~late),
            "revoked": count(request.status == "revoked"),
            "not_decided_in_time": count(undecided, late),
            "resolved_locally": count(request.status == "resolved_locally"),
            "expired": count(request.status == "expired", ~late),
            "doctors_requested": session.exec(select(func.sum(request.doctors_requested)).where(submitted)).one(),
            "doctors_approved": session.exec(
                select(func.coalesce(func.sum(request.approved_doctors), 0)).where(
                    submitted, request.status == "approved"
                )
            ).one(),
        }
    assert published == direct == {
        "requests": 5, "approved": 0, "declined": 1, "withdrawn": 1, "pending": 1, "doctors_requested": 15,
        "doctors_approved": 0, "revoked": 1, "not_decided_in_time": 1, "resolved_locally": 0, "expired": 0,
    }  # fmt: skip


def test_an_ended_period_runs_to_its_last_day_and_no_further(three_days: ThreeDays) -> None:
    later = END + timedelta(days=10)
    publication = public_figures.daily(three_days.period, later)
    assert publication.rows[0].date == D1 and publication.rows[-1].date == date(2025, 7, 30)
    assert public_figures.chosen_period(None, later).id == three_days.period.id  # the latest that ended


def test_the_csv_and_json_hold_the_same_rows_in_the_published_order(three_days: ThreeDays) -> None:
    publication = public_figures.daily(three_days.period, NOW)
    rows = list(csv.reader(io.StringIO(public_figures.to_csv(publication))))
    assert rows[0] == list(public_figures.COLUMNS)
    assert rows[0][:9] == [
        "date", "region", "requests", "approved", "declined", "withdrawn", "pending", "doctors_requested",
        "doctors_approved",
    ]  # fmt: skip
    document = json.loads(public_figures.to_json(publication))
    assert document["columns"] == rows[0]
    assert [[str(r[c]) for c in document["columns"]] for r in document["rows"]] == rows[1:]
    text = public_figures.to_csv(publication) + public_figures.to_json(publication)
    assert "Manchester" not in text and "Guy's" not in text and REASON not in text  # no trust, no free text


def test_the_period_asked_for_must_exist_and_have_started(three_days: ThreeDays) -> None:
    upcoming = add_period(END + timedelta(days=30), END + timedelta(days=32), "Next")
    with pytest.raises(NotFound):
        public_figures.chosen_period(upcoming.id, NOW)
    with pytest.raises(NotFound):
        public_figures.chosen_period(9999, NOW)
    assert public_figures.chosen_period(None, NOW).id == three_days.period.id  # in progress
    for bad in ("", "abc", "-1", "0", "1.0", "1e3", "99999999999", " 1", "１"):
        with pytest.raises(public_figures.BadPeriod):
            public_figures.period_id_from(bad)
    assert public_figures.period_id_from(None) is None and public_figures.period_id_from("7") == 7
