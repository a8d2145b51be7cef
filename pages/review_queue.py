"""Review queue: the requests waiting at the reviewer's own tier, in their scope. Mass casualty first,
then breached, then oldest. Open one to read it (what the trust tried comes first) and act."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.access_control.scope import Scope, reviewer_tier
from ui import actions, components, cover, narrow
from ui.filters import category, filter_row, region, trust
from ui.session import require_page
from ui.text import visible, when_short

user = require_page("review_queue")
narrow.compact_on_phone()
tier = reviewer_tier(user)
OPEN_KEY = "queue_open"

st.title(f"Review queue: {tier.label}")
st.caption(
    "Requests waiting for your decision. Mass casualty events come first, then requests past their response "
    "target (BREACHED), then the oldest. Every decision needs a written rationale."
)

regions, trusts = queries.queue_choices(user)
picked = filter_row("queue", [region(regions), trust(trusts), category()])

rows, total = queries.queue(user, queries.QueueFilters(**picked))
if not rows:
    st.success("Nothing is waiting at your tier.")
else:
    shown = f"{total} waiting" + (
        f"; showing the first {len(rows)}, narrow with the filters" if total > len(rows) else ""
    )
    st.markdown(f"**{shown}.** Click a request to open it, or choose one below to read it here.")


linked = st.query_params.get("id")
if linked and linked != st.session_state.get("queue_linked"):
    st.session_state[OPEN_KEY] = linked  # a deep link (e.g. from a notification) opens that request once
    st.session_state["queue_linked"] = linked
scope = Scope.of(user)
hidden = {name for name, spanned in (("Region", scope.spans_regions), ("Trust", scope.spans_trusts)) if not spanned}
columns = tuple(name for name in components.QUEUE_COLUMNS if name not in hidden)
components.list_table(rows, columns=columns)


def bypass_reviews_due() -> None:
    """The national MDT reviews every recall under the failsafe bypass once the request's route has ended."""
    due = queries.bypass_reviews(user)
    if not due:
        return
    st.header("Failsafe bypass reviews due")
    ready = sum(row.ready_for_review for row in due)
    st.caption(
        f"{len(due)} recall{'s' if len(due) != 1 else ''} under the failsafe bypass not yet reviewed; {ready} ready "
        "(the request's route has ended). Open one to review it."
    )
    for row in due:
        state = "ready for review" if row.ready_for_review else "route still open"
        st.page_link(
            "pages/request_detail.py",
            label=(
                f"Request {row.request_id} · {row.trust_name} · {row.doctors} doctor{'s' if row.doctors != 1 else ''} "
                f"recalled {when_short(row.recalled_at)} · {state}"
            ),
            query_params={"id": str(row.request_id)},
            icon=":material/emergency_home:",
        )


bypass_reviews_due()

record = components.open_request(user, rows, OPEN_KEY, last_word=lambda row: row.trust_name)
if record is not None:
    request = record.request
    st.text(visible(f"{request.service} at {request.site} · {record.row.trust_name}"))
    left, right = st.columns([3, 2], gap="large")
    with left:
        components.status_line(record.row)
        cover.asked_minimum_on_duty(request)
        components.request_form_view(request, record.row.trust_name, record.row.region_name, mitigations_first=True)
    with right:
        actions.reviewer_panel(record)
        st.page_link(
            "pages/request_detail.py",
            label="Open the full record (timeline and comments)",
            query_params={"id": str(request.id)},
            icon=":material/open_in_full:",
        )
        st.subheader("Timeline")
        components.timeline(record.events)
    actions.remember_seen(request)
