"""The streamlined request form as widgets: category first (so routine elective care is refused
before anything else is typed), then where, the risk, staffing and the ask, what was tried, local
agreement and who to call back. Values live in st.session_state under stable keys, so nothing
typed is lost when a check fails."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import streamlit as st

from core.enums import Category, Grade, Mitigation, Priority
from core.models import StrikePeriod, Trust, User
from core.platform.clock import format_london
from core.request.form import (
    FLAG_FIELDS,
    MAX_NOTE,
    MUST_EXPLAIN,
    NUMBER_FIELDS,
    ROUTINE_ELECTIVE_MESSAGE,
    TEXT_FIELDS,
    TEXT_LIMITS,
    TIME_FIELDS,
    RequestForm,
)
from core.request.form import LABELS as FORM_LABELS
from ui import error_summary as summary
from ui.enter_hint import hide_enter_hint
from ui.error_summary import Problem
from ui.feedback import FORM_ERROR, errors_of, field_error, one_of
from ui.text import md_escape, visible, wall_clock

PREFIX = "rf_"
LABELS = FORM_LABELS | {"answer": "Your answer"}
TIME_HELP = "UK time (Europe/London). Type it or pick it, e.g. 27/11/2026 14:30."


def key(name: str) -> str:
    return PREFIX + name


def mitigation_keys(mitigation: Mitigation) -> tuple[str, str]:
    return key(f"mit_{mitigation.value}_tried"), key(f"mit_{mitigation.value}_note")


def new_form(user: User) -> RequestForm:
    """A blank form for the user's trust, with the call-back details filled in from their account."""
    return RequestForm(
        trust_code=user.trust_code or "",
        contact_name=user.full_name,
        contact_role=user.job_title,
        contact_phone=user.phone,
        contact_email=user.email,
    )


def load(form: RequestForm) -> None:
    """Put a form's values into the widgets' state (before the widgets are drawn). Text stored before
    invisible characters were refused shows them as code points (ui.text.visible), so the person sees
    what to remove instead of a refusal they cannot act on."""
    state = st.session_state
    for name in TEXT_FIELDS:
        state[key(name)] = visible(getattr(form, name) or "")
    for name in NUMBER_FIELDS:
        state[key(name)] = getattr(form, name)
    for name in FLAG_FIELDS:
        state[key(name)] = bool(getattr(form, name))
    for name in TIME_FIELDS:
        state[key(name)] = wall_clock(getattr(form, name))
    state[key("category")] = form.category or None
    state[key("priority")] = form.priority or None
    state[key("grades_requested")] = [g for g in form.grades_requested if g in set(Grade)]
    for mitigation in Mitigation:
        entry = form.mitigations.get(mitigation.value, {})
        tried_key, note_key = mitigation_keys(mitigation)
        state[tried_key] = bool(entry.get("tried"))
        state[note_key] = visible(entry.get("note", ""))


def read(trust_code: str) -> RequestForm:
    """The form as it is on screen now (also usable inside a button callback)."""
    state = st.session_state
    category = state.get(key("category")) or ""
    form = RequestForm(
        trust_code=trust_code,
        category=category,
        priority=(state.get(key("priority")) or None) if category == Category.P1_P2_TIME_CRITICAL else None,
        grades_requested=list(state.get(key("grades_requested")) or []),
        mitigations={
            m.value: {"tried": bool(state.get(mitigation_keys(m)[0])), "note": state.get(mitigation_keys(m)[1]) or ""}
            for m in Mitigation
            if state.get(mitigation_keys(m)[0]) or (state.get(mitigation_keys(m)[1]) or "").strip()
        },
    )
    for name in TEXT_FIELDS:
        setattr(form, name, state.get(key(name)) or "")
    for name in NUMBER_FIELDS:
        setattr(form, name, state.get(key(name)))
    for name in FLAG_FIELDS:
        setattr(form, name, bool(state.get(key(name))))
    for name in TIME_FIELDS:
        setattr(form, name, state.get(key(name)))
    return form


