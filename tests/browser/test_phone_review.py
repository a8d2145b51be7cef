"""A reviewer on call with a phone (390x844) and triage at a desk (1280x800), in real Chromium (issue 19).

Each journey asserts the layout facts: the decision button within a screen and a half on a phone (every
tier and the BMA), the outcome inside the viewport after recording, cards with no sideways scrolling, time
left and decision-needed-by on screen at a desk. It prints, and never asserts, what the journey cost: clicks,
typed fields and screens scrolled (scrolling the page to what is acted on, as Playwright does). The figures
go to test-artifacts/journeys.md, and the phone review's picture to test-artifacts/screenshots/; with
DEROG_REFRESH_DOCS=1 they refresh docs/journeys.md's table (each journey's row) and docs/images/ instead, so a
test run never changes the repository unless asked to.
"""

from __future__ import annotations

import os
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from core.enums import Tier
from core.models import StrikePeriod, Trust
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, write_session
from ops import builders
from ops.seed import make_form
from tests.browser.conftest import ARTIFACTS, ROOT, AppServer, People
from tests.browser.setup_db import ACCOUNTS, TRUST, seeded_team
from tests.browser.steps import settle, sign_in
from tests.browser.test_accessibility import check, wait_for_page

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
WALL = {"width": 1920, "height": 1080}
REFRESH_DOCS = os.environ.get("DEROG_REFRESH_DOCS") == "1"
JOURNEYS = ROOT / "docs" / "journeys.md" if REFRESH_DOCS else ARTIFACTS / "journeys.md"
PHONE_SHOT = (ROOT / "docs" / "images" if REFRESH_DOCS else ARTIFACTS / "screenshots") / "phone-review.png"
# Whatever scrolls (Streamlit scrolls its main block, not the window), how far down it is.
SCROLL_TOP = """() => [document.scrollingElement, ...document.querySelectorAll(
    "[data-testid='stMain'], [data-testid='stAppViewContainer']")].reduce((sum, e) => sum + (e ? e.scrollTop : 0), 0)"""
SCROLL_WIDTH = "() => document.documentElement.scrollWidth <= window.innerWidth"
LONG_RISK = (
    "Only one registrar for 40 patients in majors overnight; sepsis reviews and head-injury CT decisions will "
    "wait for hours, and the two trainees on the rota are both on the picket line from 07:00. " * 3
)
REVIEWERS = ("clinical_director", "trust_md", "regional_md", "national_mdt")
DECISION = {
    "clinical_director": "Escalate to the Trust medical director",
    "trust_md": "Escalate to the Regional medical director",
    "regional_md": "Escalate to the National MDT",
    "national_mdt": "Escalate to the BMA",
}
REASONS = "Your rationale (required, shown to everyone who can see this request)"


@dataclass
class Journey:
    """One person's task, counted as they do it: every click, every field typed, every screen scrolled."""

    page: Page
    name: str
    screen: dict[str, int]
    clicks: int = 0
    typed: int = 0
    scrolled: float = 0.0  # in screens of this viewport's height

    def reach(self, target: Locator) -> None:
        before = self.page.evaluate(SCROLL_TOP)
        target.scroll_into_view_if_needed()
        self.scrolled += abs(self.page.evaluate(SCROLL_TOP) - before) / self.screen["height"]

    def click(self, target: Locator) -> None:
        self.reach(target)
        target.click()
        self.clicks += 1
        settle(self.page)

    def tap(self, target: Locator) -> None:
        """A real click at the middle of `target` (wherever on a row a person clicks, the row's link takes it)."""
        self.reach(target)
        box = target.bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        self.clicks += 1
        settle(self.page)

    def type(self, target: Locator, text: str) -> None:
        self.reach(target)
        target.fill(text)
        self.typed += 1

    def row(self) -> str:
        size = f"{self.screen['width']}x{self.screen['height']}"
        return f"| {self.name} | {size} | {self.clicks} | {self.typed} | {self.scrolled:.1f} |"


def write_rows(rows: dict[tuple[str, str], str]) -> None:
    """Refresh the journeys table: this run's rows replace the same journeys', others are kept."""
    JOURNEYS.parent.mkdir(parents=True, exist_ok=True)
    text = JOURNEYS.read_text() if JOURNEYS.exists() else ""
    kept = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[2].isdigit():
            kept[(cells[0], cells[1])] = line
    kept |= rows
    head, _, _ = text.partition("| Journey |")
    table = ["| Journey | Screen | Clicks | Fields typed | Screens scrolled |", "|---|---|--:|--:|--:|"]
    JOURNEYS.write_text(head + "\n".join(table + [kept[key] for key in sorted(kept)]) + "\n")


@pytest.fixture(scope="module")
def journal() -> Iterator[dict[tuple[str, str], str]]:
    rows: dict[tuple[str, str], str] = {}
    yield rows
    if rows:
        write_rows(rows)


