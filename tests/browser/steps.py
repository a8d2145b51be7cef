"""What people do in the browser, as small steps the journeys share (by labels, as a person reads them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from playwright.sync_api import Locator, Page, expect

from core.platform.clock import LONDON
from core.request.form import LABELS
from tests.browser.setup_db import PASSWORD, Account

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current run (callers then wait for the text they expect)."""
    page.locator(IDLE).wait_for()


def sign_in(page: Page, base_url: str, account: Account, path: str = "") -> Page:
    """Open the app (optionally a deep link) and sign in as a person would, by the field labels."""
    page.goto(f"{base_url}/{path.lstrip('/')}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    page.get_by_label("E-mail address", exact=True).fill(account.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {account.full_name}")).to_be_visible()
    settle(page)
    return page


def open_options(page: Page, label: str, option: str) -> Locator:
    """Open a multiselect's list by clicking its field, as a person does, until `option` shows in it.

    Under load a click can land while a late run redraws the field, and the list does not open (seen once in
    a full run beside two busy processes: the option never showed in 15 s). A person clicks again: so does this."""
    field, wanted = page.get_by_label(label, exact=True), page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        settle(page)
        field.click()
        try:
            expect(wanted).to_be_visible(timeout=5_000)
            return wanted
        except AssertionError:
            page.keyboard.press("Escape")
    expect(wanted).to_be_visible()
    return wanted


def quarter_hour(moment: datetime) -> datetime:
    """London wall-clock time rounded up to the next quarter hour (the form's time step)."""
    local = moment.astimezone(LONDON).replace(second=0, microsecond=0, tzinfo=None)
    return local + timedelta(minutes=(15 - local.minute % 15) % 15)


@dataclass
class RequestValues:
    """What the requester types, by the form's field names (core.models.RequestFields, whose labels the page
    shows and these steps find the fields by). Times are London wall-clock, inside the strike period."""

    site: str = "Manchester Royal Infirmary"
    service: str = "Emergency department"
    ward: str = "Majors"
    category: str = "Urgent and emergency care"
    risk_description: str = "Only one registrar for 40 patients overnight; sepsis reviews will wait for hours."
    patients_affected: int = 40
    doctors_on_duty: int = 1
    minimum_safe_doctors: int = 4
    doctors_requested: int = 3
    grades: list[str] = field(default_factory=lambda: ["FY2", "ST3+"])
    consultants_note: str = "All eight consultants asked; two are covering nights."
    electives_note: str = "All elective lists cancelled for the strike days."
    start: datetime = field(default_factory=lambda: quarter_hour(datetime.now(LONDON)))

    @property
    def times(self) -> dict[str, datetime]:
        return {
            LABELS["risk_from"]: self.start + timedelta(hours=1),
            LABELS["decision_needed_by"]: self.start + timedelta(hours=3),
            LABELS["window_start"]: self.start + timedelta(hours=4),
            LABELS["window_end"]: self.start + timedelta(hours=16),
        }


# The fields fill_request types into, in the form's order.
TYPED = ("site", "service", "ward", "risk_description", "patients_affected", "doctors_on_duty",
         "minimum_safe_doctors", "doctors_requested")  # fmt: skip
CONSULTANTS = "Consultants and SAS doctors asked to cover"
ELECTIVES = "Elective and non-urgent work stood down"


def choose(page: Page, option: str) -> None:
    """Pick a radio option or tick a checkbox by clicking its words, as a person does."""
    page.get_by_text(option, exact=True).click()
    expect(page.get_by_label(option, exact=True)).to_be_checked()
    settle(page)


def type_datetime(page: Page, label: str, moment: datetime) -> None:
    """A date-time field is five segments (day, month, year, hour, minute); typing fills them in turn."""
    page.get_by_role("spinbutton", name=f"day, {label}").click()
    page.keyboard.type(moment.strftime("%d%m%Y%H%M"))


def fill_request(page: Page, values: RequestValues) -> None:
    """Fill the whole form on the 'File a request' page with the mouse and keyboard."""
    choose(page, values.category)
    for name in TYPED:
        page.get_by_label(LABELS[name], exact=True).fill(str(getattr(values, name)))
    for label, moment in values.times.items():
        type_datetime(page, label, moment)
    for grade in values.grades:
        open_options(page, LABELS["grades_requested"], grade).click()
    page.keyboard.press("Escape")
    choose(page, f"{CONSULTANTS} (the BMA expects this)")
    page.get_by_label(f"{CONSULTANTS}: what was done and the result", exact=True).fill(values.consultants_note)
    choose(page, f"{ELECTIVES} (the BMA expects this)")
    page.get_by_label(f"{ELECTIVES}: what was done and the result", exact=True).fill(values.electives_note)
    settle(page)


def submit_request(page: Page) -> int:
    """Press 'Submit request'; returns the new request's number from the confirmation."""
    page.get_by_role("button", name="Submit request").click()
    done = page.get_by_text(re.compile(r"Request \d+ submitted"))
    expect(done).to_be_visible()
    settle(page)
    return int(re.search(r"Request (\d+) submitted", done.inner_text()).group(1))


def review(page: Page, request_id: int, decision: str, rationale: str) -> None:
    """A reviewer below the BMA records a decision on the open request."""
    choose(page, decision)
    page.get_by_label("Your rationale (required, shown to everyone who can see this request)", exact=True).fill(
        rationale
    )
    page.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_text(f"Request {request_id}: escalated")).to_be_visible()
    settle(page)


def main_text(page: Page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def metric(page: Page, label: str):  # noqa: ANN201 - a Playwright locator
    """The value of a headline figure (st.metric) by its label."""
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    return card.locator("[data-testid='stMetricValue']")


def approval_table(page: Page) -> dict[str, list[str]]:
    """The BMA's decision as the trust sees it: row label -> [approved, asked for]."""
    table = page.get_by_role("table", name="What the BMA approved, beside what was asked for")
    expect(table).to_be_visible()
    rows = {}
    for row in table.locator("tbody tr").all():
        cells = [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        rows[cells[0]] = cells[1:]
    return rows