# Where each field's problem is shown, in the order the form draws them (the summary lists them so).
FIELD_ORDER = (
    "category", "priority", "mass_casualty", "trust_code", "site", "service", "ward", "risk_description",
    "patients_affected", "risk_from", "decision_needed_by", "doctors_on_duty", "minimum_safe_doctors",
    "doctors_requested", "grades_requested", "window_start", "window_end", "mitigations",
    *(f"mitigation.{m.value}" for m in Mitigation),
    "non_urgent_work_running", "non_urgent_work_note", "local_agreement_sought", "local_agreement_with",
    "contact_name", "contact_phone", "contact_role", "contact_email", "answer",
)  # fmt: skip
NO_WIDGET = {"trust_code"}  # shown as text: its problem is listed without a link


def _field_key(name: str) -> str:
    """The widget a problem's link moves to: a mitigation's note (what to write), the first tick box for
    'mitigations' (nothing tried)."""
    if name in NO_WIDGET:
        return ""
    if name == "mitigations":
        return mitigation_keys(next(iter(Mitigation)))[0]
    if name.startswith("mitigation."):
        return mitigation_keys(Mitigation(name.split(".", 1)[1]))[1]
    return key(name)


def _label(name: str) -> str:
    if name.startswith("mitigation."):
        return Mitigation(name.split(".", 1)[1]).label
    return LABELS.get(name, "")


def problems(errors: dict[str, str]) -> list[Problem]:
    """The field problems in the form's order (any field not in FIELD_ORDER last, as core gave them)."""
    named = [name for name in errors if not name.startswith("_")]
    ordered = sorted(named, key=lambda name: FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER))
    return [Problem(_field_key(name), _label(name), errors[name]) for name in ordered]


def error_summary(errors_key: str) -> None:
    """GOV.UK style: the whole action's message, then every problem listed at the top as a link to its
    field (each also shown next to its field)."""
    errors = errors_of(errors_key)
    listed = problems(errors)
    if errors.get(FORM_ERROR) and not listed:  # e.g. changed since you opened it: no field to point to
        st.error(md_escape(errors[FORM_ERROR]), icon=":material/error:")
    nonce = str(st.session_state.get(attempt_key(errors_key), 0))
    summary.error_summary(listed, nonce, errors.get(FORM_ERROR) or summary.NOTHING_LOST)


def attempt_key(errors_key: str) -> str:
    return f"{errors_key}_attempt"


def count_attempt(errors_key: str) -> None:
    """A save or submit was pressed: the summary it may bring is moved to and focused once."""
    st.session_state[attempt_key(errors_key)] = st.session_state.get(attempt_key(errors_key), 0) + 1


def _text(name: str, errors_key: str, *, area: bool = False, help: str | None = None) -> None:
    """A text field, as long as core lets it be (core.request.form.TEXT_LIMITS, from the column)."""
    widget = st.text_area if area else st.text_input
    widget(LABELS[name], key=key(name), max_chars=TEXT_LIMITS[name], on_change="ignore", help=help)
    field_error(errors_key, name)


def _row(errors_key: str, *names: str, help: Mapping[str, str] | None = None) -> None:
    """Fields side by side, one column each, each drawn by its kind (_NUMBERS, _TIMES, else text)."""
    for column, name in zip(st.columns(len(names)), names, strict=True):
        draw = _number if name in _NUMBERS else _when if name in _TIMES else _text
        with column:
            draw(name, errors_key, help=(help or {}).get(name))


_NUMBERS = {"patients_affected", "doctors_on_duty", "minimum_safe_doctors", "doctors_requested"}
_TIMES = {"risk_from", "decision_needed_by", "window_start", "window_end"}


def _number(name: str, errors_key: str, help: str | None = None) -> None:
    st.number_input(LABELS[name], key=key(name), min_value=0, step=1, on_change="ignore", help=help)
    field_error(errors_key, name)


def _when(name: str, errors_key: str, help: str | None = None) -> None:
    st.datetime_input(
        LABELS[name],
        key=key(name),
        format="DD/MM/YYYY",
        step=timedelta(minutes=15),
        on_change="ignore",
        help=help or TIME_HELP,
    )
    field_error(errors_key, name)


