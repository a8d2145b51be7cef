"""Forms the GOV.UK way, in a real browser at a phone's and a desk's width: after a refused submit the error
summary is in view and focused, its links move to their fields, an empty form saves nothing; Administration
stays on the tab it saved; the bypass box after a BMA decline; the phone menu's label; no misleading
"Press Enter to apply"; axe-core on each of these states at 390, 1280 and 1920 px."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from core import workflow
from core.enums import Role, Tier
from core.models import DerogationRequest, User
from core.platform.clock import utcnow
from core.platform.db import read_session
from ops import builders
from tests.browser.conftest import SCREENSHOTS
from tests.browser.setup_db import ACCOUNTS, TRUST, seeded_team
from tests.browser.steps import open_options, settle, sign_in
from tests.browser.test_accessibility import check

pytestmark = pytest.mark.browser
PHONE, DESK, WALL = (390, 844), (1280, 800), (1920, 1080)
SUMMARY = "#derog-error-summary"
FOLDER = SCREENSHOTS / "forms"


def at_width(browser, app_server, who: str, size: tuple[int, int], path: str) -> Page:  # noqa: ANN001
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-GB")
    return sign_in(context.new_page(), app_server.url, ACCOUNTS[who], path)


def shot(page: Page, name: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(FOLDER / f"{name}.png"))


def requests_filed() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(DerogationRequest)).one()


@pytest.fixture
def app_database(app_server, monkeypatch) -> Iterator[None]:  # noqa: ANN001
    """This process's core functions read and write the app server's database (to set a scene, to count)."""
    monkeypatch.setenv("DATABASE_URL", app_server.database_url)
    yield


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    return box is not None and 0 <= box["y"] < viewport["height"] and box["x"] >= 0


@pytest.mark.parametrize("size", [PHONE, DESK], ids=["390", "1280"])
def test_an_empty_submit_saves_nothing_and_the_summary_is_in_view_focused_and_links_to_fields(
    browser, app_server, app_database, size
) -> None:
    page = at_width(browser, app_server, "requester", size, "file")
    expect(page.get_by_role("heading", name="File a request")).to_be_visible()
    before = requests_filed()
    page.get_by_role("button", name="Submit request").click()  # scrolls down to it first, as a person does
    expect(page.locator(SUMMARY)).to_be_visible()
    settle(page)
    expect(page.locator(SUMMARY)).to_be_focused()
    assert in_view(page, SUMMARY), page.locator(SUMMARY).bounding_box()
    expect(page.locator(SUMMARY).get_by_role("heading", name="There is a problem")).to_be_visible()
    assert requests_filed() == before  # no blank draft
    shot(page, f"empty-submit-{size[0]}")
    assert not check(page, "requester", f"File a request, empty submit {size[0]}")

    # A form with a few answers: saved as a draft, the summary lists what is missing in the form's order.
    page.get_by_label("Hospital site", exact=True).fill("Manchester Royal Infirmary")
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_text("The request was not submitted. Your draft is saved")).to_be_visible()
    settle(page)
    expect(page.locator(SUMMARY)).to_be_focused()
    assert in_view(page, SUMMARY)
    assert requests_filed() == before + 1
    links = page.locator(SUMMARY).get_by_role("link")
    texts = links.all_inner_texts()
    assert texts[0].startswith("Category of care:") and texts[1].startswith("Service or specialty:"), texts
    link = page.locator(SUMMARY).get_by_role("link", name="Recall ends: Enter when the recall should end.")
    link.click()
    expect(page.get_by_role("spinbutton", name="day, Recall ends")).to_be_focused()
    assert in_view(page, ".st-key-rf_window_end")
    page.locator(SUMMARY).scroll_into_view_if_needed()
    page.locator(SUMMARY).get_by_role("link", name="Service or specialty: Enter the service or specialty.").click()
    expect(page.get_by_label("Service or specialty", exact=True)).to_be_focused()
    shot(page, f"summary-link-{size[0]}")
    # Ticking a box afterwards does not pull the person back to the summary.
    page.get_by_text("Some non-urgent work is still running", exact=True).click()
    settle(page)
    expect(page.locator(SUMMARY)).not_to_be_focused()
    page.context.close()


def test_the_summary_passes_axe_on_a_wall_sized_screen(browser, app_server) -> None:
    page = at_width(browser, app_server, "requester", WALL, "file")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(SUMMARY)).to_be_focused()
    settle(page)
    assert not check(page, "requester", "File a request, empty save 1920")
    page.context.close()


def test_no_enter_hint_where_enter_does_nothing(browser, app_server) -> None:
    page = at_width(browser, app_server, "requester", DESK, "file")
    hints = page.get_by_text("Press Enter to apply", exact=True)  # drawn by Streamlit under the field typed in
    for field, typed in (("Hospital site", "M"), ("How many patients are affected", "4")):
        page.get_by_label(field, exact=True).click()
        page.keyboard.type(typed)  # typed, not yet applied: where Streamlit shows its hint
        expect(hints.first).to_be_attached()
        for index in range(hints.count()):
            expect(hints.nth(index)).to_be_hidden()
        if field == "Hospital site":
            expect(page.get_by_text("1/200", exact=True)).to_be_visible()  # the character counter stays
    page.context.close()


def test_administration_stays_on_the_tab_it_saved(browser, app_server) -> None:
    page = at_width(browser, app_server, "admin", DESK, "administration")
    page.get_by_role("tab", name="Strike periods").click()
    settle(page)
    for field in ("day, Starts (UK time)", "day, Ends (UK time)"):
        expect(page.get_by_role("spinbutton", name=field)).to_have_text("dd")  # empty, not 'now'
    page.get_by_role("tab", name="Response targets").click()
    settle(page)
    page.get_by_label("BMA: minutes", exact=True).fill("255")
    page.get_by_role("button", name="Save targets").click()
    expect(page.get_by_text("Response targets saved:")).to_be_visible()
    settle(page)
    expect(page.get_by_role("tab", name="Response targets")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("BMA 4h 15m")).to_be_visible()
    shot(page, "admin-targets-saved-1280")
    page.get_by_label("BMA: minutes", exact=True).fill("240")  # as it was, for the other tests on this server
    page.get_by_role("button", name="Save targets").click()
    expect(page.get_by_text("BMA 4h 00m.")).to_be_visible()
    page.context.close()


@pytest.fixture
def declined_bypass(app_database) -> int:  # noqa: ARG001
    """A mass-casualty request recalled under the bypass, then declined by the BMA (set through core)."""
    team = seeded_team()
    request = builders.file(team[Role.REQUESTER], builders.request_form(TRUST, mass_casualty=True))
    request = builders.record_bypass(
        team[Role.REQUESTER],
        request,
        recalled_at=utcnow() - timedelta(minutes=15),
        doctors=2,
        grades=["ST3+"],
        declared_by="Police",
        note="",
    )
    request = builders.escalate_to(team, request, Tier.BMA)
    return builders.decline(team[Role.BMA], request, rationale="Other cover was available.", reasons=["other"]).id


@pytest.mark.parametrize("size", [PHONE, DESK, WALL], ids=["390", "1280", "1920"])
def test_after_a_bma_decline_the_bypass_box_says_the_recall_is_not_approved(
    browser, app_server, declined_bypass, size
) -> None:
    page = at_width(browser, app_server, "requester", size, f"request?id={declined_bypass}")
    expect(page.get_by_text("The recall is not approved.")).to_be_visible()
    expect(page.get_by_text("The trust must stand the recalled doctors down now")).to_be_visible()
    expect(page.get_by_text("the BMA's decision is still needed")).to_have_count(0)
    settle(page)
    page.get_by_text("The recall is not approved.").scroll_into_view_if_needed()
    shot(page, f"bypass-declined-{size[0]}")
    assert not check(page, "requester", f"Bypass box after a decline {size[0]}")
    page.context.close()


@pytest.fixture
def reviewable_bypass(declined_bypass) -> int:  # noqa: ANN001
    """The declined bypass above, its doctors stood down: waiting for the national MDT's review."""
    with read_session() as session:
        request = session.get(DerogationRequest, declined_bypass)
        requester = session.exec(select(User).where(User.email == ACCOUNTS["requester"].email)).one()
    workflow.stand_down(requester, request.id, request.version, utcnow(), "Both sent home at once.")
    return request.id


