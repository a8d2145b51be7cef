"""Every entry point a page adds goes through the session guard (SECURITY.md): read from the code, so a
new button, download or live refresh that forgets the guard fails here before anyone can click it.

- A widget callback (`on_click`, `on_change`) that changes something calls `ui.feedback.act_as`
  (itself or through a function of its module that does); the others are listed here, with why.
- A download button's data is `ui.session.guarded_download(...)`, made for the account at the click.
- A fragment (`@st.fragment`, the live refresh) checks `live_session` itself, or on the wall screen the
  display session (`live_display`, core/accounts/display_sessions.py).
- The wall screen acts for nobody: no button, callback, download or link on it at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.platform.config import PROJECT_ROOT
from tests.conftest import DRAWING_SOURCES

# Callbacks that act for nobody, or check the session themselves.
CHANGE_NOTHING = {
    "ignore": "Streamlit's own 'rerun nothing' marker",
    "rerun": "Streamlit's own 'run the page again' marker: the page run that follows checks the session (Administration's tabs remember the one open)",
    "on_new": "clears the form on the screen",
    "_prefill": "fills the form on the screen from the cover register line chosen; saves nothing",
    "on_reload": "clears the form on the screen to show the saved version",
    "open_number": "puts a typed request number in the address; the page run that follows checks",
    "check": "the public recall check: reads a reference anyone may check, for nobody",
    "identity_provider.start": "sends the browser to the identity provider",
    "identity_provider.end": "signs out of the identity provider",
    "sign_out": "ends this browser's session (ui.session)",
    "sign_out_everywhere": "ends the account's sessions, named by this browser's cookie (ui.session)",
}


def _name(node: ast.expr) -> str:
    return ast.unparse(node)


def _calls(node: ast.AST) -> set[str]:
    return {_name(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)}


def _acting(tree: ast.Module) -> set[str]:
    """The module's functions that call act_as, directly or through another function of the module."""
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    acting = {name for name, node in functions.items() if "act_as" in _calls(node)}
    while True:
        more = {name for name, node in functions.items() if name not in acting and _calls(node) & acting}
        if not more:
            return acting
        acting |= more


def _keyword_calls(path: Path) -> list[tuple[int, str, ast.expr, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (call.lineno, keyword.arg, keyword.value, call)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for keyword in call.keywords
        if keyword.arg is not None
    ]


@pytest.mark.parametrize("path", DRAWING_SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_callback_acts_as_the_account_at_the_click(path: Path) -> None:
    acting = _acting(ast.parse(path.read_text(encoding="utf-8")))
    for line, argument, value, _ in _keyword_calls(path):
        if argument not in ("on_click", "on_change", "on_submit"):
            continue
        name = value.value if isinstance(value, ast.Constant) else _name(value)
        assert name in acting or name in CHANGE_NOTHING, (
            f"{path.name}:{line}: callback {name!r} neither calls act_as nor is listed as changing nothing"
        )


@pytest.mark.parametrize("path", DRAWING_SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_download_is_made_for_the_account_at_the_click(path: Path) -> None:
    for line, argument, value, call in _keyword_calls(path):
        if argument == "data" and _name(call.func).endswith("download_button"):
            assert isinstance(value, ast.Call) and _name(value.func) == "guarded_download", (
                f"{path.name}:{line}: a download's data must be guarded_download(...)"
            )


# What a live refresh asks at each run: a person's session, or (the wall screen only) a display session.
LIVE_GUARDS = {"live_session", "live_display"}
WALL_SOURCES = [PROJECT_ROOT / "ui" / "wall.py", PROJECT_ROOT / "pages" / "wall_screen.py"]


@pytest.mark.parametrize("path", DRAWING_SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_live_refresh_checks_the_session_itself(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        if any("fragment" in _name(decorator) for decorator in function.decorator_list):
            assert LIVE_GUARDS & _calls(function), f"{path.name}: fragment {function.name} must call live_session"
            if "live_display" in _calls(function):
                assert path in WALL_SOURCES, f"{path.name}: only the wall screen may run for a display session"


@pytest.mark.parametrize("path", WALL_SOURCES, ids=lambda path: path.name)
def test_the_wall_screen_offers_nothing_to_click(path: Path) -> None:
    """A display session acts for nobody: its page has no button, link, callback, download or input."""
    offered = {
        name
        for name in _calls(ast.parse(path.read_text(encoding="utf-8")))
        if name.rsplit(".", 1)[-1].endswith(("button", "page_link", "link_button", "input", "selectbox", "popover"))
    }
    callbacks = [argument for _, argument, _, _ in _keyword_calls(path) if argument.startswith("on_")]
    assert not offered and not callbacks, f"{path.name}: {sorted(offered)} {callbacks}"


def test_the_checks_above_find_what_they_look_for() -> None:
    """Guard against a check that cannot fail: the app has callbacks, downloads and a fragment."""
    found = [(argument, value) for path in DRAWING_SOURCES for _, argument, value, _ in _keyword_calls(path)]
    assert sum(argument == "on_click" for argument, _ in found) >= 20
    assert sum(argument == "data" for argument, _ in found) >= 4
    assert "def live(" in (PROJECT_ROOT / "pages" / "dashboard.py").read_text(encoding="utf-8")
    assert "@st.fragment" in (PROJECT_ROOT / "ui" / "wall.py").read_text(encoding="utf-8")
