"""The failsafe bypass on a request (docs/rules.md rule 5), and the reasons given with its latest decline, return or
revocation (docs/rules.md rule 9): what happened, drawn for everyone who can see the request, and the three actions:
the trust records the recall and later the stand-down; the national MDT reviews it afterwards.
User text (who declared the event, notes) is shown with st.text, never as markdown."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from core import workflow
from core.access_control.permissions import Deed, stand_down_needed
from core.enums import Action, BypassReviewReason, BypassState, Grade, Reason, Status
from core.lifecycle import REASONED_ACTION_LABELS, reasoned_deed_into
from core.models import AuditEvent, DerogationRequest
from core.queries import RequestRecord
from ui.actions import forget, seen_version
from ui.enter_hint import hide_enter_hint
from ui.feedback import act_as, errors_of, field_error, flash, form_error, one_of
from ui.text import counted, visible, wall_clock, when

FINDING_WORDS = {BypassState.JUSTIFIED.value: "Justified", BypassState.NOT_JUSTIFIED.value: "Not justified"}


def latest_reasons(request: DerogationRequest, events: list[AuditEvent]) -> tuple[Action, list[str]] | None:
    """The reasons given with the action that put the request where it is now, if it took any."""
    action = reasoned_deed_into(request.status)
    if action is None:
        return None
    for event in reversed(events):
        if event.action == action.value and event.details.get("reasons"):
            return action, [r for r in event.details["reasons"] if r in set(Reason)]
    return None


def reasons_given(request: DerogationRequest, events: list[AuditEvent]) -> None:
    """Why the request was declined, returned or revoked: the fixed reasons, beside the written rationale."""
    found = latest_reasons(request, events)
    if not found:
        return
    action, reasons = found
    label = REASONED_ACTION_LABELS[action]
    st.markdown(f"**Reasons given ({label[0].lower()}{label[1:]}):**")  # "the BMA" keeps its capitals
    st.markdown("\n".join(f"- {Reason(r).label}" for r in reasons))  # our labels only


def bypass_record(request: DerogationRequest) -> None:
    """What the trust recalled under the failsafe bypass, the stand-down and the national MDT's review."""
    if request.bypass_recorded_at is None:
        return
    grades = ", ".join(request.bypass_grades or [])
    st.warning(
        f"**Failsafe bypass: {counted(request.bypass_doctors, 'resident doctor')} ({grades}) recalled at "
        f"{when(request.bypass_recalled_at)}**, before the BMA's decision, in a mass casualty event.",
        icon=":material/emergency_home:",
    )
    st.text(visible(f"The external event was declared by: {request.bypass_declared_by}"))
    _recall_now(request)
    state = BypassState(request.bypass_review) if request.bypass_review else BypassState.REVIEW_DUE
    if request.bypass_review:
        findings = "; ".join(BypassReviewReason(r).label for r in request.bypass_review_reasons or [])
        st.markdown(f"**National MDT review: {state.label.split(': ')[-1]}** ({when(request.bypass_reviewed_at)}).")
        st.text(visible(f"Findings: {findings}"))
    else:
        st.caption("The national MDT reviews every use of the failsafe bypass once the request's route has ended.")


def _recall_now(request: DerogationRequest) -> None:
    """Where the recall stands after the route: still waiting for the BMA, covered by its approval, or not
    approved (a decline, a revocation, any other end, or an approval of fewer doctors or grades) and what
    the trust must do now (core.access_control.permissions.stand_down_needed decides)."""
    status = Status(request.status)
    if status.is_open or status is Status.DRAFT:
        st.info("The request continues on its route; the BMA's decision is still needed.", icon=":material/schedule:")
    elif request.bypass_stood_down_at is not None:
        st.info(
            f"Request status: {status.label}. The trust recorded that the recalled doctors were stood down at "
            f"{when(request.bypass_stood_down_at)}.",
            icon=":material/check_circle:",
        )
    elif not stand_down_needed(request):
        st.success("The BMA approved this request: its decision covers the doctors recalled.", icon=":material/check:")
    elif status is Status.APPROVED:
        approved = ", ".join(request.approved_grades or [])
        st.error(
            f"**The recall is approved only in part.** The BMA approved {counted(request.approved_doctors, 'doctor')} "
            f"({approved}), fewer doctors or grades than were recalled. The trust must stand the others down now "
            "and record when it did.",
            icon=":material/front_hand:",
        )
    else:
        st.error(
            f"**The recall is not approved.** Request status: {status.label}. The trust must stand the recalled "
            "doctors down now and record when it did.",
            icon=":material/front_hand:",
        )


def bypass_panel(record: RequestRecord) -> None:
    """The actions on the failsafe bypass this viewer may take now (core.access_control.permissions decides)."""
    hide_enter_hint("bypass_", "standdown_", "bypassreview_")  # each waits for its button
    if record.offers(Deed.RECORD_BYPASS):
        _record(record.request)
    if record.offers(Deed.STAND_DOWN):
        _stand_down(record.request)
    if record.offers(Deed.REVIEW_BYPASS):
        _review(record.request)


