"""The cover register on screen (core/request/cover_register.py, core/request/cover_csv.py): the register as a table, the
form for one line, the CSV import with a message per bad row, and the pieces other pages draw from it: the
request form's prefill and gap, "asked for / registered minimum / on duty now" on a request, and the
dashboard's services below their registered minimum."""

from __future__ import annotations

import streamlit as st

from core.models import CoverLine, DerogationRequest, User
from core.request import cover_csv, cover_register
from core.request.cover_register import COVER_GRADES, SHIFT_LABELS, SHIFTS, LineValues, ServiceCover
from core.request.form import MAX_DOCTORS
from ui import components
from ui.feedback import FORM_ERROR, act_as, add_or_change, field_error, flash, form_error, succeeded
from ui.text import md_escape, visible

SHIFT_SHORT = {"day": "Day", "night": "Night", "24h": "24 hours"}  # in tables, where the hours are said once
LINE_ERRORS = "cover_line_errors"
IMPORT_PROBLEMS = "cover_import_problems"
PREFILL = "rf_cover_pick"  # rf_: cleared with the request form (pages/file_request.py)
FIELDS = ("service", "grade", "shift", "minimum_doctors", "expected_cover", "agreed_with", "agreed_on")
LABELS = {
    "service": "Service or specialty",
    "grade": "Grade",
    "shift": "Shift",
    "minimum_doctors": "Minimum safe number of doctors",
    "expected_cover": "Doctors expected from staff who are not striking",
    "agreed_with": "Agreed with (name and role)",
    "agreed_on": "Agreed on",
}
SHOWN_BELOW = 20  # rows of the dashboard's list; the rest are counted


def _doctors(n: int) -> str:
    return f"{n} doctor{'s' if n != 1 else ''}"


def _agreed(cover: ServiceCover) -> str:
    return f"Agreed with {'; '.join(cover.agreed_with)} on {cover.agreed_on:%d %b %Y}."


# ---------------------------------------------------------------- the Cover register page


def register_table(lines: list[CoverLine]) -> None:
    """One short table per service (five narrow columns read on a phone too), with who agreed it and when."""
    st.caption(
        f"{len(lines)} line{'s' if len(lines) != 1 else ''}. Minimum: the minimum safe number of doctors of the grade "
        "on the shift. Expected: the doctors expected from staff who are not striking. Gap: what is missing. Day is "
        "08:00 to 20:00, night 20:00 to 08:00 (UK time)."
    )
    services: dict[str, list[CoverLine]] = {}
    for line in lines:
        services.setdefault(line.service_key, []).append(line)
    for group in services.values():
        components.fact_table(
            group[0].service,
            ["Shift", "Grade", "Minimum", "Expected", "Gap"],
            [
                (
                    SHIFT_SHORT[x.shift],
                    x.grade,
                    str(x.minimum_doctors),
                    str(x.expected_cover),
                    str(max(0, x.minimum_doctors - x.expected_cover)),
                )
                for x in group
            ],
        )
        agreed = dict.fromkeys(f"{x.agreed_with} on {x.agreed_on:%d %b %Y}" for x in group)
        st.text(visible("Agreed with " + "; ".join(agreed) + "."))


def _line_label(line: CoverLine) -> str:
    return f"{line.service} · {SHIFT_LABELS[line.shift]} · {line.grade}"


