"""The streamlined request form: its fields, and the checks that give a message per field."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from core.enums import ELIGIBLE_CATEGORIES, Category, Grade, Mitigation, Priority
from core.models import DerogationRequest, RequestFields, StrikePeriod, column_limit
from core.platform.clock import format_london, from_london
from core.platform.input_checks import (
    EMAIL_RE,
    UNSTORABLE_MESSAGE,
    free_text_problem,
    plausible_time,
    text_problem,
    unstorable,
)

MAX_NOTE = 1000  # each mitigation's note (stored together in a JSON column)
MAX_COUNT = 100_000
MAX_DOCTORS = 500  # doctors on one request, one recall under the bypass, one line of a cover register
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{10,20}$")
MUST_EXPLAIN = (Mitigation.CONSULTANTS_SAS, Mitigation.ELECTIVE_STOOD_DOWN)
ROUTINE_ELECTIVE_MESSAGE = (
    "Routine elective care is not eligible for a derogation (NHS England letter PRN02106). "
    "Only major incidents, urgent and emergency care, P1/P2 time-critical treatment, essential cancer care "
    "and time-critical interventions can be considered."
)


CHOSEN = ("trust_code", "category", "priority")  # picked from a list, not typed
SHAPED = ("contact_phone", "contact_email")  # typed, but not free text: their own shape is checked instead
# Filled in from the requester's account on a new form (ui.request_form.new_form), so they say nothing
# about whether the person has started the request.
CALL_BACK = ("contact_name", "contact_role", "contact_phone", "contact_email")
BLANK_MESSAGE = (
    "Nothing was saved: the form is empty. Choose the kind of care at risk and fill in what you know, "
    "then save a draft or submit."
)


def _fields_of(kind: object) -> tuple[str, ...]:
    """The form's fields of one type, in the order core.models.RequestFields declares them."""
    return tuple(
        name for name, info in RequestFields.model_fields.items() if info.annotation == kind and name not in CHOSEN
    )


# Every field by kind, read off core.models.RequestFields: the checks here, the widgets (ui.request_form)
# and the tests' strategies use these, so a field, its type and its length are declared once.
TEXT_FIELDS = _fields_of(str)
NUMBER_FIELDS = _fields_of(int | None)
TIME_FIELDS = _fields_of(datetime | None)
FLAG_FIELDS = _fields_of(bool)
TEXT_LIMITS = {name: column_limit(getattr(DerogationRequest, name)) for name in TEXT_FIELDS}
LABELS = {name: info.title or name for name, info in RequestFields.model_fields.items()}


class RequestForm(RequestFields):
    """Everything a trust fills in (core.models.RequestFields), held exactly as typed: built without
    pydantic's validation, so that a wrong value gets this module's message next to its field instead of
    an exception. Times are London wall-clock (naive) or aware datetimes."""

    TIME_FIELDS: ClassVar[tuple[str, ...]] = TIME_FIELDS

    def __init__(self, **values: Any) -> None:
        typed = type(self).model_construct(**values)  # fills the defaults, checks nothing
        for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
            object.__setattr__(self, name, getattr(typed, name))

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def storable(self) -> dict:
        """Column values for the request row (times in UTC, text exactly as typed)."""
        values = self.values()
        for name in TIME_FIELDS:
            if values[name] is not None:
                values[name] = from_london(values[name])
        values["mitigations"] = {
            key: {"tried": bool(entry.get("tried")), "note": str(entry.get("note", ""))}
            for key, entry in self.mitigations.items()
            if key in set(Mitigation)
        }
        # A surgical priority means something only for P1/P2; elsewhere it would mislead reviewers.
        values["priority"] = (self.priority or None) if self.category == Category.P1_P2_TIME_CRITICAL else None
        return values

    @classmethod
    def from_request(cls, request: DerogationRequest) -> RequestForm:
        return cls(**{name: getattr(request, name) for name in cls.model_fields})


