"""The wall screen (/wall) and the Wall displays page, through AppTest on the real app.py: the code
screen, a display session's wall (every headline figure and chart, nothing to click, no header), the
display reaching no other page, and starting, listing and ending a display with bad input refused
next to its field."""

from __future__ import annotations

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.accounts import display_sessions
from core.enums import Role
from tests.pages.conftest import APP, NOT_AVAILABLE, TIMEOUT, click, errors, file_request, open_page, shown
from ui import browser, wall

WALL = "pages/wall_screen.py"
DISPLAYS = "pages/wall_displays.py"
DISPLAY_COOKIE_KEY = "_test_display_cookie"
EVERY_CHART = {name for row in wall.GRID for name in row}


@pytest.fixture(autouse=True)
def display_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest's browser holds the display cookie in its session state, as tests/conftest.py does the session's."""
    monkeypatch.setattr(browser, "display_token", lambda: st.session_state.get(DISPLAY_COOKIE_KEY))


def as_display(people, region_code: str | None = None) -> AppTest:
    """An AppTest browser that is a display session started by the national MDT."""
    pairing = display_sessions.begin_pairing()
    display_sessions.start(people[Role.NATIONAL_MDT], pairing.code, region_code, 12)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[DISPLAY_COOKIE_KEY] = display_sessions.redeem(pairing.claim)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html_shown(at: AppTest) -> str:
    return "\n".join(str(element.proto.body) for element in at.get("html"))


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title")
        titles.append(title if isinstance(title, str) else json.dumps(title))
    return titles


def test_a_browser_without_a_display_shows_a_code_and_no_sign_in(strike):
    at = open_page(None, WALL)
    page = html_shown(at)
    assert "types this code" in page and "wall-code" in page
    assert "Sign in" not in shown(at) and not at.button and not at.text_input


def test_a_display_shows_every_figure_and_chart_of_its_scope_with_nothing_to_click(strike, people):
    for _ in range(2):
        file_request(people, strike)
    at = as_display(people)
    page = html_shown(at)
    assert "live picture, England" in page
    for label in ("Mass casualty: open", "Breached now", "Not decided in time", "Open now", "Requests", "Withdrawn"):
        assert f">{label}<" in page
    assert '<p class="label">Requests</p><p class="figure">2</p>' in page
    # Every chart, or a placeholder where there is nothing to draw yet (no decisions, no declines).
    placeholders = {name for name in EVERY_CHART if wall.EMPTY_CHART.get(name, "\0") in page}
    assert len(chart_titles(at)) + len(placeholders) == len(EVERY_CHART)
    assert not at.button and not at.text_input and not at.selectbox
    assert "Signed in as" not in shown(at) + page and "signed out" not in (shown(at) + page).lower()


def test_a_regional_display_shows_its_region_only(strike, people):
    file_request(people, strike)
    at = as_display(people, "Y62")
    assert "live picture, England" not in html_shown(at)
    assert '<p class="label">Requests</p><p class="figure">1</p>' in html_shown(at)


def test_a_display_reaches_no_other_page(strike, people):
    """The navigation of a display session's run holds the wall and nothing else: no other page of the
    app can be switched to (in a real browser, any other address lands on the wall:
    tests/browser/test_wall.py)."""
    file_request(people, strike)
    at = as_display(people)
    for page in ("pages/request_detail.py", "pages/dashboard.py", "pages/admin.py", DISPLAYS):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    at.run()
    assert "Needs action now" in html_shown(at)


def test_an_ended_display_shows_the_code_again(strike, people):
    at = as_display(people)
    (live,) = display_sessions.live_displays()
    display_sessions.end(people[Role.ADMIN], live.id)
    at.run()
    assert "types this code" in html_shown(at)


@pytest.mark.parametrize("role", [Role.NATIONAL_MDT, Role.ADMIN])
def test_the_national_mdt_or_an_administrator_starts_lists_and_ends_a_display(strike, people, role):
    pairing = display_sessions.begin_pairing()
    at = open_page(people[role], DISPLAYS)
    assert "No wall display is up." in shown(at)
    at.text_input(key="wall_code").input(pairing.shown.lower())
    at.selectbox(key="wall_scope").select("Y62")
    at.radio(key="wall_hours").set_value(4)
    click(at, "wall_start")
    assert "The wall display has started" in shown(at)
    assert display_sessions.paired(pairing.claim) is True
    (live,) = display_sessions.live_displays()
    assert live.region_code == "Y62" and f"Display {live.id}" in shown(at)
    click(at, f"wall_end_{live.id}")
    assert "The wall display has ended" in shown(at) and "No wall display is up." in shown(at)
    assert display_sessions.live_displays() == []


def test_a_wrong_code_is_refused_next_to_the_field_and_starts_nothing(strike, people):
    at = open_page(people[Role.NATIONAL_MDT], DISPLAYS)
    for typed, message in (("12", "Type the 8 letters and numbers"), ("ABCD-EFGH", "No wall screen is showing")):
        at.text_input(key="wall_code").input(typed)
        click(at, "wall_start")
        assert any(message in error for error in errors(at)), errors(at)
    assert display_sessions.live_displays() == []


def test_ending_a_display_someone_else_ended_says_so(strike, people):
    pairing = display_sessions.begin_pairing()
    display_sessions.start(people[Role.NATIONAL_MDT], pairing.code, None, 12)
    at = open_page(people[Role.NATIONAL_MDT], DISPLAYS)
    (live,) = display_sessions.live_displays()
    display_sessions.end(people[Role.ADMIN], live.id)  # in another browser, meanwhile
    click(at, f"wall_end_{live.id}")
    assert any("already ended" in error for error in errors(at))


@pytest.mark.parametrize("role", [Role.REGIONAL_MD, Role.BMA, Role.CLINICAL_DIRECTOR, Role.REQUESTER])
def test_no_other_role_may_open_wall_displays(strike, people, role):
    at = open_page(people[role], DISPLAYS)
    assert NOT_AVAILABLE in shown(at)
    assert not [field for field in at.text_input if field.key == "wall_code"]
