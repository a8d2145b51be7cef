"""Administration shows the integrity alarm at the top while records differ from their audit history."""

from __future__ import annotations

from core.enums import Role
from core.platform.db import get_engine
from core.records import integrity
from tests.pages.conftest import open_page, shown

PAGE = "pages/admin.py"


def test_administration_shows_the_alarm_only_while_records_differ(people):
    assert integrity.check(full=True).ok
    assert "Integrity alarm" not in shown(open_page(people[Role.ADMIN], PAGE))
    with get_engine().begin() as conn:
        conn.exec_driver_sql(f"UPDATE app_user SET role = 'bma' WHERE id = {people[Role.REQUESTER].id}")
    assert not integrity.check().ok
    page = shown(open_page(people[Role.ADMIN], PAGE))
    assert "Integrity alarm since" in page and "1 record(s) differ from their audit history" in page
    assert f"account {people[Role.REQUESTER].id}: role is 'bma', its audit history says 'requester'" in page
    with get_engine().begin() as conn:  # put back as it was: the next check clears the alarm
        conn.exec_driver_sql(f"UPDATE app_user SET role = 'requester' WHERE id = {people[Role.REQUESTER].id}")
    assert integrity.check().ok
    assert "Integrity alarm" not in shown(open_page(people[Role.ADMIN], PAGE))