def _text_errors(form: RequestForm) -> dict[str, str]:
    """Checks that apply to drafts too: lengths and characters that cannot be stored."""
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = getattr(form, name)
        if not isinstance(value, str):
            errors[name] = "Enter text."
        elif len(value) > limit:
            errors[name] = f"Use {limit:,} characters or fewer (you have {len(value):,})."
        elif name in SHAPED and unstorable(value):
            errors[name] = UNSTORABLE_MESSAGE
        elif name not in SHAPED and (problem := free_text_problem(value)):
            errors[name] = problem
    for key, entry in form.mitigations.items():
        if problem := text_problem(entry.get("note", ""), MAX_NOTE):
            errors[f"mitigation.{key}"] = problem
    for name in NUMBER_FIELDS:
        value = getattr(form, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT):
            errors[name] = f"Enter a whole number between 0 and {MAX_COUNT:,}."
    for name in TIME_FIELDS:
        value = getattr(form, name)
        if value is not None and not plausible_time(value):
            errors[name] = "Enter a date and time."
    if form.category and form.category not in set(Category):
        errors["category"] = "Choose one of the listed categories."
    if form.priority and form.priority not in set(Priority):
        errors["priority"] = "Choose P1a, P1b or P2."
    if any(grade not in set(Grade) for grade in form.grades_requested):
        errors["grades_requested"] = "Choose grades from the list."
    return errors


def _filled(value: object) -> bool:
    """Whether a person put something in a field (0 doctors on duty is an answer; an unticked box is not)."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, dict)):
        return bool(value)
    return True


def is_blank(form: RequestForm) -> bool:
    """Nothing typed or chosen beyond the trust and the call-back details a new form starts with: such a
    draft would only sit at the top of every requester's list saying nothing."""
    started = (name for name in type(form).model_fields if name not in ("trust_code", "mitigations", *CALL_BACK))
    if any(_filled(getattr(form, name)) for name in started):
        return False
    mitigations = form.mitigations if isinstance(form.mitigations, dict) else {}
    return not any(
        isinstance(entry, dict) and (entry.get("tried") or _filled(entry.get("note"))) for entry in mitigations.values()
    )


def validate_draft(form: RequestForm) -> dict[str, str]:
    """What a draft must be to be saved: something filled in, and every value storable. The empty form's
    message sits under its first question, the category, which the error summary links to."""
    if is_blank(form):
        return {"category": BLANK_MESSAGE}
    return _text_errors(form)


def validate_submission(form: RequestForm, period: StrikePeriod, now: datetime) -> dict[str, str]:
    """Every check for a complete request; an empty dict means it can be submitted."""
    errors = _text_errors(form)
    required = {
        "site": "Enter the hospital site.",
        "service": "Enter the service or specialty.",
        "risk_description": "Describe what will happen to which patients if nothing changes.",
        "contact_name": "Enter the name of the person a reviewer can call back.",
        "contact_role": "Enter the contact's role.",
    }
    for name, message in required.items():
        if name not in errors and not getattr(form, name).strip():
            errors[name] = message

    if "category" not in errors:
        if not form.category:
            errors["category"] = "Choose the category of care."
        elif form.category == Category.ROUTINE_ELECTIVE:
            errors["category"] = ROUTINE_ELECTIVE_MESSAGE
        elif form.category not in ELIGIBLE_CATEGORIES:
            errors["category"] = "Choose one of the listed categories."
        elif form.category == Category.P1_P2_TIME_CRITICAL and not form.priority:
            errors["priority"] = "Choose the surgical priority: P1a, P1b or P2."

    if "risk_description" not in errors and 0 < len(form.risk_description.strip()) < 20:
        errors["risk_description"] = "Say more: which patients, what harm, and why now (at least 20 characters)."
    if "patients_affected" not in errors and not form.patients_affected:
        errors["patients_affected"] = "Enter how many patients are affected (1 or more)."
    if "risk_from" not in errors and form.risk_from is None:
        errors["risk_from"] = "Enter when the risk starts."

    _check_staffing(form, errors)
    _check_times(form, period, now, errors)
    _check_mitigations(form, errors)

    if form.non_urgent_work_running and not form.non_urgent_work_note.strip():
        errors.setdefault("non_urgent_work_note", "Say what non-urgent work is still running and why.")
    if form.local_agreement_sought and not form.local_agreement_with.strip():
        errors.setdefault("local_agreement_with", "Say with whom local agreement was sought.")
    if "contact_phone" not in errors and not PHONE_RE.match(form.contact_phone.strip()):
        errors["contact_phone"] = "Enter a phone number a reviewer can call, like 0161 276 1234."
    if "contact_email" not in errors and not EMAIL_RE.match(form.contact_email.strip()):
        errors["contact_email"] = "Enter an e-mail address in the right format, like name@nhs.net."
    return errors


