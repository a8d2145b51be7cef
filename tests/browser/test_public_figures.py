"""Strike figures in real Chromium: public (no sign-in), axe-clean at a phone's, a laptop's and a wall's width,
and the CSV and JSON it links to served by the same server."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from core.report.public_figures import COLUMNS
from tests.browser.test_accessibility import check, wait_for_page

pytestmark = pytest.mark.browser
WIDTHS = {390: 844, 1280: 800, 1920: 1080}


def test_the_public_figures_need_no_sign_in_and_pass_axe_at_every_width(people, app_server) -> None:
    page = people.open("visitor", app_server.url, "strike-figures", signed_in=False)
    ours: list[str] = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        wait_for_page(page, "Strike figures")
        expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)
        expect(page.locator(".vega-embed")).to_have_count(3)  # the three charts drawn
        ours += check(page, f"public {width}px", "Strike figures")
        page.screenshot(path=str(people.folder.parent / f"strike-figures-{width}.png"), full_page=True)
    assert not ours, "Accessibility violations in our own markup:\n" + "\n".join(ours)


def test_the_files_it_links_to_are_served_beside_it(people, app_server) -> None:
    page = people.open("visitor", app_server.url, "strike-figures", signed_in=False)
    wait_for_page(page, "Strike figures")
    address = page.get_by_role("link", name="CSV", exact=True).get_attribute("href")
    answer = page.request.get(f"{app_server.url}{address}")
    assert answer.status == 200 and answer.headers["cache-control"] == "public, max-age=60"
    rows = list(csv.reader(io.StringIO(answer.text())))
    assert rows[0] == list(COLUMNS) and len(rows) > 7
    assert page.request.get(f"{app_server.url}/figures/daily.json?period=x").status == 400
