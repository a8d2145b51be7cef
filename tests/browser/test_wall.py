"""The national ops room's wall screen in real Chromium: a display session started by the national MDT
with the code the wall shows; the wall on one 1920x1080 screen with no menu or buttons, updating by
itself; listed and ended on the Wall displays page; refused everywhere else; axe-core clean.

A server of its own: the requests this test files must not change what other browser tests count."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from core import workflow
from core.models import StrikePeriod, User
from core.platform.db import get_engine, read_session
from tests.browser.conftest import AppServer, People, start_server, stop_server
from tests.browser.setup_db import ACCOUNTS
from tests.browser.steps import settle
from tests.browser.test_accessibility import check
from tests.conftest import valid_form

pytestmark = pytest.mark.browser
WIDTHS = {390: 844, 1280: 800, 1920: 1080}
LIVE = "Needs action now"
# Where everything drawn in the page's main block ends, and how far the document scrolls.
LAYOUT = """() => ({
    scroll: document.scrollingElement.scrollHeight,
    inner: innerHeight,
    lowest: Math.max(...[...document.querySelectorAll('[data-testid=stMainBlockContainer] *')]
        .filter(e => e.getClientRects().length).map(e => e.getBoundingClientRect().bottom)),
})"""
# Anything a person could click or type into, that is on the screen (Streamlit's "Skip to main content"
# link shows only to a keyboard's focus, and there is nothing to skip to but the wall).
CONTROLS = (
    "button, a[href]:not([data-testid=stSkipToContent]), input, select, textarea, [role=button], [role=link], "
    "[data-testid=stNavigation]"
)


@pytest.fixture(scope="module")
def wall_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    server = start_server(tmp_path_factory.mktemp("wall"), "in-progress")
    yield server
    stop_server(server)


def open_screen(people: People, server: AppServer, key: str, width: int = 1920) -> Page:
    """The wall's own browser (no one signed in) opened on /wall: it shows its code."""
    context = people.browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, locale="en-GB")
    page = people.pages[key] = context.new_page()
    page.goto(f"{server.url}/wall")
    expect(page.locator(".wall-code")).to_be_visible()
    settle(page)
    return page


def code_on(screen: Page) -> str:
    return screen.locator(".wall-code").inner_text()


def start_display(people: People, server: AppServer, code: str, scope: str | None = None) -> Page:
    """The national MDT types the wall's code on Wall displays (opened from the menu)."""
    national = people.pages.get("national_mdt") or people.open("national_mdt", server.url)
    national.get_by_role("link", name="Wall displays").click()
    expect(national.get_by_role("heading", name="Start a wall display")).to_be_visible()
    settle(national)
    national.get_by_label("Code shown on the wall screen").fill(code.lower().replace("-", " "))  # as typed
    if scope:
        national.get_by_label("What it shows").click()
        national.get_by_role("option", name=scope).click()
    national.get_by_role("button", name="Start the wall display").click()
    expect(national.get_by_text("The wall display has started")).to_be_visible()
    settle(national)
    return national


def live_figure(screen: Page, label: str) -> str:
    tile = screen.locator(".wall-small div, .wall-tile").filter(has=screen.locator(f"p.label:text-is('{label}')"))
    return tile.locator("p.figure").inner_text()


def file_a_request(server: AppServer) -> None:
    """The requester files a request (through the workflow, on the server's database)."""
    with read_session(get_engine(server.database_url)) as session:
        requester = session.exec(select(User).where(User.email == ACCOUNTS["requester"].email)).one()
        period = session.exec(select(StrikePeriod).order_by(StrikePeriod.starts_at.desc())).first()
    draft = workflow.save_draft(requester, valid_form(period, trust=requester.trust_code))
    workflow.submit(requester, draft.id, draft.version)


