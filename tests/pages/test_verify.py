"""Check a recall (public): only trust, service, window, number and grades, and whether it still stands."""

from __future__ import annotations

from core import workflow
from core.enums import Role
from core.platform.db import get_engine
from core.records import integrity
from tests.core.workflow.test_bypass import recall
from tests.pages.conftest import click, errors, file_request, open_page, shown
from tests.pages.test_my_requests import approve

PAGE = "pages/verify.py"


def check(reference: str):  # noqa: ANN201
    at = open_page(None, PAGE)
    at.text_input(key="verify_ref").input(reference)
    return click(at, "verify_go")


def test_a_valid_reference_shows_only_what_a_doctor_needs(people, strike):
    approved = approve(people, file_request(people, strike, risk_description="Secret clinical detail about patients."))
    at = check(approved.confirmation_ref.lower().replace("-", " "))  # typed loosely
    page = shown(at)
    assert "VALID." in page
    texts = {t.value for t in at.text}
    assert "Manchester University NHS Foundation Trust" in texts
    assert "Emergency department (Majors only)" in texts
    assert "2" in texts and "ST3+" in texts
    assert "Secret clinical detail" not in page
    assert "0161 276 1234" not in page and "rota@mft.nhs.uk" not in page  # no contact details
    assert people[Role.REQUESTER].full_name not in page  # nobody's name


def test_a_revoked_approval_says_so(people, strike):
    approved = approve(people, file_request(people, strike))
    workflow.revoke(people[Role.BMA], approved.id, approved.version, "New information.", reasons=["facts_changed"])
    at = check(approved.confirmation_ref)
    assert any(m.startswith("**REVOKED.**") for m in [e.value for e in at.error])
    assert "No: revoked" in {t.value for t in at.text}
    assert "New information." not in shown(at)  # the reason is for the trust, not the public


def test_an_unknown_reference_is_refused_plainly(sqlite_db):
    for reference in ("ABCD-EFGH", "<script>", "x" * 20):
        at = check(reference)
        assert any("No BMA approval or recall has this reference" in m for m in errors(at)), reference


def test_enter_in_the_box_checks_the_reference(sqlite_db):
    """The box and the button are one form: a browser submits it on Enter, as on the button."""
    at = open_page(None, PAGE)
    box = at.text_input(key="verify_ref")
    assert box.form_id == "verify_form" and at.button(key="verify_go").form_id == "verify_form"
    assert "Press Enter" not in shown(at)


def test_a_record_changed_behind_the_audits_back_cannot_be_confirmed(people, strike):
    approved = approve(people, file_request(people, strike))
    with get_engine().begin() as conn:
        conn.exec_driver_sql(f"UPDATE derogation_request SET approved_doctors = 25 WHERE id = {approved.id}")
    at = check(approved.confirmation_ref)
    page = shown(at)
    assert "CANNOT BE CONFIRMED." in page and "call the trust" in page
    assert "VALID." not in page and "25" not in {t.value for t in at.text}  # nothing forged is shown
    assert integrity.alarm_state().differences == 2


def test_a_bypass_recall_is_answered_with_where_it_stands(people, strike):
    request = file_request(people, strike, mass_casualty=True)
    request = workflow.record_bypass(people[Role.REQUESTER], request.id, request.version, recall())
    at = check(request.bypass_ref)
    assert "RECALLED UNDER THE FAILSAFE BYPASS." in shown(at)
    assert {"3", "FY2, ST3+"} <= {t.value for t in at.text}
