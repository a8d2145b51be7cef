"""A database that cannot be read just now gives the plain 'try again' message, not a crash, and the
page comes back as soon as it can be read again."""

from __future__ import annotations

from core.enums import Role
from core.platform.db import DatabaseBusy
from tests.conftest import database_locked
from tests.pages.conftest import file_request, open_page


def test_a_locked_database_while_reading_a_page_says_try_again(people, strike, sqlite_db, monkeypatch):
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/review_queue.py")
    with database_locked(sqlite_db, monkeypatch):
        at.run()
        assert not at.exception
        assert str(DatabaseBusy()) in [e.value for e in at.error]
    at.run()
    assert not at.error and at.title[0].value == "Review queue: Clinical director"


def test_a_locked_database_when_a_button_is_clicked_says_try_again(people, strike, sqlite_db, monkeypatch):
    """The click's own session check meets the lock first: the same message, no traceback."""
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id))
    at.text_area(key=f"comment_body_{request.id}").input("Called the consultant.")
    with database_locked(sqlite_db, monkeypatch):
        at.button(key=f"comment_go_{request.id}").click().run()
        assert not at.exception
        assert str(DatabaseBusy()) in [e.value for e in at.error]
    at.run()
    assert at.title[0].value == f"Request {request.id}"  # the page is back; the message stays by the button
