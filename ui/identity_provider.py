"""Sign-in through the organisation's identity provider (Streamlit's st.login, OIDC), only when an
[auth] section is configured in Streamlit secrets (docs/identity.md). One small adapter around st.user
and st.secrets, so the rest of the app never touches them and tests can replace it."""

from __future__ import annotations

import streamlit as st


def configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001  (no secrets file at all: not configured)
        return False


def claims() -> dict[str, object] | None:
    """The provider's claims for this browser, or None when nobody is signed in with it."""
    if not configured() or not st.user.get("is_logged_in", False):
        return None
    return dict(st.user)


def start() -> None:
    st.login()


def end() -> None:
    """Also remove the provider's identity cookie, or a shared computer signs the next person back in."""
    if claims() is not None:
        st.logout()
