"""Strike figures (public, no sign-in): the daily figures of a strike period by NHS England region, counted as
requests and as doctors, with the same rows as CSV and JSON (server/figures.py). What each column means is in
docs/figures.md and on the page."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.platform.clock import format_london, to_london
from core.report import public_figures
from ui import public_figures as view

st.title("Strike figures")
st.markdown(
    "Derogation requests made during resident doctors' strike action, day by day and by NHS England region: "
    "how many requests the NHS made, how many the BMA approved or declined, and how many resident doctors they "
    "asked for and were approved. Both sides read these figures from the same record."
)

started = public_figures.published_periods()
if not started:
    st.info("No strike period has started yet, so there are no figures to publish.")
    st.stop()
by_id = {p.id: p for p in started}
default = public_figures.chosen_period(None).id
period_id = st.selectbox(
    "Strike period",
    options=list(by_id),
    index=list(by_id).index(default),
    format_func=lambda pid: queries.period_label(by_id[pid]),
    key="figures_period",
)
publication = public_figures.published(by_id[period_id])
st.caption(
    f"Counted at {format_london(publication.counted_at)}; counted again at most once a minute. Each day's figures "
    "are the state at the end of that day (UK time), or now for today."
)
totals = view.day_totals(publication)
if not totals or not totals["requests"]:
    st.info("No requests have been submitted in this strike period.")
else:
    latest = publication.rows[-1].date
    today = latest == to_london(publication.counted_at).date()
    st.header(
        f"England {'so far today' if today else 'at the end of'} {latest:%A %d %B %Y}".replace("today ", "today, ")
    )
    view.headline(totals)
    st.header("Charts")
    view.charts(publication)

st.header("Every day and region")
st.dataframe(view.table(publication), hide_index=True, width="stretch", key="figures_table")
st.markdown(
    f"Download these figures: [CSV](/figures/daily.csv?period={period_id}) · "
    f"[JSON](/figures/daily.json?period={period_id}). Without `?period=`, both give the strike period in "
    "progress, or else the latest that ended."
)
with st.expander("What each column means"):
    st.markdown(
        "- **date**: a day in UK time; its figures are every request submitted by the end of that day, each "
        "counted by where it stood at that moment.\n"
        "- **region**: the NHS England region of the requesting trust. No trust is named.\n"
        "- **requests**: requests submitted so far. Each is in exactly one of: approved, declined, withdrawn, "
        "pending, revoked, not decided in time, resolved locally, expired.\n"
        "- **approved**: approved by the BMA and not revoked (as on the live dashboard).\n"
        "- **declined**: declined by the BMA, or by a review tier as not meeting the criteria.\n"
        "- **withdrawn**: withdrawn by the trust.\n"
        "- **pending**: still being reviewed, inside the time a decision was needed by.\n"
        "- **doctors_requested**: resident doctors those requests asked for.\n"
        "- **doctors_approved**: resident doctors in approvals still valid.\n"
        "- **revoked**: approvals the BMA later withdrew.\n"
        "- **not_decided_in_time**: undecided when the time a decision was needed by passed.\n"
        "- **resolved_locally**: resolved by a review tier without a recall.\n"
        "- **expired**: still open when the strike period ended."
    )
