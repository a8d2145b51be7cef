"""The capacity benchmark's client (bench/st_client.py) against the real server: it must load the live
dashboard signed in by its cookie, and its refresh must be what the browser's timer sends (a rerun of
the dashboard's fragment alone), or the benchmark would measure something no browser asks for."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bench import capacity
from bench.st_client import FINISHED, Session
from core.accounts import display_sessions, sessions
from core.enums import Role
from core.models import User
from core.platform.db import dispose_engines, read_session
from tests.browser.steps import PASSWORD
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Server:
    base: str
    national: User  # a national MDT account of tests/browser/setup_db.py


@pytest.fixture
def server(tmp_path, monkeypatch) -> Iterator[Server]:  # noqa: ANN001
    """The real app (`streamlit run serve.py`, as the benchmark starts it) on the browser tests' accounts."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    subprocess.run([sys.executable, "-m", "tests.browser.setup_db", url, "in-progress"], cwd=ROOT, check=True)
    monkeypatch.setattr(capacity, "free_port", free_port)  # this worker's own ports (tests/ports.py)
    process, base = capacity.start_server(url, capacity.CONFIGS["shipped"], tmp_path / "streamlit.log")
    try:
        monkeypatch.setenv("DATABASE_URL", url)
        dispose_engines()
        with read_session() as session:
            national = session.exec(select(User).where(User.role == Role.NATIONAL_MDT.value)).first()
        yield Server(base, national)
    finally:
        process.terminate()
        process.wait(timeout=30)
        dispose_engines()


def in_a_thread(visit: Coroutine) -> Any:  # noqa: ANN401 - what the visit returns
    """Run the client in a thread of its own: after a browser test on this worker, Playwright's sync API
    holds a running event loop in this one, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, visit).result()


def test_the_client_loads_the_dashboard_and_refreshes_its_fragment_as_the_browser_does(server: Server) -> None:
    viewer = server.national
    [cookie] = capacity.session_cookies([viewer])

    async def visit() -> tuple:
        page = Session(server.base, "live-dashboard", cookie=cookie)
        opened = await page.open()
        refreshed = await page.refresh()
        await page.close()
        return page, opened, refreshed

    page, opened, refreshed = in_a_thread(visit())
    assert opened.status == FINISHED.FINISHED_SUCCESSFULLY
    assert "Live dashboard" in opened.texts and f"Signed in as {viewer.full_name}" in " ".join(opened.texts)
    assert page.fragment is not None and page.fragment[0] == 10  # the server's AutoRerun: every 10 s
    assert {w.id.rsplit("-", 1)[1] for w in page.widgets.values()} == {"dash_period", "dash_section"}
    assert refreshed.status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    assert any(t.startswith("Figures as at") for t in refreshed.texts)
    assert "Live dashboard" not in refreshed.texts  # the page's title is outside the fragment: not redrawn


def test_the_client_signs_in_on_the_sign_in_page_and_opens_a_wall_display(server: Server) -> None:
    """What the benchmark's viewers and walls do: the sign-in form typed and its route's cookie, and a
    wall screen's code typed by the national MDT, its route's display cookie and the live wall."""
    national = server.national

    async def visit() -> tuple:
        cookie = await Session(server.base, "").sign_in(national.email, PASSWORD, sessions.COOKIE_NAME)
        page = Session(server.base, "live-dashboard", cookie=cookie)
        opened = await page.open()
        await page.close()
        wall = await capacity.open_wall(server.base, national, None)
        refreshed = await wall.refresh()
        await wall.close()
        return cookie, opened, wall, refreshed

    cookie, opened, wall, refreshed = in_a_thread(visit())
    live = display_sessions.live_displays()
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    assert f"Signed in as {national.full_name}" in " ".join(opened.texts)
    assert wall.cookie.startswith(f"{display_sessions.COOKIE_NAME}=") and len(live) == 1
    assert wall.fragment is not None and wall.fragment[0] == 10
    assert refreshed.status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
