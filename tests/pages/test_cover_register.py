"""The Cover register page and the pieces other pages draw from the register (ui/cover.py), through AppTest:
who opens it, who may change it, a line added and refused, a CSV file imported or refused row by row, the
request form prefilled from it, a reviewer's "asked for / registered minimum / on duty now", and the
dashboard's services below their minimum."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import select

from core.enums import AdminAction, Role
from core.models import AuditEvent
from core.platform.db import read_session
from core.request import cover_register
from core.request.cover_register import LineValues, Shift
from tests.conftest import TRUST_A, TRUST_OTHER_REGION
from tests.pages.conftest import (
    NOT_AVAILABLE,
    click,
    errors,
    file_request,
    html_rows,
    open_page,
    other_trust_team,
    shown,
)
from tests.pages.test_security import assert_nothing_rendered, hostile, plain_strings

PAGE = "pages/cover_register.py"
DR_PATEL = "Dr A Patel, local BMA representative"
ED = LineValues(
    service="Emergency department",
    grade="ST3+",
    shift=Shift.WHOLE_DAY,
    minimum_doctors=5,
    expected_cover=2,
    agreed_with="Dr A Patel <b>BMA</b> rep",
    agreed_on=date(2026, 11, 30),
)
GOOD_FILE = (
    b"Service,Grade,Shift,Minimum doctors,Expected from staff not striking,Agreed with,Agreed on\r\n"
    b"Critical care,ST3+,night,2,1,Dr B Jones (BMA),30/11/2026\r\n"
    b"Critical care,FY1,night,2,2,Dr B Jones (BMA),30/11/2026\r\n"
)


def audit_actions() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent.action).where(AuditEvent.action.like("cover_%"))).all())


def register_html(at) -> str:  # noqa: ANN001 - the register's table, among the page's other HTML (the menu's label)
    return next(h.value for h in at.html if "<caption>" in h.value)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_trust_its_region_and_the_national_mdt_open_the_page(people, role):
    at = open_page(people[role], PAGE)
    refused = [e.value for e in at.error] == [NOT_AVAILABLE]
    assert refused == (role in (Role.BMA, Role.ADMIN))
    if not refused:
        assert at.title[0].value == "Cover register"


def test_a_requester_adds_a_line_and_a_bad_one_is_refused_next_to_its_fields(people):
    requester = people[Role.REQUESTER]
    at = open_page(requester, PAGE)
    assert "This trust has no cover register yet." in shown(at)
    click(at, "cover_save")  # an empty form
    assert len(errors(at)) == 6 and "Enter the service or specialty." in errors(at)
    assert cover_register.register(requester, TRUST_A) == [] and audit_actions() == []
    at.text_input(key="cover_service").input("Emergency department")
    at.selectbox(key="cover_grade").select("ST3+")
    at.radio(key="cover_shift").set_value(Shift.NIGHT)
    at.number_input(key="cover_minimum_doctors").set_value(3)
    at.number_input(key="cover_expected_cover").set_value(1)
    at.text_input(key="cover_agreed_with").input(DR_PATEL)
    at.date_input(key="cover_agreed_on").set_value(date(2026, 11, 30))
    click(at, "cover_save")
    assert not errors(at) and "Line added to the register." in shown(at)
    [line] = cover_register.register(requester, TRUST_A)
    assert (line.service, line.shift, line.minimum_doctors) == ("Emergency department", Shift.NIGHT, 3)
    assert audit_actions() == [AdminAction.COVER_LINE_SAVED.value]
    assert "<caption>Emergency department</caption>" in register_html(at)
    assert html_rows(register_html(at)) == [
        ["Shift", "Grade", "Minimum", "Expected", "Gap"],
        ["Night", "ST3+", "3", "1", "2"],
    ]
    assert f"Agreed with {DR_PATEL} on 30 Nov 2026." in [t.value for t in at.text]


def test_reviewers_read_the_register_without_a_form_and_a_region_sees_only_its_trusts(people, staff):
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, ED)
    london = other_trust_team(staff)
    cover_register.save_line(london[Role.REQUESTER], TRUST_OTHER_REGION, replace(ED, service="Critical care"))
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE)
    assert "Agreed with Dr A Patel <b>BMA</b> rep on 30 Nov 2026." in [t.value for t in at.text]  # text, not markup
    assert not [b for b in at.button if b.key == "cover_save"] and not at.file_uploader
    at = open_page(people[Role.REGIONAL_MD], PAGE)
    options = at.selectbox(key="cover_trust").options
    assert any("Manchester" in o and "(1 line)" in o for o in options) and not any("Guy's" in o for o in options)
    at.selectbox(key="cover_trust").select_index(0).run()
    assert html_rows(register_html(at))[1] == ["24 hours", "ST3+", "5", "2", "3"]
    assert not [b for b in at.button if b.key == "cover_save"]
    assert at.get("download_button")


def test_a_csv_file_replaces_the_register_and_a_bad_one_lists_each_problem(people):
    requester = people[Role.TRUST_MD]
    cover_register.save_line(requester, TRUST_A, ED)
    at = open_page(requester, PAGE)
    bad = GOOD_FILE + b"Critical care,Registrar,day,x,1,Dr B Jones,2026-11-30\r\n"
    at.file_uploader(key="cover_file").set_value(("register.csv", bad, "text/csv"))
    at.run()
    click(at, "cover_import")
    assert "The file has 2 problems, listed below. Nothing from it was saved" in shown(at)
    problems = next(html_rows(h.value) for h in at.html if "Problems in the file" in h.value)
    assert [row[:2] for row in problems[1:]] == [["4", "Grade"], ["4", "Minimum doctors"]]
    assert [line.service for line in cover_register.register(requester, TRUST_A)] == ["Emergency department"]
    at.file_uploader(key="cover_file").set_value(("register.csv", GOOD_FILE, "text/csv"))
    at.run()
    click(at, "cover_import")
    assert "Register imported: 2 lines." in shown(at)
    assert {line.service for line in cover_register.register(requester, TRUST_A)} == {"Critical care"}
    assert audit_actions() == [AdminAction.COVER_LINE_SAVED.value, AdminAction.COVER_IMPORTED.value]


def test_the_request_form_starts_from_a_registered_service_and_shows_the_gap(people, strike):
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, ED)
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, replace(ED, grade="FY1", minimum_doctors=1))
    at = open_page(people[Role.REQUESTER], "pages/file_request.py")
    at.selectbox(key="rf_cover_pick").select_index(0).run()
    assert at.text_input(key="rf_service").value == "Emergency department"
    assert at.number_input(key="rf_minimum_safe_doctors").value == 6
    assert at.number_input(key="rf_doctors_on_duty").value == 4
    assert at.number_input(key="rf_doctors_requested").value == 2
    assert at.multiselect(key="rf_grades_requested").value == ["ST3+"]
    assert "Registered minimum: 6 doctors; expected from staff not striking: 4 doctors; the gap: 2 doctors." in shown(
        at
    )


def test_a_trust_without_a_register_files_from_a_blank_form(people, strike):
    at = open_page(people[Role.REQUESTER], "pages/file_request.py")
    assert "Your trust has no cover register yet" in shown(at) and not at.selectbox


def test_every_reviewer_sees_asked_for_registered_minimum_and_on_duty_side_by_side(people, strike):
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, ED)  # minimum 5, expected 2 (24 hours)
    request = file_request(people, strike, doctors_on_duty=1, minimum_safe_doctors=4, doctors_requested=3)
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        at = open_page(people[role], "pages/request_detail.py", id=str(request.id))
        assert [(m.label, m.value) for m in at.metric] == [
            ("Asked for", "3"),
            ("Registered minimum", "5"),
            ("On duty now", "1"),
        ]
        assert "The request gives a minimum safe number of 4; the register agreed 5." in shown(at)
    other = file_request(people, strike, service="Radiology", doctors_requested=2)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(other.id))
    assert ("Registered minimum", "—") in [(m.label, m.value) for m in at.metric]
    assert "This service is not on the trust's cover register." in shown(at)


def test_asking_for_more_than_the_gap_to_the_registered_minimum_is_pointed_out(people, strike):
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, replace(ED, minimum_doctors=2))
    request = file_request(people, strike, doctors_on_duty=1, minimum_safe_doctors=4, doctors_requested=3)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id))
    assert "more than the gap between the registered minimum and the doctors on duty now (1 doctor)" in shown(at)


def test_the_dashboard_lists_services_below_their_registered_minimum_in_its_scope(people, strike, staff):
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, ED)  # short by 3
    london = other_trust_team(staff)
    cover_register.save_line(london[Role.REQUESTER], TRUST_OTHER_REGION, replace(ED, service="Critical care"))
    at = open_page(people[Role.NATIONAL_MDT], "pages/dashboard.py")
    table = next(html_rows(h.value) for h in at.html if "below the minimum" in h.value)
    assert [row[0] for row in table[1:]] == [
        "Guy's and St Thomas' NHS Foundation Trust: Critical care",
        "Manchester University NHS Foundation Trust: Emergency department",
    ]
    at = open_page(people[Role.REGIONAL_MD], "pages/dashboard.py")
    table = next(html_rows(h.value) for h in at.html if "below the minimum" in h.value)
    assert [row[0] for row in table[1:]] == ["Manchester University NHS Foundation Trust: Emergency department"]
    assert table[1][1:] == ["24 hours", "5", "2", "0", "3"]


def test_register_text_is_shown_as_typed_never_as_markup_on_every_page_that_draws_it(people, strike):
    service, agreed_with = hostile("service", 200), hostile("agreed", 300)
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, replace(ED, service=service, agreed_with=agreed_with))
    request = file_request(people, strike, service=service, doctors_on_duty=1, doctors_requested=3)
    prefilled = open_page(people[Role.REQUESTER], "pages/file_request.py")
    prefilled.selectbox(key="rf_cover_pick").select_index(0).run()
    for at, where in (
        (open_page(people[Role.REQUESTER], PAGE), "cover register"),
        (prefilled, "the request form, prefilled"),
        (open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id)), "request"),
        (open_page(people[Role.NATIONAL_MDT], "pages/dashboard.py"), "dashboard"),
    ):
        assert_nothing_rendered(at, where)
        assert "ZQ" in plain_strings(at), where


def test_a_line_changed_by_someone_else_meanwhile_is_refused_the_typed_values_kept(people):
    line = cover_register.save_line(people[Role.REQUESTER], TRUST_A, ED)
    at = open_page(people[Role.TRUST_MD], PAGE)
    at.selectbox(key="cover_pick").select(line.id).run()
    assert at.number_input(key="cover_minimum_doctors").value == 5
    cover_register.save_line(people[Role.REQUESTER], TRUST_A, replace(ED, minimum_doctors=6), line.id, line.version)
    at.number_input(key="cover_minimum_doctors").set_value(7)
    click(at, "cover_save")
    assert "This line of the register changed since you opened it. Nothing was saved" in shown(at)
    assert at.number_input(key="cover_minimum_doctors").value == 7
    assert [x.minimum_doctors for x in cover_register.register(people[Role.REQUESTER], TRUST_A)] == [6]
    at.selectbox(key="cover_pick").select(None).run()  # start again from the line as it is now
    at.selectbox(key="cover_pick").select(line.id).run()
    at.number_input(key="cover_minimum_doctors").set_value(7)
    click(at, "cover_save")
    assert "Line saved." in shown(at)
    assert [x.minimum_doctors for x in cover_register.register(people[Role.REQUESTER], TRUST_A)] == [7]
    at.selectbox(key="cover_pick").select(line.id).run()
    click(at, "cover_remove")
    assert "Line removed from the register." in shown(at)
    assert cover_register.register(people[Role.REQUESTER], TRUST_A) == []
