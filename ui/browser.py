"""What this page knows of the browser it is drawn in: the session cookie it sent, the address it
shows, and how to send it to another address. One small adapter, so the rest of the app never reads
st.context or builds a ForwardMsg itself, and AppTest (which has no cookies and no real browser) can
stand in for it (tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from core.accounts import display_sessions
from core.accounts.sessions import COOKIE_NAME


def session_token() -> str | None:
    """The session id from this browser's HttpOnly cookie, as sent when the page was opened."""
    return st.context.cookies.get(COOKIE_NAME)


def display_token() -> str | None:
    """The display id from a wall screen's HttpOnly cookie (core/accounts/display_sessions.py), if it has one."""
    return st.context.cookies.get(display_sessions.COOKIE_NAME)


def current_address() -> str:
    """The path and query string the browser shows now (e.g. /request?id=42), for coming back to it."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = urlencode(st.query_params.to_dict())  # the page's own query, as the script sees it now
    return path + (f"?{query}" if query else "")


def go_to(address: str) -> None:
    """Send the browser to another address of this server, as a full page load (how st.login and
    st.logout leave a page): the only way a script run can reach an HTTP route that sets a cookie."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = address
    ctx.enqueue(message)


@dataclass(frozen=True)
class Tab:
    """One browser tab's Streamlit session, and the page and query it was last drawn with: enough to run
    that page again for it from a thread that has no page context (a download's data callable)."""

    session_id: str
    page_script_hash: str
    query_string: str


def this_tab() -> Tab | None:
    """The tab this run draws for; None outside a script run."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    return Tab(ctx.session_id, ctx.page_script_hash, ctx.query_string)


def run_again(tab: Tab) -> None:
    """Ask Streamlit to run the tab's page again, as if the person had clicked, from any thread: what
    Streamlit's own "run on save" does from its file watcher's thread (AppSession._on_source_file_changed
    calls request_rerun off the event loop). Streamlit has no public call for it. Nothing happens when the
    tab has gone, or outside a running server (AppTest)."""
    if not Runtime.exists():
        return
    session = Runtime.instance().get_app_session(tab.session_id)  # thread-safe, says Streamlit
    if session is not None:
        session.request_rerun(ClientState(page_script_hash=tab.page_script_hash, query_string=tab.query_string))