def _record(request: DerogationRequest) -> None:
    rid = request.id
    errors_key = f"bypass_errors_{rid}"
    keys = {name: f"bypass_{name}_{rid}" for name in ("at", "doctors", "grades", "declared", "note")}
    st.session_state.setdefault(keys["at"], wall_clock(datetime.now().astimezone()))

    def record() -> None:
        state = st.session_state
        recall = workflow.BypassRecall(
            recalled_at=state.get(keys["at"]),
            doctors=state.get(keys["doctors"]),
            grades=list(state.get(keys["grades"]) or []),
            declared_by=state.get(keys["declared"], ""),
            note=state.get(keys["note"], ""),
        )
        done = act_as(errors_key, workflow.record_bypass, rid, seen_version(request), recall)
        if done is not None:
            flash(f"Recall under the failsafe bypass recorded on request {rid}. Every tier and the BMA have been told.")
            forget(*keys.values())

    with st.expander("Record doctors recalled under the failsafe bypass", expanded=bool(errors_of(errors_key))):
        st.caption(
            "Only in a massive, externally declared event: you may recall resident doctors at once while this "
            "request is escalated. Every tier and the BMA are told at once; the BMA's decision is still needed, "
            "and the national MDT reviews every bypass afterwards."
        )
        form_error(errors_key)
        st.datetime_input(
            "When were the doctors recalled?",
            key=keys["at"],
            format="DD/MM/YYYY",
            step=timedelta(minutes=5),
            help="UK time (Europe/London).",
        )
        field_error(errors_key, "recalled_at")
        st.number_input(
            "How many resident doctors were recalled?", key=keys["doctors"], min_value=1, step=1, value=None
        )
        field_error(errors_key, "doctors")
        st.multiselect("Grades recalled", options=[g.value for g in Grade], key=keys["grades"], select_all=False)
        field_error(errors_key, "grades")
        st.text_input(
            "Who declared the external event?",
            key=keys["declared"],
            max_chars=workflow.MAX_DECLARED_BY,
            placeholder="For example: Greater Manchester Police, major incident declared 01:40",
        )
        field_error(errors_key, "declared_by")
        st.text_area(
            "Anything else the reviewers should know (optional)", key=keys["note"], max_chars=workflow.MAX_RATIONALE
        )
        field_error(errors_key, "note")
        st.button("Record the recall", key=f"bypass_go_{rid}", type="primary", on_click=record)


def _stand_down(request: DerogationRequest) -> None:
    rid = request.id
    errors_key, at_key, note_key = f"standdown_errors_{rid}", f"standdown_at_{rid}", f"standdown_note_{rid}"
    st.session_state.setdefault(at_key, wall_clock(datetime.now().astimezone()))

    def stand_down() -> None:
        state = st.session_state
        done = act_as(
            errors_key, workflow.stand_down, rid, seen_version(request), state.get(at_key), state.get(note_key, "")
        )
        if done is not None:
            flash(f"Stand-down recorded on request {rid}.")
            forget(at_key, note_key)

    st.error(
        "**Stand down the doctors recalled under the failsafe bypass** that the BMA's decision does not cover, "
        "then record it here.",
        icon=":material/front_hand:",
    )
    with st.expander("Record the stand-down", expanded=True):
        form_error(errors_key)
        st.datetime_input(
            "When were they stood down?", key=at_key, format="DD/MM/YYYY", step=timedelta(minutes=5), help="UK time."
        )
        field_error(errors_key, "stood_down_at")
        st.text_area("What was done (required)", key=note_key, max_chars=workflow.MAX_RATIONALE)
        field_error(errors_key, "note")
        st.button("Record the stand-down", key=f"standdown_go_{rid}", type="primary", on_click=stand_down)


def _review(request: DerogationRequest) -> None:
    rid = request.id
    errors_key = f"bypassreview_errors_{rid}"
    keys = {name: f"bypassreview_{name}_{rid}" for name in ("finding", "reasons", "rationale")}

    def review() -> None:
        state = st.session_state
        done = act_as(
            errors_key,
            workflow.review_bypass,
            rid,
            seen_version(request),
            state.get(keys["finding"]) or "",
            list(state.get(keys["reasons"]) or []),
            state.get(keys["rationale"], ""),
        )
        if done is not None:
            flash(f"Failsafe bypass on request {rid} reviewed. The trust and the BMA have been told.")
            forget(*keys.values())

    st.header("Review this failsafe bypass")  # h2: it may follow the title directly
    form_error(errors_key)
    one_of("Was the bypass justified?", FINDING_WORDS, key=keys["finding"], horizontal=True)
    field_error(errors_key, "finding")
    st.multiselect(
        "Findings (choose one or more)",
        options=[r.value for r in BypassReviewReason],
        format_func=lambda v: BypassReviewReason(v).label,
        key=keys["reasons"],
        select_all=False,  # several findings exclude each other (core refuses such a pair)
    )
    field_error(errors_key, "reasons")
    st.text_area("Your rationale (required)", key=keys["rationale"], max_chars=workflow.MAX_RATIONALE)
    field_error(errors_key, "rationale")
    st.button("Record the review", key=f"bypassreview_go_{rid}", type="primary", on_click=review)
