"""File a request (trust requester): the streamlined form; save a draft at any time, submit while
strike action is in progress, or answer a reviewer's request for more information (?id=)."""

from __future__ import annotations

import streamlit as st

from core import queries, workflow
from core.access_control.permissions import Deed
from core.enums import Status, Tier
from core.models import User
from core.platform.errors import NotFound
from core.reference import periods
from core.request.form import RequestForm
from ui import components, cover, decline_advice, request_form
from ui.feedback import FORM_ERROR, act_as, clear_errors, errors_of, field_error, flash
from ui.session import require_page

user = require_page("file_request")
ERRORS = "file_errors"
LOADED = "file_loaded"  # {"id": "new" | "<id>", "version": int | None, "status": str}
DONE = "file_done"  # the request just submitted or answered, for the confirmation panel


def _clear_form() -> None:
    for name in [k for k in st.session_state if str(k).startswith(request_form.PREFIX)]:
        del st.session_state[name]
    clear_errors(ERRORS)


def _form_of(actor: User) -> RequestForm:
    """The form on the screen, for the trust of the account as it is at the click."""
    return request_form.read(actor.trust_code or "")


def _save() -> int | None:
    """Save the screen as a draft; returns the request id, or None when refused."""
    loaded = st.session_state[LOADED]
    request_id = None if loaded["id"] == "new" else int(loaded["id"])
    saved = act_as(ERRORS, lambda actor: workflow.save_draft(actor, _form_of(actor), request_id, loaded["version"]))
    if saved is None:
        return None
    st.session_state[LOADED] = {"id": str(saved.id), "version": saved.version, "status": saved.status}
    st.query_params["id"] = str(saved.id)
    return saved.id


def on_save() -> None:
    request_form.count_attempt(ERRORS)
    request_id = _save()
    if request_id is not None:
        flash(f"Draft saved as request {request_id}. It is not submitted yet: nobody else can act on it.")


def on_submit() -> None:
    request_form.count_attempt(ERRORS)
    request_id = _save()
    if request_id is None:
        return
    version = st.session_state[LOADED]["version"]
    submitted = act_as(ERRORS, workflow.submit, request_id, version)
    if submitted is None:
        errors = errors_of(ERRORS)
        if FORM_ERROR not in errors:  # say the draft is safe, unless core already said why it was refused
            st.session_state[ERRORS] = {
                FORM_ERROR: "The request was not submitted. Your draft is saved: fix the problems below.",
                **errors,
            }
        return
    _finish(submitted.id, "submitted", submitted.mass_casualty)


def on_answer() -> None:
    request_form.count_attempt(ERRORS)
    loaded = st.session_state[LOADED]
    answer = st.session_state.get("rf_answer", "")
    answered = act_as(
        ERRORS,
        lambda actor: workflow.answer_more_info(actor, int(loaded["id"]), loaded["version"], _form_of(actor), answer),
    )
    if answered is not None:
        _finish(answered.id, "answered", False)


def _finish(request_id: int, what: str, mass_casualty: bool) -> None:
    _clear_form()
    st.session_state.pop(LOADED, None)
    st.session_state[DONE] = {"id": request_id, "what": what, "mass_casualty": mass_casualty}
    st.query_params.clear()


def on_reload() -> None:
    """After 'changed since you opened it': show the latest saved version."""
    st.session_state.pop(LOADED, None)
    _clear_form()


def on_new() -> None:
    st.session_state.pop(DONE, None)
    st.session_state.pop(LOADED, None)
    _clear_form()
    st.query_params.clear()


def confirmation(done: dict) -> None:
    if done["what"] == "submitted":
        st.success(
            f"Request {done['id']} submitted. It is now with the clinical director of the service, who has been told.",
            icon=":material/check_circle:",
        )
        if done["mass_casualty"]:
            st.warning(
                "Mass casualty event: every tier has been alerted at once. You may contact resident doctors now while "
                "the request is escalated; the BMA's decision is still required and will be recorded."
            )
    else:
        st.success(f"Answer sent. Request {done['id']} is back with the reviewer who asked.")
    st.page_link("pages/request_detail.py", label="Open the request", query_params={"id": str(done["id"])})
    st.page_link("pages/my_requests.py", label="See all my trust's requests")
    st.button("File another request", key="rf_new", on_click=on_new)


st.title("File a request")
st.caption(
    "A derogation (patient safety mitigation) recalls a limited number of striking resident doctors to a service "
    "that would otherwise be unsafe, once the BMA agrees."
)
if st.session_state.get(DONE) and "id" not in st.query_params:
    confirmation(st.session_state[DONE])
    st.stop()
st.session_state.pop(DONE, None)

trust = queries.trust_of(user.trust_code)
if trust is None:
    st.error("Your account is not linked to an NHS trust. Ask an administrator.")
    st.stop()
period, upcoming = queries.periods_now()
target = st.query_params.get("id", "new")
loaded = st.session_state.get(LOADED)
record = None
if target != "new":
    try:
        record = queries.request_record(user, target)
    except NotFound:
        components.request_not_found()
        st.stop()
if loaded is None or loaded["id"] != target or request_form.key("site") not in st.session_state:
    # First visit, another request, or the widgets were dropped when the user went to another page.
    _clear_form()
    if record is not None:
        request_form.load(RequestForm.from_request(record.request))
        loaded = {"id": str(record.request.id), "version": record.request.version, "status": record.request.status}
    else:
        request_form.load(request_form.new_form(user))
        loaded = {"id": "new", "version": None, "status": Status.DRAFT.value}
    st.session_state[LOADED] = loaded

answering = record is not None and record.request.status == Status.MORE_INFO
if record is not None and not record.offers(Deed.ANSWER if answering else Deed.EDIT):
    request_form.error_summary(ERRORS)  # e.g. somebody else answered first: say so once
    clear_errors(ERRORS)
    st.info(record.why_not(Deed.ANSWER if answering else Deed.EDIT))
    st.page_link("pages/request_detail.py", label="Open the request", query_params={"id": target})
    st.stop()

if answering:
    question = record.question
    st.warning(
        f"**More information was asked for by the {Tier(record.request.returned_from_tier).label}.** "
        "Change the form where needed and answer the question below; the request then goes back to them."
    )
    components.question_asked(question)
elif period is None:
    st.info(
        f"No strike action is in progress: you can save a draft now but not submit it. {periods.submission_opens(upcoming)}"
    )
else:
    st.caption(
        "Fill in what you know and save a draft at any time; submit when it is complete. "
        "Everything you type is shown to reviewers exactly as typed."
    )
if loaded["id"] != "new":
    st.caption(f"Editing request {loaded['id']}.")

cover.cover_prefill(user)  # a registered service fills in its staffing (ui/cover.py)
request_form.draw(ERRORS, trust, queries.region_name(trust.region_code), period)

if errors_of(ERRORS).get("_stale"):
    st.button("Show the latest saved version (replaces what is on screen)", key="rf_reload", on_click=on_reload)

decline_advice.draw(_form_of(user))
st.divider()
if answering:
    st.text_area(request_form.LABELS["answer"], key="rf_answer", max_chars=workflow.MAX_RATIONALE, on_change="ignore")
    field_error(ERRORS, "answer")
    st.button("Send answer", key="rf_send_answer", type="primary", on_click=on_answer)
else:
    left, right = st.columns([1, 1])
    left.button("Save draft", key="rf_save", on_click=on_save, width="stretch")
    right.button(
        "Submit request",
        key="rf_submit",
        type="primary",
        on_click=on_submit,
        width="stretch",
        help="Saves the draft, checks it and sends it to the clinical director.",
    )
