"""File a request: the form, drafts, submission, messages next to fields, and answering a question."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from core import workflow
from core.enums import Action, Category, Mitigation, Role, Status, Tier
from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import to_london, utcnow
from core.platform.db import read_session, write_session
from core.records.nhs_numbers import NHS_NUMBER_MESSAGE
from core.request.form import (
    BLANK_MESSAGE,
    LABELS,
    NUMBER_FIELDS,
    ROUTINE_ELECTIVE_MESSAGE,
    TEXT_FIELDS,
    TEXT_LIMITS,
    TIME_FIELDS,
    RequestForm,
)
from tests.conftest import valid_form
from tests.pages.conftest import (
    MARKUP,
    click,
    errors,
    file_request,
    markdown_sources,
    open_page,
    other_trust_team,
    shown,
)
from ui.error_summary import Problem, summary_html

PAGE = "pages/file_request.py"


def london(moment):  # noqa: ANN001, ANN201
    return to_london(moment).replace(tzinfo=None, second=0, microsecond=0)


def fill(at, form: RequestForm):  # noqa: ANN001, ANN201
    """Type a whole form into the page the way a person would."""
    at.radio(key="rf_category").set_value(form.category).run()
    if form.priority:
        at.radio(key="rf_priority").set_value(form.priority)
    for name in ("site", "service", "ward", "contact_name", "contact_role", "contact_phone", "contact_email"):
        at.text_input(key=f"rf_{name}").input(getattr(form, name))
    at.text_area(key="rf_risk_description").input(form.risk_description)
    for name in NUMBER_FIELDS:
        at.number_input(key=f"rf_{name}").set_value(getattr(form, name))
    for name in TIME_FIELDS:
        at.datetime_input(key=f"rf_{name}").set_value(london(getattr(form, name)))
    at.multiselect(key="rf_grades_requested").set_value(form.grades_requested)
    for key, entry in form.mitigations.items():
        at.checkbox(key=f"rf_mit_{key}_tried").set_value(entry["tried"])
        at.text_input(key=f"rf_mit_{key}_note").input(entry["note"])
    return at


def requests_in_db() -> list[DerogationRequest]:
    with read_session() as session:
        return list(session.exec(select(DerogationRequest).order_by(DerogationRequest.id)))


def test_the_form_shows_the_users_trust_and_region_and_fills_in_the_contact(people, strike):
    requester = people[Role.REQUESTER]
    at = open_page(requester, PAGE)
    page = shown(at)
    assert "Manchester University NHS Foundation Trust (ODS code R0A)" in page
    assert "Region: North West" in page
    assert at.text_input(key="rf_contact_name").value == requester.full_name
    assert at.text_input(key="rf_contact_email").value == requester.email
    assert "alerts every tier at once" in page and "BMA's decision is still required" in page


def test_every_field_is_drawn_with_the_label_and_length_the_model_declares(people, strike):
    """core.models.RequestFields declares each field's label and length once; the widgets read them."""
    at = open_page(people[Role.REQUESTER], PAGE)
    widgets = {w.key: w for w in [*at.text_input, *at.text_area, *at.number_input, *at.datetime_input]}
    for name in (*TEXT_FIELDS, *NUMBER_FIELDS, *TIME_FIELDS):
        widget = widgets[f"rf_{name}"]
        assert widget.label == LABELS[name], name
        if name in TEXT_FIELDS:
            assert widget.max_chars == TEXT_LIMITS[name], name


def test_routine_elective_is_refused_as_soon_as_it_is_picked(people, strike):
    at = open_page(people[Role.REQUESTER], PAGE)
    at.radio(key="rf_category").set_value(Category.ROUTINE_ELECTIVE.value).run()
    assert ROUTINE_ELECTIVE_MESSAGE in errors(at)
    assert requests_in_db() == []  # said before anything was saved or submitted


def test_priority_is_asked_only_for_p1_p2(people, strike):
    at = open_page(people[Role.REQUESTER], PAGE)
    assert not at.radio(key="rf_category").value
    assert "rf_priority" not in [r.key for r in at.radio]
    at.radio(key="rf_category").set_value(Category.P1_P2_TIME_CRITICAL.value).run()
    assert "rf_priority" in [r.key for r in at.radio]


