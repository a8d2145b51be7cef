"""A small client that speaks Streamlit's websocket protocol the way the browser's frontend does, so a
benchmark can hold hundreds of signed-in sessions open without hundreds of browsers.

What the frontend does, and so what this does (checked against Chromium's frames on this app):
- opens `ws://host/_stcore/stream` (subprotocol "streamlit") carrying the browser's cookies, so the
  session cookie `derog_session` reaches `st.context.cookies` exactly as from a browser;
- sends one `BackMsg.rerun_script` (ClientState: page_name = the url path, query_string, context_info);
- keeps every widget's current value from the deltas it receives and sends them all with every later
  rerun (a click is the same rerun with a button's `trigger_value`);
- when the server sends `ForwardMsg.auto_rerun` (a fragment with `run_every`), starts a timer at that
  interval and on each tick sends `rerun_script` with the fragment's id and `is_auto_rerun` set: the
  server never reruns a fragment by itself, the client asks;
- a run is over at `ForwardMsg.script_finished` (the last message of a run, before the status change);
- when a run sends the browser to another address (`ForwardMsg.auth_redirect`: the sign-in's way to the
  session cookie, a wall screen's to its display cookie), loads that address over HTTP as the browser's
  full page load does, without following its redirect, and keeps the cookie it sets (`follow`).
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
WIDGET_TYPES = {"selectbox", "button_group", "radio", "text_area", "text_input", "checkbox", "number_input"}
TEXT_TYPES = {"markdown", "alert", "heading", "text", "metric", "toast", "html"}


class RunFailed(RuntimeError):
    pass


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    """The route's answer itself (a 303 with Set-Cookie), not the page it sends the browser on to."""

    def redirect_request(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        return None


def cookie_set_by(address: str, name: str) -> str | None:
    """GET `address` as a browser's page load and return the cookie `name` it sets, as `name=value`."""
    try:
        urllib.request.build_opener(_KeepRedirect).open(address, timeout=120).close()
        return None  # not a redirect: no route of ours answered
    except urllib.error.HTTPError as answer:
        headers = answer.headers
    for header in headers.get_all("Set-Cookie") or []:
        key, _, value = header.split(";", 1)[0].partition("=")
        if key == name and value:
            return f"{key}={value}"
    return None


@dataclass
class Run:
    """One script run as the client saw it: when it was asked for, when it finished, what it drew."""

    started: float
    finished: float = 0.0
    status: int = -1
    messages: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def ms(self) -> float:
        return (self.finished - self.started) * 1000


def _widget_state(kind: str, element) -> WidgetState | None:  # noqa: ANN001  (a widget proto)
    """The value the frontend would send for a widget just drawn with its default."""
    state = WidgetState(id=element.id)
    if kind == "selectbox" or kind == "radio":
        if not element.HasField("default") or not element.options:
            return None
        state.string_value = element.options[element.default]
    elif kind == "button_group":
        state.string_array_value.data.extend(element.options[i].content for i in element.default)
    elif kind == "text_area" or kind == "text_input":
        state.string_value = element.value if element.set_value else element.default
    elif kind == "checkbox":
        state.bool_value = element.default
    elif kind == "number_input":
        if not element.HasField("default"):
            return None
        if element.data_type == element.INT:
            state.int_value = int(element.default)
        else:
            state.double_value = element.default
    return state


class Session:
    """One browser tab: one websocket, one Streamlit session."""

    def __init__(self, base: str, page: str, *, query: str = "", cookie: str = "", timezone: str = "Europe/London"):
        self.base = base.rstrip("/")
        self.page = page
        self.query = query
        self.cookie = cookie
        self.timezone = timezone
        self.ws = None
        self.page_script_hash = ""
        self.widgets: dict[str, WidgetState] = {}
        self.labels: dict[str, str] = {}  # widget label -> widget id
        self.options: dict[str, list[str]] = {}  # widget id -> its options as shown
        self.fragment: tuple[float, str] | None = None  # (interval s, fragment id) of a run_every fragment
        self._run: Run | None = None
        self._done: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None
        self.closed = False
        self.collect_texts = True
        self.redirect: str | None = None  # the address a run last sent the browser to

    # ----------------------------------------------------------------- connection

    async def connect(self) -> None:
        url = self.base.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=60,
            ping_interval=None,  # the frontend does not ping; the server's pings are answered
            compression=None,
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self.closed = True
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self._receive(data)
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass
        finally:
            self.closed = True
            if self._done is not None and not self._done.done():
                self._done.set_exception(RunFailed("connection closed"))

    def _receive(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        run = self._run
        if run is not None:
            run.messages += 1
        if kind == "delta" and run is not None:
            self._delta(msg.delta, run)
        elif kind == "new_session":
            pass
        elif kind == "navigation":
            # st.navigation says which page this run drew: later reruns name it by this hash.
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # the page changed its query parameters
        elif kind == "auth_redirect":
            self.redirect = msg.auth_redirect.url
        elif kind == "auto_rerun":
            self.fragment = (msg.auto_rerun.interval, msg.auto_rerun.fragment_id)
        elif kind == "script_finished" and run is not None:
            if msg.script_finished == FINISHED.FINISHED_EARLY_FOR_RERUN:
                return  # a newer run follows at once (st.rerun, switch_page): wait for its end
            run.finished = time.perf_counter()
            run.status = msg.script_finished
            if self._done is not None and not self._done.done():
                self._done.set_result(run)

    def _delta(self, delta, run: Run) -> None:  # noqa: ANN001
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind in WIDGET_TYPES:
            widget = getattr(element, kind)
            if widget.label:
                self.labels[widget.label] = widget.id
            if kind in ("selectbox", "radio"):
                self.options[widget.id] = list(widget.options)
            if widget.id not in self.widgets:
                state = _widget_state(kind, widget)
                if state is not None:
                    self.widgets[widget.id] = state
        elif kind == "button":
            self.labels[element.button.label] = element.button.id
        elif self.collect_texts and kind in TEXT_TYPES:
            body = getattr(element, kind)
            run.texts.append(getattr(body, "body", "") or getattr(body, "label", ""))

    # ----------------------------------------------------------------- runs

    def _client_state(self, *, fragment: str = "", auto: bool = False, extra: list[WidgetState] = ()) -> BackMsg:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query
        state.page_name = "" if self.page_script_hash else self.page
        state.page_script_hash = self.page_script_hash
        if fragment:
            state.fragment_id = fragment
            state.is_auto_rerun = auto
        ids = {w.id for w in extra}
        state.widget_states.widgets.extend(w for w in self.widgets.values() if w.id not in ids)
        state.widget_states.widgets.extend(extra)
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = self.timezone, 0, "en-GB"
        info.url = f"{self.base}/{self.page}" + (f"?{self.query}" if self.query else "")
        info.is_embedded, info.color_scheme = False, "light"
        return back

    async def _rerun(self, back: BackMsg, timeout: float) -> Run:
        if self._done is not None and not self._done.done():
            raise RunFailed("a run is still going")
        self._run = Run(started=time.perf_counter())
        self._done = asyncio.get_running_loop().create_future()
        await self.ws.send(back.SerializeToString())
        try:
            return await asyncio.wait_for(self._done, timeout)
        finally:
            self._run = None if self._done.done() else self._run

    async def open(self, timeout: float = 120) -> Run:
        """Load the page (a full script run), as a browser does after the websocket opens."""
        if self.ws is None:
            await self.connect()
        return await self._rerun(self._client_state(), timeout)

    async def refresh(self, timeout: float = 120) -> Run:
        """One auto-rerun of the page's run_every fragment, as the frontend's timer sends it."""
        if self.fragment is None:
            raise RunFailed("the page has no run_every fragment")
        return await self._rerun(self._client_state(fragment=self.fragment[1], auto=True), timeout)

    def choose(self, label: str, option: str) -> WidgetState:
        """Pick an option of a radio or select box by its label as shown (nothing is sent yet)."""
        widget_id = self.labels[label]
        shown = next(o for o in self.options.get(widget_id, []) if o == option or o.startswith(option))
        state = WidgetState(id=widget_id, string_value=shown)
        self.widgets[widget_id] = state
        return state

    def type_text(self, label: str, text: str) -> WidgetState:
        widget_id = next(i for lab, i in self.labels.items() if lab.startswith(label))
        state = WidgetState(id=widget_id, string_value=text)
        self.widgets[widget_id] = state
        return state

    async def change(self, timeout: float = 120) -> Run:
        """A rerun with the widgets as they now are (a radio clicked: the frontend reruns at once)."""
        return await self._rerun(self._client_state(), timeout)

    async def click(self, label: str, timeout: float = 120) -> Run:
        """Click a button (its trigger is sent once, with every other widget's value)."""
        trigger = WidgetState(id=self.labels[label], trigger_value=True)
        return await self._rerun(self._client_state(extra=[trigger]), timeout)

    async def follow(self, cookie: str) -> str:
        """Load the address the last run sent the browser to (a route of ours) and return the cookie
        named `cookie` that it sets, as `name=value`; RunFailed if none."""
        if not self.redirect:
            raise RunFailed("the page sent the browser nowhere")
        found = await asyncio.to_thread(cookie_set_by, self.base + self.redirect, cookie)
        if found is None:
            raise RunFailed(f"{self.redirect.split('?')[0]} set no {cookie} cookie")
        return found

    async def sign_in(self, email: str, password: str, cookie: str) -> str:
        """Sign in as a person does: the sign-in page, the e-mail address and password typed, "Sign in",
        then the route that swaps the ticket for the session cookie. Returns that cookie (`name=value`);
        the sign-in page's own session is closed, as the browser leaves it."""
        await self.open()
        self.type_text("E-mail address", email)
        self.type_text("Password", password)
        await self.click("Sign in")
        try:
            return await self.follow(cookie)
        finally:
            await self.close()
