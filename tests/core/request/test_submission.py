"""docs/rules.md rule 1, docs/rules.md rule 2 and the form: submission only during strike action, recall window inside it, the five
eligible categories, P1/P2 priority, mitigations evidence, and bad input refused with nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Text

from core import workflow
from core.enums import ELIGIBLE_CATEGORIES, Category, Mitigation, Priority, Role, Status, Tier
from core.models import DerogationRequest, RequestFields
from core.platform.clock import format_london
from core.platform.errors import NotAllowed, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from core.request.form import (
    BLANK_MESSAGE,
    CALL_BACK,
    CHOSEN,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    ROUTINE_ELECTIVE_MESSAGE,
    TEXT_FIELDS,
    TEXT_LIMITS,
    TIME_FIELDS,
    RequestForm,
)
from tests.conftest import TRUST_A, TRUST_B, valid_form
from tests.core.conftest import T0, add_period, audit_rows, file_request, nothing_changes, reload, timed_form


def _draft(team, form, now=T0):
    return workflow.save_draft(team[Role.REQUESTER], form, now=now)


def _submit_errors(team, draft, now=T0) -> dict[str, str]:
    with nothing_changes(draft.id), pytest.raises(ValidationFailed) as caught:
        workflow.submit(team[Role.REQUESTER], draft.id, draft.version, now=now)
    assert reload(draft.id).status == Status.DRAFT
    return caught.value.errors


def _submit_refused(team, draft, now=T0) -> str:
    """Why submitting now is not allowed (core.access_control.permissions, before any check of the form)."""
    with nothing_changes(draft.id), pytest.raises(NotAllowed) as caught:
        workflow.submit(team[Role.REQUESTER], draft.id, draft.version, now=now)
    assert reload(draft.id).status == Status.DRAFT
    return str(caught.value)


# ---------------------------------------------------------------- docs/rules.md rule 1: strike periods


def test_submission_waits_for_the_strike_to_start_and_the_draft_is_kept(team):
    start = T0 + timedelta(days=1)
    future = add_period(start, start + timedelta(days=2))
    form = timed_form(future, start + timedelta(hours=1))
    draft = _draft(team, form)

    refused = _submit_refused(team, draft, now=T0)
    assert refused.startswith("Requests can only be submitted once strike action has started")
    assert f"Submission opens at {format_london(future.starts_at)}" in refused
    assert refused.endswith("Your draft is kept.")

    # Once the strike has started the same draft goes through, unchanged in content.
    submitted = workflow.submit(team[Role.REQUESTER], draft.id, draft.version, now=start + timedelta(hours=1))
    assert (submitted.status, submitted.current_tier) == (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    assert submitted.strike_period_id == future.id
    assert submitted.submitted_at == submitted.tier_entered_at == start + timedelta(hours=1)
    assert submitted.risk_description == draft.risk_description


def test_submission_refused_after_the_strike_has_ended(team):
    ended = add_period(T0 - timedelta(days=3), T0 - timedelta(days=1))
    draft = _draft(team, timed_form(ended, T0 - timedelta(days=2)), now=T0 - timedelta(days=2))
    refused = _submit_refused(team, draft, now=T0)
    assert "once strike action has started" in refused
    assert "No strike period is scheduled." in refused


def test_submission_at_the_exact_end_of_the_period_is_refused(team):
    period = add_period(T0 - timedelta(days=1), T0)
    draft = _draft(team, timed_form(period, T0 - timedelta(hours=20)), now=T0 - timedelta(hours=20))
    assert "once strike action has started" in _submit_refused(team, draft, now=T0)


def test_drafts_can_be_saved_at_any_time_even_incomplete(team):
    draft = workflow.save_draft(team[Role.REQUESTER], valid_form(None, site="", category="", risk_description=""))
    assert draft.status == Status.DRAFT and draft.current_tier is None
    assert [row.action for row in audit_rows(draft.id)] == ["create"]


def _new_form(**filled) -> RequestForm:
    """What a new form holds before the person types: the trust and the call-back details from the account,
    and anything in `filled`."""
    return RequestForm(trust_code=TRUST_A, **{name: "From the account" for name in CALL_BACK}, **filled)


@pytest.mark.parametrize(
    "looks_filled",
    [
        {},
        {"site": "   ", "ward": "\n"},  # spaces are not an answer
        {"mitigations": {"consultants_sas": {"tried": False, "note": " "}}},  # an unticked box, no note
        {"grades_requested": [], "priority": None},
    ],
)
def test_an_empty_form_saves_nothing_and_says_so_at_its_first_question(team, looks_filled):
    with nothing_changes(), pytest.raises(ValidationFailed) as caught:
        _draft(team, _new_form(**looks_filled))
    assert caught.value.errors == {"category": BLANK_MESSAGE}


@pytest.mark.parametrize(
    "one_answer",
    [
        {"service": "Acute medicine"},
        {"doctors_on_duty": 0},  # none on duty is an answer
        {"category": Category.CANCER.value},
        {"mass_casualty": True},
        {"mitigations": {"consultants_sas": {"tried": True, "note": ""}}},
    ],
)
def test_one_answer_is_enough_for_a_draft(team, one_answer):
    assert _draft(team, _new_form(**one_answer)).status == Status.DRAFT


def test_a_draft_emptied_and_saved_again_stays_as_it_was(team):
    draft = _draft(team, _new_form(service="Acute medicine"))
    with nothing_changes(draft.id), pytest.raises(ValidationFailed) as caught:
        workflow.save_draft(team[Role.REQUESTER], _new_form(), draft.id, draft.version)
    assert caught.value.errors == {"category": BLANK_MESSAGE}


@pytest.mark.parametrize(
    ("start", "end", "wrong"),
    [
        (timedelta(hours=-13), timedelta(hours=2), {"window_start"}),  # starts before the strike
        (timedelta(hours=2), timedelta(days=3, hours=1), {"window_end"}),  # ends after the strike
        (timedelta(hours=-13), timedelta(days=3, hours=1), {"window_start", "window_end"}),  # both
    ],
)
def test_recall_window_must_sit_inside_the_strike_period_and_says_which_end_is_outside(
    team, fixed_period, start, end, wrong
):
    draft = _draft(team, timed_form(fixed_period, T0, window_start=T0 + start, window_end=T0 + end))
    errors = _submit_errors(team, draft)
    assert {name for name, message in errors.items() if "inside the strike period" in message} == wrong


def test_recall_window_must_end_after_it_starts(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, window_start=T0 + timedelta(hours=5), window_end=T0))
    assert _submit_errors(team, draft)["window_end"] == "The recall must end after it starts."


def test_decision_needed_by_must_be_future_and_before_the_window_ends(team, fixed_period):
    late = _draft(team, timed_form(fixed_period, T0, decision_needed_by=T0 + timedelta(hours=16)))
    assert _submit_errors(team, late)["decision_needed_by"] == "A decision is needed before the recall window ends."
    past = _draft(team, timed_form(fixed_period, T0, decision_needed_by=T0 - timedelta(minutes=1)))
    assert _submit_errors(team, past)["decision_needed_by"] == "The decision-needed-by time must be in the future."


def test_a_window_that_already_ended_is_refused(team, fixed_period):
    form = timed_form(fixed_period, T0, window_start=T0 - timedelta(hours=6), window_end=T0 - timedelta(hours=1))
    assert _submit_errors(team, _draft(team, form))["window_end"] == "The recall window has already ended."


# ---------------------------------------------------------------- docs/rules.md rule 2: eligible categories


def test_each_eligible_category_can_be_submitted(team, fixed_period):
    for category in ELIGIBLE_CATEGORIES:
        priority = Priority.P1B.value if category is Category.P1_P2_TIME_CRITICAL else None
        form = timed_form(fixed_period, T0, category=category.value, priority=priority)
        request = workflow.submit(team[Role.REQUESTER], _draft(team, form).id, 1, now=T0)
        assert request.category == category and request.status == Status.IN_REVIEW


def test_exactly_five_categories_are_eligible():
    assert len(ELIGIBLE_CATEGORIES) == 5 and Category.ROUTINE_ELECTIVE not in ELIGIBLE_CATEGORIES


def test_routine_elective_is_refused_with_its_reason(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, category=Category.ROUTINE_ELECTIVE.value))
    assert _submit_errors(team, draft)["category"] == ROUTINE_ELECTIVE_MESSAGE
    assert "Routine elective care is not eligible" in ROUTINE_ELECTIVE_MESSAGE


def test_a_missing_or_unknown_category_is_refused(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, category=""))
    assert _submit_errors(team, draft)["category"] == "Choose the category of care."
    with nothing_changes(), pytest.raises(ValidationFailed) as caught:  # an unknown value not even as a draft
        _draft(team, timed_form(fixed_period, T0, category="cosmetic"))
    assert caught.value.errors["category"] == "Choose one of the listed categories."


def test_p1_p2_needs_a_priority(team, fixed_period):
    form = timed_form(fixed_period, T0, category=Category.P1_P2_TIME_CRITICAL.value, priority=None)
    assert _submit_errors(team, _draft(team, form))["priority"] == "Choose the surgical priority: P1a, P1b or P2."


def test_each_priority_is_accepted_for_p1_p2(team, fixed_period):
    for priority in Priority:
        form = timed_form(fixed_period, T0, category=Category.P1_P2_TIME_CRITICAL.value, priority=priority.value)
        assert workflow.submit(team[Role.REQUESTER], _draft(team, form).id, 1, now=T0).priority == priority


def test_unknown_priority_is_refused(team, fixed_period):
    form = timed_form(fixed_period, T0, category=Category.P1_P2_TIME_CRITICAL.value, priority="P9")
    with nothing_changes(), pytest.raises(ValidationFailed) as caught:
        _draft(team, form)
    assert caught.value.errors["priority"] == "Choose P1a, P1b or P2."


def test_a_priority_is_not_stored_for_other_categories(team, fixed_period):
    """A surgical priority only means something for P1/P2: a cancer request must not show 'P1a'."""
    draft = _draft(team, timed_form(fixed_period, T0, category=Category.CANCER.value, priority=Priority.P1A.value))
    assert draft.priority is None


# ---------------------------------------------------------------- the evidence the BMA asks for


def test_mitigations_must_be_evidenced(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, mitigations={}))
    errors = _submit_errors(team, draft)
    assert errors["mitigations"].startswith("Show what you have already tried")
    assert "The BMA expects this to be tried" in errors[f"mitigation.{Mitigation.CONSULTANTS_SAS.value}"]
    assert "The BMA expects this to be tried" in errors[f"mitigation.{Mitigation.ELECTIVE_STOOD_DOWN.value}"]


def test_a_ticked_mitigation_needs_a_real_note(team, fixed_period):
    mitigations = {
        Mitigation.CONSULTANTS_SAS.value: {"tried": True, "note": "none"},  # the classic refusal
        Mitigation.ELECTIVE_STOOD_DOWN.value: {"tried": True, "note": "All elective lists cancelled."},
    }
    draft = _draft(team, timed_form(fixed_period, T0, mitigations=mitigations))
    assert _submit_errors(team, draft) == {
        f"mitigation.{Mitigation.CONSULTANTS_SAS.value}": "Say what was done and with what result (at least 10 characters)."
    }


def test_an_untried_expected_mitigation_can_be_explained_instead(team, fixed_period):
    mitigations = {
        Mitigation.CONSULTANTS_SAS.value: {"tried": True, "note": "All eight consultants asked; two covering."},
        Mitigation.ELECTIVE_STOOD_DOWN.value: {"tried": False, "note": "There is no elective work in this service."},
    }
    form = timed_form(fixed_period, T0, mitigations=mitigations)
    assert workflow.submit(team[Role.REQUESTER], _draft(team, form).id, 1, now=T0).status == Status.IN_REVIEW


def test_non_urgent_work_still_running_must_be_explained(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, non_urgent_work_running=True, non_urgent_work_note=" "))
    assert "non_urgent_work_note" in _submit_errors(team, draft)


def test_local_agreement_sought_must_say_with_whom(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0, local_agreement_sought=True, local_agreement_with=""))
    assert _submit_errors(team, draft)["local_agreement_with"] == "Say with whom local agreement was sought."


def test_staffing_must_show_a_gap_and_ask_for_no_more_than_it(team, fixed_period):
    no_gap = _draft(team, timed_form(fixed_period, T0, doctors_on_duty=4, minimum_safe_doctors=4))
    assert "already meets the minimum safe number" in _submit_errors(team, no_gap)["minimum_safe_doctors"]
    too_many = _draft(team, timed_form(fixed_period, T0, doctors_on_duty=1, minimum_safe_doctors=3))
    assert (
        _submit_errors(team, too_many)["doctors_requested"]
        == "Ask for no more than the gap to the minimum safe number (2)."
    )


def test_missing_contact_details_are_each_named(team, fixed_period):
    form = timed_form(
        fixed_period, T0, contact_name="", contact_phone="call me", contact_email="nope", grades_requested=[]
    )
    errors = _submit_errors(team, _draft(team, form))
    assert {"contact_name", "contact_phone", "contact_email", "grades_requested"} <= errors.keys()


# ---------------------------------------------------------------- bad input to drafts


BAD_DRAFT_INPUT = [
    ("site", "x" * 201, "Use 200 characters or fewer (you have 201)."),
    ("service", "ED\x00", "Remove the invisible control character from this text."),
    ("risk_description", 42, "Enter text."),
    ("patients_affected", -1, "Enter a whole number between 0 and 100,000."),
    ("doctors_requested", True, "Enter a whole number between 0 and 100,000."),
    ("doctors_on_duty", "3", "Enter a whole number between 0 and 100,000."),
    ("window_start", "tomorrow", "Enter a date and time."),
    ("grades_requested", ["consultant"], "Choose grades from the list."),
]


def test_bad_draft_input_gets_a_message_and_saves_nothing(team):
    for field, value, message in BAD_DRAFT_INPUT:
        with nothing_changes(), pytest.raises(ValidationFailed) as caught:
            workflow.save_draft(team[Role.REQUESTER], valid_form(None, **{field: value}))
        assert caught.value.errors[field] == message


def test_a_draft_update_with_bad_input_leaves_the_draft_as_it_was(team):
    draft = workflow.save_draft(team[Role.REQUESTER], valid_form(None))
    with nothing_changes(draft.id), pytest.raises(ValidationFailed):
        workflow.save_draft(team[Role.REQUESTER], valid_form(None, ward="w" * 500), draft.id, draft.version)


def test_drafts_are_for_the_requesters_own_trust_only(team):
    with nothing_changes(), pytest.raises(ValidationFailed) as caught:
        workflow.save_draft(team[Role.REQUESTER], valid_form(None, trust=TRUST_B))
    assert caught.value.errors["trust_code"] == "You can only file requests for your own trust."


def test_an_unknown_trust_is_refused(staff):
    requester = staff.make(Role.REQUESTER, trust="R0A")
    with nothing_changes(), pytest.raises(ValidationFailed) as caught:
        workflow.save_draft(requester, valid_form(None, trust="ZZZ"))
    assert "trust_code" in caught.value.errors


def test_only_requesters_file(team):
    for role in Role:
        if role is not Role.REQUESTER:
            with nothing_changes(), pytest.raises(PermissionDenied, match="Only trust requesters can file requests."):
                workflow.save_draft(team[role], valid_form(None))


def test_reviewers_cannot_submit_a_trusts_draft(team, fixed_period):
    draft = _draft(team, timed_form(fixed_period, T0))
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.NATIONAL_MDT):  # drafts are not theirs to see
        with nothing_changes(draft.id), pytest.raises(NotFound):
            workflow.submit(team[role], draft.id, draft.version, now=T0)


def test_a_colleague_at_the_same_trust_can_submit_a_draft(team, staff, fixed_period):
    """Shift handover: drafts belong to the trust, not to one person."""
    colleague = staff.make(Role.REQUESTER, trust="R0A")
    draft = _draft(team, timed_form(fixed_period, T0))
    assert workflow.submit(colleague, draft.id, draft.version, now=T0).status == Status.IN_REVIEW


def test_a_request_is_submitted_once(team, fixed_period):
    request = file_request(team, fixed_period, now=T0)
    with nothing_changes(request.id), pytest.raises(StaleVersion):
        workflow.submit(team[Role.REQUESTER], request.id, request.version - 1, now=T0)
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="already been submitted"):
        workflow.submit(team[Role.REQUESTER], request.id, request.version, now=T0)


def test_a_submitted_request_is_no_longer_edited_as_a_draft(team, period):
    request = file_request(team, period)
    with nothing_changes(request.id), pytest.raises(NotAllowed, match="Only a draft can be edited"):
        workflow.save_draft(team[Role.REQUESTER], valid_form(period), request.id, request.version)


def test_every_text_field_of_the_form_holds_what_its_column_holds():
    """One number per field: the form's limit (and its widget's, which reads it) is the column's length; the
    risk's column is TEXT, unbounded, so its declared limit is the only one."""
    columns = DerogationRequest.__table__.c
    for name, limit in TEXT_LIMITS.items():
        column_type = columns[name].type
        assert limit == column_type.length if not isinstance(column_type, Text) else limit == 4000, name
    assert TEXT_LIMITS["non_urgent_work_note"] == 2000  # the form said 1,000 while the column held 2,000


def test_the_form_the_table_and_the_labels_come_from_one_declaration():
    """core.models.RequestFields: the table has every field as a column, the form every field and nothing else."""
    declared = list(RequestFields.model_fields)
    assert list(RequestForm.model_fields) == declared
    assert set(declared) <= set(DerogationRequest.__table__.c.keys())
    assert all(info.title for info in RequestFields.model_fields.values())  # the label the page shows
    assert set(TEXT_FIELDS) | set(NUMBER_FIELDS) | set(TIME_FIELDS) | set(FLAG_FIELDS) | set(CHOSEN) == set(
        declared
    ) - {"grades_requested", "mitigations"}
