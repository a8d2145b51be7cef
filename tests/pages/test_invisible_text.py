"""Text stored before invisible characters were refused (core.platform.input_checks.invisible_at) is kept as it was and
shown with each one as its code point: "ok \u202egnp.exe" reads "ok [U+202E]gnp.exe", not "ok exe.png"."""

from __future__ import annotations

import ast
import html

from sqlalchemy import update

from core import workflow
from core.enums import Role
from core.models import Comment, DerogationRequest
from core.platform.db import write_session
from tests.conftest import DRAWING_SOURCES, valid_form
from tests.pages.conftest import file_request, open_page

TRICK = "ok \u202egnp.exe"
SHOWN = "ok [U+202E]gnp.exe"


def _store_directly(request: DerogationRequest, author_id: int) -> None:
    """As if saved before the check existed: straight into the tables, past core."""
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == request.id)
            .values(
                risk_description=f"Sepsis reviews will wait. {TRICK}", service=f"Emergency {TRICK}", site="MRI\u200b"
            )
        )
        session.add(Comment(request_id=request.id, author_id=author_id, at=request.submitted_at, body=TRICK))


def test_the_request_page_shows_stored_invisible_characters_as_code_points(people, strike):
    request = file_request(people, strike)
    _store_directly(request, people[Role.CLINICAL_DIRECTOR].id)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id))
    texts = [t.value for t in at.text]
    assert f"Sepsis reviews will wait. {SHOWN}" in texts  # the request as filed (ui.components)
    assert SHOWN in texts  # the comment
    facts = html.unescape(" ".join(str(h.proto.body) for h in at.html))  # the request's facts (ui.components)
    assert f"Emergency {SHOWN}" in facts and "MRI[U+200B]" in facts
    assert "\u202e" not in facts and "\u200b" not in facts
    # The line under the title too, and nowhere on the page the characters themselves.
    assert any(text.startswith(f"Emergency {SHOWN} at MRI[U+200B]") for text in texts)
    assert not any("\u202e" in text or "\u200b" in text for text in texts)


# Helpers whose output is our own words (times, roles): safe inside a plain-text line as they are.
OUR_WORDS = {"visible", "when", "role_word", "status_word", "tier_word"}


def _shown_safely(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        return ast.unparse(node.func) == "visible"
    if isinstance(node, ast.BoolOp):  # visible(x) or "—"
        return all(_shown_safely(value) for value in node.values)
    if isinstance(node, ast.JoinedStr):  # every value put into an f-string is visible() or our own words
        return all(
            isinstance(part, ast.Constant)
            or (isinstance(part.value, ast.Call) and ast.unparse(part.value.func) in OUR_WORDS)
            for part in node.values
        )
    return False


def test_every_plain_text_line_of_the_app_goes_through_visible():
    """st.text shows characters as they are: anything but our own words must pass through visible()."""
    lines = [
        (path.name, call.lineno, call.args[0] if call.args else None)
        for path in DRAWING_SOURCES
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "text"
    ]
    assert len(lines) >= 15  # the check finds the app's plain-text lines
    assert [f"{name}:{line}" for name, line, shown in lines if not _shown_safely(shown)] == []


def test_a_draft_with_stored_invisible_characters_opens_editable_with_them_visible(people, strike):
    requester = people[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(strike))
    _store_directly(draft, requester.id)
    at = open_page(requester, "pages/file_request.py", id=str(draft.id))
    values = {widget.key: widget.value for widget in at.text_area} | {
        widget.key: widget.value for widget in at.text_input
    }
    assert f"Emergency {SHOWN}" in values.values()
    assert "MRI[U+200B]" in values.values()
    assert not any("\u202e" in str(v) or "\u200b" in str(v) for v in values.values())
