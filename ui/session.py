"""Who this browser is signed in as, asked of the server-side session (core/sessions.py) at every entry
point: a full page run (ui/shell.py), every widget callback (ui/feedback.act_as), every download
(guarded_download) and every live refresh (live_session(activity=False)). Nothing here trusts a user
object kept from an earlier run. The entry points are listed in SECURITY.md."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote

import streamlit as st

from core import identity, sessions
from core.access import may_open
from core.errors import AuthFailed, PermissionDenied
from core.models import User
from core.sessions import LiveSession, SessionEnded
from core.users import SignedIn
from ui import browser

NOTICE_KEY = "_signed_out_notice"
PROVIDER_REFUSAL_KEY = "_provider_refusal"
_ENDED_TOKEN_KEY = "_ended_session_noticed"
_this_run = threading.local()  # each session's script runs on a thread of its own
# Set by a sign-out: the run that follows must not sign the person straight back in with the identity
# provider's cookie, which the browser drops only when it reaches the sign-out route.
SIGNING_OUT_KEY = "_signing_out"
START_ROUTE = "/session/start"
END_ROUTE = "/session/end"
# Claims from the identity provider open a session only this soon after the provider signed the person
# in: an older identity cookie (left after "sign out everywhere" or an administrator ending sessions)
# must not silently open a new session. The person clicks "Sign in with your organisation account".
PROVIDER_FRESH_SECONDS = 300


def live_session(*, activity: bool = True) -> LiveSession | None:
    """This browser's session, checked now; None when it has ended (the reason kept for the sign-in page)."""
    token = browser.session_token()
    try:
        return sessions.check(token, activity=activity)
    except SessionEnded as ended:
        # Say why once: this tab keeps sending the ended session's cookie until it is reloaded.
        if str(ended) and st.session_state.get(_ENDED_TOKEN_KEY) != token:
            st.session_state[NOTICE_KEY] = str(ended)
            st.session_state[_ENDED_TOKEN_KEY] = token
        return None


@contextlib.contextmanager
def drawing_for(user: User | None) -> Iterator[None]:
    """While the shell runs a page, the account it has just checked in this same run (and thread):
    require_page need not ask the database again. Gone when the page's run ends."""
    _this_run.user = user
    try:
        yield
    finally:
        _this_run.user = None


def require_page(page: str) -> User:
    """The account checked in this run, or the page's own check when it runs without app.py (a
    process's first run, AppTest); then whether the role may open it (core decides); otherwise stop
    with a clear message."""
    user = getattr(_this_run, "user", None)
    if user is None:
        live = live_session(activity=False)  # app.py's run, if any, has already counted the activity
        user = live.user if live else None
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if not may_open(user, page):
        st.error("This page is not available to your role.")
        st.stop()
    return user


def _safe_next(address: str) -> str:
    return address if address.startswith("/") and not address.startswith(("//", "/\\", "/session/")) else "/"


def hand_over(ticket: str, home_path: str) -> None:
    """Send the browser to redeem its sign-in ticket for the session cookie, then back to where it was
    going (a deep link opened while signed out opens after sign-in). The person's home page is served
    at '/' once they are signed in (st.navigation's default page), so a link to it goes there."""
    going_to = _safe_next(browser.current_address())
    path, _, query = going_to.partition("?")
    if path in ("/sign-in", f"/{home_path}"):
        going_to = "/" + (f"?{query}" if query and path != "/sign-in" else "")
    browser.go_to(f"{START_ROUTE}?ticket={quote(ticket)}&next={quote(going_to, safe='')}")


def sign_out() -> None:
    """End this browser's session (every tab of it), then let the server clear the cookie (and the
    identity provider's cookie, if the person came that way)."""
    sessions.sign_out(browser.session_token())
    st.session_state[NOTICE_KEY] = sessions.ENDED_MESSAGES[sessions.EndReason.SIGNED_OUT]
    st.session_state[SIGNING_OUT_KEY] = True
    browser.go_to(END_ROUTE)


def sign_out_everywhere() -> None:
    """End every session of this account, in every browser, then sign this one out."""
    with contextlib.suppress(SessionEnded):  # already signed out here: nothing more to end from this browser
        sessions.sign_out_everywhere(browser.session_token())
    st.session_state[NOTICE_KEY] = sessions.ENDED_MESSAGES[sessions.EndReason.SIGNED_OUT_EVERYWHERE]
    st.session_state[SIGNING_OUT_KEY] = True
    browser.go_to(END_ROUTE)


def from_provider(claims: dict[str, object]) -> SignedIn | None:
    """Open a session for someone the identity provider has just signed in (the caller hands it over).
    A refusal is kept for the sign-in page."""
    try:
        return identity.sign_in(claims)
    except AuthFailed as refusal:
        st.session_state[PROVIDER_REFUSAL_KEY] = str(refusal)
        return None


def guarded_download(produce: Callable[[User], str | bytes]) -> Callable[[], str | bytes]:
    """A download's data, made when it is clicked for the account as it is then. Streamlit runs it on a
    worker thread with no page context, so the session id is taken now and checked at the click: an
    ended session, a closed account or a changed role gets no file."""
    token = browser.session_token()

    def data() -> str | bytes:
        try:
            live = sessions.check(token)
        except SessionEnded as ended:
            raise PermissionDenied(str(ended) or "Sign in to download.") from None
        return produce(live.user)

    return data
