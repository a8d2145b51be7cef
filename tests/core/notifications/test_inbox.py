"""The in-app inbox: own notifications only, newest first, unread count, marking read."""

from __future__ import annotations

from datetime import timedelta

from core import workflow
from core.enums import Action, Role, Status
from core.models import User
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from tests.conftest import valid_form


def _unread(user: User) -> int:
    with read_session() as session:
        return notify.unread_count(session, user)


def test_inbox_is_newest_first_with_current_status_and_deep_link(team, period, monkeypatch) -> None:
    monkeypatch.delenv("DEROG_BASE_URL", raising=False)
    requester, cd = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR]
    t0 = utcnow()
    first = workflow.save_draft(requester, valid_form(period), now=t0)
    first = workflow.submit(requester, first.id, first.version, now=t0)
    second = workflow.save_draft(requester, valid_form(period), now=t0)
    second = workflow.submit(requester, second.id, second.version, now=t0 + timedelta(minutes=5))
    workflow.review(cd, first.id, first.version, Action.RESOLVE_LOCALLY, "Cover found.", now=t0 + timedelta(minutes=9))

    items = notify.inbox(cd)
    assert [item.request_id for item in items] == [second.id, first.id]
    assert [item.request_status for item in items] == [Status.IN_REVIEW, Status.RESOLVED_LOCALLY]
    assert notify.request_link(second.id) == f"/request?id={second.id}"  # the request page's url_path in app.py
    assert not any(item.read for item in items)
    assert notify.unread_for(cd) == 2
    [told] = notify.inbox(requester)
    assert told.kind == Action.RESOLVE_LOCALLY and told.request_id == first.id


def test_mark_read_touches_only_the_readers_own_notifications(team, period) -> None:
    requester, cd, tmd = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR], team[Role.TRUST_MD]
    draft = workflow.save_draft(requester, valid_form(period))
    request = workflow.submit(requester, draft.id, draft.version)
    request = workflow.review(
        cd, request.id, request.version, Action.RETURN_FOR_INFO, "Evidence please.", reasons=["evidence_missing"]
    )
    [cd_note] = notify.inbox(cd)
    [requester_note] = notify.inbox(requester)

    assert notify.mark_read(tmd, [cd_note.id, requester_note.id]) == 0  # somebody else's: ignored
    assert _unread(cd) == 1 and _unread(requester) == 1
    assert notify.mark_read(cd, [cd_note.id]) == 1
    assert notify.mark_read(cd, [cd_note.id]) == 0  # already read
    assert _unread(cd) == 0 and notify.inbox(cd)[0].read
    assert notify.inbox(cd, unread_only=True) == []
    assert notify.mark_read(cd, []) == 0
    assert notify.mark_all_read(requester) == 1 and _unread(requester) == 0


def test_status_is_hidden_once_the_request_is_out_of_the_readers_scope(team, period) -> None:
    requester, cd = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR]
    draft = workflow.save_draft(requester, valid_form(period))
    workflow.submit(requester, draft.id, draft.version)
    with write_session() as session:  # the clinical director moves to another trust
        moved = session.get(User, cd.id)
        moved.trust_code = "RJ1"
        session.add(moved)
    [item] = notify.inbox(moved)
    assert item.request_status is None  # the page shows the message but not the request's state


def test_deep_links_use_the_request_pages_url_path_in_app_py() -> None:
    import ast

    from core.platform.config import PROJECT_ROOT

    tree = ast.parse((PROJECT_ROOT / "app.py").read_text())
    pages = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES"
    )
    urls = {entry.elts[0].value: entry.elts[4].value for entry in pages.elts}
    assert urls["request_detail"] == notify.REQUEST_PATH
