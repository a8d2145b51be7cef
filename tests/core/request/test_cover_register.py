"""The cover register (core/request/cover_register.py, core/request/cover_csv.py): who may see and change a trust's register,
every change one transaction and one audit row, bad lines and bad files refused with nothing saved, the CSV
round trip, and what requests and the dashboard read from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import workflow
from core.enums import AdminAction, Role, Tier
from core.models import AuditEvent, CoverLine
from core.platform.clock import from_london, to_london, utcnow
from core.platform.db import read_session
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.platform.spreadsheet import defuse
from core.records import audit
from core.request import cover_csv, cover_register
from core.request.cover_csv import CsvRejected, RowProblem
from core.request.cover_register import LineValues, Shift, StaleLine
from ops.seed import DEMO_OTHER_TRUST, DEMO_TRUST, seed_demo
from tests.conftest import TRUST_A, TRUST_B, TRUST_OTHER_REGION, Staff
from tests.core.conftest import T0, bma_approval, escalate_to, file_request, make_team

ED = LineValues(
    service="Emergency department",
    grade="ST3+",
    shift=Shift.NIGHT,
    minimum_doctors=3,
    expected_cover=1,
    agreed_with="Dr A Patel, local BMA representative",
    agreed_on=date(2026, 11, 30),
)


def snapshot() -> tuple:
    """Every register line and the audit history's length: what a refused change must leave as it was."""
    with read_session() as session:
        lines = [line.model_dump() for line in session.exec(select(CoverLine).order_by(CoverLine.id)).all()]
        return lines, session.exec(select(func.count()).select_from(AuditEvent)).one()


@contextmanager
def nothing_saved() -> Iterator[None]:
    before = snapshot()
    yield
    assert snapshot() == before


def audit_of(action: AdminAction) -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action.value)).all())


def test_a_requester_adds_and_changes_a_line_each_one_audit_row(team):
    requester = team[Role.REQUESTER]
    line = cover_register.save_line(requester, TRUST_A, replace(ED, service="  Emergency   department "))
    assert (line.service, line.service_key, line.version) == ("Emergency department", "emergency department", 1)
    changed = cover_register.save_line(requester, TRUST_A, replace(ED, minimum_doctors=4), line.id, line.version)
    assert (changed.id, changed.minimum_doctors, changed.version) == (line.id, 4, 2)
    saved = audit_of(AdminAction.COVER_LINE_SAVED)
    assert [e.details["minimum_doctors"] for e in saved] == [3, 4]
    assert saved[0].details | {"new": True} == saved[0].details and saved[0].actor_id == requester.id
    assert saved[1].details["agreed_on"] == "2026-11-30" and saved[1].details["trust"] == TRUST_A
    assert cover_register.register(team[Role.TRUST_MD], TRUST_A) == [changed]


def test_the_trusts_medical_director_may_change_it_and_nobody_else(team, staff: Staff):
    cover_register.save_line(team[Role.TRUST_MD], TRUST_A, ED)
    other_trust = staff.make(Role.REQUESTER, trust=TRUST_B)
    for who in (team[Role.CLINICAL_DIRECTOR], team[Role.REGIONAL_MD], team[Role.NATIONAL_MDT]):
        with nothing_saved(), pytest.raises(PermissionDenied, match="requesters and its medical director"):
            cover_register.save_line(who, TRUST_A, replace(ED, grade="FY1"))
    for who in (other_trust, team[Role.BMA], team[Role.ADMIN]):  # not theirs to see: as if there were none
        with nothing_saved(), pytest.raises(NotFound):
            cover_register.save_line(who, TRUST_A, replace(ED, grade="FY1"))


def test_the_trust_its_region_and_the_national_mdt_see_a_register_and_nobody_else(team, staff: Staff):
    line = cover_register.save_line(team[Role.REQUESTER], TRUST_A, ED)
    london = make_team(staff, TRUST_OTHER_REGION, "Y56")
    for who in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        assert cover_register.register(team[who], TRUST_A) == [line]
    strangers = [london[Role.REQUESTER], london[Role.REGIONAL_MD], team[Role.BMA], team[Role.ADMIN]]
    strangers.append(staff.make(Role.TRUST_MD, trust=TRUST_B))
    for who in strangers:
        with pytest.raises(NotFound, match="cover register"):
            cover_register.register(who, TRUST_A)
        with pytest.raises(NotFound):
            cover_csv.export_csv(who, TRUST_A)
    for unknown in ("XXX", "", None, 7, "R0A" * 5):
        with pytest.raises(NotFound):
            cover_register.register(team[Role.NATIONAL_MDT], unknown)
    regional = {trust.ods_code: lines for trust, lines in cover_register.trusts_in_scope(team[Role.REGIONAL_MD])}
    assert regional[TRUST_A] == 1 and TRUST_B in regional and TRUST_OTHER_REGION not in regional
    assert [t.ods_code for t, _ in cover_register.trusts_in_scope(team[Role.REQUESTER])] == [TRUST_A]
    assert cover_register.trusts_in_scope(team[Role.BMA]) == []


