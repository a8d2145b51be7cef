"""The freedom-of-information export (issue 21): every submitted request of a period, with no personal data
and no free text (only a flag), safe in a spreadsheet; for the national MDT only, at every entry point."""

from __future__ import annotations

import csv
import io

import pytest

from core import workflow
from core.enums import Role
from core.models import DerogationRequest, User
from core.platform.db import write_session
from core.platform.errors import NotFound, PermissionDenied
from core.report import foi
from ops import cli
from tests.conftest import valid_form
from tests.security.world import make_request

PERSONAL = ("contact_name", "contact_role", "contact_phone", "contact_email", "confirmation_ref", "created_by_id")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_every_request_of_the_period_without_personal_data_or_free_text(team, period):
    approved = make_request(team, period, "approved")
    requester = team[Role.REQUESTER]
    hostile = workflow.save_draft(requester, valid_form(period, site="=cmd|' /C calc'!A0", service="1;=cmd|x"))
    hostile = workflow.submit(requester, hostile.id, hostile.version)
    draft = make_request(team, period, "draft")
    rows = _rows(foi.foi_csv(team[Role.NATIONAL_MDT], period.id))
    assert [int(r["id"]) for r in rows] == sorted([approved.id, hostile.id])  # drafts were never filed
    assert draft.id not in {int(r["id"]) for r in rows}
    header = set(rows[0])
    assert not header & {*PERSONAL, *foi.FREE_TEXT, "mitigations"}
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[approved.id]["outcome"] == "Approved" and by_id[approved.id]["approved_doctors"] == "1"
    assert by_id[approved.id]["has_free_text"] == "yes" and by_id[approved.id]["trust_code"] == approved.trust_code
    with write_session() as session:
        stored = session.get(DerogationRequest, approved.id)
        everyone = [u.full_name for u in team.values()] + [u.email for u in team.values()]
        typed = [getattr(stored, name) for name in (*PERSONAL[:4], *foi.FREE_TEXT)] + [stored.confirmation_ref]
    text = foi.foi_csv(team[Role.NATIONAL_MDT], period.id).decode("utf-8-sig")
    for value in [*everyone, *typed, "=cmd", "Priya Shah", "0161 276 1234", "rota@mft.nhs.uk"]:
        assert not value or value not in text, value


def test_a_request_with_no_free_text_says_so(team, period):
    requester = team[Role.REQUESTER]
    bare = {name: "" for name in ("ward", "non_urgent_work_note", "local_agreement_with")}
    draft = workflow.save_draft(requester, valid_form(period, **bare, mitigations={}))
    with write_session() as session:  # past core: a request whose every typed field is empty
        row = session.get(DerogationRequest, draft.id)
        for name in foi.FREE_TEXT:
            setattr(row, name, "")
        row.submitted_at, row.strike_period_id = period.starts_at, period.id
    [row] = _rows(foi.foi_csv(team[Role.NATIONAL_MDT], period.id))
    assert row["has_free_text"] == "no"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.NATIONAL_MDT])
def test_every_other_role_is_refused(team, period, role):
    account = team.get(role) or User(email="x@nhs.net", full_name="X", role=role.value, password_hash="")
    with pytest.raises(PermissionDenied):
        foi.foi_csv(account, period.id)


def test_a_closed_national_account_is_refused_and_a_missing_period_is_not_found(team, period):
    national = team[Role.NATIONAL_MDT]
    with pytest.raises(NotFound):
        foi.foi_csv(national, 999_999)
    closed = national.model_copy(update={"active": False})
    with pytest.raises(PermissionDenied):
        foi.foi_csv(closed, period.id)


def test_the_command_line_writes_it(team, period, tmp_path, capsys):
    approved = make_request(team, period, "approved")
    out = tmp_path / "foi.csv"
    assert cli.main(["foi-export", "--period", str(period.id), "--out", str(out)]) == 0
    assert [int(r["id"]) for r in _rows(out.read_bytes())] == [approved.id]
    assert "1 request(s)" in capsys.readouterr().out
    assert cli.main(["foi-export", "--period", "999999", "--out", str(out)]) == 2