def _check_staffing(form: RequestForm, errors: dict[str, str]) -> None:
    if "doctors_on_duty" not in errors and form.doctors_on_duty is None:
        errors["doctors_on_duty"] = "Enter how many doctors are on duty now (0 or more)."
    if "minimum_safe_doctors" not in errors and not form.minimum_safe_doctors:
        errors["minimum_safe_doctors"] = "Enter the minimum safe number of doctors for this service (1 or more)."
    if "doctors_requested" not in errors and not form.doctors_requested:
        errors["doctors_requested"] = "Enter how many resident doctors you ask to return (1 or more)."
    if not form.grades_requested and "grades_requested" not in errors:
        errors["grades_requested"] = "Choose at least one grade."
    if any(name in errors for name in ("doctors_on_duty", "minimum_safe_doctors", "doctors_requested")):
        return
    gap = form.minimum_safe_doctors - form.doctors_on_duty
    if gap <= 0:
        errors["minimum_safe_doctors"] = (
            "Doctors on duty already meets the minimum safe number: a derogation is only for a service "
            "that would otherwise be unsafe."
        )
    elif form.doctors_requested > min(gap, MAX_DOCTORS):
        errors["doctors_requested"] = f"Ask for no more than the gap to the minimum safe number ({gap})."


def _check_times(form: RequestForm, period: StrikePeriod, now: datetime, errors: dict[str, str]) -> None:
    if "window_start" not in errors and form.window_start is None:
        errors["window_start"] = "Enter when the recall should start."
    if "window_end" not in errors and form.window_end is None:
        errors["window_end"] = "Enter when the recall should end."
    if "decision_needed_by" not in errors and form.decision_needed_by is None:
        errors["decision_needed_by"] = "Enter the time by which a decision is needed."
    if any(name in errors for name in ("window_start", "window_end", "decision_needed_by")):
        return
    start, end = from_london(form.window_start), from_london(form.window_end)
    needed_by = from_london(form.decision_needed_by)
    if end <= start:
        errors["window_end"] = "The recall must end after it starts."
    elif start < period.starts_at or end > period.ends_at:
        # Under the time that is outside: the start, the end, or both.
        outside = f"({format_london(period.starts_at)} to {format_london(period.ends_at)})"
        if start < period.starts_at:
            errors["window_start"] = f"The recall must start inside the strike period {outside}."
        if end > period.ends_at:
            errors["window_end"] = f"The recall must end inside the strike period {outside}."
    elif end <= now:
        errors["window_end"] = "The recall window has already ended."
    if needed_by <= now:
        errors["decision_needed_by"] = "The decision-needed-by time must be in the future."
    elif "window_end" not in errors and needed_by >= end:
        errors["decision_needed_by"] = "A decision is needed before the recall window ends."


def _check_mitigations(form: RequestForm, errors: dict[str, str]) -> None:
    tried_any = False
    for mitigation in Mitigation:
        entry = form.mitigations.get(mitigation.value, {})
        key = f"mitigation.{mitigation.value}"
        if key in errors:
            continue
        note = str(entry.get("note", "")).strip()
        if entry.get("tried"):
            tried_any = True
            if len(note) < 10:
                errors[key] = "Say what was done and with what result (at least 10 characters)."
        elif mitigation in MUST_EXPLAIN and len(note) < 10:
            errors[key] = "The BMA expects this to be tried: tick it and say what was done, or explain why not."
    if not tried_any:
        errors.setdefault("mitigations", "Show what you have already tried: the BMA declines requests without this.")
