"""The signed-in user, kept in st.session_state (see README: a browser reload signs out)."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core import identity
from core.access import may_open
from core.clock import utcnow
from core.errors import AuthFailed
from core.models import User
from core.queries import fresh_user
from core.users import idle_expired
from ui import identity_provider

USER_KEY = "user"
LAST_SEEN_KEY = "last_seen"
NOTICE_KEY = "_signed_out_notice"
PROVIDER_REFUSAL_KEY = "_provider_refusal"


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


def sign_in(user: User, now: datetime | None = None) -> None:
    st.session_state.clear()
    st.session_state[USER_KEY] = user
    st.session_state[LAST_SEEN_KEY] = now or utcnow()


def sign_out(notice: str = "") -> None:
    """Forget everything this browser session held; the next run shows the sign-in form."""
    st.session_state.clear()
    if notice:
        st.session_state[NOTICE_KEY] = notice
    identity_provider.end()


def _from_provider() -> User | None:
    """Someone signed in with the organisation's identity provider: our own account decides the role."""
    claims = identity_provider.claims()
    if claims is None:
        return None
    try:
        user = identity.sign_in(claims)
    except AuthFailed as refusal:
        st.session_state[PROVIDER_REFUSAL_KEY] = str(refusal)
        return None
    sign_in(user)
    return user


def refresh_session(now: datetime | None = None) -> User | None:
    """Once per page run: end an idle session, re-read the account (a closed account or a new role
    takes effect at once), and note the activity."""
    user = current_user() or _from_provider()
    if user is None:
        return None
    now = now or utcnow()
    last_seen = st.session_state.get(LAST_SEEN_KEY)
    if last_seen is not None and idle_expired(last_seen, now):
        sign_out("You were signed out because you were inactive. Sign in again to carry on.")
        return None
    fresh = fresh_user(user.id)
    if fresh is None or not fresh.active:
        sign_out("Your account is no longer active. Ask an administrator if you think this is wrong.")
        return None
    st.session_state[USER_KEY] = fresh
    st.session_state[LAST_SEEN_KEY] = now
    return fresh