def test_a_complete_form_is_submitted_to_the_clinical_director(people, strike):
    at = fill(open_page(people[Role.REQUESTER], PAGE), valid_form(strike))
    click(at, "rf_submit")
    (request,) = requests_in_db()
    assert (request.status, request.current_tier) == (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    assert request.service == "Emergency department" and request.doctors_requested == 3
    assert f"Request {request.id} submitted" in shown(at)


def test_missing_answers_are_shown_next_to_their_fields_and_nothing_typed_is_lost(people, strike):
    form = valid_form(strike, site="", contact_phone="call me")
    form.mitigations = {}
    at = fill(open_page(people[Role.REQUESTER], PAGE), form)
    click(at, "rf_submit")
    messages = errors(at)
    assert "Enter the hospital site." in messages
    assert "Enter a phone number a reviewer can call, like 0161 276 1234." in messages
    assert any("BMA declines requests without this" in m for m in messages)
    # Everything typed is still on the screen, and kept as a draft.
    assert at.text_input(key="rf_service").value == "Emergency department"
    assert at.text_input(key="rf_contact_phone").value == "call me"
    assert at.number_input(key="rf_doctors_requested").value == 3
    (request,) = requests_in_db()
    assert request.status == Status.DRAFT and request.service == "Emergency department"
    assert at.query_params["id"] == str(request.id)


def error_summary(at) -> str:  # noqa: ANN001 - the GOV.UK summary's HTML (ui.error_summary), or ''
    return "".join(h.proto.body for h in at.get("html") if "derog-error-summary" in h.proto.body)


def test_an_empty_form_saves_nothing_and_the_summary_links_to_its_first_question(people, strike):
    at = open_page(people[Role.REQUESTER], PAGE)
    for button in ("rf_save", "rf_submit"):
        click(at, button)
        assert requests_in_db() == []  # no blank draft at the top of every requester's list
        summary = error_summary(at)
        assert "There is a problem" in summary and 'href="#rf_category" data-field="rf_category"' in summary
        assert BLANK_MESSAGE in errors(at)  # next to the field as well
        assert at.text_input(key="rf_contact_name").value == people[Role.REQUESTER].full_name
        assert "id" not in at.query_params
    assert at.multiselect(key="rf_grades_requested").proto.select_all == 0  # no "Select all" grades


def test_the_summary_lists_every_problem_in_the_forms_order_each_a_link_to_its_field(people, strike):
    form = valid_form(strike, site="", contact_phone="call me", patients_affected=None)
    form.mitigations = {}
    at = fill(open_page(people[Role.REQUESTER], PAGE), form)
    click(at, "rf_submit")
    linked = re.findall(r'data-field="([^"]+)"', error_summary(at))
    assert linked == ["rf_site", "rf_patients_affected", "rf_mit_consultants_sas_tried", "rf_mit_consultants_sas_note",
                      "rf_mit_elective_stood_down_note", "rf_contact_phone"]  # fmt: skip
    assert f"<strong>{LABELS['site']}:</strong> Enter the hospital site." in error_summary(at)
    click(at, "rf_submit")  # the same problems again: moved to and focused again, for this attempt
    assert 'data-nonce="2"' in error_summary(at)


def test_the_summary_shows_every_text_as_text():
    markup = Problem('rf_x" onclick="alert(1)', "<b>Label</b>", "<script>alert(1)</script>")
    html = summary_html([markup, Problem("", "", "No field & no link")], nonce="1")
    assert "<script>" not in html and "<b>" not in html and 'onclick="' not in html
    assert (
        "<strong>&lt;b&gt;Label&lt;/b&gt;:</strong> &lt;script&gt;" in html
        and "<li>No field &amp; no link</li>" in html
    )


def test_a_draft_is_saved_at_any_time_and_reopened_by_its_link(people, strike):
    requester = people[Role.REQUESTER]
    at = open_page(requester, PAGE)
    at.text_input(key="rf_service").input("Acute medicine")
    click(at, "rf_save")
    (draft,) = requests_in_db()
    assert draft.status == Status.DRAFT and draft.service == "Acute medicine"
    assert f"Draft saved as request {draft.id}" in shown(at)
    reopened = open_page(requester, PAGE, id=str(draft.id))
    assert reopened.text_input(key="rf_service").value == "Acute medicine"
    reopened.text_input(key="rf_site").input("Wythenshawe Hospital")
    click(reopened, "rf_save")
    assert [r.site for r in requests_in_db()] == ["Wythenshawe Hospital"]  # the same draft, not a new one


def test_submission_outside_a_strike_period_is_refused_and_the_draft_kept(people, sqlite_db):
    now = utcnow()
    with write_session() as session:
        upcoming = StrikePeriod(name="Next", starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=5))
        session.add(upcoming)
    at = fill(open_page(people[Role.REQUESTER], PAGE), valid_form(upcoming))
    click(at, "rf_submit")
    assert any("Submission opens at" in m and "Your draft is kept" in m for m in errors(at))
    (request,) = requests_in_db()
    assert request.status == Status.DRAFT
    assert at.text_input(key="rf_site").value == "Manchester Royal Infirmary"


