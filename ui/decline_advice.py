"""Advice learned from past declines (core.request.advice), drawn above the request form's submit button. It
advises and never blocks: nothing here changes what the form accepts."""

from __future__ import annotations

import streamlit as st

from core.platform.config import database_url
from core.request import advice
from core.request.form import RequestForm


@st.cache_data(ttl=60, show_spinner=False)
def _past(url: str) -> advice.PastDeclines:  # noqa: ARG001 (the cache key: one database, one count)
    """National counts of past periods, the same for every requester: read at most once a minute."""
    return advice.past_declines()


def draw(form: RequestForm) -> None:
    """What past declines cited that this request, as it is on screen, bears on; nothing if none."""
    found = advice.advice_for(form, _past(database_url()))
    if not found:
        return
    with st.container(border=True, key="decline_advice"):
        st.subheader("Before you submit: what past declines cited")
        st.caption("Advice only, from the reasons the BMA gave for its declines: you can still submit as it is.")
        st.markdown("\n".join(f"- {item.sentence}" for item in found))