def record(journal: dict[tuple[str, str], str], journey: Journey) -> None:
    print(journey.row())
    journal[(journey.name, f"{journey.screen['width']}x{journey.screen['height']}")] = journey.row()


@pytest.fixture
def filed(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """filed(tier): a request of the test trust with a long risk, waiting at `tier` (filed and escalated
    through the real workflow on the app's database); filed(None, question=True): one returned with a question."""
    monkeypatch.setenv("DATABASE_URL", app_server.database_url)
    rng = random.Random(19)

    def file(tier: Tier | None, *, question: bool = False) -> int:
        team = seeded_team()
        with write_session() as session:
            trust = session.get(Trust, TRUST)
            now = utcnow()
            period = session.exec(
                select(StrikePeriod).where(StrikePeriod.starts_at <= now, StrikePeriod.ends_at > now)
            ).one()
        form = make_form(rng, trust, now, period)
        form.risk_description = LONG_RISK
        return builders.request_in_state(team, "more_info" if question else tier.value, form).id

    yield file
    dispose_engines()


def open_link(people: People, server: AppServer, who: str, path: str, screen: dict[str, int]) -> Page:
    """A person opens a link (as from an e-mail) on a device of this size and signs in."""
    context = people.browser.new_context(viewport=screen, locale="en-GB")
    page = people.pages[f"{who}-{screen['width']}"] = context.new_page()
    return sign_in(page, server.url, ACCOUNTS[who], path)


def bottom_in_screens(target: Locator, screen: dict[str, int]) -> float:
    """Where the bottom of `target` is, counted in screens from the top of the page (scrolled to the top)."""
    box = target.bounding_box()
    assert box is not None
    return (box["y"] + box["height"]) / screen["height"]


def assert_in_view(page: Page, target: Locator, screen: dict[str, int]) -> None:
    """Wholly on the screen. The app scrolls it there after its run, so wait for that: on a loaded machine a
    late rerun can move the page first (a full run saw the outcome 180 px above the top, for a moment)."""
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport(ratio=1)
    assert page.viewport_size == {"width": screen["width"], "height": screen["height"]}


def decide_first_screen(page: Page, button: Locator, screen: dict[str, int], who: str) -> None:
    """The decision within a screen and a half of the top on a phone (printed at a desk)."""
    expect(button).to_be_visible()
    settle(page)
    where = bottom_in_screens(button, screen)
    print(f"{who} at {screen['width']}: decision button ends {where:.2f} screens down")
    if screen is PHONE:
        assert where <= 1.5, f"{who}: the decision button ends {where:.2f} screens down"


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["phone", "desk"])
@pytest.mark.parametrize("who", REVIEWERS)
def test_a_reviewer_decides_from_the_email_link(who, screen, people, app_server, filed, journal) -> None:
    request_id = filed(Tier(who))
    page = open_link(people, app_server, who, f"request?id={request_id}", screen)
    button = page.get_by_role("button", name="Record my decision")
    decide_first_screen(page, button, screen, who)
    if who == "clinical_director" and screen is PHONE:
        shoot_phone_review(page)
    journey = Journey(page, f"{ACCOUNTS[who].role.label}: decide from the e-mail link", screen)
    journey.click(page.get_by_text(DECISION[who], exact=True))
    journey.type(page.get_by_label(REASONS, exact=True), "Mitigations exhausted; risk confirmed by phone.")
    journey.click(button)
    done = page.get_by_text(f"Request {request_id}: escalated. The people who act next have been told.")
    assert_in_view(page, done, screen)
    following = page.get_by_role("link", name=re.compile("Open the next request waiting at your tier"))
    nothing = page.get_by_text("Nothing else is waiting at your tier.")
    expect(following.or_(nothing)).to_be_visible()
    assert page.evaluate(SCROLL_WIDTH)
    record(journal, journey)


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["phone", "desk"])
def test_the_bma_approves_from_the_email_link_and_sees_the_reference(screen, people, app_server, filed, journal):
    request_id = filed(Tier.BMA)
    page = open_link(people, app_server, "bma", f"request?id={request_id}", screen)
    button = page.get_by_role("button", name="Record the BMA's decision")
    decide_first_screen(page, button, screen, "bma")
    journey = Journey(page, "BMA: approve as asked from the e-mail link", screen)
    journey.click(page.get_by_text("Approve (you can approve less than was asked)", exact=True))
    journey.type(page.get_by_label("Your rationale (required)", exact=True), "Risk evidenced; approved as asked.")
    journey.click(button)
    done = page.get_by_text(re.compile(rf"Request {request_id} approved\. Confirmation reference [A-Z2-9]{{4}}-"))
    assert_in_view(page, done, screen)
    assert page.evaluate(SCROLL_WIDTH)
    record(journal, journey)


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["phone", "desk"])
def test_the_queue_is_cards_on_a_phone_and_a_table_at_a_desk_and_a_row_opens_in_one_click(
    screen, people, app_server, filed, journal
) -> None:
    first = filed(Tier.REGIONAL_MD)
    page = open_link(people, app_server, "regional_md", "queue", screen)
    table = page.locator("table.requests")
    expect(table).to_be_visible()
    settle(page)
    assert page.evaluate(SCROLL_WIDTH), "the queue scrolls sideways"
    for column in ("Time left", "Decision needed by"):
        cell = table.locator(f"td[data-label='{column}']").first
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= screen["width"], (column, box)
        if screen is DESK:
            expect(table.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    row = table.locator("tbody tr").filter(has=page.locator(f"a[href='request?id={first}']"))
    journey = Journey(page, "Regional medical director: open a request from the queue", screen)
    journey.tap(row.locator("td[data-label='Service']"))  # anywhere on the row, not only its number
    expect(page.get_by_role("heading", name=f"Request {first}", exact=True)).to_be_visible()
    record(journal, journey)


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["phone", "desk"])
def test_the_requester_answers_the_question_at_the_top_of_the_request(screen, people, app_server, filed, journal):
    request_id = filed(None, question=True)
    page = open_link(people, app_server, "requester", "", screen)  # lands on My trust's requests
    expect(
        page.get_by_text(re.compile(f"A reviewer is waiting for your answer on request .*{request_id}"))
    ).to_be_visible()
    notice = page.get_by_role("link", name=f"Answer the question on request {request_id}")
    journey = Journey(page, "Requester: answer a reviewer's question", screen)
    journey.click(notice)
    answer = page.get_by_label("Your answer (required, shown to the reviewers)", exact=True)
    expect(answer).to_be_visible()
    settle(page)
    send = page.get_by_role("button", name="Send answer")
    where = bottom_in_screens(send, screen)
    print(f"requester at {screen['width']}: 'Send answer' ends {where:.2f} screens down")
    assert where <= 1.5
    journey.type(answer, "Dr Ahmed and Dr Lowe were asked at 14:00; both are covering nights already.")
    journey.click(send)
    assert_in_view(page, page.get_by_text(f"Answer sent: request {request_id} has gone back"), screen)
    record(journal, journey)