def test_a_bad_line_gets_a_message_per_field_and_nothing_is_saved(team):
    bad = LineValues(
        service=" ",
        grade="Registrar",
        shift="evening",
        minimum_doctors=0,
        expected_cover=-1,
        agreed_with="x" * 301,
        agreed_on=date.today() + timedelta(days=2),
    )
    with nothing_saved(), pytest.raises(ValidationFailed) as refused:
        cover_register.save_line(team[Role.REQUESTER], TRUST_A, bad)
    assert set(refused.value.errors) == {
        "service",
        "grade",
        "shift",
        "minimum_doctors",
        "expected_cover",
        "agreed_with",
        "agreed_on",
    }
    assert "future" in refused.value.errors["agreed_on"]
    for odd in (True, 2.5, "3", None, 501):
        with nothing_saved(), pytest.raises(ValidationFailed, match="number"):
            cover_register.save_line(team[Role.REQUESTER], TRUST_A, replace(ED, minimum_doctors=odd))
    with nothing_saved(), pytest.raises(ValidationFailed, match="invisible"):
        cover_register.save_line(team[Role.REQUESTER], TRUST_A, replace(ED, agreed_with="Dr A\u202e Patel"))


def test_a_stale_change_a_duplicate_and_a_line_of_another_trust_are_refused(team, staff: Staff):
    requester = team[Role.REQUESTER]
    line = cover_register.save_line(requester, TRUST_A, ED)
    cover_register.save_line(requester, TRUST_A, replace(ED, minimum_doctors=5), line.id, line.version)
    with nothing_saved(), pytest.raises(StaleLine, match="changed since you opened it"):
        cover_register.save_line(requester, TRUST_A, replace(ED, minimum_doctors=6), line.id, line.version)
    with nothing_saved(), pytest.raises(StaleLine):
        cover_register.remove_line(requester, TRUST_A, line.id, line.version)
    with nothing_saved(), pytest.raises(ValidationFailed, match="already has this service"):
        cover_register.save_line(requester, TRUST_A, replace(ED, service="EMERGENCY department", minimum_doctors=9))
    theirs = cover_register.save_line(staff.make(Role.REQUESTER, trust=TRUST_B), TRUST_B, ED)
    with nothing_saved(), pytest.raises(NotFound):
        cover_register.save_line(requester, TRUST_A, replace(ED, grade="FY1"), theirs.id, theirs.version)
    with nothing_saved(), pytest.raises(NotFound):
        cover_register.remove_line(requester, TRUST_A, theirs.id, theirs.version)


def test_removing_a_line_is_one_audit_row(team):
    line = cover_register.save_line(team[Role.REQUESTER], TRUST_A, ED)
    cover_register.remove_line(team[Role.TRUST_MD], TRUST_A, line.id, line.version)
    assert cover_register.register(team[Role.REQUESTER], TRUST_A) == []
    [removed] = audit_of(AdminAction.COVER_LINE_REMOVED)
    assert removed.details["line_id"] == line.id and removed.details["service"] == "Emergency department"


# ---------------------------------------------------------------- CSV

HEADER = "Service,Grade,Shift,Minimum doctors,Expected from staff not striking,Agreed with,Agreed on\r\n"