def test_markup_is_stored_as_typed_and_shown_as_plain_text(people, strike):
    requester = people[Role.REQUESTER]
    at = fill(open_page(requester, PAGE), valid_form(strike, service=MARKUP, risk_description=MARKUP * 2))
    click(at, "rf_submit")
    (request,) = requests_in_db()
    assert request.service == MARKUP and request.risk_description == MARKUP * 2
    detail = open_page(requester, "pages/request_detail.py", id=str(request.id))
    assert any(MARKUP in t.value for t in detail.text)  # st.text: shown exactly, never interpreted
    assert not [s for s in markdown_sources(detail) if "<b>" in s or "<script>" in s or "](http" in s]


def test_another_trusts_draft_reads_as_not_found(people, staff, strike):
    london_team = other_trust_team(staff)
    draft = workflow.save_draft(london_team[Role.REQUESTER], valid_form(strike, trust="RJ1"))
    at = open_page(people[Role.REQUESTER], PAGE, id=str(draft.id))
    assert any("Request not found" in m for m in errors(at))
    assert not at.text_input


def test_answering_a_question_sends_the_request_back_to_the_tier_that_asked(people, strike):
    request = file_request(people, strike)
    workflow.review(
        people[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which consultants?",
        reasons=["evidence_missing"],
    )
    at = open_page(people[Role.REQUESTER], PAGE, id=str(request.id))
    assert any("Which consultants?" in t.value for t in at.text)
    click(at, "rf_send_answer")
    assert any("Give your reasons" in m for m in errors(at))  # an answer is required; nothing changed
    assert requests_in_db()[0].status == Status.MORE_INFO
    at.text_input(key=f"rf_mit_{Mitigation.CONSULTANTS_SAS.value}_note").input(
        "Dr A and Dr B asked at 07:00; both on leave."
    )
    at.text_area(key="rf_answer").input("Dr A and Dr B asked; both on leave.")
    click(at, "rf_send_answer")
    (answered,) = requests_in_db()
    assert (answered.status, answered.current_tier) == (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    assert answered.mitigations[Mitigation.CONSULTANTS_SAS.value]["note"].startswith("Dr A and Dr B")
    assert "Answer sent" in shown(at)


def test_saving_a_draft_somebody_else_changed_is_refused_as_stale(people, strike, staff):
    requester = people[Role.REQUESTER]
    colleague = staff.make(Role.REQUESTER, trust="R0A")
    draft = workflow.save_draft(requester, valid_form(strike))
    at = open_page(requester, PAGE, id=str(draft.id))
    workflow.save_draft(colleague, valid_form(strike, ward="Resus"), draft.id, draft.version)  # the next shift
    at.text_input(key="rf_ward").input("Majors B")
    click(at, "rf_save")
    assert any("changed since you opened it" in m for m in errors(at))
    assert requests_in_db()[0].ward == "Resus"
    assert at.text_input(key="rf_ward").value == "Majors B"  # what they typed is still there
    click(at, "rf_reload")
    assert at.text_input(key="rf_ward").value == "Resus"


def test_a_submitted_request_cannot_be_edited_here(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE, id=str(request.id))
    assert "Only a draft can be edited: request" in shown(at)
    assert "rf_submit" not in [b.key for b in at.button]


def test_an_nhs_number_is_refused_at_its_field_and_nothing_is_stored(people, strike):
    """Issue 21: patient details do not belong in a request; the phone field is not free text."""
    form = valid_form(strike, risk_description="Patient 943 476 5919 waits in majors.", contact_phone="9434765919")
    at = fill(open_page(people[Role.REQUESTER], PAGE), form)
    click(at, "rf_submit")
    # The message is at the one field, and the summary at the top ("There is a problem") links to it.
    assert errors(at) == [NHS_NUMBER_MESSAGE] and error_summary(at).count(NHS_NUMBER_MESSAGE) == 1
    assert at.text_area(key="rf_risk_description").value == form.risk_description  # still there to correct
    assert requests_in_db() == []
