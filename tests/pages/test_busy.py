"""A database that cannot be read just now gives the plain 'try again' message, not a crash, and the
page comes back as soon as it can be read again."""

from __future__ import annotations

import sqlite3

from core.db import DatabaseBusy, dispose_engines
from core.enums import Role
from tests.pages.conftest import file_request, open_page


def test_a_locked_database_while_reading_a_page_says_try_again(people, strike, sqlite_db, monkeypatch):
    monkeypatch.setenv("DEROG_SQLITE_BUSY_TIMEOUT_MS", "200")
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/review_queue.py")
    # Another process takes the database for itself (an exclusive lock, as a backup tool or a long
    # migration might): nobody else can even read it until it lets go.
    dispose_engines()  # the app's idle pooled connections let go of the file first
    holder = sqlite3.connect(sqlite_db.removeprefix("sqlite:///"), timeout=5)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE strike_period SET name = name")
    try:
        at.run()
        assert not at.exception
        assert str(DatabaseBusy()) in [e.value for e in at.error]
    finally:
        holder.rollback()
        holder.close()
    at.run()
    assert not at.error and at.title[0].value == "Review queue: Clinical director"


def test_a_locked_database_when_a_button_is_clicked_says_try_again(
    people, strike, sqlite_db, monkeypatch
):
    """The click's own session check meets the lock first: the same message, no traceback."""
    monkeypatch.setenv("DEROG_SQLITE_BUSY_TIMEOUT_MS", "200")
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id))
    at.text_area(key=f"comment_body_{request.id}").input("Called the consultant.")
    dispose_engines()
    holder = sqlite3.connect(sqlite_db.removeprefix("sqlite:///"), timeout=5)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE strike_period SET name = name")
    try:
        at.button(key=f"comment_go_{request.id}").click().run()
        assert not at.exception
        assert str(DatabaseBusy()) in [e.value for e in at.error]
    finally:
        holder.rollback()
        holder.close()
    at.run()
    assert at.title[0].value == f"Request {request.id}"  # the page is back; the message stays by the button