def _category(errors_key: str) -> None:
    st.header("1. What kind of care is at risk?")
    one_of(LABELS["category"], {c.value: c.label for c in Category}, key=key("category"))
    if st.session_state.get(key("category")) == Category.ROUTINE_ELECTIVE:
        st.error(ROUTINE_ELECTIVE_MESSAGE, icon=":material/block:")
    field_error(errors_key, "category")
    if st.session_state.get(key("category")) == Category.P1_P2_TIME_CRITICAL:
        one_of(LABELS["priority"], {p.value: p.label for p in Priority}, key=key("priority"), horizontal=True)
        field_error(errors_key, "priority")
    st.checkbox(LABELS["mass_casualty"], key=key("mass_casualty"))
    st.warning(
        "**Mass casualty event.** Tick this only for a mass casualty event. It flags the request everywhere and "
        "alerts every tier at once (clinical director, trust and regional medical directors, national MDT and "
        "the BMA). In a mass casualty event the trust may contact resident doctors at once while it escalates. "
        "The request still goes through every tier, and the BMA's decision is still required and recorded.",
        icon=":material/emergency:",
    )


def draw(errors_key: str, trust: Trust, region_name: str, period: StrikePeriod | None) -> None:
    """Every field, grouped in the order a person under pressure can answer them."""
    hide_enter_hint(PREFIX)  # every value waits for Save draft or Submit
    error_summary(errors_key)
    _category(errors_key)

    st.header("2. Where")
    st.markdown(
        f"**Trust:** {md_escape(trust.name)} (ODS code {md_escape(trust.ods_code)}) · **Region:** {md_escape(region_name)}"
    )
    field_error(errors_key, "trust_code")
    _row(errors_key, "site", "service", "ward")

    st.header("3. The risk to patients")
    _text(
        "risk_description",
        errors_key,
        area=True,
        help="Which patients, what harm, and why now. Plain text: formatting is shown exactly as typed.",
    )
    _row(errors_key, "patients_affected", "risk_from", "decision_needed_by")

    st.header("4. Staffing and what you are asking for")
    _row(
        errors_key,
        "doctors_on_duty",
        "minimum_safe_doctors",
        "doctors_requested",
        help={"doctors_requested": "No more than the gap to the minimum safe number."},
    )
    st.multiselect(
        LABELS["grades_requested"],
        options=[g.value for g in Grade],
        key=key("grades_requested"),
        on_change="ignore",
        select_all=False,  # a request names the grades it needs, one by one
    )
    field_error(errors_key, "grades_requested")
    if period is not None:
        st.caption(
            f"The recall window must be inside the strike period: {format_london(period.starts_at)} to "
            f"{format_london(period.ends_at)}."
        )
    _row(errors_key, "window_start", "window_end")

    st.header(f"5. {LABELS['mitigations']}")
    st.caption(
        "The BMA declines requests that do not show this. 'No consultants available' with nothing behind it is the "
        "most common reason for refusal: say who was asked, what was offered, and the result."
    )
    field_error(errors_key, "mitigations")
    for mitigation in Mitigation:
        tried_key, note_key = mitigation_keys(mitigation)
        expected = " (the BMA expects this)" if mitigation in MUST_EXPLAIN else ""
        ticked, note = st.columns([2, 3], vertical_alignment="center")
        ticked.checkbox(f"{mitigation.label}{expected}", key=tried_key)
        note.text_input(
            f"{mitigation.label}: what was done and the result",
            key=note_key,
            max_chars=MAX_NOTE,
            on_change="ignore",
            label_visibility="collapsed",
            placeholder="What was done and the result (or why it was not possible)",
        )
        with note:
            field_error(errors_key, f"mitigation.{mitigation.value}")
    st.checkbox(LABELS["non_urgent_work_running"], key=key("non_urgent_work_running"))
    _text("non_urgent_work_note", errors_key)

    st.header("6. Local agreement")
    st.checkbox(LABELS["local_agreement_sought"], key=key("local_agreement_sought"))
    _text("local_agreement_with", errors_key, help="For example: the local BMA representative.")

    st.header("7. Who a reviewer can call back")
    left, right = st.columns(2)
    with left:
        _text("contact_name", errors_key)
        _text("contact_phone", errors_key)
    with right:
        _text("contact_role", errors_key)
        _text("contact_email", errors_key)
