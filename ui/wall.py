"""The national ops room's wall screen (/wall): every headline figure and every chart of the live
dashboard on one 1920x1080 screen, with no menu, no buttons and nothing to click, updating itself.
The figures that need action (mass casualty, breached now, not decided in time, open now) sit top
left, larger, in colour and in words. Until the screen is a display session (core/accounts/display_sessions.py)
it shows a one-time code for the national MDT or an administrator to type on the Wall displays page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core import queries
from core.access_control.visibility import scope_key
from core.accounts import display_sessions
from core.accounts.display_sessions import DisplayEnded, LiveDisplay, Pairing
from core.platform.clock import to_london, utcnow
from core.platform.config import database_url
from core.platform.db import DatabaseBusy
from core.reference import periods
from core.request.outcomes import DECLINED_EITHER, Outcome
from ui import browser, live_figures, shared_copies
from ui.chart_view import ChartSpec

URL_PATH = "wall"
REFRESH = "10s"
PAIRING_POLL = "3s"  # how soon the screen notices its code was typed
START_ROUTE = "/display/start"
_PAIRING_KEY = "_wall_pairing"
_REDEEMING_KEY = "_wall_redeeming"

# Every chart of the dashboard, on a grid of four columns and three rows; the heatmap takes two cells.
GRID = (
    ("open_by_region", "open_by_category", "region_category_heatmap"),
    ("by_tier", "breaches", "outcomes", "doctors"),
    ("over_time", "recalled_over_time", "declines_by_reason", "declines_by_who"),
)
WIDE = {"region_category_heatmap"}
CHART_HEIGHT = 315  # px a chart takes, title and axes included: three rows fit under the top bar
EMPTY_CHART = {
    "over_time": "Submissions and BMA decisions over time: none yet.",
    "recalled_over_time": "Doctors approved for recall over time: none yet.",
    "declines_by_reason": "Declines by reason: none yet.",
    "declines_by_who": "Declines by who declined: none yet.",
}
# Shorter titles where the dashboard's would not fit a quarter of the screen.
WALL_TITLES = {
    "over_time": "Submitted and decided per hour (UK time)",
    "recalled_over_time": "Doctors approved per hour (UK time)",
    "declines_by_reason": "Declines by reason",
}
# Larger type than a desk page: read from across a room.
CHART_CONFIG = {
    "axis": {"labelFontSize": 15, "titleFontSize": 15, "labelLimit": 170},
    "axisBand": {"labelOverlap": False},  # every region, category and tier named, not every other one
    "legend": {"labelFontSize": 15},
    "title": {"fontSize": 18, "anchor": "start"},
    "text": {"fontSize": 15},
}

# Static styling only: no user text goes into any HTML here (names of regions are escaped).
STYLE = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stElementToolbar"] {display:none !important;}
[data-testid="stMainBlockContainer"] {padding:0.6rem 1.2rem 0 1.2rem; max-width:none;}
[data-testid="stVerticalBlock"] {gap:0.4rem;}
.wall-bar {display:flex; justify-content:space-between; align-items:baseline; background:#005EB8; color:#FFFFFF;
  padding:0.35rem 1rem; margin:0;}
.wall-bar h1 {font-size:1.9rem; line-height:1.2; margin:0; padding:0; color:#FFFFFF; font-weight:700;}
.wall-bar p {font-size:1.25rem; margin:0; color:#FFFFFF;}
.wall h2 {font-size:1.3rem; margin:0.2rem 0 0.3rem 0; padding:0; color:#212B32; font-weight:700;}
.wall-tiles {display:grid; grid-template-columns:1fr 1fr; gap:0.5rem; margin:0;}
.wall-tile {border:3px solid #005EB8; background:#FFFFFF; color:#212B32; padding:0.35rem 0.7rem; margin:0;}
.wall-tile p {margin:0; line-height:1.15;}
.wall-tile .label {font-size:1.25rem; font-weight:700;}
.wall-tile .figure {font-size:4.2rem; font-weight:700; line-height:1.05;}
.wall-tile .words {font-size:1.05rem;}
.wall-tile.alarm {background:#D5281B; border-color:#D5281B; color:#FFFFFF;}
.wall-tile.warning {background:#FFB81C; border-color:#FFB81C; color:#212B32;}
.wall-tile.busy {background:#005EB8; border-color:#005EB8; color:#FFFFFF;}
.wall-tile.calm {border-color:#007F3B;}
.wall-small {display:grid; grid-template-columns:1fr 1fr; gap:0.3rem 0.5rem; margin:0.5rem 0 0 0;}
.wall-small div {border-left:6px solid #41B6E6; background:#F0F4F5; padding:0.15rem 0.6rem; color:#212B32;}
.wall-small p {margin:0; line-height:1.2;}
.wall-small .label {font-size:1.05rem;}
.wall-small .figure {font-size:1.9rem; font-weight:700;}
.wall-empty {border:2px dashed #AEB7BD; color:#4C6272; font-size:1.15rem; padding:1rem; height:280px;}
.wall-code {font-family:monospace; font-size:9rem; letter-spacing:0.6rem; font-weight:700; color:#003087;
  margin:1rem 0;}
.wall-intro p {font-size:1.6rem; color:#212B32; max-width:80rem;}
.wall-intro strong {font-weight:700;}
</style>
"""