def test_the_wall_journey_code_typed_live_on_one_screen_updating_itself_listed_and_ended(
    people: People, wall_server: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = open_screen(people, wall_server, "wall")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code_on(screen))
    national = start_display(people, wall_server, code_on(screen))
    expect(screen.get_by_role("heading", name=LIVE)).to_be_visible()
    settle(screen)
    expect(screen.locator("[data-testid='stSkeleton']")).to_have_count(0)

    # One 1920x1080 screen: nothing scrolls and nothing is drawn below the fold.
    layout = screen.evaluate(LAYOUT)
    print(f"wall at 1920x1080: {layout}")
    assert layout["scroll"] <= layout["inner"] and layout["lowest"] <= 1080, layout
    # Every chart of the dashboard is on it (or a placeholder where there is nothing to draw yet).
    charts = screen.locator("[data-testid='stVegaLiteChart']").count()
    placeholders = screen.locator(".wall-empty").count()
    assert charts + placeholders == 11 and charts >= 7, (charts, placeholders)
    # No menu, header, button, link or field; nothing says it will sign out.
    visible = screen.locator(CONTROLS).filter(visible=True)
    assert visible.count() == 0, [
        visible.nth(i).evaluate("e => e.outerHTML.slice(0, 160)") for i in range(visible.count())
    ]
    assert "sign" not in screen.locator("[data-testid='stMain']").inner_text().lower()
    # The figures that need action come first (top left) and are larger than the rest.
    first = screen.locator(".wall-tile").first
    assert first.locator("p.label").inner_text() == "Mass casualty: open"
    assert first.bounding_box()["x"] < 100 and first.bounding_box()["y"] < 200
    big, small = (screen.locator(f"{kind} p.figure").first for kind in (".wall-tile", ".wall-small div"))
    assert big.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 2 * small.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )

    # It updates itself: a request filed now appears without anyone touching the wall.
    before = int(live_figure(screen, "Requests"))
    monkeypatch.setenv("DATABASE_URL", wall_server.database_url)
    file_a_request(wall_server)
    expect(screen.locator(".wall-small div").filter(has_text=re.compile(rf"^Requests\s*{before + 1}$"))).to_be_visible(
        timeout=45_000
    )

    # Listed on Wall displays, and ended there: the wall shows a new code at its next refresh.
    national.reload()
    expect(national.get_by_text(re.compile(r"Display \d+: England"))).to_be_visible()
    national.get_by_role("button", name="End this display").click()
    expect(national.get_by_text("The wall display has ended")).to_be_visible()
    expect(national.get_by_text("No wall display is up.")).to_be_visible()
    expect(screen.locator(".wall-code")).to_be_visible(timeout=30_000)


def test_a_display_session_cannot_open_a_request_a_download_or_an_action(
    people: People, wall_server: AppServer
) -> None:
    screen = open_screen(people, wall_server, "wall_refused")
    start_display(people, wall_server, code_on(screen), scope="North West")
    expect(screen.get_by_role("heading", name=LIVE)).to_be_visible()
    expect(screen.get_by_role("heading", name=re.compile("North West"))).to_be_visible()
    # A request, the list with its CSV download, a review queue with its decisions, the sign-in form:
    # each address lands on the wall, with nothing of the page asked for.
    for path, never in (
        ("/request?id=1", "Request 1"),
        ("/requests-list", "Download"),
        ("/queue", "Record my decision"),
        ("/wall-displays", "Start a wall display"),
        ("/sign-in", "E-mail address"),
    ):
        screen.goto(f"{wall_server.url}{path}")
        expect(screen.get_by_role("heading", name=LIVE)).to_be_visible()
        settle(screen)
        assert never not in screen.locator("body").inner_text(), path
        assert screen.get_by_role("button", name=re.compile("Download|Record|Sign in|Start")).count() == 0
    people.pages["national_mdt"].get_by_role("button", name="End this display").click()
    expect(screen.locator(".wall-code")).to_be_visible(timeout=30_000)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_wall_and_wall_displays_pass_axe(people: People, wall_server: AppServer, width: int) -> None:
    screen = open_screen(people, wall_server, f"wall_axe_{width}", width)
    problems = check(screen, "wall screen", f"code screen {width}")
    national = start_display(people, wall_server, code_on(screen))
    national.set_viewport_size({"width": width, "height": WIDTHS[width]})
    settle(national)
    problems += check(national, "national_mdt", f"Wall displays {width}")
    expect(screen.get_by_role("heading", name=LIVE)).to_be_visible()
    settle(screen)
    expect(screen.locator("[data-testid='stSkeleton']")).to_have_count(0)
    problems += check(screen, "wall screen", f"live wall {width}")
    national.get_by_role("button", name="End this display").first.click()
    expect(national.get_by_text("The wall display has ended")).to_be_visible()
    assert problems == []
