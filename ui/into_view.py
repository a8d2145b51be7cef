"""Bring what just happened into view: after a rerun the browser keeps its scroll position, so a panel that
is replaced by a shorter message can leave the message above the top of the screen (a BMA approval's panel
is a screen tall on a phone). Streamlit has no call for this; a script in a one-pixel frame of our own (same
origin, allowed by st.iframe for our own HTML, never user text) scrolls the element to the middle."""

from __future__ import annotations

import re

import streamlit as st

from ui import scripts

PENDING_KEY = "_into_view"
HIDE = "<style>.st-key-into-view {display:none;}</style>"  # the frame itself takes no room


def ask(key: str) -> None:
    """Scroll to the container of `key` (st.container(key=...)) on the next run, once."""
    st.session_state[PENDING_KEY] = key


def bring_if_asked(key: str) -> None:
    """Call just after drawing the container of `key`: if ask(key) was called, scroll it into view now."""
    if st.session_state.get(PENDING_KEY) != key:
        return
    del st.session_state[PENDING_KEY]
    if not re.fullmatch(r"[a-z0-9_-]+", key):  # our own keys only ever: nothing else goes in the script
        raise ValueError(key)
    st.html(HIDE)
    with st.container(key="into-view"):
        st.iframe(
            f'<div id="derog-into-view" data-key="{key}"></div>' + scripts.tag(scripts.INTO_VIEW),
            height=1,
            tab_index=-1,
            alt="Moves the page to the outcome just shown",
        )
