"""Who this browser is signed in as, asked of the server-side session (core/accounts/sessions.py) at every entry
point: a full page run (ui/shell.py), every widget callback (ui/feedback.act_as), every download
(guarded_download) and every live refresh (live_session(activity=False)). Nothing here trusts a user
object kept from an earlier run. The entry points are listed in SECURITY.md."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
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

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

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
    going (a deep link opened while signed out opens after sign-in, its query with it); from the sign-in
    page itself, on to the person's own page."""
    going_to = sessions.safe_return_path(browser.current_address())
    if going_to.partition("?")[0] in ("/", "/sign-in"):
        going_to = f"/{home_path}"
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
    """A download refused at the click. The browser gets no file, and the tab is asked to run its page
    again at once (browser.run_again): an ended session shows the sign-in page with the reason, a refusal
    that keeps the person signed in (out of scope now, a busy database) shows it under the button
    (refused_download). Only a refusal reruns the page: a button that reran on every click
    (on_click="rerun") raced the file generated on the click, and under load the file never came.
    Streamlit logs the exception of a refused data callable with its traceback: the filter below keeps
    ours out of the server's log, where it is no crash."""


def _not_a_refused_download(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    while error is not None:
        if isinstance(error, DownloadRefused):
            return False
        error = error.__cause__
    return True


# Streamlit 1.67 runs a download's data callable in streamlit.runtime.backend_operation_handler.
logging.getLogger("streamlit.runtime.backend_operation_handler").addFilter(_not_a_refused_download)


def guarded_download(produce: Callable[[User], str | bytes], *, key: str) -> Callable[[], str | bytes]:
    """A download's data, made when it is clicked for the account as it is then. Streamlit runs it on a
    worker thread with no page context, so the session id and the tab are taken now and used at the click:
    an ended session, a closed account or a changed role gets no file, and the page says why by itself.
    `key` is the download button's own key (refused_download(key) shows a refusal under it)."""
    token = browser.session_token()
    tab = browser.this_tab()

    def data() -> str | bytes:
        try:
            return produce(sessions.check(token).user)
        except SessionEnded as ended:  # the page's next run shows the sign-in page, with the reason
            reason = str(ended) or "Sign in to download."
        except DerogationError as refused:  # out of scope now, a busy database: said under the button
            reason = str(refused)
            if tab is not None:
                _keep_refusal(tab.session_id, key, reason)
        if tab is not None:
            browser.run_again(tab)
        raise DownloadRefused(reason)

    return data


# Refusals waiting for their tab's next run, by (Streamlit session id, button key). Written on a download's
# worker thread, read by the page's run; a tab that closed first leaves its entry until it is pruned.
_refusals: dict[tuple[str, str], tuple[float, str]] = {}
_refusals_lock = threading.Lock()
_REFUSAL_KEPT_SECONDS = 600


def _keep_refusal(session_id: str, key: str, reason: str) -> None:
    now = time.monotonic()
    with _refusals_lock:
        for stale in [k for k, (at, _) in _refusals.items() if now - at > _REFUSAL_KEPT_SECONDS]:
            del _refusals[stale]
        _refusals[(session_id, key)] = (now, reason)


def refused_download(key: str, where: DeltaGenerator | None = None) -> None:
    """Under a download button: why its last click gave no file, said once (a dict lookup otherwise)."""
    tab = browser.this_tab()
    if tab is None or not _refusals:
        return
    with _refusals_lock:
        kept = _refusals.pop((tab.session_id, key), None)
    if kept is not None:
        (where or st).error(f"Nothing was downloaded. {kept[1]}", icon=":material/block:")
