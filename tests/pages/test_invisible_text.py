"""Text stored before invisible characters were refused (core.inputs.invisible_at) is kept as it was and
shown with each one as its code point: "ok \u202egnp.exe" reads "ok [U+202E]gnp.exe", not "ok exe.png"."""

from __future__ import annotations

import html

from sqlalchemy import update

from core import workflow
from core.db import write_session
from core.enums import Role
from core.models import Comment, DerogationRequest
from tests.conftest import valid_form
from tests.pages.conftest import file_request, open_page

TRICK = "ok \u202egnp.exe"
SHOWN = "ok [U+202E]gnp.exe"


def _store_directly(request: DerogationRequest, author_id: int) -> None:
    """As if saved before the check existed: straight into the tables, past core."""
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == request.id)
            .values(risk_description=f"Sepsis reviews will wait. {TRICK}", service=f"Emergency {TRICK}", site="MRI\u200b")
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


def test_a_draft_with_stored_invisible_characters_opens_editable_with_them_visible(people, strike):
    requester = people[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(strike))
    _store_directly(draft, requester.id)
    at = open_page(requester, "pages/file_request.py", id=str(draft.id))
    values = {widget.key: widget.value for widget in at.text_area} | {widget.key: widget.value for widget in at.text_input}
    assert f"Emergency {SHOWN}" in values.values()
    assert "MRI[U+200B]" in values.values()
    assert not any("\u202e" in str(v) or "\u200b" in str(v) for v in values.values())
