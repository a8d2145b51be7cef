"""The Administration page's strike-period tab: every period with its state now (core/reference/periods.py), and
one form to add a period or change one, in UK time."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import queries
from core.accounts import admin
from core.platform.clock import utcnow
from core.reference import periods
from ui import shared_copies
from ui.feedback import act_as, add_or_change, field_error, form_error
from ui.text import md_escape, wall_clock, when

PERIOD_ERRORS = "adm_period_errors"
PERIOD_SAVED = "adm_period_saved"  # what the last save stored, said on this tab


def periods_tab() -> None:
    existing = queries.strike_periods()
    now = utcnow()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Name": p.name,
                    "Starts (UK time)": when(p.starts_at),
                    "Ends (UK time)": when(p.ends_at),
                    "Now": periods.state(p, now).label,
                }
                for p in existing
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    by_id = {p.id: p for p in existing}
    editing = add_or_change(by_id, new="Add a new strike period", describe=lambda p: p.name, key="adm_period_pick")
    # On the first visit, and when another period is picked: fill in its values (a new one starts empty).
    if "adm_period_loaded" not in st.session_state or st.session_state["adm_period_loaded"] != editing:
        chosen = by_id.get(editing)
        st.session_state.update(
            adm_period_name=chosen.name if chosen else "",
            adm_period_start=wall_clock(chosen.starts_at) if chosen else None,
            adm_period_end=wall_clock(chosen.ends_at) if chosen else None,
            adm_period_loaded=editing,
        )

    if saved := st.session_state.pop(PERIOD_SAVED, None):  # once, on the run after the save
        st.success(saved, icon=":material/check_circle:")
    form_error(PERIOD_ERRORS)
    st.text_input(
        "Name",
        key="adm_period_name",
        max_chars=admin.MAX_PERIOD_NAME,
        placeholder="e.g. July 2025 resident doctors' strike",
    )
    field_error(PERIOD_ERRORS, "name")
    left, right = st.columns(2)
    with left:
        st.datetime_input("Starts (UK time)", key="adm_period_start", format="DD/MM/YYYY", step=timedelta(minutes=15))
        field_error(PERIOD_ERRORS, "starts_at")
    with right:
        st.datetime_input("Ends (UK time)", key="adm_period_end", format="DD/MM/YYYY", step=timedelta(minutes=15))
        field_error(PERIOD_ERRORS, "ends_at")
    st.button("Save strike period", key="adm_period_save", type="primary", on_click=_save_period, args=(editing,))


def _save_period(period_id: int | None) -> None:
    state = st.session_state
    saved = act_as(
        PERIOD_ERRORS,
        admin.save_period,
        period_id=period_id,
        name=state.get("adm_period_name", ""),
        starts_at=state.get("adm_period_start"),
        ends_at=state.get("adm_period_end"),
    )
    state.pop(PERIOD_SAVED, None)
    if saved is not None:
        shared_copies.forget_periods()  # every page's header and period lists show it at once
        # Our words around the name, as text: the name is typed by an administrator, so escaped.
        state[PERIOD_SAVED] = (
            f"Strike period saved: {md_escape(saved.name)}, {when(saved.starts_at)} to {when(saved.ends_at)} (UK time)."
        )
        state.pop("adm_period_loaded", None)
