"""Every page for every role: a role that may not open a page sees only 'not available to your role'."""

from __future__ import annotations

import pytest

from core.access_control.visibility import PAGE_ROLES
from core.enums import Role
from tests.pages.conftest import NOT_AVAILABLE, open_page

PAGES = {
    "file_request": "pages/file_request.py",
    "my_requests": "pages/my_requests.py",
    "review_queue": "pages/review_queue.py",
    "request_detail": "pages/request_detail.py",
    "dashboard": "pages/dashboard.py",
    "requests_list": "pages/requests_list.py",
    "admin": "pages/admin.py",
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_opens_exactly_its_own_pages(people, strike, role):
    user = people[role]
    for key, path in PAGES.items():
        at = open_page(user, path)
        refused = NOT_AVAILABLE in [e.value for e in at.error]
        assert refused == (role not in PAGE_ROLES[key]), (role, key)
        if refused:
            # Nothing else: no title, no table, no form.
            assert [e.value for e in at.error] == [NOT_AVAILABLE]
            assert not at.title and not at.dataframe and not at.main.text_input


def test_the_recall_check_is_public(sqlite_db):
    at = open_page(None, "pages/verify.py")
    assert at.title[0].value == "Check a recall"
