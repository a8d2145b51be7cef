"""core/accounts/admin.py account reads and password resets: administrators only, each change audited."""

import pytest
from sqlmodel import select

from core.accounts import admin
from core.accounts.users import authenticate
from core.enums import Role
from core.models import AuditEvent
from core.platform.db import read_session
from core.platform.errors import AuthFailed, PermissionDenied, ValidationFailed
from tests.conftest import TEST_PASSWORD


def test_only_an_administrator_lists_accounts_or_sees_lockouts(team):
    for role in set(Role) - {Role.ADMIN}:
        with pytest.raises(PermissionDenied):
            admin.list_accounts(team[role])
        with pytest.raises(PermissionDenied):
            admin.locked_emails(team[role], [team[Role.REQUESTER].email])
    found, total = admin.list_accounts(team[Role.ADMIN])
    assert total == len(team) and len(found) == total


def test_a_password_reset_is_audited_and_unlocks(staff, team):
    person = staff.make(Role.TRUST_MD, trust="R0A", password=TEST_PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthFailed):
            authenticate(person.email, "not the password")
    assert admin.locked_emails(team[Role.ADMIN], [person.email]) == {person.email}
    with pytest.raises(PermissionDenied):
        admin.reset_password(team[Role.TRUST_MD], person.id, "A-brand-new-password")
    with pytest.raises(ValidationFailed):
        admin.reset_password(team[Role.ADMIN], person.id, "short")
    admin.reset_password(team[Role.ADMIN], person.id, "A-brand-new-password")
    assert admin.locked_emails(team[Role.ADMIN], [person.email]) == set()
    assert authenticate(person.email, "A-brand-new-password").user.id == person.id
    with read_session() as session:
        row = session.exec(select(AuditEvent).where(AuditEvent.action == "password_set")).one()
    assert row.actor_id == team[Role.ADMIN].id and row.details == {"user_id": person.id, "sessions_ended": 0}
