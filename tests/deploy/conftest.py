"""Fixtures for the tests of the several-process deployment: PostgreSQL, app processes behind nginx
(deploy/replicas.py, what ./scripts/start-replicas runs), and Debian's Chromium."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import create_engine, text

from deploy import replicas
from tests.browser.conftest import People
from tests.conftest import ARTIFACTS, PG_ADMIN_URL, artifact_name, require_postgres
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cluster:
    url: str  # nginx
    database_url: str
    state: Path
    apps: list[replicas.App] = field(default_factory=list)

    def served_by(self, cookie: str | None = None) -> str:
        """Which app process nginx sends a browser with this session cookie to (its X-Served-By)."""
        request = urllib.request.Request(f"{self.url}/_stcore/health")
        if cookie:
            request.add_header("Cookie", f"derog_session={cookie}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Served-By"]

    def app_at(self, address: str) -> replicas.App:
        port = int(address.rsplit(":", 1)[1])
        return next(a for a in self.apps if a.port == port)


@pytest.fixture(scope="session", autouse=True)
def _ports_of_this_worker() -> Iterator[None]:
    """The app processes deploy.replicas starts take their ports from this worker's block (tests/ports.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replicas, "free_port", free_port)
        yield


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    require_postgres()
    name = f"derog_deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two app processes and a mail worker behind nginx on the browser tests' accounts and requests."""
    env = replicas.app_env(pg_database, "http://127.0.0.1:1")
    subprocess.run([sys.executable, "-m", "tests.browser.setup_db", pg_database, "in-progress"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    state = tmp_path_factory.mktemp("replicas")
    port = free_port()
    url = replicas.start(2, url=pg_database, listen=port, state=state, demo=False)
    running = Cluster(url=url, database_url=pg_database, state=state, apps=replicas.apps(state))
    try:
        yield running
    finally:
        replicas.stop(state)
        ARTIFACTS.mkdir(exist_ok=True)
        for log in state.glob("*.log"):
            (ARTIFACTS / artifact_name(f"replicas-{log.name}")).write_text(log.read_text())


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture
def people(browser: Browser, request: pytest.FixtureRequest) -> Iterator[People]:
    crowd = People(browser, f"deploy-{request.node.name}")
    yield crowd
    crowd.close()


def landed_on(page: Page) -> str:
    """The app process that served this page's document (nginx's X-Served-By on a fresh request)."""
    return page.evaluate("async () => (await fetch('/_stcore/health', {cache: 'no-store'})).headers.get('X-Served-By')")
