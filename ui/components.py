"""Read-only pieces the pages share: a request as submitted, its timeline, the BMA's decision, and
request lists. User text is shown with st.text, or escaped (md_escape, html_text), never as markup."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import streamlit as st

from core import queries
from core.access_control.visibility import request_id_from
from core.enums import OPEN_STATUSES, Action, Mitigation, Priority, Status
from core.models import AuditEvent, DerogationRequest, User
from core.platform.errors import NotFound
from core.queries import CommentRow, ListRow, category_label
from ui.charts import SHORT_CATEGORY
from ui.request_table import request_table
from ui.text import (
    at_tier,
    html_text,
    one_line,
    role_word,
    status_word,
    tier_word,
    time_left,
    visible,
    when,
    when_short,
)

NO = "No"
OPEN = {s.value for s in OPEN_STATUSES}


def facts(pairs: list[tuple[str, str]]) -> None:
    """A short summary list: our label in bold, the value as plain text (st.text: no markdown, no links)."""
    with st.container(gap="xsmall"):
        for label, value in pairs:
            with st.container(horizontal=True, gap="small"):  # wraps: a scrolling row is not keyboard-reachable
                st.markdown(f"**{label}**", width=230)
                st.text(visible(value) or "—")


def fact_lines(pairs: list[tuple[str, str]]) -> None:
    """A summary list for a long record, as one HTML definition list: our label, then the value exactly
    as typed. Values are escaped (html_text), so no markup can form, and it is not markdown, which
    would turn a typed web or e-mail address into a link. One element for the whole list, where facts() draws
    three a line: a request's record is some thirty facts."""
    items = "".join(
        f"<dt>{html_text(label)}</dt><dd>{html_text(value) if value else '—'}</dd>" for label, value in pairs
    )
    st.html(f'<dl class="facts">{items}</dl>')


