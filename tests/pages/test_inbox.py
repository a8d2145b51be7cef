"""pages/inbox.py through the whole app (AppTest): newest first, UNREAD in words, mark read, deep link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core import workflow
from core.accounts.users import update_user
from core.enums import Action, Role
from core.models import StrikePeriod
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import write_session
from tests.conftest import TRUST_B, Staff, valid_form
from tests.pages.conftest import sign_in_as

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 30


@pytest.fixture
def people(sqlite_db, period_sqlite):
    staff = Staff()
    team = staff.team()
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period_sqlite, service="<b>ED</b> *majors*"))
    request = workflow.submit(requester, draft.id, draft.version)
    request = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, "Real.")
    return team, request


@pytest.fixture
def period_sqlite(sqlite_db) -> StrikePeriod:
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(name="Test strike", starts_at=now - timedelta(hours=2), ends_at=now + timedelta(days=2))
        session.add(period)
    return period


def _open_inbox(user) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    sign_in_as(at, user)
    at.run()
    at.switch_page("pages/inbox.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_inbox_lists_unread_with_link_and_marks_read(people) -> None:
    team, request = people
    tmd = team[Role.TRUST_MD]
    at = _open_inbox(tmd)
    assert at.title[0].value == "Inbox"
    assert any(m.value == "**1 unread**" for m in at.markdown)
    assert any(m.value.startswith("**UNREAD**") and "Escalated" in m.value for m in at.markdown)
    # The service is user text: shown as typed, never as markup.
    assert any("<b>ED</b> *majors*" in text for text in _texts(at))
    links = {link.proto.label: link.proto.query_string for link in at.get("page_link")}
    assert links[f"Open request {request.id}"] == f"id={request.id}"  # straight to the request page

    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("inbox_read_"))).click().run()
    assert not at.exception
    assert any(m.value == "Nothing unread." for m in at.markdown)
    assert any(m.value.startswith("**Read**") for m in at.markdown)
    assert notify.unread_for(tmd) == 0


def test_opening_the_request_reads_its_notifications(people) -> None:
    team, request = people
    tmd, national = team[Role.TRUST_MD], team[Role.NATIONAL_MDT]
    assert notify.unread_for(tmd) == 1
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    sign_in_as(at, national)  # someone else opening it reads nothing of the trust MD's
    at.query_params["id"] = str(request.id)
    at.switch_page("pages/request_detail.py").run()
    assert notify.unread_for(tmd) == 1
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    sign_in_as(at, tmd)
    at.query_params["id"] = str(request.id)
    at.switch_page("pages/request_detail.py").run()
    assert not at.exception and at.title[0].value == f"Request {request.id}"
    assert notify.unread_for(tmd) == 0


def test_mark_all_and_unread_only(people) -> None:
    team, _ = people
    cd = team[Role.CLINICAL_DIRECTOR]  # told of the submission
    at = _open_inbox(cd)
    at.button(key="inbox_mark_all").click().run()
    assert notify.unread_for(cd) == 0
    at.toggle(key="inbox_unread_only").set_value(True).run()
    assert any("No notifications yet" in i.value for i in at.info)


def test_an_empty_inbox_says_so(people) -> None:
    team, _ = people
    at = _open_inbox(team[Role.ADMIN])
    assert any("No notifications yet" in i.value for i in at.info)


def test_signed_out_visitor_sees_no_inbox(sqlite_db) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/inbox.py")
    at.run()
    assert not any(t.value == "Inbox" for t in at.title)


def test_a_request_no_longer_in_scope_has_no_link(sqlite_db, period_sqlite) -> None:
    team = Staff().team()
    requester, director = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR]
    draft = workflow.save_draft(requester, valid_form(period_sqlite))
    request = workflow.submit(requester, draft.id, draft.version)  # the clinical director is told
    with write_session() as session:  # then moves to another trust: the old trust's request is out of scope
        director = update_user(
            session, director.id, by=team[Role.ADMIN], role=Role.CLINICAL_DIRECTOR, trust_code=TRUST_B
        )
    at = _open_inbox(director)
    assert any(m.value.startswith("**UNREAD**") for m in at.markdown)
    assert f"Open request {request.id}" not in {link.proto.label for link in at.get("page_link")}
    assert any(f"Request {request.id} opens here once it is within your scope." in c.value for c in at.caption)
