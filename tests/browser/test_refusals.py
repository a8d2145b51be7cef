"""What must NOT happen, seen in the browser: another trust opening a request, a submission outside a
strike period, markup typed into the form taking effect, and a first visitor's deep link getting lost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.setup_db import ACCOUNTS
from tests.browser.steps import RequestValues, fill_request, main_text, settle, sign_in, submit_request

pytestmark = pytest.mark.browser
NOT_FOUND = "Request not found"
MARKUP = (
    "<b>bold</b> <script>alert(1)</script> [link](http://x) ![img](http://x/a.png) **strong** :red[red] "
    "www.evil.example ops@evil.example"  # a bare web or e-mail address must not become a link either
)


def test_another_trusts_requester_pasting_the_deep_link_sees_not_found(people, app_server, open_as) -> None:
    requester = open_as("requester", "file")
    fill_request(requester, RequestValues(service="Acute medical unit"))
    request_id = submit_request(requester)

    other = open_as("other_requester", f"request?id={request_id}")
    expect(other.get_by_role("heading", name=NOT_FOUND)).to_be_visible()
    assert "Acute medical unit" not in main_text(other)
    # Exactly what a request that does not exist looks like: nothing tells them it exists.
    other.goto(f"{app_server.url}/request?id=999999")  # still signed in: the session is the browser's
    expect(other.get_by_role("heading", name=NOT_FOUND)).to_be_visible()


def test_submission_outside_a_strike_period_is_refused_and_the_draft_kept(people, closed_server) -> None:
    requester = people.open("requester", closed_server.url, "file")
    expect(requester.get_by_text("No strike action is in progress").first).to_be_visible()
    values = RequestValues(service="Maternity theatres", site="St Mary's Hospital")
    fill_request(requester, values)
    requester.get_by_role("button", name="Submit request").click()
    expect(requester.get_by_text(re.compile(r"can only be submitted once strike action has started"))).to_be_visible()
    expect(requester.get_by_text(re.compile(r"Your draft is (kept|saved)")).first).to_be_visible()
    settle(requester)
    # Nothing typed is lost: the fields still hold it, and the draft is in the trust's list.
    expect(requester.get_by_label("Service or specialty", exact=True)).to_have_value("Maternity theatres")
    expect(requester.get_by_label("Hospital site", exact=True)).to_have_value("St Mary's Hospital")
    expect(requester.get_by_text(re.compile(r"Editing request \d+"))).to_be_visible()
    requester.get_by_role("link", name="My trust's requests").click()
    expect(requester.get_by_role("heading", name="My trust's requests")).to_be_visible()
    expect(requester.get_by_text(re.compile(r"\b1 request\b"))).to_be_visible()


def _no_markup_took_effect(page: Page) -> None:
    main = page.locator("[data-testid='stMain']")
    assert main.locator("b", has_text="bold").count() == 0
    assert main.locator("a[href^='http://x']").count() == 0
    assert main.locator("a[href*='evil.example']").count() == 0
    assert main.locator("img[src^='http://x']").count() == 0
    assert main.locator("script", has_text="alert").count() == 0


def test_markup_typed_into_the_form_is_shown_as_plain_text(people, open_as) -> None:
    dialogs: list[str] = []
    requester = open_as("requester", "file")
    requester.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    fill_request(
        requester,
        RequestValues(service=f"Service {MARKUP}", ward=MARKUP, risk_description=f"Risk to patients: {MARKUP}"),
    )
    request_id = submit_request(requester)

    reviewer = open_as("clinical_director", f"request?id={request_id}")
    reviewer.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    expect(reviewer.get_by_role("heading", name=re.compile(rf"Request {request_id}"))).to_be_visible()
    reviewer.get_by_text("The request as submitted", exact=True).click()  # the full record is folded
    # Columns show their contents a moment after the run ends: read the page once the ward's column shows.
    expect(reviewer.get_by_text(MARKUP, exact=True)).to_be_visible()
    settle(reviewer)
    text = main_text(reviewer)
    assert f"Risk to patients: {MARKUP}" in text  # every character exactly as typed
    assert text.count(MARKUP) >= 3  # service, ward and risk
    _no_markup_took_effect(reviewer)
    assert dialogs == []


def test_first_visitor_after_a_restart_keeps_the_deep_link(people, cold_server) -> None:
    """A notification link opened by the first visitor of a freshly started (and probed) server reaches its page."""
    page = people.open("clinical_director", cold_server.url, "request?id=42", signed_in=False)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    sign_in(page, cold_server.url, ACCOUNTS["clinical_director"], "request?id=42")
    expect(page.get_by_role("heading", name=NOT_FOUND)).to_be_visible()  # signed in, on the request page