def fact_table(caption: str, columns: list[str], rows: list[tuple[str, ...]]) -> None:
    """A small table of our labels (first column) and values exactly as typed, as HTML: a screen reader
    reads it as a table (a canvas grid has no text), every value is escaped (html_text), and it is not
    markdown (st.table's cells are), which would turn a typed web or e-mail address into a link."""
    head = "".join(f'<th scope="col">{html_text(name)}</th>' for name in columns)
    body = "".join(
        f'<tr><th scope="row">{html_text(label)}</th>'
        + "".join(f"<td>{html_text(value) if value else '—'}</td>" for value in values)
        + "</tr>"
        for label, *values in rows
    )
    st.html(
        f'<table class="facts"><caption>{html_text(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def waiting_at(request: DerogationRequest) -> str:
    """Who has to act next, in words: a tier, or the trust when a tier asked it a question."""
    if request.status == Status.MORE_INFO:
        return f"The trust (question from the {tier_word(request.current_tier)})"
    return tier_word(request.current_tier)


def status_line(row: ListRow) -> None:
    """Where the request is and how long it has been there, in words."""
    request = row.request
    if request.status in OPEN:
        pairs = [
            ("Status", status_word(request.status)),
            ("Waiting at", waiting_at(request)),
            ("Time at this tier (target)", at_tier(row.minutes_at_tier, row.target_minutes, row.breached)),
            ("Decision needed by", when(request.decision_needed_by)),
            ("Time left", time_left(row.minutes_to_decision, True, row.not_decided_in_time)),
        ]
    else:  # a draft or a closed request: where it ended and when, nothing to wait for
        pairs = [("Status", status_word(request.status)), ("Decision needed by", when(request.decision_needed_by))]
        if request.closed_at:
            pairs.append(("Closed", when(request.closed_at)))
    if request.mass_casualty:
        st.error("**MASS CASUALTY EVENT declared**: every tier was alerted at once.", icon=":material/emergency:")
    if row.breached:
        st.warning("**BREACHED**: this request has been at its tier longer than the response target.")
    if row.not_decided_in_time:
        st.warning("**NOT DECIDED IN TIME**: the decision-needed-by time has passed.")
    fact_lines(pairs)


def mitigations(request: DerogationRequest) -> None:
    """What the trust tried, each with what was done, in full (the BMA's first question)."""
    st.markdown("### What the trust has already tried")
    pairs = []
    for mitigation in Mitigation:
        entry = request.mitigations.get(mitigation.value, {})
        note = str(entry.get("note", "")).strip()
        if entry.get("tried"):
            pairs.append((mitigation.label, f"Tried: {note}" if note else "Tried"))
        else:
            pairs.append((mitigation.label, f"Not tried: {note}" if note else "Not tried"))
    running = "Yes: " + request.non_urgent_work_note if request.non_urgent_work_running else NO
    pairs.append(("Non-urgent work still running", running))
    fact_lines(pairs)


def request_form_view(
    request: DerogationRequest, trust_name: str, region_name: str, *, mitigations_first: bool
) -> None:
    """The form as submitted, in the order a reviewer needs it (mitigations first for reviewers)."""
    if mitigations_first:
        mitigations(request)
    st.markdown("### Where")
    fact_lines(
        [
            ("Trust", f"{trust_name} ({request.trust_code})"),
            ("Region", region_name),
            ("Site", request.site),
            ("Service or specialty", request.service),
            ("Ward", request.ward),
        ]
    )
    st.markdown("### Why")
    priority = Priority(request.priority).label if request.priority in set(Priority) else ""
    fact_lines(
        [
            ("Category", category_label(request.category)),
            ("Surgical priority", priority),
            ("Patients affected", str(request.patients_affected or "")),
            ("Risk from", when(request.risk_from)),
            ("Decision needed by", when(request.decision_needed_by)),
            ("Mass casualty event", "Yes" if request.mass_casualty else NO),
        ]
    )
    st.markdown("**What will happen to which patients if nothing changes:**")
    st.text(visible(request.risk_description) or "—")
    st.markdown("### Staffing and what is asked")
    fact_lines(
        [
            ("Doctors on duty now", str(request.doctors_on_duty if request.doctors_on_duty is not None else "")),
            ("Minimum safe number", str(request.minimum_safe_doctors or "")),
            ("Resident doctors asked for", str(request.doctors_requested or "")),
            ("Grades asked for", ", ".join(request.grades_requested)),
            ("Recall window", f"{when(request.window_start)} to {when(request.window_end)}"),
        ]
    )
    if not mitigations_first:
        mitigations(request)
    st.markdown("### Local agreement and contact")
    fact_lines(
        [
            ("Local agreement sought", "Yes" if request.local_agreement_sought else NO),
            ("With whom", request.local_agreement_with),
            ("Contact", f"{request.contact_name}, {request.contact_role}"),
            ("Phone", request.contact_phone),
            ("E-mail", request.contact_email),
        ]
    )


def decision(request: DerogationRequest) -> None:
    """After the BMA's approval: exactly what was approved beside what was asked."""
    if request.status not in (Status.APPROVED, Status.REVOKED):
        return
    if request.status == Status.REVOKED:
        st.error(
            f"**APPROVAL REVOKED by the BMA** on {when(request.revoked_at)}. Stop recalling doctors under this "
            "approval.",
            icon=":material/block:",
        )
        st.text(f"Reason: {visible(request.revoke_reason)}")
    else:
        st.success(
            "**Approved by the BMA.** You may now contact the resident doctors in scope: no more than approved, "
            "only these grades, only in this window.",
            icon=":material/check_circle:",
        )
    rows = [
        ("Resident doctors", str(request.approved_doctors), str(request.doctors_requested)),
        ("Grades", ", ".join(request.approved_grades or []), ", ".join(request.grades_requested)),
        ("Window start", when(request.approved_window_start), when(request.window_start)),
        ("Window end", when(request.approved_window_end), when(request.window_end)),
        ("Scope (ward, service, shifts)", request.approved_scope or "As asked", f"{request.service} {request.ward}"),
        ("Confirmation reference", request.confirmation_ref or "", ""),
    ]
    fact_table("What the BMA approved, beside what was asked for", ["What", "Approved by the BMA", "Asked for"], rows)
    st.caption("Doctors can check the confirmation reference on the public 'Check a recall' page before they return.")


def timeline(events: list[AuditEvent]) -> None:
    """Every action on the request, oldest first: who, role, when, what and why."""
    for event in events:
        try:
            action = Action(event.action).label
        except ValueError:
            action = event.action
        move = ""
        if event.to_tier and event.from_tier != event.to_tier:
            move = f": now with the {tier_word(event.to_tier)}"
        st.markdown(f"**{action}**{move}")
        st.text(f"{when(event.at)} · {visible(event.actor_name)} ({role_word(event.actor_role)})")
        if event.rationale:
            st.text(visible(event.rationale))


def comments(rows: list[CommentRow]) -> None:
    if not rows:
        st.caption("No comments yet.")
    for row in rows:
        st.text(f"{when(row.at)} · {visible(row.author)} ({role_word(row.role)})")
        st.text(visible(row.body))


# The timing columns come early: on a desk they are on screen whatever the width, on a phone's card near
# the top. A column empty for every row on the page is left out (ui.request_table).
QUEUE_COLUMNS = (
    "No.",
    "Mass casualty",
    "Trust",
    "Region",
    "Service",
    "Time left",
    "Decision needed by",
    "Time at tier (target)",
    "Category",
)
TRUST_COLUMNS = (
    "No.",
    "Mass casualty",
    "Service",
    "Status",
    "Waiting at",
    "Time left",
    "Decision needed by",
    "Time at tier (target)",
    "Category",
    "Latest action",
)
OVERVIEW_COLUMNS = (
    "No.",
    "Mass casualty",
    "Trust",
    "Region",
    "Service",
    "Status",
    "Time left",
    "Decision needed by",
    "Waiting at",
    "Time at tier (target)",
    "Category",
)


# How each column of a request table is worked out from a row: only the columns a table shows are.
CELLS: dict[str, Callable[[ListRow], object]] = {
    "No.": lambda row: row.request.id,
    "Mass casualty": lambda row: "MASS CASUALTY" if row.request.mass_casualty else "",
    "Trust": lambda row: row.trust_name,
    "Region": lambda row: row.region_name,
    "Service": lambda row: visible(row.request.service),
    "Category": lambda row: SHORT_CATEGORY.get(row.request.category, category_label(row.request.category)),
    "Status": lambda row: status_word(row.request.status),
    "Waiting at": lambda row: waiting_at(row.request),
    "Time at tier (target)": lambda row: at_tier(row.minutes_at_tier, row.target_minutes, row.breached),
    "Decision needed by": lambda row: when_short(row.request.decision_needed_by),
    "Time left": lambda row: time_left(row.minutes_to_decision, row.request.status in OPEN, row.not_decided_in_time),
    "Latest action": lambda row: f"{row.latest_action}, {when_short(row.latest_at)}" if row.latest_action else "",
}


def table_frame(rows: list[ListRow], columns: tuple[str, ...] = OVERVIEW_COLUMNS) -> tuple[pa.Table, list[int]]:
    """Requests as a table of words (every status, breach and lateness is a word), and their ids.
    Built straight as Arrow, the form st.dataframe sends: no pandas frame to build and convert."""
    table = pa.table(
        {
            name: pa.array([CELLS[name](row) for row in rows], type=pa.int64() if name == "No." else pa.string())
            for name in columns
        }
    )
    return table, [row.request.id for row in rows]


def show_table(frame: pa.Table, ids: list[int], *, key: str, on_pick: Callable[[int], None] | None = None) -> None:
    """Draw a table_frame(); clicking a row calls on_pick with that request's id."""

    def picked() -> None:
        selection = st.session_state[key].selection.rows
        if selection and on_pick is not None:
            on_pick(ids[selection[0]])

    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=key,
        on_select=picked if on_pick is not None else "ignore",
        selection_mode="single-row",
        column_config={
            "No.": st.column_config.NumberColumn(width="small", format="%d"),
            "Mass casualty": st.column_config.TextColumn(width="medium"),
        },
    )