def line_form(trust_code: str, lines: list[CoverLine]) -> None:
    """Add a line or change or remove one: one audit row each."""
    by_id = {line.id: line for line in lines}
    picked = add_or_change(
        by_id, new="Add a new line", describe=lambda line: visible(_line_label(line)), key="cover_pick"
    )
    state = st.session_state
    if state.get("cover_loaded") != picked:  # another line picked: fill in its values
        line = by_id.get(picked)
        state.update({f"cover_{name}": getattr(line, name) if line else None for name in FIELDS})
        state.update(cover_service=line.service if line else "", cover_agreed_with=line.agreed_with if line else "")
        state["cover_loaded"] = picked
    form_error(LINE_ERRORS)
    left, right = st.columns(2)
    with left:
        st.text_input(LABELS["service"], key="cover_service", max_chars=cover_register.MAX_SERVICE)
        field_error(LINE_ERRORS, "service")
        st.selectbox(LABELS["grade"], options=COVER_GRADES, key="cover_grade", index=None, placeholder="Choose a grade")
        field_error(LINE_ERRORS, "grade")
        st.radio(LABELS["shift"], options=SHIFTS, format_func=SHIFT_LABELS.get, key="cover_shift", index=None)
        field_error(LINE_ERRORS, "shift")
    with right:
        st.number_input(LABELS["minimum_doctors"], key="cover_minimum_doctors", min_value=0, max_value=MAX_DOCTORS)
        field_error(LINE_ERRORS, "minimum_doctors")
        st.number_input(
            LABELS["expected_cover"],
            key="cover_expected_cover",
            min_value=0,
            max_value=MAX_DOCTORS,
            help="Consultants, SAS doctors and resident doctors who are not striking, of this grade.",
        )
        field_error(LINE_ERRORS, "expected_cover")
        st.text_input(
            LABELS["agreed_with"],
            key="cover_agreed_with",
            max_chars=cover_register.MAX_AGREED_WITH,
            placeholder="For example: Dr A Patel, local BMA representative",
        )
        field_error(LINE_ERRORS, "agreed_with")
        st.date_input(LABELS["agreed_on"], key="cover_agreed_on", value=None, format="DD/MM/YYYY")
        field_error(LINE_ERRORS, "agreed_on")
    line = by_id.get(picked)
    save, remove = st.columns(2)
    save.button("Save line", key="cover_save", type="primary", on_click=_save_line, args=(trust_code, line))
    if line is not None:
        remove.button("Remove this line", key="cover_remove", on_click=_remove_line, args=(trust_code, line))


def _typed() -> LineValues:
    state = st.session_state
    values = {name: state.get(f"cover_{name}") for name in FIELDS}
    return LineValues(**(values | {"service": values["service"] or "", "agreed_with": values["agreed_with"] or ""}))


def _save_line(trust_code: str, line: CoverLine | None) -> None:
    saved = act_as(
        LINE_ERRORS,
        cover_register.save_line,
        trust_code,
        _typed(),
        line.id if line else None,
        line.version if line else None,
    )
    if saved is not None:
        flash("Line saved." if line else "Line added to the register.")
        st.session_state.pop("cover_loaded", None)
        st.session_state["cover_pick"] = None


def _remove_line(trust_code: str, line: CoverLine) -> None:
    act_as(LINE_ERRORS, cover_register.remove_line, trust_code, line.id, line.version)
    if succeeded(LINE_ERRORS):
        flash("Line removed from the register.")
        st.session_state.pop("cover_loaded", None)
        st.session_state["cover_pick"] = None


def csv_import(trust_code: str) -> None:
    """Upload a CSV file that replaces the whole register: every problem listed by row, or every line saved."""
    st.caption(
        "The first row names the columns: " + ", ".join(cover_csv.CSV_COLUMNS.values()) + ". Shift is day, night "
        "or 24h; grade is one of " + ", ".join(COVER_GRADES) + ". Download the register above for a file to start "
        "from. Importing replaces the whole register; if any row has a problem, nothing is saved."
    )
    st.file_uploader("CSV file of the register", type=["csv"], key="cover_file", max_upload_size=1)
    st.button("Import and replace the register", key="cover_import", on_click=_import, args=(trust_code,))
    problems = st.session_state.get(IMPORT_PROBLEMS)
    form_error("cover_import_errors")
    if problems:
        components.fact_table(
            "Problems in the file (nothing was saved)",
            ["Row", "Column", "What is wrong"],
            [(str(p.row), p.column or "—", p.message) for p in problems],
        )


def _import(trust_code: str) -> None:
    upload = st.session_state.get("cover_file")
    st.session_state.pop(IMPORT_PROBLEMS, None)
    if upload is None:
        st.session_state["cover_import_errors"] = {FORM_ERROR: "Choose a CSV file first."}
        return

    def importing(actor: User) -> int:
        try:
            return cover_csv.import_csv(actor, trust_code, upload.getvalue())
        except cover_csv.CsvRejected as rejected:
            st.session_state[IMPORT_PROBLEMS] = rejected.problems
            raise

    saved = act_as("cover_import_errors", importing)
    if saved is not None:
        flash(f"Register imported: {saved} line{'s' if saved != 1 else ''}. It replaces the register there was.")


# ---------------------------------------------------------------- on the request form (pages/file_request.py)


