"""Administration (administrator): accounts and roles, strike periods (London times) and each tier's
response target. Every change is recorded in the audit history by core/admin.py."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import admin, periods, queries
from core.clock import format_duration, to_london, utcnow
from core.enums import REGION_ROLES, TIER_ORDER, TRUST_ROLES, Role
from core.timing import DEFAULT_TARGETS, MAX_TARGET_MINUTES
from ui import shared_copies
from ui.feedback import act_as, field_error, flash, form_error, succeeded
from ui.session import require_page
from ui.text import md_escape, when

user = require_page("admin")
ROLES = [r.value for r in Role]

st.title("Administration")
accounts_tab, periods_tab, targets_tab = st.tabs(["Accounts", "Strike periods", "Response targets"])


def _london_naive(moment):  # noqa: ANN001, ANN202
    local = to_london(moment)
    return local.replace(tzinfo=None) if local else None


def scope_inputs(prefix: str, errors_key: str) -> None:
    """Trust for trust roles, region for regional roles; nothing for national roles."""
    role = Role(st.session_state.get(f"{prefix}_role") or Role.REQUESTER)
    if role in TRUST_ROLES:
        trusts = {t.ods_code: t.name for t in queries.trusts_in()}
        st.selectbox(
            "Trust",
            options=list(trusts),
            format_func=lambda code: f"{trusts[code]} ({code})",
            index=None,
            placeholder="Choose the trust",
            key=f"{prefix}_trust",
        )
        field_error(errors_key, "trust_code")
    elif role in REGION_ROLES:
        regions = {r.code: r.name for r in queries.regions()}
        st.selectbox(
            "NHS England region",
            options=list(regions),
            format_func=regions.get,
            index=None,
            placeholder="Choose the region",
            key=f"{prefix}_region",
        )
        field_error(errors_key, "region_code")


# ---------------------------------------------------------------- accounts

with accounts_tab:
    search = st.text_input("Find an account (name or e-mail)", key="adm_search")
    found, total = admin.list_accounts(user, search)
    locked = admin.locked_emails(user, [u.email for u in found])
    st.caption(
        f"{total} account{'s' if total != 1 else ''}" + (f"; showing {len(found)}" if total > len(found) else "")
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Name": u.full_name,
                    "E-mail": u.email,
                    "Role": Role(u.role).label,
                    "Trust": u.trust_code or "",
                    "Region": u.region_code or "",
                    "Active": "Yes" if u.active else "No (deactivated)",
                    "Sign-in locked": "LOCKED" if u.email in locked else "",
                }
                for u in found
            ]
        ),
        hide_index=True,
        width="stretch",
    )

    CREATE_ERRORS = "adm_create_errors"

    def create() -> None:
        state = st.session_state
        role = state.get("adm_new_role") or Role.REQUESTER.value
        created = act_as(
            CREATE_ERRORS,
            admin.create_account,
            email=state.get("adm_new_email", ""),
            full_name=state.get("adm_new_name", ""),
            role=role,
            password=None if state.get("adm_new_provider_only") else state.get("adm_new_password", ""),
            trust_code=state.get("adm_new_trust"),
            region_code=state.get("adm_new_region"),
            job_title=state.get("adm_new_job", ""),
            phone=state.get("adm_new_phone", ""),
        )
        if created is not None:
            flash(
                "Account created. They sign in with their organisation account."
                if state.get("adm_new_provider_only")
                else "Account created. Give the person their temporary password by phone, not by e-mail."
            )
            for name in ("adm_new_email", "adm_new_name", "adm_new_password", "adm_new_job", "adm_new_phone"):
                state.pop(name, None)

    with st.expander("Create an account", expanded=bool(st.session_state.get(CREATE_ERRORS))):
        form_error(CREATE_ERRORS)
        left, right = st.columns(2)
        with left:
            st.text_input("Full name", key="adm_new_name", max_chars=120)
            field_error(CREATE_ERRORS, "full_name")
            st.text_input("E-mail address", key="adm_new_email", max_chars=254)
            field_error(CREATE_ERRORS, "email")
            provider_only = st.checkbox(
                "Signs in only with their organisation account (no password)",
                key="adm_new_provider_only",
                help="For services that sign in through the identity provider (docs/identity.md). "
                "An administrator can set a password later.",
            )
            if not provider_only:
                st.text_input("Temporary password (10 characters or more)", key="adm_new_password", type="password")
                field_error(CREATE_ERRORS, "password")
        with right:
            st.text_input("Job title", key="adm_new_job", max_chars=120)
            st.text_input("Phone", key="adm_new_phone", max_chars=40)
            st.selectbox("Role", options=ROLES, format_func=lambda v: Role(v).label, key="adm_new_role")
            scope_inputs("adm_new", CREATE_ERRORS)
        st.button("Create account", key="adm_create", type="primary", on_click=create)

    CHANGE_ERRORS = "adm_change_errors"
    RESET_ERRORS = "adm_reset_errors"
    with st.expander("Change an account: role, scope, unlock, deactivate", expanded=True):
        accounts = {u.id: u for u in found}
        chosen_id = st.selectbox(
            "Account",
            options=list(accounts),
            format_func=lambda uid: f"{accounts[uid].full_name} ({accounts[uid].email})",
            index=None,
            placeholder="Choose an account from the list above",
            key="adm_pick",
        )
        if chosen_id is not None:
            chosen = accounts[chosen_id]
            # Fill the inputs with the account's values whenever another account is picked.
            if st.session_state.get("adm_loaded") != (
                chosen.id,
                chosen.role,
                chosen.trust_code,
                chosen.region_code,
                chosen.active,
            ):
                st.session_state.update(
                    adm_edit_role=chosen.role,
                    adm_edit_trust=chosen.trust_code,
                    adm_edit_region=chosen.region_code,
                    adm_edit_active=chosen.active,
                    adm_loaded=(chosen.id, chosen.role, chosen.trust_code, chosen.region_code, chosen.active),
                )

            def change() -> None:
                state = st.session_state
                changed = act_as(
                    CHANGE_ERRORS,
                    admin.change_account,
                    chosen.id,
                    role=state.get("adm_edit_role"),
                    trust_code=state.get("adm_edit_trust"),
                    region_code=state.get("adm_edit_region"),
                    active=bool(state.get("adm_edit_active")),
                )
                if changed is not None:
                    flash(  # the address is user text: escaped, so it can never form a link
                        f"Account {md_escape(changed.email)} updated: {Role(changed.role).label}, "
                        f"active: {'yes' if changed.active else 'no'}."
                    )

            def unlock() -> None:
                act_as(CHANGE_ERRORS, admin.unlock_account, chosen.email)
                if succeeded(CHANGE_ERRORS):
                    flash("Sign-in unlocked.")

            form_error(CHANGE_ERRORS)
            st.selectbox("Role", options=ROLES, format_func=lambda v: Role(v).label, key="adm_edit_role")
            field_error(CHANGE_ERRORS, "role")
            scope_inputs("adm_edit", CHANGE_ERRORS)
            st.checkbox("Active (untick to deactivate: they can no longer sign in or act)", key="adm_edit_active")
            left, right = st.columns(2)
            left.button("Save changes", key="adm_change", type="primary", on_click=change)
            if chosen.email in locked:
                right.button("Unlock sign-in", key="adm_unlock", on_click=unlock)

            def end_sessions() -> None:
                ended = act_as(CHANGE_ERRORS, admin.end_sessions, chosen.id)
                if ended is not None:
                    flash(f"Signed out of {ended} browser{'s' if ended != 1 else ''}. They must sign in again.")

            browsers = admin.signed_in_browsers(user, chosen.id)
            st.caption(f"Signed in now in {browsers} browser{'s' if browsers != 1 else ''}.")
            st.button("End this person's sessions (sign them out everywhere)", key="adm_end_sessions", on_click=end_sessions)

            def reset() -> None:
                act_as(RESET_ERRORS, admin.reset_password, chosen.id, st.session_state.get("adm_reset", ""))
                if succeeded(RESET_ERRORS):
                    st.session_state["adm_reset"] = ""
                    flash("New temporary password set. Give it to the person by phone, not by e-mail.")

            st.subheader("Forgotten password")
            form_error(RESET_ERRORS)
            st.text_input("New temporary password (10 characters or more)", key="adm_reset", type="password")
            field_error(RESET_ERRORS, "password")
            st.button("Set new password", key="adm_reset_save", on_click=reset)

# ---------------------------------------------------------------- strike periods

with periods_tab:
    PERIOD_ERRORS = "adm_period_errors"
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
    editing = st.selectbox(
        "Add or change",
        options=[None, *by_id],
        format_func=lambda pid: "Add a new strike period" if pid is None else f"Change: {by_id[pid].name}",
        key="adm_period_pick",
    )
    if st.session_state.get("adm_period_loaded") != editing:
        chosen = by_id.get(editing)
        st.session_state.update(
            adm_period_name=chosen.name if chosen else "",
            adm_period_start=_london_naive(chosen.starts_at) if chosen else None,
            adm_period_end=_london_naive(chosen.ends_at) if chosen else None,
            adm_period_loaded=editing,
        )

    def save_period() -> None:
        state = st.session_state
        saved = act_as(
            PERIOD_ERRORS,
            admin.save_period,
            period_id=editing,
            name=state.get("adm_period_name", ""),
            starts_at=state.get("adm_period_start"),
            ends_at=state.get("adm_period_end"),
        )
        if saved is not None:
            shared_copies.forget_periods()  # every page's header and period lists show it at once
            flash("Strike period saved.")
            state.pop("adm_period_loaded", None)

    form_error(PERIOD_ERRORS)
    st.text_input("Name", key="adm_period_name", max_chars=120, placeholder="e.g. July 2025 resident doctors' strike")
    field_error(PERIOD_ERRORS, "name")
    left, right = st.columns(2)
    with left:
        st.datetime_input("Starts (UK time)", key="adm_period_start", format="DD/MM/YYYY", step=timedelta(minutes=15))
        field_error(PERIOD_ERRORS, "starts_at")
    with right:
        st.datetime_input("Ends (UK time)", key="adm_period_end", format="DD/MM/YYYY", step=timedelta(minutes=15))
        field_error(PERIOD_ERRORS, "ends_at")
    st.button("Save strike period", key="adm_period_save", type="primary", on_click=save_period)

# ---------------------------------------------------------------- response targets

with targets_tab:
    TARGET_ERRORS = "adm_target_errors"
    current = queries.targets()
    st.caption(
        "How long a request may wait at each tier before it shows as BREACHED and a reminder goes out. "
        "Defaults: " + ", ".join(f"{t.label} {format_duration(DEFAULT_TARGETS[t])}" for t in TIER_ORDER) + "."
    )
    for tier in TIER_ORDER:
        st.session_state.setdefault(f"adm_target_{tier.value}", current[tier])

    def save_targets() -> None:
        values = {tier: st.session_state.get(f"adm_target_{tier.value}") for tier in TIER_ORDER}
        act_as(TARGET_ERRORS, admin.save_targets, values)
        if succeeded(TARGET_ERRORS):
            flash("Response targets saved.")

    form_error(TARGET_ERRORS)
    for tier in TIER_ORDER:
        st.number_input(
            f"{tier.label}: minutes", key=f"adm_target_{tier.value}", min_value=1, max_value=MAX_TARGET_MINUTES, step=15
        )
        field_error(TARGET_ERRORS, f"target.{tier.value}")
    st.button("Save targets", key="adm_targets_save", type="primary", on_click=save_targets)