@pytest.mark.parametrize("size", [PHONE, DESK, WALL], ids=["390", "1280", "1920"])
def test_the_bypass_review_offers_no_select_all_and_passes_axe(browser, app_server, reviewable_bypass, size) -> None:
    page = at_width(browser, app_server, "national_mdt", size, f"request?id={reviewable_bypass}")
    expect(page.get_by_role("heading", name="Review this failsafe bypass")).to_be_visible()
    settle(page)
    findings = page.get_by_label("Findings (choose one or more)", exact=True)
    findings.scroll_into_view_if_needed()
    findings.click()
    expect(page.get_by_role("option", name="No externally declared event", exact=True)).to_be_visible()
    expect(page.get_by_role("option", name="Select all")).to_have_count(0)
    page.keyboard.press("Escape")
    settle(page)
    shot(page, f"bypass-review-{size[0]}")
    assert not check(page, "national_mdt", f"Bypass review {size[0]}")
    page.context.close()


def test_the_phone_menu_has_a_visible_label_and_the_same_name(browser, app_server) -> None:
    page = at_width(browser, app_server, "requester", PHONE, "")
    menu = page.get_by_role("button", name="Menu", exact=True)
    expect(menu).to_be_visible()
    assert "Menu" in menu.evaluate("e => getComputedStyle(e, '::after').content")
    menu.click()
    expect(page.get_by_role("link", name="File a request")).to_be_visible()
    shot(page, "menu-open-390")
    assert not check(page, "requester", "Phone menu open 390")
    page.context.close()


def test_no_select_all_among_the_grades(browser, app_server) -> None:
    page = at_width(browser, app_server, "requester", DESK, "file")
    open_options(page, "Grades", "FY2")
    expect(page.get_by_role("option", name="Select all")).to_have_count(0)
    page.context.close()