def cover_prefill(user: User) -> None:
    """Start a request from a registered service: its minimum safe number, the doctors expected on duty
    (staff not striking) and the gap between them, filled into the form; the gap shown."""
    covers = cover_register.service_cover(user, user.trust_code)
    if not covers:
        st.caption("Your trust has no cover register yet: a registered service would fill in its staffing here.")
        return
    st.selectbox(
        "Start from your trust's cover register (optional)",
        options=range(len(covers)),
        format_func=lambda i: visible(covers[i].label),
        index=None,
        placeholder="Choose a registered service and shift",
        key=PREFILL,
        on_change=_prefill,
        args=(covers,),
        help="Fills in the service, the minimum safe number, the doctors on duty and what to ask for.",
    )
    chosen = st.session_state.get(PREFILL)
    if chosen is not None and chosen < len(covers):
        cover = covers[chosen]
        st.info(
            f"**Registered minimum: {_doctors(cover.minimum)}**; expected from staff not striking: "
            f"{_doctors(cover.expected)}; **the gap: {_doctors(cover.gap)}**. {md_escape(_agreed(cover))}",
            icon=":material/rule:",
        )
        if not cover.gap:
            st.warning(
                "The register expects staff who are not striking to cover this minimum: say below what has changed.",
                icon=":material/warning:",
            )


def _prefill(covers: list[ServiceCover]) -> None:
    chosen = st.session_state.get(PREFILL)
    if chosen is None or chosen >= len(covers):
        return
    cover = covers[chosen]
    st.session_state.update(
        rf_service=cover.service,
        rf_minimum_safe_doctors=cover.minimum,
        rf_doctors_on_duty=cover.expected,
        rf_doctors_requested=cover.gap or None,
        rf_grades_requested=list(cover.short_grades),
    )


# ---------------------------------------------------------------- on a request (ui/components.py)


def asked_minimum_on_duty(request: DerogationRequest) -> None:
    """What the request asks for, the service's registered minimum and the doctors on duty now, side by side."""
    cover = cover_register.request_cover(request)
    registered = cover.registered
    st.markdown("**Against the trust's cover register**")
    with st.container(horizontal=True, gap="xxsmall"):  # side by side on a phone too (wraps, never stacks)
        st.metric("Asked for", "—" if cover.asked is None else cover.asked, border=True, width="content")
        st.metric("Registered minimum", "—" if registered is None else registered.minimum, border=True, width="content")
        st.metric("On duty now", "—" if cover.on_duty is None else cover.on_duty, border=True, width="content")
    if registered is None:
        shifts = ", ".join(SHIFT_LABELS[c.shift] for c in cover.shifts)
        st.caption(
            "This service is not on the trust's cover register."
            if not shifts
            else f"The trust's cover register has this service for other shifts only ({shifts})."
        )
        return
    st.text(
        visible(
            f"Registered for {SHIFT_LABELS[registered.shift].lower()}: a minimum of {_doctors(registered.minimum)}, "
            f"{_doctors(registered.expected)} expected from staff not striking. {_agreed(registered)}"
        )
    )
    gap = cover.registered_gap
    if gap is not None and cover.asked is not None and cover.asked > gap:
        st.warning(
            f"Asks for {_doctors(cover.asked)}: more than the gap between the registered minimum and the doctors on "
            f"duty now ({_doctors(gap)}).",
            icon=":material/warning:",
        )
    if cover.stated_minimum is not None and cover.stated_minimum != registered.minimum:
        st.info(
            f"The request gives a minimum safe number of {cover.stated_minimum}; the register agreed "
            f"{registered.minimum}.",
            icon=":material/info:",
        )


# ---------------------------------------------------------------- on the dashboard (pages/dashboard.py)


def services_below_minimum(user: User, period_id: int | None) -> None:
    """The registered services in the viewer's scope short of their registered minimum."""
    below = cover_register.below_minimum(user, period_id)
    st.header("Services below their registered minimum")
    if not below:
        st.success("No registered service is below its minimum: the cover expected, with approvals, reaches it.")
        return
    st.caption(
        "From the trusts' cover registers: the cover expected from staff not striking, with the doctors the BMA "
        "approved for the service in this strike period, against the minimum agreed. Largest shortfall first."
    )
    more = len(below) - SHOWN_BELOW
    components.fact_table(
        f"{len(below)} service shift{'s' if len(below) != 1 else ''} below the minimum"
        + (f" (the first {SHOWN_BELOW})" if more > 0 else ""),
        ["Trust: service", "Shift", "Minimum", "Expected", "Approved", "Short by"],
        [
            (
                f"{row.trust_name}: {row.service}",
                SHIFT_SHORT[row.shift],
                str(row.minimum),
                str(row.expected),
                str(row.approved),
                str(row.short_by),
            )
            for row in below[:SHOWN_BELOW]
        ],
    )
