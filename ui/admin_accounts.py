"""The Administration page's accounts tab: find an account, create one (with a password or for the
identity provider only), change its role and scope, unlock it, end its sessions, set a new password.
Each button calls core/accounts/admin.py as the person signed in at that moment (act_as)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import queries
from core.access_control.scope import ScopeKind, kind_of
from core.accounts import admin
from core.enums import Role
from core.models import User, column_limit
from ui.feedback import act_as, field_error, flash, form_error, succeeded
from ui.text import md_escape

ROLES = [r.value for r in Role]
CREATE_ERRORS = "adm_create_errors"
CHANGE_ERRORS = "adm_change_errors"
RESET_ERRORS = "adm_reset_errors"
NEW_ACCOUNT_TEXT = ("adm_new_email", "adm_new_name", "adm_new_password", "adm_new_job", "adm_new_phone")


def accounts_tab(user: User) -> None:
    search = st.text_input("Find an account (name or e-mail)", key="adm_search")
    found, total = admin.list_accounts(user, search)
    locked = admin.locked_emails(user, [u.email for u in found])
    st.caption(
        f"{total} account{'s' if total != 1 else ''}" + (f"; showing {len(found)}" if total > len(found) else "")
    )
    st.dataframe(_accounts_table(found, locked), hide_index=True, width="stretch")
    with st.expander("Create an account", expanded=bool(st.session_state.get(CREATE_ERRORS))):
        _create_form()
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
            _change_form(user, accounts[chosen_id], is_locked=accounts[chosen_id].email in locked)


def _accounts_table(found: list[User], locked: set[str]) -> pd.DataFrame:
    return pd.DataFrame(
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
    )


def _scope_inputs(prefix: str, errors_key: str) -> None:
    """Trust for trust roles, region for regional roles; nothing for national roles."""
    role = Role(st.session_state.get(f"{prefix}_role") or Role.REQUESTER)
    if kind_of(role) is ScopeKind.TRUST:
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
    elif kind_of(role) is ScopeKind.REGION:
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


# ---------------------------------------------------------------- create


def _create_form() -> None:
    form_error(CREATE_ERRORS)
    left, right = st.columns(2)
    with left:
        st.text_input("Full name", key="adm_new_name", max_chars=column_limit(User.full_name))
        field_error(CREATE_ERRORS, "full_name")
        st.text_input("E-mail address", key="adm_new_email", max_chars=column_limit(User.email))
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
        st.text_input("Job title", key="adm_new_job", max_chars=column_limit(User.job_title))
        st.text_input("Phone", key="adm_new_phone", max_chars=column_limit(User.phone))
        st.selectbox("Role", options=ROLES, format_func=lambda v: Role(v).label, key="adm_new_role")
        _scope_inputs("adm_new", CREATE_ERRORS)
    st.button("Create account", key="adm_create", type="primary", on_click=_create)


def _create() -> None:
    state = st.session_state
    provider_only = bool(state.get("adm_new_provider_only"))
    created = act_as(
        CREATE_ERRORS,
        admin.create_account,
        email=state.get("adm_new_email", ""),
        full_name=state.get("adm_new_name", ""),
        role=state.get("adm_new_role") or Role.REQUESTER.value,
        password=None if provider_only else state.get("adm_new_password", ""),
        trust_code=state.get("adm_new_trust"),
        region_code=state.get("adm_new_region"),
        job_title=state.get("adm_new_job", ""),
        phone=state.get("adm_new_phone", ""),
    )
    if created is None:
        return
    flash(
        "Account created. They sign in with their organisation account."
        if provider_only
        else "Account created. Give the person their temporary password by phone, not by e-mail."
    )
    for name in NEW_ACCOUNT_TEXT:
        state.pop(name, None)


# ---------------------------------------------------------------- change


def _change_form(user: User, chosen: User, *, is_locked: bool) -> None:
    loaded = (chosen.id, chosen.role, chosen.trust_code, chosen.region_code, chosen.active)
    if st.session_state.get("adm_loaded") != loaded:  # another account picked (or this one changed): its values
        st.session_state.update(
            adm_edit_role=chosen.role,
            adm_edit_trust=chosen.trust_code,
            adm_edit_region=chosen.region_code,
            adm_edit_active=chosen.active,
            adm_loaded=loaded,
        )
    form_error(CHANGE_ERRORS)
    st.selectbox("Role", options=ROLES, format_func=lambda v: Role(v).label, key="adm_edit_role")
    field_error(CHANGE_ERRORS, "role")
    _scope_inputs("adm_edit", CHANGE_ERRORS)
    st.checkbox("Active (untick to deactivate: they can no longer sign in or act)", key="adm_edit_active")
    left, right = st.columns(2)
    left.button("Save changes", key="adm_change", type="primary", on_click=_change, args=(chosen.id,))
    if is_locked:
        right.button("Unlock sign-in", key="adm_unlock", on_click=_unlock, args=(chosen.email,))

    browsers = admin.signed_in_browsers(user, chosen.id)
    st.caption(f"Signed in now in {browsers} browser{'s' if browsers != 1 else ''}.")
    st.button(
        "End this person's sessions (sign them out everywhere)",
        key="adm_end_sessions",
        on_click=_end_sessions,
        args=(chosen.id,),
    )

    st.subheader("Forgotten password")
    form_error(RESET_ERRORS)
    st.text_input("New temporary password (10 characters or more)", key="adm_reset", type="password")
    field_error(RESET_ERRORS, "password")
    st.button("Set new password", key="adm_reset_save", on_click=_reset, args=(chosen.id,))


def _change(account_id: int) -> None:
    state = st.session_state
    changed = act_as(
        CHANGE_ERRORS,
        admin.change_account,
        account_id,
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


def _unlock(email: str) -> None:
    act_as(CHANGE_ERRORS, admin.unlock_account, email)
    if succeeded(CHANGE_ERRORS):
        flash("Sign-in unlocked.")


def _end_sessions(account_id: int) -> None:
    ended = act_as(CHANGE_ERRORS, admin.end_sessions, account_id)
    if ended is not None:
        flash(f"Signed out of {ended} browser{'s' if ended != 1 else ''}. They must sign in again.")


def _reset(account_id: int) -> None:
    act_as(RESET_ERRORS, admin.reset_password, account_id, st.session_state.get("adm_reset", ""))
    if succeeded(RESET_ERRORS):
        st.session_state["adm_reset"] = ""
        flash("New temporary password set. Give it to the person by phone, not by e-mail.")
