"""Request detail (?id=): everything about one request in the viewer's scope. First what a reviewer
decides on (a short summary) and the viewer's own action (decide, answer the question), then the full
record: where it is, the form as submitted (folded), every action on a timeline, and comments. A request outside the
viewer's scope looks exactly like one that does not exist."""

from __future__ import annotations

import contextlib

import streamlit as st

from core import queries
from core.notifications import notify
from core.platform.db import DatabaseBusy
from core.platform.errors import NotFound
from core.queries.search import MAX_TYPED_NUMBER
from ui import actions, bypass, components, cover, decision_summary, narrow
from ui.session import require_page
from ui.text import visible

user = require_page("request_detail")
narrow.compact_on_phone()


def open_number() -> None:
    number = queries.request_number(st.session_state.get("detail_number"))
    if number:
        st.query_params["id"] = str(number)
        st.session_state.pop("detail_unknown", None)
    else:
        st.session_state["detail_unknown"] = True


request_id = st.query_params.get("id")
if not request_id:
    st.title("Find a request")
    st.caption("A derogation request (patient safety mitigation): type its number.")
    st.text_input(
        "Request number",
        key="detail_number",
        max_chars=MAX_TYPED_NUMBER,
        placeholder="For example 42, derogation 42 or patient safety mitigation 42",
    )
    if st.session_state.get("detail_unknown"):
        st.error("Type the request's number, for example 42 (with 'derogation' or 'patient safety mitigation' or not).")
    st.button("Open", key="detail_open", type="primary", on_click=open_number)
    st.stop()

try:
    record = queries.request_record(user, request_id)
except NotFound:
    st.title("Request not found")
    components.request_not_found()
    st.stop()

request = record.request
with contextlib.suppress(DatabaseBusy):  # marking read can wait for the next visit
    notify.mark_request_read(user, request.id)
st.title(f"Request {request.id}")
# What a reviewer decides on, then the decision (on a phone within a screen and a half), then the rest.
# At a desk the two sit side by side; on a phone Streamlit stacks them, the summary first.
summary_column, action_column = st.columns([3, 2], gap="large")
with summary_column:
    decision_summary.summary(record.row, request)
    components.decision(request)
    components.question_asked(record.question, "The question asked of the trust:")
with action_column:
    actions.requester_panel(record)
    actions.reviewer_panel(record)
    actions.revoke_panel(record)
bypass.reasons_given(request, record.events)
bypass.bypass_record(request)
bypass.bypass_panel(record)
cover.asked_minimum_on_duty(request)  # asked for / registered minimum / on duty now, unfolded (ui/cover.py)

st.header("The full record")
st.text(
    visible(
        f"{request.service} at {request.site} · {record.row.trust_name} · {record.row.region_name} region"
        f" · filed by {record.filed_by}" + (f" · {record.period.name}" if record.period else "")
    )
)
components.status_line(record.row)
with st.expander("The request as submitted", expanded=False):
    components.request_form_view(request, record.row.trust_name, record.row.region_name, mitigations_first=True)
st.header("Timeline")
components.timeline(record.events)
st.header("Comments")
components.comments(record.comments)
actions.comment_box(record)
actions.remember_seen(request)
