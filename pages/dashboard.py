"""Live dashboard (national MDT: England; regional medical director: their region). Headline figures,
what needs attention now, and charts of SQL aggregates in the viewer's scope, one section at a time.
The live part reruns itself every 10 seconds without reloading the page. The period's full list,
with filters and CSV downloads, is on its own page (Requests list), linked from here."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.access_control.visibility import scope_key
from core.platform.clock import to_london
from core.platform.config import database_url
from core.platform.db import DatabaseBusy
from core.request.outcomes import DECLINED_EITHER, Outcome
from ui import components, cover, decision_times, live_figures, shared_copies
from ui.filters import period_picker
from ui.session import live_session, require_page

user = require_page("dashboard")
REFRESH = "10s"
GOTO_KEY = "dash_goto"

st.title("Live dashboard")
period_id = period_picker("dash_period").id
st.caption(
    (
        "National picture: every region of England."
        if queries.figures_region(user) is None
        else f"{queries.figures_scope_label(user, shared_copies.region_names())} only."
    )
    + f" Updates itself every {REFRESH[:-1]} seconds. Times are UK time."
)
st.page_link(
    "pages/requests_list.py",
    label="Every request in this strike period: filter, open, download as CSV",
    query_params={"period": str(period_id)},
    icon=":material/table_view:",
)


def headline_figures(figures: queries.Headline) -> None:
    cells = st.columns(4)
    cells[0].metric("Requests", figures.requests, border=True)
    cells[1].metric(Outcome.APPROVED.label, figures.approved, border=True, help="Approved by the BMA and not revoked.")
    cells[2].metric(
        DECLINED_EITHER,
        figures.declined,
        border=True,
        help=f"By the BMA: {figures.declined_by_bma}; by a tier as not meeting the criteria: {figures.not_eligible}.",
    )
    cells[3].metric(Outcome.WITHDRAWN.label, figures.withdrawn, border=True)
    cells = st.columns(4)
    cells[0].metric(
        Outcome.PENDING.label, figures.pending, border=True, help="Open and still inside their decision-needed-by time."
    )
    cells[1].metric(
        Outcome.NOT_DECIDED_IN_TIME.label,
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
    st.caption(
        f"Both sides' counts: approvals given by the BMA {figures.approvals_given} (requests), doctors in them "
        f"{figures.doctors_given}; doctors recalled under approvals still valid {figures.doctors_approved} · "
        f"recalls under the failsafe bypass {figures.bypasses} ({figures.bypass_doctors} doctors; reviews due "
        f"{figures.bypass_reviews_due})."
    )


def mass_casualty_banner(figures: queries.Headline) -> None:
    """While any mass-casualty request is open, say so above everything else (docs/rules.md rule 5)."""
    if figures.mass_casualty_open:
        many = figures.mass_casualty_open != 1
        st.error(
            f"**MASS CASUALTY: {figures.mass_casualty_open} open mass-casualty request{'s' if many else ''}** "
            f"in this strike period. {'They are' if many else 'It is'} at the top of 'Needs attention now' until "
            f"closed; every tier has been alerted.",
            icon=":material/emergency:",
        )


def _goto(request_id: int) -> None:
    st.session_state[GOTO_KEY] = request_id


@st.fragment(run_every=REFRESH)
def live() -> None:
    # Every refresh asks the session again (a refresh is not activity: an open dashboard does not keep
    # its session alive). Ended, or the account closed or changed: the whole page reruns to sign-in.
    try:
        checked = live_session(activity=False)
    except DatabaseBusy as busy:
        st.error(str(busy), icon=":material/hourglass_top:")  # the next refresh tries again
        return
    if checked is None or scope_key(checked.user) != scope_key(user):
        st.rerun(scope="app")
    viewer = checked.user
    goto = st.session_state.pop(GOTO_KEY, None)
    if goto is not None:
        st.switch_page("pages/request_detail.py", query_params={"id": str(goto)})
    scope = scope_key(viewer)
    shown = live_figures.counted(viewer, scope, period_id, database_url())
    mass_casualty_banner(shown.headline)
    headline_figures(shown.headline)
    st.caption(
        f"Figures as at {to_london(shown.counted_at).strftime('%H:%M:%S')}. "
        f"If you do nothing, you will be signed out at {to_london(checked.signs_out_at).strftime('%H:%M')} "
        "(the updates do not keep you signed in)."
    )
    attention, attention_ids = shown.attention, shown.attention_ids
    st.header("Needs attention now")
    if attention_ids:
        st.caption(
            "Open mass-casualty requests from the moment they are submitted, and open requests past their tier's "
            "response target (BREACHED) or within two hours of, or past, the time a decision is needed by. Mass "
            "casualty events at the top, then soonest first."
        )
        components.show_table(attention, attention_ids, key="dash_attention", on_pick=_goto)
    else:
        st.success("Nothing is breached or close to its decision-needed-by time.")
    decision_times.draw(viewer, scope, period_id, database_url())
    st.header("Charts")
    if shown.empty:
        st.info("No requests have been submitted in this strike period.")
        return
    section = st.segmented_control(
        "Show",
        options=list(live_figures.SECTIONS),
        format_func=lambda key: live_figures.SECTIONS[key][0],
        default="where",
        required=True,
        key="dash_section",
    )
    drawn = live_figures.section_charts(viewer, shown, scope, period_id, shown.counted_at, section, database_url())
    if drawn:
        live_figures.draw_charts(drawn)
    else:
        st.info("Nothing to show over time yet.")


live()
cover.services_below_minimum(user, period_id)  # from the trusts' cover registers (ui/cover.py)
