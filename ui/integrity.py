"""The integrity alarm at the top of Administration: records that differ from their audit history."""

from __future__ import annotations

import streamlit as st

from core.platform.db import DatabaseBusy
from core.records import integrity
from ui.text import md_escape, when

SHOWN = 10


def alarm_banner() -> None:
    """Nothing while the last check found the live records equal to their history."""
    try:
        state = integrity.alarm_state()
    except DatabaseBusy:
        return  # the tabs below say the database is busy
    if not state.differences:
        return
    listed = "\n".join(f"- {md_escape(finding)}" for finding in state.findings[:SHOWN])  # they quote stored text
    more = f"\n\n... and {len(state.findings) - SHOWN} more." if len(state.findings) > SHOWN else ""
    st.error(
        f"**Integrity alarm since {when(state.since)}: {state.differences} record(s) differ from their audit "
        "history.** Someone may have changed the database outside the application. Do not rely on the records "
        "named until it is explained; run `python -m ops verify-audit` on the server and tell the security lead.\n\n"
        f"{listed}{more}",
        icon=":material/report:",
    )
