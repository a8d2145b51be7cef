"""Who this browser is signed in as, asked of the server-side session (core/accounts/sessions.py) at every entry
point: a full page run (ui/shell.py), every widget callback (ui/feedback.act_as), every download
(guarded_download) and every live refresh (live_session(activity=False)). Nothing here trusts a user
object kept from an earlier run. The entry points are listed in SECURITY.md."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote

import streamlit as st

from core.access_control.visibility import may_open
from core.accounts import identity, sessions
from core.accounts.sessions import LiveSession, SessionEnded
from core.accounts.users import SignedIn
from core.models import User
from core.platform.db import DatabaseBusy
from core.platform.errors import AuthFailed, DerogationError, PermissionDenied
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


def live_session(*, activity: bool = True) -> LiveSession | None:
    """This browser's session, checked now; None when it has ended (the reason kept for the sign-in page)."""
    token = browser.session_token()
    try:
        return sessions.check(token, activity=activity)
    except SessionEnded as ended:
        # Say why once: this tab keeps sending the ended session's cookie until it is reloaded.
        noticed = sessions.digest(token) if token else None  # never the id itself in memory longer than needed
        if str(ended) and st.session_state.get(_ENDED_TOKEN_KEY) != noticed:
            st.session_state[NOTICE_KEY] = str(ended)
            st.session_state[_ENDED_TOKEN_KEY] = noticed
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


def hand_over(ticket: str, home_path: str) -> None:
    """Send the browser to redeem its sign-in ticket for the session cookie, then back to where it was
    going (a deep link opened while signed out opens after sign-in). The person's home page is served
    at '/' once they are signed in (st.navigation's default page), so a link to it goes there."""
    going_to = sessions.safe_return_path(browser.current_address())
    path, _, query = going_to.partition("?")
    if path in ("/sign-in", f"/{home_path}"):
        going_to = "/" + (f"?{query}" if query and path != "/sign-in" else "")
    browser.go_to(f"{START_ROUTE}?ticket={quote(ticket)}&next={quote(going_to, safe='')}")


def _leave(reason: sessions.EndReason) -> None:
    """Send the browser to the route that clears its cookie; the sign-in page it lands on says why."""
    st.session_state[NOTICE_KEY] = sessions.ENDED_MESSAGES[reason]
    st.session_state[SIGNING_OUT_KEY] = True
    browser.go_to(f"{END_ROUTE}?reason={quote(reason.value)}")


def sign_out() -> None:
    """End this browser's session (every tab of it), then let the server clear the cookie (and the
    identity provider's cookie, if the person came that way). A busy database does not keep anyone
    signed in: the route tries again, and clears the cookie whatever happens."""
    with contextlib.suppress(DatabaseBusy):
        sessions.sign_out(browser.session_token())
    _leave(sessions.EndReason.SIGNED_OUT)


def sign_out_everywhere() -> None:
    """End every session of this account, in every browser, then sign this one out. Said only when it
    was done: a busy database leaves the person signed in with a message to try again."""
    try:
        sessions.sign_out_everywhere(browser.session_token())
    except SessionEnded:  # this browser holds no session at all: there is nothing it can name
        _leave(sessions.EndReason.SIGNED_OUT)
        return
    except DatabaseBusy as busy:
        st.toast(str(busy), icon=":material/hourglass_top:")
        return
    _leave(sessions.EndReason.SIGNED_OUT_EVERYWHERE)


def from_provider(claims: dict[str, object]) -> SignedIn | None:
    """Open a session for someone the identity provider has just signed in (the caller hands it over);
    None for claims too old to do that by themselves (core.accounts.identity). A refusal is kept for the
    sign-in page."""
    try:
        return identity.sign_in(claims)
    except identity.StaleIdentity:  # an old identity cookie: the person signs in with the provider again
        return None
    except AuthFailed as refusal:
        st.session_state[PROVIDER_REFUSAL_KEY] = str(refusal)
        return None


class DownloadRefused(PermissionDenied):
    """A download refused at the click. The browser gets no file, and the person's next click shows the
    sign-in page with the reason. (A button that also reruns the page, on_click="rerun", would say so at
    once, but its rerun races the file generated on the click: under load the file never came.) Streamlit logs
    the exception of a refused data callable with its traceback: the filter below keeps ours out of the
    server's log, where it is no crash."""


def _not_a_refused_download(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    while error is not None:
        if isinstance(error, DownloadRefused):
            return False
        error = error.__cause__
    return True


# Streamlit 1.67 runs a download's data callable in streamlit.runtime.backend_operation_handler.
logging.getLogger("streamlit.runtime.backend_operation_handler").addFilter(_not_a_refused_download)


def guarded_download(produce: Callable[[User], str | bytes]) -> Callable[[], str | bytes]:
    """A download's data, made when it is clicked for the account as it is then. Streamlit runs it on a
    worker thread with no page context, so the session id is taken now and checked at the click: an
    ended session, a closed account or a changed role gets no file."""
    token = browser.session_token()

    def data() -> str | bytes:
        try:
            return produce(sessions.check(token).user)
        except SessionEnded as ended:
            raise DownloadRefused(str(ended) or "Sign in to download.") from None
        except DerogationError as refused:  # out of scope now, a busy database: the page run says so
            raise DownloadRefused(str(refused)) from None

    return data
