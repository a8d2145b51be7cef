"""The cover register in a real browser: a register imported from a CSV file, a request filed from it (the
staffing filled in, the gap shown), and a reviewer seeing asked for / registered minimum / on duty now. The
Cover register page passes axe at a phone's, a laptop's and a wall screen's width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.request.form import LABELS
from tests.browser.conftest import SCREENSHOTS, SCROLL_HEIGHT
from tests.browser.steps import RequestValues, fill_request, main_text, metric, settle, submit_request
from tests.browser.test_accessibility import run_axe, wait_for_page

pytestmark = pytest.mark.browser
REGISTER = (
    b"Service,Grade,Shift,Minimum doctors,Expected from staff not striking,Agreed with,Agreed on\r\n"
    b'Emergency department,ST3+,24h,3,1,"Dr A Patel, local BMA representative",30/11/2026\r\n'
    b'Emergency department,FY2,24h,2,1,"Dr A Patel, local BMA representative",30/11/2026\r\n'
    b"Acute medicine,CT/ST1-2,night,2,2,Dr A Patel (BMA),30/11/2026\r\n"
)
SIZES = ((390, 844), (1280, 800), (1920, 1080))
FOLDER = SCREENSHOTS / "cover_register"
# Streamlit's file uploader draws its drop zone as <section role="presentation" aria-label=...>: axe's
# best-practice rule (not a WCAG A or AA one) asks that a presentational element carry no ARIA label. The
# app cannot change that markup; the label itself is ours and right.
UPLOADER = ("presentation-role-conflict", 'data-testid="stFileUploaderDropzone"')


def violations(page: Page, where: str) -> list[str]:
    """Every axe violation on the page, but the file uploader's drop zone (UPLOADER), one line each."""
    return [
        f"{where}: {violation['id']} [{violation['impact']}] {node['target']} {node['html']}"
        for violation in run_axe(page)
        for node in violation["nodes"]
        if (violation["id"], UPLOADER[1] in node["html"]) != (UPLOADER[0], True)
    ]


def import_register(page: Page) -> None:
    """The trust's requester uploads the spreadsheet and replaces the register with it."""
    page.get_by_role("link", name="Cover register", exact=True).first.click()
    wait_for_page(page, "Cover register")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "register.csv", "mimeType": "text/csv", "buffer": REGISTER}]
    )
    expect(page.get_by_text("register.csv")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Import and replace the register").click()
    expect(page.get_by_text("Register imported: 3 lines.")).to_be_visible()
    settle(page)


def pick(page: Page, label: str, option: str | re.Pattern[str] | None = None) -> None:
    """Open a select box and choose an option (the first without `option`). A rerun that lands just after
    the click closes the list again, so the box is opened again until the list shows (at most three times)."""
    choice = (
        page.get_by_role("option", name=option, exact=isinstance(option, str))
        if option
        else page.get_by_role("option").first
    )
    for _attempt in range(3):
        settle(page)
        page.get_by_label(label, exact=True).click()
        try:
            choice.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            continue
    choice.click()
    settle(page)


def test_a_register_imported_fills_in_a_request_and_the_reviewer_sees_the_gap(open_as) -> None:
    requester = open_as("requester")
    import_register(requester)
    expect(requester.get_by_role("table", name="Emergency department")).to_contain_text("24 hoursST3+312")
    expect(requester.get_by_text("Agreed with Dr A Patel, local BMA representative on 30 Nov 2026.")).to_be_visible()

    requester.get_by_role("link", name="File a request", exact=True).first.click()
    wait_for_page(requester, "File a request")
    pick(requester, "Start from your trust's cover register (optional)", "Emergency department · 24 hours")
    expect(requester.get_by_text("the gap: 3 doctors")).to_be_visible()
    expect(requester.get_by_label(LABELS["service"], exact=True)).to_have_value("Emergency department")
    expect(requester.get_by_label(LABELS["minimum_safe_doctors"], exact=True)).to_have_value("5")
    expect(requester.get_by_label(LABELS["doctors_on_duty"], exact=True)).to_have_value("2")
    expect(requester.get_by_label(LABELS["doctors_requested"], exact=True)).to_have_value("3")
    grades = requester.get_by_label(LABELS["grades_requested"], exact=True)
    expect(grades).to_have_value("")  # a multiselect's typing box; the chosen grades are shown beside it
    chosen = requester.locator("[data-testid='stMultiSelectTagsContainer']").filter(has=grades)
    expect(chosen).to_contain_text("FY2")
    expect(chosen).to_contain_text("ST3+")
    # The rest of the form as a person fills it in (the staffing typed again as prefilled, the grades kept).
    fill_request(requester, RequestValues(doctors_on_duty=2, minimum_safe_doctors=5, doctors_requested=3, grades=[]))
    request_id = submit_request(requester)

    reviewer = open_as("clinical_director", f"request?id={request_id}")
    expect(reviewer.get_by_role("heading", name="Your decision")).to_be_visible()
    expect(metric(reviewer, "Asked for")).to_have_text("3")
    expect(metric(reviewer, "Registered minimum")).to_have_text("5")
    expect(metric(reviewer, "On duty now")).to_have_text("2")
    assert "Agreed with Dr A Patel, local BMA representative on 30 Nov 2026." in main_text(reviewer)
    boxes = [metric(reviewer, name).bounding_box() for name in ("Asked for", "Registered minimum", "On duty now")]
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"]  # side by side


@pytest.mark.parametrize("who", ["requester", "regional_md"])
def test_the_cover_register_page_passes_axe_at_every_width(who: str, open_as) -> None:
    page = open_as(who)
    if who == "requester":
        import_register(page)
    else:
        # The register this view reads, made here: on another worker (its own server) the requester's case of
        # this test, which imports it too, may not have run first (seen in a full run).
        import_register(open_as("requester"))
        page.get_by_role("link", name="Cover register", exact=True).first.click()
        wait_for_page(page, "Cover register")
        pick(page, "Trust", re.compile(r"\(3 lines\)$"))
        expect(page.locator("table.facts").first).to_be_visible()
        settle(page)
    FOLDER.mkdir(parents=True, exist_ok=True)
    ours = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        ours += violations(page, f"{who} at {width}x{height}")
        # Streamlit scrolls inside its main block: grow the window to the page's height for the picture.
        page.set_viewport_size({"width": width, "height": max(height, min(page.evaluate(SCROLL_HEIGHT), 6000))})
        page.screenshot(path=str(FOLDER / f"{who}-{width}.png"))
    assert not ours, "Accessibility violations in our own markup:\n" + "\n".join(ours)
