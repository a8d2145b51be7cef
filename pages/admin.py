"""Administration (administrator): accounts and roles, strike periods (UK times) and each tier's
response target, one tab each (ui/admin_*.py). Every change is recorded in the audit history by core/accounts/admin.py."""

from __future__ import annotations

import streamlit as st

from ui.admin_accounts import accounts_tab
from ui.admin_periods import periods_tab
from ui.admin_targets import targets_tab
from ui.enter_hint import hide_enter_hint
from ui.integrity import alarm_banner
from ui.session import require_page

user = require_page("admin")

st.title("Administration")
alarm_banner()
hide_enter_hint("adm_new_", "adm_period_", "adm_target_", "adm_reset")  # each waits for its Save button
# Keyed, so a save (a callback, then a rerun that may draw a message above) leaves the person on its tab.
accounts, strike_periods, targets = st.tabs(
    ["Accounts", "Strike periods", "Response targets"], key="adm_tab", on_change="rerun"
)
with accounts:
    accounts_tab(user)
with strike_periods:
    periods_tab()
with targets:
    targets_tab()
