"""The public check in a real browser: Enter in the reference box checks it, as the button does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import settle

pytestmark = pytest.mark.browser


def test_enter_in_the_reference_box_checks_it(people, app_server) -> None:
    page = people.open("doctor", app_server.url, "check", signed_in=False)
    expect(page.get_by_role("heading", name="Check a recall")).to_be_visible()
    settle(page)
    box = page.get_by_label("Reference", exact=True)
    box.fill("abcd efgh")
    box.press("Enter")
    expect(page.get_by_text("No BMA approval or recall has this reference.")).to_be_visible()