def list_table(rows: list[ListRow], *, columns: tuple[str, ...] = OVERVIEW_COLUMNS) -> None:
    """Requests as a table of links (a list of cards on a phone): a click anywhere on a row opens it."""
    request_table(rows, columns, CELLS)


# Every page that reads ?id= says this, in the same way, for any value that is not a request the person
# may open: not a number, negative, unknown, or outside their scope (nothing tells them which).
REQUEST_NOT_FOUND = "Request not found. Check the number: you can only open requests within your own scope."


def request_not_found() -> None:
    st.error(REQUEST_NOT_FOUND, icon=":material/search_off:")


def open_request(
    user: User, rows: list[ListRow], key: str, *, last_word: Callable[[ListRow], str]
) -> queries.RequestRecord | None:
    """The "Open a request" picker under a list, each row named by its id, its service and `last_word`, and
    the picked request's record under its heading (None until one is picked). A request that has just left
    the list stays open, so its fresh state is still shown. A deep link to something that is not an
    open-able request says so above the list, which stays."""
    labels = {
        row.request.id: f"{row.request.id} · {one_line(row.request.service, 40)} · {last_word(row)}" for row in rows
    }
    raw = st.session_state.get(key)
    selected = raw if isinstance(raw, int) else request_id_from(raw)
    if raw is not None and selected is None:
        request_not_found()
    options = list(labels)
    if selected is not None and selected not in labels:
        options.append(selected)
    st.session_state[key] = selected  # nothing is opened until the person picks a request
    st.selectbox(
        "Open a request",
        options=options,
        format_func=lambda rid: labels.get(rid, f"Request {rid}"),
        placeholder="Choose a request",
        key=key,
    )
    if selected is None:
        return None
    try:
        record = queries.request_record(user, selected)
    except NotFound:
        request_not_found()
        return None
    st.divider()
    st.header(f"Request {record.request.id}")
    return record


def question_asked(question: AuditEvent | None, heading: str = "The question:") -> None:
    """The reviewer's newest 'more information' question, as typed, with who asked and when."""
    if question is None:
        return
    st.markdown(f"**{heading}**")
    st.text(visible(f"{question.rationale}\n\n({question.actor_name}, {when(question.at)})"))
