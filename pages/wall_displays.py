"""Wall displays (national MDT, administrators): turn a wall screen showing a code into a display of one
scope's live dashboard, see the displays that are up, and end any of them (core/accounts/display_sessions.py)."""

from __future__ import annotations

import streamlit as st

from core.accounts import display_sessions
from core.accounts.display_sessions import CODE_FIELD, DURATIONS_HOURS
from core.platform.clock import to_london
from core.platform.db import DatabaseBusy
from core.queries import ENGLAND
from core.queries.lookups import region_label
from ui import shared_copies
from ui.feedback import act_as, field_error, flash, form_error
from ui.session import require_page
from ui.text import md_escape, visible

require_page("wall_displays")
START_ERRORS = "wall_start_errors"
END_ERRORS = "wall_end_errors"


def _scope_words(region_code: str | None) -> str:
    names = shared_copies.region_names()
    return ENGLAND if region_code is None else region_label(names.get(region_code, region_code))


def _start() -> None:
    state = st.session_state
    started = act_as(
        START_ERRORS,
        display_sessions.start,
        state.get("wall_code", ""),
        state.get("wall_scope"),
        state.get("wall_hours"),
    )
    if started is not None:
        flash("The wall display has started: its screen shows the figures within a few seconds.")
        state["wall_code"] = ""


def _end(display_id: int) -> None:
    act_as(END_ERRORS, display_sessions.end, display_id)
    if END_ERRORS not in st.session_state:
        flash("The wall display has ended: its screen shows a new code at its next refresh.")


st.title("Wall displays")
st.markdown(
    "A wall display shows one scope's live dashboard on a screen for a shift, without anyone signed in on it: "
    "it cannot open a request, download anything or act. On the screen's browser, open **/wall**: it shows a "
    "code. Type that code here."
)
st.header("Start a wall display")
form_error(START_ERRORS)
st.text_input(
    "Code shown on the wall screen",
    key="wall_code",
    max_chars=display_sessions.MAX_TYPED_CODE,
    placeholder="e.g. KM4P-7RTX",
)
field_error(START_ERRORS, CODE_FIELD)
names = shared_copies.region_names()
st.selectbox(
    "What it shows",
    options=[None, *names],
    format_func=_scope_words,
    key="wall_scope",
)
field_error(START_ERRORS, "scope")
st.radio(
    "How long it stays up",
    options=DURATIONS_HOURS,
    index=len(DURATIONS_HOURS) - 1,
    format_func=lambda hours: f"{hours} hours",
    horizontal=True,
    key="wall_hours",
)
field_error(START_ERRORS, "hours")
st.button("Start the wall display", key="wall_start", type="primary", on_click=_start)

st.header("Wall displays up now")
form_error(END_ERRORS)
try:
    display_sessions.expire_due()  # those past their end are noted as ended (audit rows) before listing
    shown = display_sessions.live_displays()
except DatabaseBusy as busy:
    st.error(str(busy), icon=":material/hourglass_top:")
    st.stop()
if not shown:
    st.info("No wall display is up.")
for display in shown:
    with st.container(border=True, key=f"wall_display_{display.id}"):
        words, action = st.columns([4, 1], vertical_alignment="center")
        seen = to_london(display.last_seen_at).strftime("%H:%M") if display.last_seen_at else "not yet"
        words.markdown(f"**Display {display.id}: {md_escape(_scope_words(display.region_code))}**")
        words.text(  # a person's name as typed: invisible characters shown, not hidden
            visible(
                f"Started {to_london(display.started_at).strftime('%d/%m %H:%M')} by {display.started_by} · "
                f"ends {to_london(display.ends_at).strftime('%d/%m %H:%M')} · last refreshed {seen} (UK time)"
            )
        )
        action.button(
            "End this display",
            key=f"wall_end_{display.id}",
            on_click=_end,
            args=(display.id,),
            help=f"Ends display {display.id}",
        )
