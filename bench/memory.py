"""Memory of one app process serving the largest database: `streamlit run serve.py` on it, several
people signed in through Debian's Chromium on the heaviest pages (the dashboard refreshing itself),
then the process's resident memory read from /proc/<pid>/status (VmRSS now, VmHWM its peak).

    python -m bench.memory [--size 100000] [--watch 25]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import select

from bench.pages import database, detail_request_id, read_session_for
from bench.seed_bulk import BENCH_PASSWORD, BENCH_TRUST
from core.models import Trust
from core.platform.config import PROJECT_ROOT

TARGET_MB = 300
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LAUNCH = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}


def status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def start_app(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"DATABASE_URL": url}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the app did not start:\n{log.read_text()}")


def visit(browser: Browser, base: str, email: str, path: str, heading: str) -> Page:
    """A person opens a deep link, signs in and waits for the page to be drawn."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/{path}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
    page.locator(IDLE).wait_for()
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(BENCH_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
    page.locator(IDLE).wait_for(timeout=60_000)
    return page


def measure(size: int, watch_seconds: int) -> dict[str, float]:
    url = database(size)
    with read_session_for(url) as session:
        region = session.exec(select(Trust.region_code).where(Trust.ods_code == BENCH_TRUST)).one()
    detail = detail_request_id()
    code = BENCH_TRUST.lower()
    people = [
        ("national_mdt.1@bench.nhs.uk", "live-dashboard", "Live dashboard"),
        (f"regional.{region.lower()}@bench.nhs.uk", "live-dashboard", "Live dashboard"),
        ("national_mdt.2@bench.nhs.uk", "queue", "Review queue"),
        (f"clinical_director.{code}@bench.nhs.uk", "queue", "Review queue"),
        ("bma.1@bench.nhs.uk", "queue", "Review queue"),
        (f"requester.{code}@bench.nhs.uk", "my-requests", "My trust's requests"),
        ("national_mdt.2@bench.nhs.uk", f"request?id={detail}", f"Request {detail}"),
    ]
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_app(url, Path(folder) / "streamlit.log")
        try:
            started = status_mb(process.pid)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**LAUNCH)
                # The first session of a fresh process loses its deep link (docs/accessibility.md): open / first.
                visit_root = browser.new_context().new_page()
                visit_root.goto(base)
                expect(visit_root.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
                visit_root.context.close()
                pages = [visit(browser, base, *person) for person in people]
                time.sleep(watch_seconds)  # let the dashboards refresh themselves a few times
                served = status_mb(process.pid)
                for page in pages:
                    page.context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    return {
        "size": size,
        "sessions": len(people),
        "rss_start": started["VmRSS"],
        "rss_serving": served["VmRSS"],
        "peak": served["VmHWM"],
    }


def table(result: dict[str, float]) -> str:
    met = result["peak"] <= TARGET_MB
    return "\n".join(
        [
            f"Memory of one app process on {result['size']:,} requests ({result['sessions']} signed-in sessions, "
            "dashboards refreshing)",
            f"  resident after start: {result['rss_start']:.0f} MB; while serving: {result['rss_serving']:.0f} MB; "
            f"peak (VmHWM): {result['peak']:.0f} MB",
            f"Target: peak <= {TARGET_MB} MB -> {'met' if met else 'NOT MET'}",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--watch", type=int, default=25, help="seconds the sessions stay open")
    args = parser.parse_args(argv)
    print(table(measure(args.size, args.watch)))


if __name__ == "__main__":
    main()
