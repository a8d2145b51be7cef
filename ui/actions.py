"""What the viewer can do to one request, drawn beside it: a reviewer's decision at their tier, the
BMA's approval, decline or revocation, the trust's withdrawal and harm record, and comments.

A panel is drawn only for a deed the request's record offers (core.access_control.permissions, the same question the
workflow asks before it records the deed). Each action passes the version of the request the person saw on
screen (kept in session state at render time), so an action on a request somebody else changed meanwhile is
refused as stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from core import queries, workflow
from core.access_control.permissions import FILED_IT, Deed, waits_for
from core.enums import BMA_ACTIONS, REASONS_FOR, Action, Grade, Reason, Status, Tier
from core.models import DerogationRequest, User
from core.platform.clock import to_london
from core.queries import RequestRecord
from core.request.form import RequestForm
from ui import into_view
from ui.feedback import FORM_ERROR, act_as, errors_of, field_error, flash, form_error, one_of
from ui.text import md_escape, visible


def _seen_key(request_id: int) -> str:
    return f"seen_version_{request_id}"


def remember_seen(request: DerogationRequest) -> None:
    """Call after drawing a request: the version now on screen is the one the next action acts on."""
    st.session_state[_seen_key(request.id)] = request.version


def seen_version(request: DerogationRequest) -> int:
    """The version on screen (remember_seen): an action on a request changed since is refused as stale."""
    return st.session_state.get(_seen_key(request.id), request.version)


def forget(*keys: str) -> None:
    """Clear an action's inputs once it went through."""
    for name in keys:
        st.session_state.pop(name, None)


DECISION, ANSWER = "decision", "answer"  # the panels an outcome replaces


def _outcome_key(panel: str, request_id: int) -> str:
    return f"recorded_{panel}_{request_id}"


def recorded(panel: str, request_id: int, message: str) -> None:
    """What a decision or answer just did, in our words (no user text: drawn as markdown), kept to be shown
    in place of the panel it was made in, where the person is looking (outcome())."""
    st.session_state[_outcome_key(panel, request_id)] = message
    into_view.ask(f"outcome_{panel}_{request_id}")


def outcome(record: RequestRecord, panel: str) -> bool:
    """Draw what the person just recorded in `panel` on this request, if anything, with (after a decision) a
    link to the next request waiting at their tier. Whether it drew it."""
    message = st.session_state.get(_outcome_key(panel, record.request.id))
    if message is None:
        return False
    key = f"outcome_{panel}_{record.request.id}"
    with st.container(border=True, key=key):
        st.success(message, icon=":material/check_circle:")
        if panel == DECISION:
            _next_link(record.viewer, record.request.id)
    into_view.bring_if_asked(key)
    return True


def _next_link(user: User, decided: int) -> None:
    following = queries.next_waiting(user, besides=decided)
    if following is None:
        st.markdown("Nothing else is waiting at your tier.")
        return
    st.page_link(
        "pages/request_detail.py",
        label=f"Open the next request waiting at your tier: request {following}",
        query_params={"id": str(following)},
        icon=":material/arrow_forward:",
    )


BMA_WORDS = {Action.APPROVE.value: "Approve (you can approve less than was asked)", Action.DECLINE.value: "Decline"}


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
        select_all=False,
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


