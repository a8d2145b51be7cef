"""No request leaves the site: every request a person's browser makes on a journey (sign-in, a queue, a
request, the live dashboard with its charts, the report) goes to the app's own origin, the favicon
included, and the Content-Security-Policy (server/headers.py) refuses nothing the page needs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, expect

from tests.browser.setup_db import ACCOUNTS, SEEDED
from tests.browser.steps import settle, sign_in

pytestmark = pytest.mark.browser
AT_NATIONAL_MDT = SEEDED.index("at_national_mdt") + 1
# Schemes that are not requests to anyone: inline images and fonts, and objects the page made itself.
LOCAL_SCHEMES = ("data", "blob", "about")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_journey_asks_nothing_of_any_other_origin(people, app_server) -> None:
    context = people.browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    people.pages["national_mdt"] = page = context.new_page()
    requested: list[str] = []
    refused_by_policy: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    def note_policy_refusals(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused_by_policy.append(message.text)

    page.on("console", note_policy_refusals)

    sign_in(page, app_server.url, ACCOUNTS["national_mdt"], f"request?id={AT_NATIONAL_MDT}")
    expect(page.get_by_role("heading", name=f"Request {AT_NATIONAL_MDT}")).to_be_visible()
    for link, heading in (("Review queue", "Review queue: National MDT"), ("Live dashboard", "Live dashboard"),
                          ("Post-strike report", "Post-strike report")):  # fmt: skip
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        settle(page)
        if link == "Live dashboard":
            chart = page.locator("[data-testid='stVegaLiteChart']").first
            chart.scroll_into_view_if_needed()
            expect(chart.locator("canvas, svg").first).to_be_visible()  # drawn, under the policy
    icon = page.evaluate("document.querySelector('link[rel~=\"icon\"]').href")

    own = _origin(app_server.url)
    elsewhere = sorted({url for url in requested if urlsplit(url).scheme not in LOCAL_SCHEMES and _origin(url) != own})
    assert elsewhere == [], f"requests to other origins: {elsewhere}"
    assert _origin(icon) == own, icon
    assert refused_by_policy == []
    assert any(urlsplit(url).path.startswith("/_stcore/") for url in requested)  # the recording saw the app


def test_the_app_refuses_to_be_framed_by_another_site(people, app_server) -> None:
    people.pages["framer"] = page = people.browser.new_context().new_page()  # another site: not the app's origin
    page.set_content(f'<iframe id="frame" src="{app_server.url}/" width="800" height="600"></iframe>')
    [frame] = page.main_frame.child_frames
    frame.wait_for_load_state()
    assert frame.url.startswith("chrome-error://"), frame.url  # the browser refused to draw it
