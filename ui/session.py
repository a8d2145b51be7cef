"""The signed-in user, kept in st.session_state (see README: a browser reload signs out)."""

from __future__ import annotations

import streamlit as st

from core.access import may_open
from core.models import User

USER_KEY = "user"


def current_user() -> User | None:
    return st.session_state.get(USER_KEY)


def require_page(page: str) -> User:
    """Stop the page with a clear message unless the signed-in user's role may open it (core decides)."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if not may_open(user, page):
        st.error("This page is not available to your role.")
        st.stop()
    return user
