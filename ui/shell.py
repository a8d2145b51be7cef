"""What app.py does on every run: once-per-process and once-a-minute upkeep, sign-in, the navigation
each role sees, the header, and the chosen page. It lives in a module, not in app.py, because
Streamlit executes app.py afresh on every rerun: functions defined there (and their st.cache_*
wrappers) would be rebuilt each time, and AppTest compiles the entry script on every run too."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core.access_control.visibility import may_open
from core.accounts.devices import COOKIE_NAME as DEVICE_COOKIE
from core.accounts.sessions import ENDED_MESSAGES, end_reason
from core.accounts.users import authenticate
from core.enums import Role
from core.models import User
from core.platform.config import database_url
from core.platform.db import DatabaseBusy, migrate
from core.platform.errors import AuthFailed
from core.workflow import upkeep
from ui import browser, identity_provider, scripts, wall
from ui.feedback import show_flash
from ui.header import draw_header
from ui.session import (
    NOTICE_KEY,
    PROVIDER_REFUSAL_KEY,
    SIGNING_OUT_KEY,
    drawing_for,
    from_provider,
    hand_over,
    live_session,
)

PAGE_ICON = Path(__file__).parent / "assets" / "icon.png"
# (page key in core.access_control.visibility.PAGE_ROLES, file, title, icon, url path)
PageEntry = tuple[str, str, str, str, str]
# The session routes (server/routes.py) send the browser to /sign-in?ended=<reason> after a sign-out or
# a sign-in link that no longer works; the page says why in our words, never the parameter's.
ENDED_PARAM = "ended"
FIGURES_PATH = "strike-figures"  # the public daily figures (pages/figures.py): no sign-in
TICKET_REFUSED = "That sign-in did not complete (it may have taken too long). Please sign in again."


@st.cache_resource(show_spinner=False)
def _migrated(url: str) -> bool:
    """Bring the schema up to date once per process and database."""
    migrate(url)
    return True


def _notice_from_address() -> str | None:
    reason = st.query_params.get(ENDED_PARAM)
    if reason is None:
        return None
    del st.query_params[ENDED_PARAM]
    known = end_reason(reason)
    return ENDED_MESSAGES[known] if known else TICKET_REFUSED


def signing_in() -> None:
    """The browser is on its way to the session cookie: say so, and draw nothing else."""
    st.info("Signing you in…", icon=":material/login:")
    st.stop()


# What app.py declares (its pages and each role's home), kept by run() for the sign-in page, which
# Streamlit calls without arguments.
_site: dict[str, object] = {}


# The front door's own path (st.navigation serves the default page at '/' whatever its path): never linked.
FRONT_DOOR_PATH = "home"


def _home_path(user: User) -> str:
    """The url path of the page the person lands on ('/' forwards there too)."""
    landing = _site["home"][Role(user.role)]
    return next(url for key, _, _, _, url in _site["pages"] if key == landing)


INTRODUCTION = (
    "The one place where an NHS trust asks for a derogation (patient safety mitigation) during resident "
    "doctors' strike action, each tier reviews it, and the BMA's answer is recorded."
)


def sign_in_page() -> None:
    st.title("Sign in")
    st.markdown(INTRODUCTION)
    from_address = _notice_from_address()  # read (and taken off the address) whether or not it is shown
    notice = st.session_state.pop(NOTICE_KEY, None) or from_address
    if notice:
        st.info(notice)
    refusal = st.session_state.pop(PROVIDER_REFUSAL_KEY, None)
    if refusal:
        st.error(refusal, icon=":material/error:")
        st.button("Sign out of your organisation account", key="provider_sign_out", on_click=identity_provider.end)
    elif identity_provider.configured():
        st.button(
            "Sign in with your organisation account",
            key="provider_sign_in",
            type="primary",
            on_click=identity_provider.start,
        )
        st.caption("Or use the e-mail address and password of your Derogations account.")
    else:
        st.caption("Use the e-mail address and password of your Derogations account.")
    with st.form("sign_in", border=True, enter_to_submit=True):
        email = st.text_input("E-mail address", key="sign_in_email", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            # The device cookie and the client's address decide whose budget a wrong password spends.
            device, address = st.context.cookies.get(DEVICE_COOKIE), st.context.ip_address
            signed_in = authenticate(email, password, device=device, address=address)
        except (AuthFailed, DatabaseBusy) as exc:
            st.error(str(exc), icon=":material/error:")
            return
        hand_over(signed_in.ticket, _home_path(signed_in.user))
        signing_in()
    st.page_link(
        "pages/verify.py",
        label="A doctor checking a recall? Check a confirmation reference",
        icon=":material/verified:",
    )


def _front_door(target: StreamlitPage) -> StreamlitPage:
    """The page served at '/'. st.navigation serves its default page only at '/': the default's own path
    would answer with Streamlit's "Page not found" (after every sign-out, at /sign-in; at a bookmarked home
    page). So every real page keeps its path, and '/' forwards to the person's page."""

    def forward() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())  # a link's ?id= goes with it

    return st.Page(forward, title=target.title, url_path=FRONT_DOOR_PATH, default=True, visibility="hidden")


