"""The band at the top of every page: service name, who is signed in, and the strike status."""

from __future__ import annotations

import streamlit as st

from core.enums import Role
from core.models import StrikePeriod, User
from core.notifications import notify
from core.platform.clock import format_london
from core.reference import periods
from ui import shared_copies
from ui.session import sign_out, sign_out_everywhere
from ui.text import visible

# Static styling only (no user text ever goes into HTML). NHS identity colours:
# blue #005EB8, dark blue #003087, text #212B32, secondary text #4C6272, warm yellow #FFEB3B focus.
STYLE = """
<style>
[data-testid="stMainBlockContainer"] {padding-top:4.5rem;}  /* clears the top navigation bar */
.st-key-nhs-header {background:#005EB8; padding:0.75rem 1rem 0.5rem 1rem; border-radius:0;}
.st-key-nhs-header p, .st-key-nhs-header span, .st-key-nhs-header div {color:#FFFFFF;}
.st-key-nhs-header a {color:#FFFFFF !important; text-decoration:underline;}
.st-key-nhs-header button {background:#FFFFFF; color:#005EB8 !important; border:2px solid #FFFFFF;}
.st-key-nhs-header button p {color:#005EB8 !important; font-weight:600;}
.st-key-strike-on {background:#FFF9C4; border-left:8px solid #FFB81C; padding:0.4rem 0.8rem;}
.st-key-strike-off {background:#F0F4F5; border-left:8px solid #4C6272; padding:0.4rem 0.8rem;}
.st-key-strike-on p, .st-key-strike-off p {color:#212B32; margin:0;}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {color:#4C6272; opacity:1;}
/* Date and time fields are rows of small segments (day, month, year, hour, minute): give each one a
   24 x 24 px target (WCAG 2.2, 2.5.8 target size). */
span[role="spinbutton"] {display:inline-block; min-width:24px; min-height:24px; line-height:24px; text-align:center;}
/* A request's facts (ui/components.fact_lines): label beside value, stacked on a narrow screen. */
dl.facts {display:grid; grid-template-columns:minmax(9rem, 14rem) 1fr; gap:0.3rem 1rem; margin:0 0 1rem 0; color:#212B32;}
dl.facts dt {font-weight:600;}
dl.facts dd {margin:0; white-space:pre-wrap; overflow-wrap:anywhere;}
/* A small table of labels and typed values (ui/components.fact_table). */
table.facts {border-collapse:collapse; margin:0 0 1rem 0; color:#212B32;}
table.facts caption {text-align:left; font-weight:600; padding-bottom:0.4rem;}
table.facts th, table.facts td {text-align:left; vertical-align:top; padding:0.4rem 1rem 0.4rem 0;
  border-bottom:1px solid #D8DDE0; white-space:pre-wrap; overflow-wrap:anywhere;}
table.facts thead th {border-bottom:2px solid #425563;}
@media (max-width: 640px) {dl.facts {grid-template-columns:1fr; gap:0 1rem;} dl.facts dd {margin-bottom:0.4rem;}}
a:focus, button:focus-visible, input:focus-visible, textarea:focus-visible {
  outline:3px solid #FFEB3B !important; box-shadow:0 4px 0 #212B32 !important;
}
</style>
"""


def _strike_line(current: StrikePeriod | None, upcoming: StrikePeriod | None) -> None:
    if current is not None:
        with st.container(key="strike-on"):
            st.markdown(
                f"**Strike action in progress** until {format_london(current.ends_at)}: requests can be submitted now."
            )
        return
    with st.container(key="strike-off"):
        starts = f" The next strike period starts {format_london(upcoming.starts_at)}." if upcoming else ""
        st.markdown(f"**No strike action in progress.** Requests can be drafted but not submitted.{starts}")


def draw_header(user: User | None) -> None:
    st.html(STYLE)
    with st.container(key="nhs-header"):
        left, right = st.columns([5, 2], vertical_alignment="center")
        left.markdown("**NHS England · Derogations during strike action**")
        if user is None:
            right.page_link("pages/verify.py", label="Check a recall reference", icon=":material/verified:")
            return
        left.text(
            visible(f"Signed in as {user.full_name} · {Role(user.role).label} · {shared_copies.scope_label(user)}")
        )
        with right:
            unread = notify.unread_for(user)  # the user's own: always read afresh
            inbox = f"Inbox: {unread} unread" if unread else "Inbox: nothing unread"
            st.page_link("pages/inbox.py", label=inbox, icon=":material/notifications:")
            sign_out_here, account = st.columns(2)
            sign_out_here.button("Sign out", key="sign_out", on_click=sign_out)
            with account.popover("Account", icon=":material/account_circle:"):
                st.caption("Signed in on another computer or phone and not sure you signed out there?")
                st.button("Sign out everywhere", key="sign_out_everywhere", on_click=sign_out_everywhere)
    # Periods come from a few seconds' shared copy; whether one is on now is decided from the clock.
    known = shared_copies.strike_periods()
    _strike_line(periods.in_progress(known), periods.next_to_start(known))