def page() -> StreamlitPage:
    """The wall's page, at /wall (a hidden page: never in a menu)."""
    return st.Page(
        "pages/wall_screen.py", title="Wall display", icon=":material/tv:", url_path=URL_PATH, visibility="hidden"
    )


def display_navigation() -> StreamlitPage:
    """All a display session's browser can reach: the wall. Streamlit serves the default page at '/'
    only, so the default is a step that goes to the wall, and any other address lands there too."""
    wall_page = page()

    def to_wall() -> None:
        st.switch_page(wall_page)

    return st.navigation(
        [st.Page(to_wall, title="Wall display", url_path="display", default=True), wall_page], position="hidden"
    )


def live_display() -> LiveDisplay | None:
    """This browser's display session, checked now (the guard of every run and refresh of the wall)."""
    try:
        return display_sessions.check(browser.display_token())
    except DisplayEnded:
        return None


# ---------------------------------------------------------------- the code screen


def _pairing() -> Pairing:
    pairing = st.session_state.get(_PAIRING_KEY)
    if pairing is None or utcnow() >= pairing.expires_at:
        pairing = st.session_state[_PAIRING_KEY] = display_sessions.begin_pairing()
    return pairing


def code_screen() -> None:
    st.html(STYLE)
    pairing = _pairing()
    st.html('<div class="wall"><div class="wall-bar"><h1>Derogations: wall display</h1><p>NHS England</p></div></div>')
    st.html(
        '<div class="wall-intro"><p>To show the live dashboard on this screen, the national MDT or an '
        "administrator signs in on their own computer, opens <strong>Wall displays</strong> and types this code:</p>"
        f'<p class="wall-code" aria-label="Code: {" ".join(pairing.shown)}">{pairing.shown}</p>'
        f"<p>The code works once, until {to_london(pairing.expires_at).strftime('%H:%M')} (UK time); after that "
        "this screen shows a new one. Once the code is typed, the figures appear here by themselves.</p></div>"
    )
    _waiting(pairing)


@st.fragment(run_every=PAIRING_POLL)
def _waiting(pairing: Pairing) -> None:
    """Until the code is typed: ask whether it has been, then let the browser redeem its claim."""
    if st.session_state.get(_REDEEMING_KEY) == pairing.claim:
        return  # on its way to the display cookie
    try:
        if live_display() is not None:  # already a display (another tab of this browser was paired)
            st.rerun(scope="app")
        state = display_sessions.paired(pairing.claim)
    except DatabaseBusy:
        return  # the next poll asks again
    if state is None:  # the code expired: show a new one
        st.session_state.pop(_PAIRING_KEY, None)
        st.rerun(scope="app")
    if state:
        st.session_state[_REDEEMING_KEY] = pairing.claim
        st.session_state.pop(_PAIRING_KEY, None)
        browser.go_to(f"{START_ROUTE}?claim={quote(pairing.claim)}")


# ---------------------------------------------------------------- the live wall


@dataclass(frozen=True)
class Tile:
    label: str
    figure: int
    words: str
    tone: str  # a CSS class: alarm, warning, busy, calm


def action_tiles(figures: queries.Headline) -> list[Tile]:
    """The four figures that need action, each in colour and in words (never colour alone)."""
    mass_casualty = figures.mass_casualty_open
    breached = figures.breached_now
    late = figures.not_decided_in_time
    open_now = figures.pending + figures.not_decided_in_time
    return [
        Tile(
            "Mass casualty: open",
            mass_casualty,
            "ACTION: every tier alerted, top of the queues" if mass_casualty else "None open",
            "alarm" if mass_casualty else "calm",
        ),
        Tile(
            "Breached now",
            breached,
            "ACTION: past their tier's response target" if breached else "None past its target",
            "alarm" if breached else "calm",
        ),
        Tile(
            "Not decided in time",
            late,
            "ACTION: decision-needed-by time passed" if late else "None",
            "warning" if late else "calm",
        ),
        Tile("Open now", open_now, f"Waiting for a decision ({figures.pending} within time)", "busy"),
    ]


def other_figures(figures: queries.Headline) -> list[tuple[str, str]]:
    """Every other headline figure of the dashboard, as (label, figure)."""
    return [
        ("Requests", f"{figures.requests}"),
        (Outcome.APPROVED.label, f"{figures.approved}"),
        (DECLINED_EITHER, f"{figures.declined}"),
        (Outcome.WITHDRAWN.label, f"{figures.withdrawn}"),
        ("Doctors asked for", f"{figures.doctors_requested}"),
        ("Doctors approved", f"{figures.doctors_approved}"),
        ("Declined by the BMA / by a tier", f"{figures.declined_by_bma} / {figures.not_eligible}"),
        (Outcome.RESOLVED_LOCALLY.label, f"{figures.resolved_locally}"),
        ("Approvals given (doctors)", f"{figures.approvals_given} ({figures.doctors_given})"),
        (f"{Outcome.REVOKED.label} / {Outcome.EXPIRED.label}", f"{figures.revoked} / {figures.expired}"),
        ("Bypass recalls (doctors)", f"{figures.bypasses} ({figures.bypass_doctors})"),
        ("Bypass reviews due", f"{figures.bypass_reviews_due}"),
        ("Mass casualty events", f"{figures.mass_casualty}"),
        ("Pending (within time)", f"{figures.pending}"),
    ]