def test_a_register_exported_and_imported_again_is_the_same_and_is_defused_for_spreadsheets(team, staff: Staff):
    requester = team[Role.REQUESTER]
    lines = [
        ED,
        replace(ED, grade="FY1", shift=Shift.DAY, minimum_doctors=2, expected_cover=2),
        replace(ED, service='=HYPERLINK("http://evil.example","x")', grade="Any grade", shift=Shift.WHOLE_DAY),
        replace(ED, service="'Quoted' ward, with a comma", agreed_with='@SUM(1) and -2, "quoted"'),
        replace(ED, service="Maternité\nnew line", agreed_with="+44 7700 900000 (BMA)"),
        replace(ED, service="ICU;=1+1", shift=Shift.NIGHT),  # a spreadsheet splitting on ";" must not split it
    ]
    for values in lines:
        cover_register.save_line(requester, TRUST_A, values)
    exported = cover_csv.export_csv(team[Role.NATIONAL_MDT], TRUST_A)
    assert exported.splitlines()[0].replace('"', "") == HEADER.strip()  # every text cell quoted
    assert "'=HYPERLINK" in exported and "'@SUM" in exported and "'+44" in exported and "''Quoted" in exported
    assert f'"{defuse("ICU;=1+1")}"' in exported  # quoted whole, whatever the separator
    before = [cover_register.line_values(x) for x in cover_register.register(requester, TRUST_A)]
    assert cover_csv.import_csv(requester, TRUST_A, exported.encode("utf-8")) == len(lines)
    assert [cover_register.line_values(x) for x in cover_register.register(requester, TRUST_A)] == before
    other = staff.make(Role.REQUESTER, trust=TRUST_B)  # the same file is another trust's starting point too
    cover_csv.import_csv(other, TRUST_B, exported.encode("utf-8-sig"))
    assert [cover_register.line_values(x) for x in cover_register.register(other, TRUST_B)] == before


def test_an_import_replaces_the_whole_register_in_one_audit_row(team):
    requester = team[Role.REQUESTER]
    cover_register.save_line(requester, TRUST_A, ED)
    cover_register.save_line(requester, TRUST_A, replace(ED, service="Acute medicine"))
    data = (HEADER + "Critical care,ST3+,24h,2,1,Dr B Jones (BMA),30/11/2026\r\n\r\n,,,,,,\r\n").encode()
    assert cover_csv.import_csv(requester, TRUST_A, data) == 1
    [line] = cover_register.register(requester, TRUST_A)
    assert (line.service, line.shift, line.agreed_on) == ("Critical care", Shift.WHOLE_DAY, date(2026, 11, 30))
    [imported] = audit_of(AdminAction.COVER_IMPORTED)
    assert (
        imported.details["lines"] == 1
        and imported.details["replaced"] == 2
        and len(imported.details["file_sha256"]) == 64
    )


def test_a_file_with_bad_rows_says_where_each_problem_is_and_saves_nothing(team):
    requester = team[Role.REQUESTER]
    cover_register.save_line(requester, TRUST_A, ED)
    data = (
        HEADER
        + "Critical care,ST3+,day,2,1,Dr B Jones,2026-11-30\r\n"  # good: still not saved
        + "Critical care,Registrar,day,two,1,Dr B Jones,2026-11-30\r\n"
        + ",FY1,evening,3,0,,31/02/2026\r\n"
        + "critical CARE,st3+,DAY,4,1,Dr B Jones,2026-11-30\r\n"  # the same line as row 2, written differently
        + "Obstetrics,FY2,night,3,1,Dr C,2026-11-30,extra\r\n"
    ).encode()
    with nothing_saved(), pytest.raises(CsvRejected) as refused:
        cover_csv.import_csv(requester, TRUST_A, data)
    problems = refused.value.problems
    assert {(p.row, p.column) for p in problems} == {
        (3, "Grade"),
        (3, "Minimum doctors"),
        (4, "Service"),
        (4, "Shift"),
        (4, "Agreed with"),
        (4, "Agreed on"),
        (5, "Service"),
        (6, ""),
    }
    assert next(p for p in problems if p.row == 5).message == "Row 2 has the same service, grade and shift."
    assert next(p for p in problems if p.column == "Minimum doctors").message.startswith("Write a whole number")
    assert "Nothing from it was saved" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", RowProblem(1, "", "The file is empty.")),
        (HEADER.encode(), RowProblem(2, "", "The file has no lines under its first row.")),
        (b"Service,Grade\r\nED,FY1\r\n", RowProblem(1, "Shift", "This column is missing from the first row.")),
        (
            HEADER.encode("utf-16"),
            RowProblem(1, "", "The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'."),
        ),
        (b"x" * (cover_csv.MAX_FILE_BYTES + 1), RowProblem(1, "", "The file is larger than 512 KB: is it a register?")),
    ],
)
def test_a_file_that_is_not_a_register_is_refused(team, data, problem):
    cover_register.save_line(team[Role.REQUESTER], TRUST_A, ED)
    with nothing_saved(), pytest.raises(CsvRejected) as refused:
        cover_csv.import_csv(team[Role.REQUESTER], TRUST_A, data)
    assert problem in refused.value.problems


def test_only_the_trusts_editors_may_import(team, staff: Staff):
    data = (HEADER + "Critical care,ST3+,day,2,1,Dr B Jones,2026-11-30\r\n").encode()
    with nothing_saved(), pytest.raises(PermissionDenied):
        cover_csv.import_csv(team[Role.CLINICAL_DIRECTOR], TRUST_A, data)
    stranger = staff.make(Role.REQUESTER, trust=TRUST_B)
    with nothing_saved(), pytest.raises(NotFound):
        cover_csv.import_csv(stranger, TRUST_A, data)


