"""The Administration page's response-target tab: how long a request may wait at each tier."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.accounts import admin
from core.enums import TIER_ORDER
from core.platform.clock import format_duration
from core.request.timing import DEFAULT_TARGETS, MAX_TARGET_MINUTES
from ui.feedback import act_as, field_error, form_error, succeeded

TARGET_ERRORS = "adm_target_errors"
TARGETS_SAVED = "adm_targets_saved"  # what the last save stored, said on this tab once


def targets_tab() -> None:
    current = queries.targets()
    st.caption(
        "How long a request may wait at each tier before it shows as BREACHED and a reminder goes out. "
        "Defaults: " + ", ".join(f"{t.label} {format_duration(DEFAULT_TARGETS[t])}" for t in TIER_ORDER) + "."
    )
    if saved := st.session_state.pop(TARGETS_SAVED, None):
        st.success(saved, icon=":material/check_circle:")
    form_error(TARGET_ERRORS)
    for tier in TIER_ORDER:
        st.session_state.setdefault(_key(tier.value), current[tier])
        st.number_input(
            f"{tier.label}: minutes", key=_key(tier.value), min_value=1, max_value=MAX_TARGET_MINUTES, step=15
        )
        field_error(TARGET_ERRORS, f"target.{tier.value}")
    st.button("Save targets", key="adm_targets_save", type="primary", on_click=_save_targets)


def _key(tier: str) -> str:
    return f"adm_target_{tier}"


def _save_targets() -> None:
    values = {tier: st.session_state.get(_key(tier.value)) for tier in TIER_ORDER}
    act_as(TARGET_ERRORS, admin.save_targets, values)
    if succeeded(TARGET_ERRORS):
        saved = queries.targets()
        st.session_state[TARGETS_SAVED] = (
            "Response targets saved: " + ", ".join(f"{t.label} {format_duration(saved[t])}" for t in TIER_ORDER) + "."
        )
