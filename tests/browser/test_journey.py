"""The whole route in a real browser, each step by the right person in a browser context of their own."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.setup_db import ACCOUNTS
from tests.browser.steps import (
    RequestValues,
    approval_table,
    choose,
    fill_request,
    main_text,
    metric,
    review,
    submit_request,
)

pytestmark = pytest.mark.browser
LIVE_TIMEOUT = 60_000  # the dashboard refreshes itself every few seconds; allow several cycles on slow CI
ROUTE = [
    ("clinical_director", "Escalate to the Trust medical director"),
    ("trust_md", "Escalate to the Regional medical director"),
    ("regional_md", "Escalate to the National MDT"),
    ("national_mdt", "Escalate to the BMA"),
]


def test_request_goes_up_the_route_and_the_bma_approves_fewer_doctors(people, app_server, open_as) -> None:
    dashboard = open_as("national_watch", "live-dashboard")
    expect(dashboard.get_by_role("heading", name="Live dashboard")).to_be_visible()
    expect(metric(dashboard, "Requests")).to_be_visible()
    before = {name: int(metric(dashboard, name).inner_text()) for name in ("Requests", "Approved", "Doctors approved")}

    requester = open_as("requester", "file")
    values = RequestValues(service="Paediatric emergency department", doctors_requested=3)
    fill_request(requester, values)
    request_id = submit_request(requester)

    # The dashboard left open in another context picks the new request up without a reload.
    expect(metric(dashboard, "Requests")).to_have_text(str(before["Requests"] + 1), timeout=LIVE_TIMEOUT)
    expect(metric(dashboard, "Approved")).to_have_text(str(before["Approved"]))

    for person, decision in ROUTE:
        reviewer = open_as(person, f"request?id={request_id}")
        expect(reviewer.get_by_role("heading", name="Your decision")).to_be_visible()
        review(reviewer, request_id, decision, f"{person}: mitigations exhausted, risk confirmed by phone.")
        reviewer.context.close()
        people.pages.pop(person)

    bma = open_as("bma", f"request?id={request_id}")
    choose(bma, "Approve (you can approve less than was asked)")
    bma.get_by_label(f"Resident doctors approved (asked: {values.doctors_requested})", exact=True).fill("2")
    grades = bma.get_by_label("Grades approved", exact=True)  # starts as asked: FY2 and ST3+
    grades.click()
    bma.keyboard.press("Backspace")  # removes the last one: FY2 only is approved
    bma.keyboard.press("Escape")
    bma.get_by_label("Scope approved: ward, service or shifts (optional)", exact=True).fill("Night shifts only")
    bma.get_by_label("Your rationale (required)", exact=True).fill("Risk evidenced; two doctors are enough overnight.")
    bma.get_by_role("button", name="Record the BMA's decision").click()
    approved = bma.get_by_text(re.compile(rf"Request {request_id} approved\. Confirmation reference"))
    expect(approved).to_be_visible()
    reference = re.search(r"reference ([A-Z2-9]{4}-[A-Z2-9]{4})", approved.inner_text()).group(1)

    # The requester opens the request by its link, as from the e-mail: still signed in (the session
    # is the browser's, not the tab's).
    requester.goto(f"{app_server.url}/request?id={request_id}")
    expect(requester.get_by_text("Approved by the BMA.")).to_be_visible()
    approved = approval_table(requester)
    expect(requester.get_by_role("heading", name="Comments")).to_be_visible()  # the timeline is drawn above it
    text = main_text(requester)
    assert approved["Resident doctors"] == ["2", "3"]  # approved, asked for
    assert approved["Grades"] == ["FY2", "FY2, ST3+"]
    assert approved["Scope (ward, service, shifts)"][0] == "Night shifts only"
    assert approved["Confirmation reference"][0] == reference
    timeline = text[text.index("Timeline") : text.index("Comments")]
    steps = (
        [("Submitted", "requester")] + [("Escalated", person) for person, _ in ROUTE] + [("Approved by the BMA", "bma")]
    )
    at = 0
    for action, person in steps:  # each action, by the right person, after the one before it
        found = timeline.find(action, at)
        assert found >= 0, f"'{action}' missing (in order) from the timeline:\n{timeline}"
        at = timeline.find(ACCOUNTS[person].full_name, found)
        assert at >= 0, f"'{action}' is not shown as done by {ACCOUNTS[person].full_name}:\n{timeline}"
    assert timeline.count("Escalated") == 4, timeline

    # ... and then the approval, still without a reload.
    expect(metric(dashboard, "Approved")).to_have_text(str(before["Approved"] + 1), timeout=LIVE_TIMEOUT)
    expect(metric(dashboard, "Doctors approved")).to_have_text(str(before["Doctors approved"] + 2))
