"""Browser tests: the real app (`streamlit run serve.py`) on a fresh SQLite file, driven by Debian's Chromium.

Two app servers per run: one with a strike period in progress (the journeys), one with none (the
"outside a strike period" refusal). Each person works in a browser context of their own. Each test
saves a screenshot of every page it still has open under test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.setup_db import ACCOUNTS
from tests.browser.steps import sign_in
from tests.conftest import ARTIFACTS, SCREENSHOTS, artifact_name
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
SCROLL_HEIGHT = "() => (document.querySelector('[data-testid=stMain]') || document.body).scrollHeight + 120"
expect.set_options(timeout=15_000)  # a Streamlit rerun on a 2-core CI machine can take a few seconds


@dataclass
class AppServer:
    url: str
    database_url: str
    log: Path
    process: subprocess.Popen


def start_server(
    folder: Path, strike: str, extra_env: dict[str, str] | None = None, port: int | None = None
) -> AppServer:
    database_url = f"sqlite:///{folder / 'app.db'}"
    env = os.environ | {"DATABASE_URL": database_url} | (extra_env or {})
    subprocess.run(
        [sys.executable, "-m", "tests.browser.setup_db", database_url, strike], cwd=ROOT, env=env, check=True
    )
    port = port or free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / artifact_name(f"streamlit-{folder.name}.log")  # kept after the run, for a person to read
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:  # polling the health endpoint is the documented way to know the server is up
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    _ready(url)
                    return AppServer(url, database_url, log, process)
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"streamlit did not answer /_stcore/health in {STARTUP_SECONDS}s:\n{log.read_text()}")
        time.sleep(0.2)


def _ready(url: str) -> None:
    """The readiness probe a deployment runs before sending traffic (README, Deploying): it runs app.py
    once, so the first visitor's deep link is served by st.navigation, not the pages-folder mode."""
    with urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=STARTUP_SECONDS) as response:
        if response.read().decode().strip() != "ok":
            raise RuntimeError("app.py did not run cleanly in the readiness probe")


def stop_server(server: AppServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app with a strike period in progress and one account per role (tests/browser/setup_db.py)."""
    server = start_server(tmp_path_factory.mktemp("app"), "in-progress")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app with no strike period in progress (one ended, one upcoming)."""
    server = start_server(tmp_path_factory.mktemp("closed"), "none")
    yield server
    stop_server(server)


@pytest.fixture
def cold_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A freshly started (and probed) app nobody has visited yet."""
    server = start_server(tmp_path_factory.mktemp("cold"), "in-progress")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


class People:
    """Opens one browser context per person; every page still open is screenshotted at the end."""

    def __init__(self, browser: Browser, test_name: str) -> None:
        self.browser = browser
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.pages: dict[str, Page] = {}

    def open(self, key: str, base_url: str, path: str = "", *, signed_in: bool = True) -> Page:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        self.pages[key] = page
        if signed_in:
            return sign_in(page, base_url, ACCOUNTS[key], path)
        page.goto(f"{base_url}/{path.lstrip('/')}")
        return page

    def close(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for key, page in self.pages.items():
            try:
                if not page.is_closed():
                    # Streamlit scrolls inside its main block, so grow the window to show the whole page.
                    height = page.evaluate(SCROLL_HEIGHT)
                    page.set_viewport_size({"width": 1280, "height": max(900, min(height, 6000))})
                    page.screenshot(path=str(self.folder / f"{key}.png"))
            finally:
                page.context.close()


@pytest.fixture
def people(browser: Browser, request: pytest.FixtureRequest) -> Iterator[People]:
    crowd = People(browser, request.node.name)
    yield crowd
    crowd.close()


@pytest.fixture
def open_as(people: People, app_server: AppServer) -> Callable[..., Page]:
    """open_as("clinical_director", "request?id=3"): a signed-in page of that person on the main server."""

    def opener(key: str, path: str = "") -> Page:
        return people.open(key, app_server.url, path)

    return opener