def _figures_html(figures: queries.Headline) -> str:
    tiles = "".join(
        f'<div class="wall-tile {tile.tone}"><p class="label">{html.escape(tile.label)}</p>'
        f'<p class="figure">{tile.figure}</p><p class="words">{html.escape(tile.words)}</p></div>'
        for tile in action_tiles(figures)
    )
    small = "".join(
        f'<div><p class="label">{html.escape(label)}</p><p class="figure">{html.escape(figure)}</p></div>'
        for label, figure in other_figures(figures)
    )
    return (
        f'<div class="wall"><h2>Needs action now</h2><div class="wall-tiles">{tiles}</div>'
        f'<h2 style="margin-top:0.6rem">All figures</h2><div class="wall-small">{small}</div></div>'
    )


def _bar_html(scope: str, period: str, counted_at: str, ends_at: str) -> str:
    return (
        f'<div class="wall"><div class="wall-bar"><h1>Derogations: live picture, {html.escape(scope)}</h1>'
        f"<p>{html.escape(period)} · figures as at {counted_at} · updates every {REFRESH[:-1]} seconds · "
        f"display ends {ends_at}</p></div></div>"
    )


def wall_spec(chart: ChartSpec) -> dict[str, Any]:
    """A dashboard chart's spec in larger type, its height left to the wall's grid (a copy: the cached
    spec is shared by every viewer)."""
    spec = {key: value for key, value in chart.spec.items() if key != "height"}
    if chart.name in WALL_TITLES:
        spec["title"] = WALL_TITLES[chart.name]
    if chart.name in WIDE:  # flatter category labels leave the heatmap's rows more of its height
        spec["layer"] = [_flatter_x_labels(layer) for layer in spec["layer"]]
    return {**spec, "config": {**chart.spec.get("config", {}), **CHART_CONFIG}}


def _flatter_x_labels(layer: dict[str, Any]) -> dict[str, Any]:
    encoding = layer["encoding"]
    axis = {**encoding["x"].get("axis", {}), "labelAngle": -15, "labelLimit": 220}
    return {**layer, "encoding": {**encoding, "x": {**encoding["x"], "axis": axis}}}


def _draw_chart(name: str, charts: dict[str, ChartSpec]) -> None:
    chart = charts.get(name)
    if chart is None:
        st.html(f'<div class="wall-empty">{html.escape(EMPTY_CHART.get(name, "Nothing to show yet."))}</div>')
        return
    st.vega_lite_chart(spec=wall_spec(chart), width="stretch", height=CHART_HEIGHT, alt=chart.words)


def draw_charts(charts: dict[str, ChartSpec]) -> None:
    for row in GRID:
        cells = st.columns([2 if name in WIDE else 1 for name in row], gap="small")
        for cell, name in zip(cells, row, strict=True):
            with cell:
                _draw_chart(name, charts)


def all_charts(display: LiveDisplay, shown: live_figures.Counted, scope: tuple, period_id: int) -> dict[str, ChartSpec]:
    """Every section's charts at once (each cached per scope and count, shared with the dashboard)."""
    viewer = display_sessions.viewer(display.region_code)
    url = database_url()
    return {
        chart.name: chart
        for section in live_figures.SECTIONS
        for chart in live_figures.section_charts(viewer, shown, scope, period_id, shown.counted_at, section, url)
    }


def live_wall() -> None:
    st.html(STYLE)
    _live()


@st.fragment(run_every=REFRESH)
def _live() -> None:
    # Every refresh asks the display session again: ended or expired, the whole page reruns to its code.
    try:
        display = live_display()
    except DatabaseBusy as busy:
        st.error(str(busy), icon=":material/hourglass_top:")  # the next refresh tries again
        return
    if display is None:
        st.rerun(scope="app")
    viewer = display_sessions.viewer(display.region_code)
    scope_words = queries.figures_scope_label(viewer, shared_copies.region_names())
    period = periods.most_relevant(shared_copies.strike_periods())
    ends_at = to_london(display.ends_at).strftime("%H:%M")
    if period is None:
        st.html(_bar_html(scope_words, "No strike periods yet", to_london(utcnow()).strftime("%H:%M:%S"), ends_at))
        return
    scope = scope_key(viewer)
    shown = live_figures.counted(viewer, scope, period.id, database_url())
    counted_at = to_london(shown.counted_at).strftime("%H:%M:%S")
    st.html(_bar_html(scope_words, period.name, counted_at, ends_at))
    figures_side, charts_side = st.columns([1, 3], gap="medium")
    with figures_side:
        st.html(_figures_html(shown.headline))
    with charts_side:
        draw_charts(all_charts(display, shown, scope, period.id))