def navigation(user: User | None, pages: Sequence[PageEntry], home: Mapping[Role, str]) -> StreamlitPage:
    verify = st.Page("pages/verify.py", title="Check a recall", icon=":material/verified:", url_path="check")
    figures = st.Page("pages/figures.py", title="Strike figures", icon=":material/bar_chart:", url_path=FIGURES_PATH)
    # The wall screen's own page (its code, until it becomes a display session): no menu on a wall.
    wall_page = wall.page()
    position = "hidden" if browser.current_address().partition("?")[0] == f"/{wall.URL_PATH}" else "top"
    if user is None:
        protected = [
            st.Page(path, title=title, icon=icon, url_path=url, visibility="hidden")
            for _, path, title, icon, url in pages
        ]
        sign_in_entry = st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path="sign-in")
        return st.navigation(
            [_front_door(sign_in_entry), sign_in_entry, verify, figures, *protected, wall_page], position=position
        )
    landing = home[Role(user.role)]
    # Pages the role may not open stay routable but hidden, so a pasted URL reaches the page and
    # the page itself says "not available to your role".
    entries = {
        key: st.Page(
            path,
            title=title,
            icon=icon,
            url_path=url,
            visibility="visible" if may_open(user, key) else "hidden",
        )
        for key, path, title, icon, url in pages
    }
    return st.navigation(
        [_front_door(entries[landing]), *entries.values(), verify, figures, wall_page], position=position
    )


def signed_in_user() -> User | None:
    """Check this browser's session (the account read afresh); someone the identity provider has just
    signed in gets a session of their own. The result is what the pages of this run act for."""
    live = live_session()
    user = live.user if live else None
    signing_out = st.session_state.pop(SIGNING_OUT_KEY, False)
    if user is None and not signing_out and ENDED_PARAM not in st.query_params:  # never straight back in
        claims = identity_provider.claims()
        signed_in = from_provider(claims) if claims is not None else None
        if signed_in is not None:
            hand_over(signed_in.ticket, _home_path(signed_in.user))
            signing_in()
    return user


# On a narrow screen the top navigation folds into the sidebar, opened by an icon-only "»" button: give it
# the visible word "Menu" and the same accessible name (WCAG 2.5.3, label in name). Streamlit redraws the
# button, so a watcher keeps the name on it. Our static markup only; the container itself is never shown.
MENU_LABEL_STYLE = """
<style>
.st-key-menu-label {display:none;}
[data-testid="stExpandSidebarButton"] {color:#005EB8; gap:0.25rem; padding:0.25rem 0.5rem; min-height:44px;}
[data-testid="stExpandSidebarButton"]::after {content:"Menu"; font-weight:600; font-size:1rem; color:#005EB8;}
</style>
"""


def run(pages: Sequence[PageEntry], home: Mapping[Role, str]) -> None:
    """One run of the app: upkeep, who is signed in, navigation, header, then the page."""
    _site.update(pages=tuple(pages), home=dict(home))
    st.set_page_config(
        page_title="Derogations during strike action",
        page_icon=PAGE_ICON,  # a file of ours: a ":material/…:" icon makes the browser ask Google for it
        layout="wide",
        initial_sidebar_state="collapsed",
    )
    _migrated(database_url())
    with contextlib.suppress(DatabaseBusy):  # upkeep must never block a page; the next minute tries again
        upkeep.expire_if_due()
    with contextlib.suppress(DatabaseBusy):
        upkeep.remind_if_due()
    with contextlib.suppress(DatabaseBusy):
        upkeep.purge_sessions_if_due()
    try:
        if wall.live_display() is not None:  # a wall screen: its page and nothing else, for nobody
            wall.display_navigation().run()
            return
        user = signed_in_user()
        page = navigation(user, pages, home)
        if page.url_path != wall.URL_PATH:  # a wall screen has no menu, header or buttons
            with st.container(key="menu-label"):
                st.html(MENU_LABEL_STYLE + scripts.tag(scripts.MENU_LABEL), unsafe_allow_javascript=True)
            draw_header(user)
        show_flash()
        if user is None and page.url_path not in ("", "sign-in", "check", FIGURES_PATH, wall.URL_PATH):
            sign_in_page()  # a deep link (e.g. from a notification) opens once the person has signed in
        else:
            with drawing_for(user):
                page.run()
    except DatabaseBusy as busy:
        # Reading failed (database locked or unreachable): say so plainly; typed input stays in the widgets.
        st.error(str(busy), icon=":material/hourglass_top:")
