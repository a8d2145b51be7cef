"""What the viewer can do to one request, drawn beside it: a reviewer's decision at their tier, the
BMA's approval, decline or revocation, and the trust's withdrawal and harm record.

Each action passes the version of the request the person saw on screen (kept in session state at
render time), so an action on a request somebody else changed meanwhile is refused as stale."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from core import workflow
from core.access import (
    four_eyes_refusal,
    is_requester_of,
    may_record_harm,
    may_revoke,
    may_withdraw,
    reviewer_tier,
    waits_for,
)
from core.clock import to_london
from core.enums import BMA_ACTIONS, REASONS_FOR, TIER_ACTIONS, Action, Grade, Reason, Status, Tier
from core.models import AuditEvent, DerogationRequest, User
from ui.feedback import act_as, errors_of, field_error, flash, form_error
from ui.text import visible


def seen_key(request_id: int) -> str:
    return f"seen_version_{request_id}"


def remember_seen(request: DerogationRequest) -> None:
    """Call after drawing a request: the version now on screen is the one the next action acts on."""
    st.session_state[seen_key(request.id)] = request.version


def _seen(request_id: int, fallback: int) -> int:
    return st.session_state.get(seen_key(request_id), fallback)


def _forget(*keys: str) -> None:
    for name in keys:
        st.session_state.pop(name, None)


def _action_words(tier: Tier) -> dict[str, str]:
    return {
        Action.ESCALATE.value: f"Escalate to the {tier.next.label}" if tier.next else "Escalate",
        Action.RESOLVE_LOCALLY.value: "Resolve locally (mitigated or agreed locally): closes the request",
        Action.RETURN_FOR_INFO.value: "Return to the trust for more information",
        Action.DECLINE_CRITERIA.value: "Decline: does not meet the criteria",
    }


def reason_picker(action: Action, key: str, errors_key: str, label: str = "Reasons (choose one or more)") -> None:
    """The fixed list of reasons a decline, return or revocation gives (docs/rules.md rule 9), beside the rationale."""
    st.multiselect(
        label,
        options=[r.value for r in REASONS_FOR[action]],
        format_func=lambda value: Reason(value).label,
        key=key,
        placeholder="Choose the reasons",
        help="Counted in the dashboard and the post-strike report, and shown to the trust with your rationale.",
    )
    field_error(errors_key, "reasons")


def _chosen(key: str, action: object) -> list[str]:
    """The reasons picked, for an action that takes them (none otherwise)."""
    try:
        takes = Action(action) in REASONS_FOR
    except ValueError:
        takes = False
    return list(st.session_state.get(key) or []) if takes else []


def _leftover(errors_key: str) -> None:
    """An action just refused on a request that has since moved on (somebody else acted first): say
    so once, above the fresh state, even though the panel it came from no longer applies."""
    if errors_of(errors_key):
        form_error(errors_key)
        _stale_note(errors_key)
        st.session_state.pop(errors_key, None)


def _stale_note(errors_key: str) -> None:
    if errors_of(errors_key).get("_stale"):
        st.info("The request shown on this page is the latest version. Read it again before you act.")


# ---------------------------------------------------------------- reviewers below the BMA


def reviewer_panel(user: User, request: DerogationRequest, history: list[AuditEvent]) -> None:
    """The decision at the user's tier, offered only when the workflow would take it: the request waits
    at their tier and four eyes allow them (`history`: the request's audit events)."""
    tier = reviewer_tier(user)
    errors_key = f"review_errors_{request.id}"
    if tier is None:
        return
    if not waits_for(user, request):
        _leftover(errors_key)
        return
    st.subheader("Your decision")
    refusal = four_eyes_refusal(user, request, history)
    if refusal:
        st.info(refusal, icon=":material/group:")
        return
    form_error(errors_key)
    _stale_note(errors_key)
    if tier is Tier.BMA:
        _bma_panel(user, request, errors_key)
        return
    action_key, rationale_key = f"review_action_{request.id}", f"review_rationale_{request.id}"
    reasons_key = f"review_reasons_{request.id}"
    words = _action_words(tier)

    def act() -> None:
        choice = st.session_state.get(action_key)
        if not choice:
            st.session_state[errors_key] = {"action": "Choose what you decide."}
            return
        done = act_as(
            errors_key,
            workflow.review,
            request.id,
            _seen(request.id, request.version),
            choice,
            st.session_state.get(rationale_key, ""),
            reasons=_chosen(reasons_key, choice),
        )
        if done is not None:
            flash(f"Request {request.id}: {Action(choice).label.lower()}. The people who act next have been told.")
            _forget(action_key, rationale_key, reasons_key)

    st.radio(
        "What do you decide?",
        options=[a.value for a in TIER_ACTIONS],
        format_func=words.get,
        key=action_key,
        index=None,
    )
    field_error(errors_key, "action")
    choice = st.session_state.get(action_key)
    if choice in {a.value for a in REASONS_FOR}:
        reason_picker(Action(choice), reasons_key, errors_key)
    st.text_area(
        "Your reasons (required, shown to everyone who can see this request)",
        key=rationale_key,
        max_chars=workflow.MAX_RATIONALE,
        on_change="ignore",
    )
    field_error(errors_key, "rationale")
    st.button("Record my decision", key=f"review_go_{request.id}", type="primary", on_click=act)


# ---------------------------------------------------------------- the BMA


def _bma_panel(user: User, request: DerogationRequest, errors_key: str) -> None:
    rid = request.id
    names = ("choice", "doctors", "grades", "start", "end", "scope", "rationale", "reasons")
    keys = {name: f"bma_{name}_{rid}" for name in names}
    state = st.session_state
    # Start from what was asked; the BMA narrows it (never widens it: core refuses that).
    state.setdefault(keys["doctors"], request.doctors_requested)
    state.setdefault(keys["grades"], [g for g in request.grades_requested if g in set(Grade)])
    # The widgets hold whole minutes: round inwards so the default stays inside the window asked for.
    state.setdefault(keys["start"], _london_minute(request.window_start, up=True))
    state.setdefault(keys["end"], _london_minute(request.window_end, up=False))

    def decide() -> None:
        choice = state.get(keys["choice"])
        if choice not in {a.value for a in BMA_ACTIONS}:
            state[errors_key] = {"action": "Choose approve or decline."}
            return
        decision = workflow.BmaDecision(
            approve=choice == Action.APPROVE.value,
            rationale=state.get(keys["rationale"], ""),
            approved_doctors=state.get(keys["doctors"]),
            approved_grades=list(state.get(keys["grades"]) or []),
            approved_window_start=state.get(keys["start"]),
            approved_window_end=state.get(keys["end"]),
            approved_scope=state.get(keys["scope"], ""),
            reasons=_chosen(keys["reasons"], choice),
        )
        done = act_as(errors_key, workflow.bma_decide, rid, _seen(rid, request.version), decision)
        if done is not None:
            if done.status == Status.APPROVED:
                flash(
                    f"Request {rid} approved. Confirmation reference {done.confirmation_ref}. The trust has been told."
                )
            else:
                flash(f"Request {rid} declined. The trust has been told.")
            _forget(*keys.values())

    st.radio(
        "The BMA's decision",
        options=[a.value for a in BMA_ACTIONS],
        format_func=lambda v: "Approve (you can approve less than was asked)" if v == Action.APPROVE else "Decline",
        key=keys["choice"],
        index=None,
    )
    field_error(errors_key, "action")
    if state.get(keys["choice"]) == Action.APPROVE:
        st.number_input(
            f"Resident doctors approved (asked: {request.doctors_requested})",
            key=keys["doctors"],
            min_value=1,
            step=1,
            on_change="ignore",
        )
        field_error(errors_key, "approved_doctors")
        st.multiselect(
            "Grades approved",
            options=[g for g in request.grades_requested if g in set(Grade)],
            key=keys["grades"],
            on_change="ignore",
        )
        field_error(errors_key, "approved_grades")
        left, right = st.columns(2)
        for column, name, label in ((left, "start", "Approved from"), (right, "end", "Approved until")):
            column.datetime_input(
                label,
                key=keys[name],
                format="DD/MM/YYYY",
                step=timedelta(minutes=15),
                on_change="ignore",
                help="UK time (Europe/London); inside the window asked for.",
            )
        field_error(errors_key, "approved_window")
        st.text_area(
            "Scope approved: ward, service or shifts (optional)",
            key=keys["scope"],
            max_chars=workflow.MAX_SCOPE,
            on_change="ignore",
            help="Shown to anyone who checks the confirmation reference on the public 'Check a recall' page: "
            "no patient or staff names.",
        )
        field_error(errors_key, "approved_scope")
    if state.get(keys["choice"]) == Action.DECLINE:
        reason_picker(Action.DECLINE, keys["reasons"], errors_key)
    st.text_area("Your reasons (required)", key=keys["rationale"], max_chars=workflow.MAX_RATIONALE, on_change="ignore")
    field_error(errors_key, "rationale")
    st.button("Record the BMA's decision", key=f"bma_go_{rid}", type="primary", on_click=decide)


def revoke_panel(user: User, request: DerogationRequest) -> None:
    """The BMA withdraws an approval when new information comes to light; the trust is told at once."""
    errors_key, reason_key = f"revoke_errors_{request.id}", f"revoke_reason_{request.id}"
    reasons_key = f"revoke_reasons_{request.id}"
    if not may_revoke(user, request):
        _leftover(errors_key)
        return

    def revoke() -> None:
        done = act_as(
            errors_key,
            workflow.revoke,
            request.id,
            _seen(request.id, request.version),
            st.session_state.get(reason_key, ""),
            reasons=_chosen(reasons_key, Action.REVOKE),
        )
        if done is not None:
            flash(f"Approval of request {request.id} revoked. The trust has been told to stop recalling doctors.")
            _forget(reason_key, reasons_key)

    with st.expander("Revoke this approval", expanded=bool(errors_of(errors_key))):
        form_error(errors_key)
        _stale_note(errors_key)
        reason_picker(Action.REVOKE, reasons_key, errors_key)
        st.text_area(
            "Why is the approval revoked? (required)",
            key=reason_key,
            max_chars=workflow.MAX_RATIONALE,
            on_change="ignore",
        )
        field_error(errors_key, "rationale")
        st.button("Revoke the approval", key=f"revoke_go_{request.id}", on_click=revoke)


# ---------------------------------------------------------------- the trust


def requester_panel(user: User, request: DerogationRequest) -> None:
    if not is_requester_of(user, request):
        return
    rid = request.id
    if request.status == Status.MORE_INFO:
        st.warning("**A reviewer has asked for more information.** Answer it so the request can move on.")
        st.page_link(
            "pages/file_request.py", label="Answer the question", icon=":material/reply:", query_params={"id": str(rid)}
        )
    elif request.status == Status.DRAFT:
        st.page_link(
            "pages/file_request.py", label="Continue this draft", icon=":material/edit:", query_params={"id": str(rid)}
        )
    if may_withdraw(user, request):
        _withdraw(user, request)
    else:
        _leftover(f"withdraw_errors_{rid}")
    if may_record_harm(user, request):
        _harm(user, request)


def _withdraw(user: User, request: DerogationRequest) -> None:
    errors_key, reason_key = f"withdraw_errors_{request.id}", f"withdraw_reason_{request.id}"

    def withdraw() -> None:
        done = act_as(
            errors_key,
            workflow.withdraw,
            request.id,
            _seen(request.id, request.version),
            st.session_state.get(reason_key, ""),
        )
        if done is not None:
            flash(f"Request {request.id} withdrawn.")
            _forget(reason_key)

    with st.expander("Withdraw this request", expanded=bool(errors_of(errors_key))):
        form_error(errors_key)
        _stale_note(errors_key)
        st.text_area(
            "Why is it no longer needed? (required)",
            key=reason_key,
            max_chars=workflow.MAX_RATIONALE,
            on_change="ignore",
        )
        field_error(errors_key, "rationale")
        st.button("Withdraw the request", key=f"withdraw_go_{request.id}", on_click=withdraw)


def _harm(user: User, request: DerogationRequest) -> None:
    errors_key, report_key = f"harm_errors_{request.id}", f"harm_report_{request.id}"

    def record() -> None:
        done = act_as(
            errors_key,
            workflow.record_harm,
            request.id,
            _seen(request.id, request.version),
            st.session_state.get(report_key, ""),
        )
        if done is not None:
            flash(f"Harm or near miss recorded against request {request.id}.")
            _forget(report_key)

    st.header("Harm or near miss after this decision")
    if request.harm_report:
        st.text(visible(request.harm_report))
    with st.expander("Record harm or a near miss", expanded=bool(errors_of(errors_key))):
        st.caption("NHS England catalogues harm and near misses that followed a declined or revoked request.")
        form_error(errors_key)
        st.text_area(
            "What happened? (no patient identifiers)",
            key=report_key,
            max_chars=workflow.MAX_RATIONALE,
            on_change="ignore",
        )
        field_error(errors_key, "harm_report")
        st.button("Record it", key=f"harm_go_{request.id}", on_click=record)


# ---------------------------------------------------------------- everyone who can see it


def comment_box(user: User, request: DerogationRequest) -> None:
    errors_key, body_key = f"comment_errors_{request.id}", f"comment_body_{request.id}"

    def add() -> None:
        done = act_as(errors_key, workflow.add_comment, request.id, st.session_state.get(body_key, ""))
        if done is not None:
            flash("Comment added.")
            _forget(body_key)

    form_error(errors_key)
    st.text_area("Add a comment", key=body_key, max_chars=workflow.MAX_RATIONALE, on_change="ignore")
    field_error(errors_key, "comment")
    st.button("Add comment", key=f"comment_go_{request.id}", on_click=add)


def _london_minute(moment: datetime | None, *, up: bool) -> datetime | None:
    local = to_london(moment)
    if local is None:
        return None
    whole = local.replace(tzinfo=None, second=0, microsecond=0)
    return whole + timedelta(minutes=1) if up and whole != local.replace(tzinfo=None) else whole
