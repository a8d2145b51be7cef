"""AppTest helpers: run the real app.py against a real SQLite database, signed in as a real user."""

from __future__ import annotations

import html
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from streamlit.testing.v1 import AppTest

from core.enums import Role
from core.models import StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import write_session
from ops.builders import REASON, escalate_to, file_request
from tests.conftest import TEST_COOKIE_KEY, TRUST_OTHER_REGION, Staff, session_cookie

# The builders the page tests import from here (ops/builders.py).
__all__ = ["REASON", "escalate_to", "file_request"]

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 30
MARKUP = "<b>bold</b> **stars** [link](http://evil.example) <script>alert(1)</script> :red[red]"
NOT_AVAILABLE = "This page is not available to your role."


@pytest.fixture
def strike(sqlite_db: str) -> StrikePeriod:
    """A strike period in progress now (SQLite only: page tests run on one engine)."""
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(name="Test strike", starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3))
        session.add(period)
    return period


@pytest.fixture
def staff(sqlite_db: str) -> Staff:
    return Staff()


@pytest.fixture
def people(staff: Staff) -> dict[Role, User]:
    """One person per role with scope over trust R0A / region Y62."""
    return staff.team()


def sign_in_as(at: AppTest, user: User) -> str:
    """This AppTest 'browser' holds a live session cookie for `user` (as after a real sign-in)."""
    token = session_cookie(user)
    at.session_state[TEST_COOKIE_KEY] = token
    return token


def open_page(user: User | None, page: str | None = None, **query: str) -> AppTest:
    """Run the app signed in as `user` and switch to `page` (with query parameters)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if user is not None:
        sign_in_as(at, user)
    at.run()
    if page is not None:
        at.switch_page(page)
    for name, value in query.items():
        at.query_params[name] = value
    if page is not None or query:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    """Everything the page says, as one string: text, markdown (entities decoded, bold marks dropped),
    alerts and captions."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts += [html.unescape(str(element.value)) for element in getattr(at, kind)]
    return "\n".join(parts).replace("**", "")


def markdown_sources(at: AppTest) -> list[str]:
    """The raw markdown strings the page sends (where markup would be interpreted)."""
    sources = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success"):
        sources += [str(element.value) for element in getattr(at, kind)]
    return sources


def errors(at: AppTest) -> list[str]:
    return [html.unescape(e.value) for e in at.error]


def other_trust_team(staff: Staff) -> dict[Role, User]:
    """Staff of a trust in another region (Guy's, London)."""
    return staff.team(trust=TRUST_OTHER_REGION, region="Y56")


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


class _Cells(HTMLParser):
    """The text of each cell of each row of an HTML table, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(markup: str) -> list[list[str]]:
    """An st.html table as its rows of cell text (the header row first), as a reader sees them."""
    parser = _Cells()
    parser.feed(markup)
    return parser.rows


def request_rows(at: AppTest) -> list[dict[str, str]]:
    """The page's list of requests (ui.request_table) as a reader sees it: one dict per request, column ->
    cell text; the number column ("No.") holds the request's number."""
    tables = [str(e.proto.body) for e in at.html if 'class="requests"' in str(e.proto.body)]
    if not tables:
        return []
    head, *body = html_rows(tables[0])
    return [dict(zip(head, (cell.removeprefix("Request ") for cell in row), strict=True)) for row in body]
