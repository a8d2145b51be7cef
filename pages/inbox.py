"""Inbox: every notification for the signed-in person, newest first. Unread ones say UNREAD in words;
each opens its request directly (the request page at ?id=). Messages hold user text (service, site),
so they are shown with st.text, never as markdown."""

from __future__ import annotations

import streamlit as st

from core.enums import Action
from core.notifications import notify
from core.platform.db import DatabaseBusy
from ui import narrow
from ui.feedback import act_as, form_error
from ui.session import require_page
from ui.text import status_word, visible, when

user = require_page("inbox")
narrow.compact_on_phone()
REQUEST_PAGE = "pages/request_detail.py"


def kind_word(kind: str) -> str:
    if kind == notify.REMINDER:
        return "Reminder: response target passed"
    try:
        return Action(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()


def mark(ids: list[int]) -> None:
    act_as("inbox_errors", notify.mark_read, ids)


def mark_all() -> None:
    act_as("inbox_errors", notify.mark_all_read)


st.title("Inbox")
form_error("inbox_errors")

unread_only = st.toggle("Show unread only", key="inbox_unread_only")
try:
    items = notify.inbox(user, unread_only=unread_only)
    unread = notify.unread_for(user)
except DatabaseBusy as exc:
    st.error(str(exc))
    st.stop()

left, right = st.columns([3, 1], vertical_alignment="center")
left.markdown(f"**{unread} unread**" if unread else "Nothing unread.")
right.button("Mark all as read", key="inbox_mark_all", on_click=mark_all, disabled=not unread)

if not items:
    st.info("No notifications yet. You are told here when a request needs you or something happens to yours.")
if len(items) == notify.INBOX_LIMIT:
    st.caption(f"Showing the newest {notify.INBOX_LIMIT}.")

for item in items:
    with st.container(border=True, key=f"inbox_item_{item.id}"):
        state = "UNREAD" if not item.read else "Read"
        st.markdown(f"**{state}** · {when(item.at)} · {kind_word(item.kind)}")
        st.text(visible(item.message))
        cols = st.columns([2, 2, 1], vertical_alignment="center")
        if item.request_id is not None and item.request_status:
            cols[0].page_link(
                REQUEST_PAGE,
                label=f"Open request {item.request_id}",
                icon=":material/open_in_new:",
                query_params={"id": str(item.request_id)},
            )
            cols[1].caption(f"Now: {status_word(item.request_status)}")
        elif item.request_id is not None:
            # e.g. the BMA alerted to a mass-casualty request that has not reached it yet
            cols[0].caption(f"Request {item.request_id} opens here once it is within your scope.")
        if not item.read:
            cols[2].button("Mark as read", key=f"inbox_read_{item.id}", on_click=mark, args=([item.id],))