# ---------------------------------------------------------------- what requests and the dashboard read


def _night() -> dict:
    """A recall window from the next 22:00 UK time (inside the period, which runs for three more days)."""
    now = utcnow()
    start = from_london(to_london(now).replace(hour=22, minute=0, second=0, microsecond=0, tzinfo=None))
    if start < now + timedelta(hours=1):
        start += timedelta(days=1)
    return {"window_start": start, "window_end": start + timedelta(hours=8)}


def test_a_request_for_a_registered_service_is_read_beside_its_register(team, period):
    requester = team[Role.REQUESTER]
    cover_register.save_line(requester, TRUST_A, ED)  # night: ST3+ 3, expected 1
    cover_register.save_line(requester, TRUST_A, replace(ED, grade="FY2", minimum_doctors=2, expected_cover=2))
    cover_register.save_line(requester, TRUST_A, replace(ED, shift=Shift.DAY, minimum_doctors=5, expected_cover=4))
    [day, night] = sorted(cover_register.service_cover(requester, TRUST_A), key=lambda c: c.shift)
    assert (night.minimum, night.expected, night.gap, night.short_grades) == (5, 3, 2, ("ST3+",))
    assert (day.minimum, day.gap) == (5, 1)
    request = file_request(
        team, period, service="emergency  Department", doctors_on_duty=2, doctors_requested=2, **_night()
    )
    cover = cover_register.request_cover(request)
    assert (cover.asked, cover.stated_minimum, cover.on_duty) == (2, 4, 2)
    assert cover.registered == night and cover.registered_gap == 3
    assert cover_register.request_cover(file_request(team, period, service="Radiology")).registered is None


def test_the_dashboard_lists_services_below_their_minimum_in_its_scope(team, period, staff: Staff):
    requester = team[Role.REQUESTER]
    cover_register.save_line(requester, TRUST_A, ED)  # short by 2
    cover_register.save_line(requester, TRUST_A, replace(ED, service="Acute medicine", expected_cover=3))  # not short
    london = make_team(staff, TRUST_OTHER_REGION, "Y56")
    cover_register.save_line(london[Role.REQUESTER], TRUST_OTHER_REGION, replace(ED, service="Critical care"))
    national = cover_register.below_minimum(team[Role.NATIONAL_MDT], period.id)
    assert [(row.trust_name[:6], row.service, row.short_by) for row in national] == [  # then by trust name
        ("Guy's ", "Critical care", 2),
        ("Manche", "Emergency department", 2),
    ]
    assert [row.trust_code for row in cover_register.below_minimum(team[Role.REGIONAL_MD], period.id)] == [TRUST_A]
    assert cover_register.below_minimum(team[Role.BMA], period.id) == []
    # The BMA approves one doctor for the service: it is short by one, then by none once two are approved.
    request = escalate_to(team, file_request(team, period, doctors_requested=1), Tier.BMA)
    workflow.bma_decide(team[Role.BMA], request.id, request.version, bma_approval(request))
    [row] = cover_register.below_minimum(team[Role.REGIONAL_MD], period.id)
    assert (row.approved, row.short_by) == (1, 1)
    request = escalate_to(team, file_request(team, period, doctors_requested=1), Tier.BMA)
    workflow.bma_decide(team[Role.BMA], request.id, request.version, bma_approval(request))
    assert cover_register.below_minimum(team[Role.REGIONAL_MD], period.id) == []
    assert len(cover_register.below_minimum(team[Role.REGIONAL_MD], None)) == 1  # no period: no approvals counted


@pytest.mark.usefixtures("cheap_hashing")
def test_the_demo_seeds_registers_for_its_trusts_each_in_one_audit_row(db):
    result = seed_demo(requests=30, now=T0)
    national = make_team(Staff(), TRUST_A)[Role.NATIONAL_MDT]
    registered = {trust.ods_code for trust, lines in cover_register.trusts_in_scope(national) if lines}
    assert {DEMO_TRUST, DEMO_OTHER_TRUST} <= registered and len(registered) == result["cover registers"]
    assert len(audit_of(AdminAction.COVER_IMPORTED)) == len(registered)
    services = {cover.service for cover in cover_register.service_cover(national, DEMO_TRUST)}
    assert "Emergency department" in services
    assert cover_register.below_minimum(national, None)  # some services are short, for the demo to show
    with read_session() as session:
        assert audit.verify_chain(session).ok