def reviewer_panel(record: RequestRecord) -> None:
    """The decision at the viewer's tier, drawn only when the workflow would take it. When the request
    waits at their tier but they may not decide (four eyes, or the strike period has ended) it says why."""
    request = record.request
    errors_key = f"review_errors_{request.id}"
    deed = Deed.BMA_DECIDE if request.current_tier == Tier.BMA else Deed.REVIEW
    if not record.offers(deed):
        if outcome(record, DECISION):
            return
        why = record.why_not(deed)
        if waits_for(record.viewer, request):
            st.subheader("Your decision")
            st.info(why, icon=":material/group:" if why == FILED_IT else ":material/event_busy:")
        else:
            _leftover(errors_key)
        return
    st.session_state.pop(_outcome_key(DECISION, request.id), None)  # back at this tier: an earlier outcome is history
    st.subheader("Your decision")
    form_error(errors_key)
    _stale_note(errors_key)
    if deed is Deed.BMA_DECIDE:
        _bma_panel(request, errors_key)
        return
    tier = Tier(request.current_tier)
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
            seen_version(request),
            choice,
            st.session_state.get(rationale_key, ""),
            reasons=_chosen(reasons_key, choice),
        )
        if done is not None:
            recorded(
                DECISION,
                request.id,
                f"Request {request.id}: {Action(choice).label.lower()}. The people who act next have been told.",
            )
            forget(action_key, rationale_key, reasons_key)

    one_of("What do you decide?", words, key=action_key)
    field_error(errors_key, "action")
    choice = st.session_state.get(action_key)
    if choice in {a.value for a in REASONS_FOR}:
        reason_picker(Action(choice), reasons_key, errors_key)
    st.text_area(
        "Your rationale (required, shown to everyone who can see this request)",
        key=rationale_key,
        max_chars=workflow.MAX_RATIONALE,
        on_change="ignore",
    )
    field_error(errors_key, "rationale")
    st.button("Record my decision", key=f"review_go_{request.id}", type="primary", on_click=act)


# ---------------------------------------------------------------- the BMA


def _bma_panel(request: DerogationRequest, errors_key: str) -> None:
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
        done = act_as(errors_key, workflow.bma_decide, rid, seen_version(request), decision)
        if done is not None:
            if done.status == Status.APPROVED:
                recorded(
                    DECISION,
                    rid,
                    f"Request {rid} approved. Confirmation reference **{done.confirmation_ref}**. "
                    "The trust has been told.",
                )
            else:
                recorded(DECISION, rid, f"Request {rid} declined. The trust has been told.")
            forget(*keys.values())

    one_of("The BMA's decision", BMA_WORDS, key=keys["choice"])
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
            select_all=False,
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
    st.text_area(
        "Your rationale (required)", key=keys["rationale"], max_chars=workflow.MAX_RATIONALE, on_change="ignore"
    )
    field_error(errors_key, "rationale")
    st.button("Record the BMA's decision", key=f"bma_go_{rid}", type="primary", on_click=decide)


# ---------------------------------------------------------------- a deed with written reasons


def reasoned_action(
    request: DerogationRequest,
    *,
    name: str,
    command: Callable[..., Any],
    text_key: str,
    label: str,
    button: str,
    done: str,
    field: str = "rationale",
    reasons: Action | None = None,
    title: str | None = None,
    caption: str | None = None,
    versioned: bool = True,
) -> None:
    """One shape for every deed that takes written reasons (withdraw, record harm, revoke, comment):
    `command(user, id, [version,] text[, reasons=...])`, its message under the field, and the reasons picked
    from the fixed list when the action takes them. Drawn in an expander titled `title`, or in place."""
    rid = request.id
    errors_key, body_key = f"{name}_errors_{rid}", f"{name}_{text_key}_{rid}"
    reasons_key = f"{name}_reasons_{rid}"

    def act() -> None:
        version = (seen_version(request),) if versioned else ()
        extra = {"reasons": _chosen(reasons_key, reasons)} if reasons else {}
        if act_as(errors_key, command, rid, *version, st.session_state.get(body_key, ""), **extra) is not None:
            flash(done)
            forget(body_key, reasons_key)

    def draw() -> None:
        if caption:
            st.caption(caption)
        form_error(errors_key)
        _stale_note(errors_key)
        if reasons:
            reason_picker(reasons, reasons_key, errors_key)
        st.text_area(label, key=body_key, max_chars=workflow.MAX_RATIONALE, on_change="ignore")
        field_error(errors_key, field)
        st.button(button, key=f"{name}_go_{rid}", on_click=act)

    if title is None:
        draw()
        return
    with st.expander(title, expanded=bool(errors_of(errors_key))):
        draw()


def revoke_panel(record: RequestRecord) -> None:
    """The BMA withdraws an approval when new information comes to light; the trust is told at once."""
    request = record.request
    if not record.offers(Deed.REVOKE):
        _leftover(f"revoke_errors_{request.id}")
        return
    reasoned_action(
        request,
        name="revoke",
        command=workflow.revoke,
        text_key="reason",
        label="Why is the approval revoked? (required)",
        button="Revoke the approval",
        done=f"Approval of request {request.id} revoked. The trust has been told to stop recalling doctors.",
        reasons=Action.REVOKE,
        title="Revoke this approval",
    )


