"""Running a core action from a button and showing what happened: messages next to fields, a
message at the top after a rerun, and refusals shown as they are (nothing typed is lost)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st

from core.platform.db import DatabaseBusy
from core.platform.errors import DerogationError, StaleVersion, ValidationFailed
from ui.session import NOTICE_KEY, live_session
from ui.text import md_escape

T = TypeVar("T")

FLASH_KEY = "_flash"
FORM_ERROR = "_form"


def flash(message: str, kind: str = "success") -> None:
    """A message shown at the top of the next page run (e.g. after a callback). Our words only:
    it is drawn as markdown, so never put user text in it."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind](message)


def attempt(errors_key: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
    """Call a core function; on refusal keep its messages under `errors_key` and return None.

    Widget values are never touched here, so everything typed stays on the screen."""
    try:
        result = action(*args, **kwargs)
    except ValidationFailed as exc:
        st.session_state[errors_key] = dict(exc.errors)
        return None
    except StaleVersion as exc:
        st.session_state[errors_key] = {FORM_ERROR: str(exc), "_stale": "1"}
        return None
    except (DerogationError, DatabaseBusy) as exc:
        st.session_state[errors_key] = {FORM_ERROR: str(exc)}
        return None
    st.session_state.pop(errors_key, None)
    return result


def act_as(errors_key: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
    """attempt() as the person this browser is signed in as at this moment (checked now, not when the
    page was drawn): `action(user, *args)`. With no live session it does nothing; the run that follows
    shows the sign-in form and why."""
    try:
        live = live_session()
    except DatabaseBusy as busy:
        st.session_state[errors_key] = {FORM_ERROR: str(busy)}
        return None
    if live is None:
        # The run that follows draws the sign-in form, not this panel: the message goes with it.
        why = st.session_state.get(NOTICE_KEY) or "You are no longer signed in."
        st.session_state[NOTICE_KEY] = f"Nothing was saved. {why}"
        return None
    return attempt(errors_key, action, live.user, *args, **kwargs)


def succeeded(errors_key: str) -> bool:
    """After attempt(): whether the action went through (for core functions that return nothing)."""
    return errors_key not in st.session_state


def errors_of(errors_key: str) -> dict[str, str]:
    return st.session_state.get(errors_key) or {}


def field_error(errors_key: str, name: str) -> None:
    """The message for one field, right under it."""
    message = errors_of(errors_key).get(name)
    if message:
        st.error(md_escape(message), icon=":material/error:")  # a message may quote what was typed


def one_of(label: str, words: Mapping[str, str], *, key: str, horizontal: bool = False) -> None:
    """A choice of fixed options (`words`: each option's value and its words) with none chosen at first:
    the person decides, and core says so when they have not."""
    st.radio(label, options=list(words), format_func=words.get, key=key, index=None, horizontal=horizontal)


def form_error(errors_key: str) -> None:
    """The message that belongs to the whole action (e.g. 'changed since you opened it')."""
    field_error(errors_key, FORM_ERROR)


def clear_errors(errors_key: str) -> None:
    st.session_state.pop(errors_key, None)


def add_or_change(by_id: Mapping[int, T], *, new: str, describe: Callable[[T], str], key: str) -> int | None:
    """The choice above an editing form: None to add a new record, or the id of the one to change."""
    return st.selectbox(
        "Add or change",
        options=[None, *by_id],
        format_func=lambda chosen: new if chosen is None else f"Change: {describe(by_id[chosen])}",
        key=key,
    )