def shoot_phone_review(page: Page) -> None:
    """The first screen and a half of a review on a phone (docs/images/phone-review.png, in the README)."""
    PHONE_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": PHONE["width"], "height": int(PHONE["height"] * 1.5)})
    settle(page)
    page.screenshot(path=str(PHONE_SHOT))
    page.set_viewport_size(PHONE)
    settle(page)


@pytest.mark.parametrize("screen", [PHONE, DESK, WALL], ids=["390", "1280", "1920"])
def test_the_changed_pages_pass_axe_at_every_width(screen, people, app_server, filed) -> None:
    ours: list[str] = []
    to_decide, to_answer = filed(Tier.CLINICAL_DIRECTOR), filed(None, question=True)
    pages = {  # person -> (path, the heading that shows it has loaded), the first opened as a link
        "clinical_director": [(f"request?id={to_decide}", f"Request {to_decide}"),
                              ("queue", "Review queue: Clinical director")],
        "regional_md": [("requests-list", "Requests list")],
        "requester": [(f"request?id={to_answer}", f"Request {to_answer}"), ("my-requests", "My trust's requests")],
    }  # fmt: skip
    for who, visits in pages.items():
        page = open_link(people, app_server, who, visits[0][0], screen)
        for index, (path, heading) in enumerate(visits):
            if index:
                page.goto(f"{app_server.url}/{path}")
            wait_for_page(page, heading)
            ours += check(page, who, f"{path} at {screen['width']}")
    assert not ours, "Accessibility violations in our own markup:\n" + "\n".join(ours)


def test_journeys_table_keeps_other_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refreshing one journey's row keeps the rows of journeys not run this time, and the prose above."""
    target = tmp_path / "journeys.md"
    monkeypatch.setattr(sys.modules[__name__], "JOURNEYS", target)
    target.write_text("# Journeys\n\nProse.\n\n| Journey | Screen | Clicks | Fields typed | Screens scrolled |\n"
                      "|---|---|--:|--:|--:|\n| A | 390x844 | 3 | 1 | 0.5 |\n")  # fmt: skip
    write_rows({("B", "1280x800"): "| B | 1280x800 | 2 | 1 | 0.0 |"})
    text = target.read_text()
    assert text.startswith("# Journeys\n\nProse.\n\n") and "| A | 390x844 | 3 | 1 | 0.5 |" in text
    assert "| B | 1280x800 | 2 | 1 | 0.0 |" in text
