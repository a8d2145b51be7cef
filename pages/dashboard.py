"""Live dashboard (national MDT: England; regional medical director: their region). Headline figures,
charts of SQL aggregates in the viewer's scope, what needs attention now, and the filtered list with
CSV downloads. The live part reruns itself every 10 seconds without reloading the page."""

from __future__ import annotations

import re

import streamlit as st

from core import queries
from core.clock import to_london
from core.config import database_url
from core.enums import ELIGIBLE_CATEGORIES, Category
from core.models import StrikePeriod, User
from ui import components, live_figures
from ui.session import require_page

user = require_page("dashboard")
REFRESH = "10s"
GOTO_KEY = "dash_goto"
DASHBOARD_LIST = 50  # newest rows on screen; the CSV holds every row

st.title("Live dashboard")
periods = queries.strike_periods()
if not periods:
    st.info("No strike periods yet. An administrator adds them on the Administration page.")
    st.stop()
by_id = {p.id: p for p in periods}
default = queries.default_period(periods)
period_id = st.selectbox(
    "Strike period",
    options=list(by_id),
    format_func=lambda pid: queries.period_label(by_id[pid]),
    index=list(by_id).index(default.id),
    key="dash_period",
)
period = by_id[period_id]
region_names = {r.code: r.name for r in queries.regions()}
national = user.region_code is None
st.caption(
    ("National picture: every region of England." if national else f"{region_names[user.region_code]} region only.")
    + f" Updates itself every {REFRESH[:-1]} seconds. Times are UK time."
)


def headline_figures(figures: queries.Headline) -> None:
    cells = st.columns(4)
    cells[0].metric("Requests", figures.requests, border=True)
    cells[1].metric("Approved", figures.approved, border=True, help="Approved by the BMA and not revoked.")
    cells[2].metric(
        "Declined",
        figures.declined,
        border=True,
        help=f"By the BMA: {figures.declined_by_bma}; by a tier as not meeting the criteria: {figures.not_eligible}.",
    )
    cells[3].metric("Withdrawn", figures.withdrawn, border=True)
    cells = st.columns(4)
    cells[0].metric(
        "Pending", figures.pending, border=True, help="Open and still inside their decision-needed-by time."
    )
    cells[1].metric(
        "Not decided in time",
        figures.not_decided_in_time,
        border=True,
        help="Undecided when their decision-needed-by time passed (counted here, not among the pending).",
    )
    cells[2].metric("Doctors asked for", figures.doctors_requested, border=True)
    cells[3].metric("Doctors approved", figures.doctors_approved, border=True)
    st.caption(
        f"Also: resolved locally {figures.resolved_locally} · approvals revoked {figures.revoked} · "
        f"expired {figures.expired} · past their tier's response target now (BREACHED) {figures.breached_now} · "
        f"mass casualty events {figures.mass_casualty}."
    )


def _goto(request_id: int) -> None:
    st.session_state[GOTO_KEY] = request_id


def filtered_list(viewer: User, chosen: StrikePeriod) -> None:
    st.header("Requests in this strike period")
    columns = st.columns(3)
    region = None
    if national:
        region = columns[0].selectbox(
            "Region",
            options=list(region_names),
            format_func=region_names.get,
            index=None,
            placeholder="All regions",
            key="dash_region",
        )
    category = columns[1].selectbox(
        "Category",
        options=[c.value for c in ELIGIBLE_CATEGORIES],
        format_func=lambda v: Category(v).label,
        index=None,
        placeholder="All categories",
        key="dash_category",
    )
    outcome = columns[2].selectbox(
        "Outcome",
        options=list(queries.OUTCOME_LABELS),
        format_func=queries.OUTCOME_LABELS.get,
        index=None,
        placeholder="All outcomes",
        key="dash_outcome",
    )
    filters = queries.ListFilters(region=region, category=category, outcome=outcome)
    frame, ids, total = live_figures.period_table(
        viewer, live_figures.scope_key(viewer), chosen.id, (region, category, outcome), database_url(), DASHBOARD_LIST
    )
    more = f"; showing the newest {len(ids)}: download the CSV for all" if total > len(ids) else ""
    st.markdown(f"**{total} request{'s' if total != 1 else ''}{more}.** Click a row to open it.")
    components.show_table(frame, ids, key="dash_table", on_pick=_goto)
    slug = re.sub(r"[^a-z0-9]+", "-", chosen.name.lower()).strip("-") or "period"
    left, right = st.columns(2)
    left.download_button(
        "Download this list (CSV)",
        data=lambda: queries.requests_csv(viewer, chosen.id, filters),
        file_name=f"derogations-{slug}.csv",
        mime="text/csv",
        on_click="ignore",
        key="dash_csv_list",
        icon=":material/download:",
    )
    right.download_button(
        "Download the audit history of this list (CSV)",
        data=lambda: queries.audit_csv(viewer, chosen.id, filters),
        file_name=f"derogations-audit-{slug}.csv",
        mime="text/csv",
        on_click="ignore",
        key="dash_csv_audit",
        icon=":material/download:",
    )


@st.fragment(run_every=REFRESH)
def live() -> None:
    goto = st.session_state.pop(GOTO_KEY, None)
    if goto is not None:
        st.switch_page("pages/request_detail.py", query_params={"id": str(goto)})
    shown = live_figures.figures(user, live_figures.scope_key(user), period.id, database_url())
    headline_figures(shown.headline)
    st.caption(f"Figures as at {to_london(shown.counted_at).strftime('%H:%M:%S')}.")
    attention, attention_ids = live_figures.attention_table(
        user, live_figures.scope_key(user), period.id, database_url()
    )
    st.header("Needs attention now")
    if attention_ids:
        st.caption(
            "Open requests past their tier's response target (BREACHED) or within two hours of, or past, the time "
            "a decision is needed by. Soonest first; mass casualty events at the top."
        )
        components.show_table(attention, attention_ids, key="dash_attention", on_pick=_goto)
    else:
        st.success("Nothing is breached or close to its decision-needed-by time.")
    if shown.empty:
        st.info("No requests have been submitted in this strike period.")
    else:
        live_figures.draw_charts(shown.charts)
    filtered_list(user, period)


live()
