"""My trust's requests (trust requester): every request of the trust, where it is and for how long,
answers to 'more information', withdrawal, harm records, and exactly what the BMA approved."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.enums import Status
from ui import actions, components, cover, narrow
from ui.session import require_page
from ui.text import status_word, visible

user = require_page("my_requests")
narrow.compact_on_phone()
OPEN_KEY = "my_open"

st.title("My trust's requests")
st.page_link("pages/file_request.py", label="File a new request", icon=":material/add_circle:")

group = st.segmented_control(
    "Show",
    options=list(queries.STATUS_GROUPS),
    format_func=queries.STATUS_GROUPS.get,
    default="all",
    key="my_group",
)
rows, total = queries.trust_requests(user, group=group or "all")
if not rows:
    st.info("No requests to show.")
else:
    more = f"; showing the newest {len(rows)}" if total > len(rows) else ""
    st.markdown(f"**{total} request{'s' if total != 1 else ''}{more}.** Open ones first. Click a request to open it.")
    waiting = [row.request.id for row in rows if row.request.status == Status.MORE_INFO]
    if waiting:
        st.warning(
            "A reviewer is waiting for your answer on request " + ", ".join(str(i) for i in waiting) + ".",
            icon=":material/reply:",
        )
    for request_id in waiting:  # each goes straight to the answer box, at the top of the request
        st.page_link(
            "pages/request_detail.py",
            label=f"Answer the question on request {request_id}",
            query_params={"id": str(request_id)},
            icon=":material/reply:",
        )

components.list_table(rows, columns=components.TRUST_COLUMNS)
record = components.open_request(user, rows, OPEN_KEY, last_word=lambda row: status_word(row.request.status))
if record is not None:
    request = record.request
    st.text(visible(f"{request.service} · {request.site}"))
    components.status_line(record.row)
    components.decision(request)
    components.question_asked(record.question)
    actions.requester_panel(record)
    cover.asked_minimum_on_duty(request)
    left, right = st.columns([3, 2], gap="large")
    with left, st.expander("The request as submitted", expanded=False):
        components.request_form_view(request, record.row.trust_name, record.row.region_name, mitigations_first=False)
    with right:
        st.subheader("Timeline")
        components.timeline(record.events)
    st.page_link(
        "pages/request_detail.py",
        label="Open the full record (comments)",
        query_params={"id": str(request.id)},
        icon=":material/open_in_full:",
    )
    actions.remember_seen(request)
