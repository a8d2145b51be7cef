"""Keyboard only: sign in, reach the form, fill it in and submit it without touching the mouse."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.request.form import LABELS
from tests.browser.setup_db import ACCOUNTS, PASSWORD
from tests.browser.steps import CONSULTANTS, ELECTIVES, RequestValues, settle

pytestmark = pytest.mark.browser
MAX_TABS = 120

FOCUSED_NAME = """() => {
  const e = document.activeElement;
  if (!e) return "";
  const labelled = e.getAttribute("aria-label") || (e.labels && e.labels[0] && e.labels[0].innerText) || "";
  return (labelled || e.innerText || "").trim();
}"""


def focused(page: Page) -> str:
    return page.evaluate(FOCUSED_NAME)


def tab_to(page: Page, name: str | re.Pattern) -> None:
    """Press Tab until the element named `name` has the focus, as a keyboard user moves through a page."""
    trail: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        current = focused(page)
        if name.search(current) if isinstance(name, re.Pattern) else current == name:
            return
        trail.append(current)
    raise AssertionError(f"Tab never reached {name!r}; the focus went through {trail[:40]!r}")


def type_into(page: Page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.type(text)


def test_the_form_can_be_filled_and_submitted_with_the_keyboard_only(people, app_server) -> None:
    page = people.open("requester", app_server.url, signed_in=False)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    account = ACCOUNTS["requester"]
    type_into(page, "E-mail address", account.email)
    type_into(page, "Password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Signed in as {account.full_name}")).to_be_visible()
    settle(page)

    tab_to(page, re.compile(r"File a request$"))  # the navigation link (its icon is a ligature before it)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="File a request")).to_be_visible()
    settle(page)
    # Streamlit loads each kind of widget's code on first use; on a busy machine the radio buttons can
    # appear seconds after the page's text (seen in CI), so wait for them as a person would.
    for widget in (
        page.get_by_role("radio", name="Major incident", exact=True),
        page.get_by_label("What will happen to which patients if nothing changes", exact=True),
        page.get_by_label("Doctors on duty now", exact=True),
        page.get_by_role("button", name="Submit request"),
    ):
        expect(widget).to_be_visible()

    values = RequestValues(service="Obstetrics", site="Saint Mary's Hospital")
    tab_to(page, re.compile(r"^Major incident$"))  # the first category; arrows move through the others
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(values.category, exact=True)).to_be_checked()
    settle(page)
    type_into(page, LABELS["site"], values.site)
    type_into(page, LABELS["service"], values.service)
    type_into(page, LABELS["risk_description"], values.risk_description)
    type_into(page, LABELS["patients_affected"], str(values.patients_affected))
    for label, moment in values.times.items():
        if label == "Recall starts":
            for name, number in (
                (LABELS["doctors_on_duty"], values.doctors_on_duty),
                (LABELS["minimum_safe_doctors"], values.minimum_safe_doctors),
                (LABELS["doctors_requested"], values.doctors_requested),
            ):
                type_into(page, name, str(number))
            tab_to(page, "Grades")
            for grade in values.grades:
                page.keyboard.type(grade)
                page.keyboard.press("Enter")
            page.keyboard.press("Escape")
        type_into(page, f"day, {label}", moment.strftime("%d%m%Y%H%M"))
    for mitigation, note in ((CONSULTANTS, values.consultants_note), (ELECTIVES, values.electives_note)):
        tab_to(page, f"{mitigation} (the BMA expects this)")
        page.keyboard.press("Space")
        type_into(page, f"{mitigation}: what was done and the result", note)
    tab_to(page, "Submit request")
    page.keyboard.press("Enter")

    done = page.get_by_text(re.compile(r"Request \d+ submitted"))
    expect(done).to_be_visible()
    settle(page)