# ---------------------------------------------------------------- the trust


def requester_panel(record: RequestRecord) -> None:
    request, rid = record.request, record.request.id
    if record.offers(Deed.ANSWER):
        answer_box(record)
    elif outcome(record, ANSWER):
        pass
    elif request.status == Status.MORE_INFO and record.offers(Deed.WITHDRAW):  # theirs, but too late to answer
        st.info(record.why_not(Deed.ANSWER), icon=":material/event_busy:")
    elif record.offers(Deed.EDIT):
        st.page_link(
            "pages/file_request.py", label="Continue this draft", icon=":material/edit:", query_params={"id": str(rid)}
        )
    if record.offers(Deed.WITHDRAW):
        reasoned_action(
            request,
            name="withdraw",
            command=workflow.withdraw,
            text_key="reason",
            label="Why is it no longer needed? (required)",
            button="Withdraw the request",
            done=f"Request {rid} withdrawn.",
            title="Withdraw this request",
        )
    else:
        _leftover(f"withdraw_errors_{rid}")
    if record.offers(Deed.RECORD_HARM):
        st.header("Harm or near miss after this decision")
        if request.harm_report:
            st.text(visible(request.harm_report))
        reasoned_action(
            request,
            name="harm",
            command=workflow.record_harm,
            text_key="report",
            label="What happened? (no patient identifiers)",
            button="Record it",
            done=f"Harm or near miss recorded against request {rid}.",
            field="harm_report",
            title="Record harm or a near miss",
            caption="NHS England catalogues harm and near misses that followed a declined or revoked request.",
        )


ANSWER_LABEL = "Your answer (required, shown to the reviewers)"


def _send_answer(actor: User, request: DerogationRequest, version: int, answer: str) -> DerogationRequest:
    """The answer alone: the form goes back exactly as it is (a change to it is made on the form's page)."""
    return workflow.answer_more_info(actor, request.id, version, RequestForm.from_request(request), answer)


def answer_box(record: RequestRecord) -> None:
    """The trust answers the reviewer's question where the question shows, at the top of the request."""
    request, rid = record.request, record.request.id
    errors_key, answer_key = f"answer_errors_{rid}", f"answer_text_{rid}"

    def send() -> None:
        answer = st.session_state.get(answer_key, "")
        if act_as(errors_key, _send_answer, request, seen_version(request), answer) is not None:
            recorded(ANSWER, rid, f"Answer sent: request {rid} has gone back to the reviewer who asked.")
            forget(answer_key)

    with st.container(border=True, key=f"answer_{rid}"):
        st.warning("**A reviewer has asked for more information.** Answer it so the request can move on.")
        form_error(errors_key)
        _stale_note(errors_key)
        for name, message in errors_of(errors_key).items():  # the form as it stands no longer passes
            if name not in (FORM_ERROR, "answer", "_stale"):
                st.error(md_escape(message), icon=":material/error:")
        st.text_area(ANSWER_LABEL, key=answer_key, max_chars=workflow.MAX_RATIONALE, on_change="ignore")
        field_error(errors_key, "answer")
        st.button("Send answer", key=f"answer_go_{rid}", type="primary", on_click=send)
        st.page_link(
            "pages/file_request.py",
            label="Or change the form as well, then answer",
            icon=":material/edit:",
            query_params={"id": str(rid)},
        )


# ---------------------------------------------------------------- everyone who can see it


def comment_box(record: RequestRecord) -> None:
    if not record.offers(Deed.COMMENT):
        return
    reasoned_action(
        record.request,
        name="comment",
        command=workflow.add_comment,
        text_key="body",
        label="Add a comment",
        button="Add comment",
        done="Comment added.",
        field="comment",
        versioned=False,
    )


def _london_minute(moment: datetime | None, *, up: bool) -> datetime | None:
    local = to_london(moment)
    if local is None:
        return None
    whole = local.replace(tzinfo=None, second=0, microsecond=0)
    return whole + timedelta(minutes=1) if up and whole != local.replace(tzinfo=None) else whole
