"""Writers that take both a sign-in's throttle row and the audit chain's head take them in one order,
so PostgreSQL never finds two of them deadlocked (SQLite writers are serial anyway)."""

from __future__ import annotations

import threading
import time

import pytest

from core.accounts import admin, users
from core.enums import Role
from core.platform.errors import AuthFailed
from tests.conftest import TEST_PASSWORD


def test_a_sign_in_and_an_administrators_password_reset_at_once_both_finish(db, staff, monkeypatch):
    person = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    administrator = staff.make(Role.ADMIN)
    with pytest.raises(AuthFailed):
        users.authenticate(person.email, "wrong-password-123")  # a throttle row with a failure on it
    checking, real_verify = threading.Event(), users.verify_password

    def slow_verify(password_hash: str, password: str) -> bool:
        checking.set()  # the sign-in now holds the throttle row; widen the window for the reset
        time.sleep(0.5)
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", slow_verify)
    failures: dict[str, BaseException] = {}

    def sign_in() -> None:
        try:
            users.authenticate(person.email, TEST_PASSWORD)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            failures["sign-in"] = exc

    def reset() -> None:
        checking.wait(10)
        time.sleep(0.1)
        try:
            admin.reset_password(administrator, person.id, "A-new-password-456")
        except Exception as exc:  # noqa: BLE001
            failures["reset"] = exc

    threads = [threading.Thread(target=sign_in), threading.Thread(target=reset)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert users.authenticate(person.email, "A-new-password-456").user.id == person.id
