"""CSV injection: a text cell a spreadsheet could run as a formula is written with one leading apostrophe,
whatever comes before the formula sign (spaces, tabs, line breaks, invisible characters) and whichever
look-alike of = + - @ it uses (OWASP's list and its full-width and small forms); every CSV the service
writes goes through it, and a reader strips exactly one apostrophe to get the text back."""

from __future__ import annotations

import csv
import io
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core import queries, report, workflow
from core.enums import Action, Role
from core.models import StrikePeriod
from core.platform.db import write_session
from core.platform.spreadsheet import dangerous, defuse, starts_formula, writer
from ops import cli
from tests.conftest import examples, valid_form

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from verify_audit_csv import unprotect, verify  # noqa: E402  (a standalone script, not a package)

FORMULAS = {
    "equals": "=1+1",
    "plus": "+1+cmd",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "tab first": "\t=1+1",
    "tab alone first": "\tplain words",
    "carriage return first": "\r=1+1",
    "line feed first": "\n=1+1",
    "leading space": ' =HYPERLINK("http://evil.example","open me")',
    "spaces, tabs and line breaks": " \t\r\n =1+1",
    "no-break space": "\u00a0=1+1",
    "ideographic space": "\u3000=1+1",
    "zero-width space": "\u200b=1+1",
    "byte-order mark": "\ufeff=1+1",
    "right-to-left override": "\u202e=1+1",
    "control character": "\x1f=1+1",
    "full-width equals": "＝cmd|' /C calc'!A0",
    "full-width plus": "＋1+1",
    "full-width minus": "－1+1",
    "full-width at": "＠SUM(A1)",
    "small equals": "\ufe661+1",
    "small plus": "\ufe621+1",
    "small minus": "\ufe631+1",
    "small at": "\ufe6bSUM(A1)",
    "minus sign": "\u22121+1",
    "space then full-width equals": " ＝1+1",
    # After a separator: a spreadsheet splitting on it (semicolons in much of Europe, tabs) starts a new cell.
    "semicolon then formula": "1;=cmd|' /C calc'!A0",
    "comma then formula": "a,=1+1",
    "tab then formula": "x\t=1+1",
    "semicolon, space, full-width plus": "Majors; ＋1+1",
    "comma, zero-width space, at": "beds,\u200b@SUM(A1)",
}
HARMLESS = [
    "Emergency department",
    "1-2 doctors",
    "a=b",
    "",
    "   ",
    "— a dash",
    "#1",
    "(=1)",
    "🚑 = ambulance",
    "x\n=1",
]


@pytest.mark.parametrize("text", FORMULAS.values(), ids=FORMULAS.keys())
def test_every_formula_variant_gets_one_apostrophe(text):
    assert dangerous(text)
    assert defuse(text) == "'" + text
    assert unprotect(defuse(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_text_that_cannot_run_is_written_as_it_is(text):
    assert not dangerous(text)
    assert defuse(text) == text


def test_every_text_cell_is_written_in_quotes_so_no_separator_splits_it():
    """The apostrophe guards the cell's start; the quotes keep `1;=cmd` one cell in a spreadsheet that splits
    on semicolons (it honours quotes whatever its separator). Numbers stay numbers."""
    semicolon, tab = defuse(FORMULAS["semicolon then formula"]), defuse(FORMULAS["tab then formula"])
    out = io.StringIO()
    writer(out).writerow([semicolon, tab, 3, ""])
    assert out.getvalue() == f'"{semicolon}","{tab}",3,""\r\n'
    for cell, separator in ((semicolon, ";"), (tab, "\t")):
        alone = io.StringIO()
        writer(alone).writerow([cell])
        assert next(csv.reader(io.StringIO(alone.getvalue()), delimiter=separator)) == [cell]


def test_a_leading_apostrophe_is_doubled_so_the_reader_gets_it_back():
    assert defuse("'quoted'") == "''quoted'"
    assert unprotect(defuse("'quoted'")) == "'quoted'"


@settings(max_examples=examples(500))
@given(st.text())
@example("\u3000\u200b\t =x")
@example("'=x")
def test_any_text_comes_back_exactly_and_never_runs(text):
    written = defuse(text)
    assert unprotect(written) == text
    assert not starts_formula(written)
    assert written == text or written == "'" + text


# ---------------------------------------------------------------- every export


# The free-text fields of a request that the list download holds, each with a formula a person could type.
IN_FIELDS = {
    "site": FORMULAS["leading space"],
    "service": FORMULAS["full-width equals"],
    "ward": FORMULAS["line feed first"],
}
RATIONALE = FORMULAS["space then full-width equals"] + " escalating"


@pytest.fixture
def hostile(team, period):
    """A submitted request whose free text is formulas, escalated with a formula as the rationale, and a
    mass-casualty request (the report lists those by service) for each formula variant we can store."""
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period, **IN_FIELDS))
    request = workflow.submit(requester, draft.id, draft.version)
    request = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, RATIONALE)
    services = [FORMULAS[name] for name in ("leading space", "full-width minus", "carriage return first", "at")]
    for service in services:
        mass = workflow.save_draft(requester, valid_form(period, service=service, mass_casualty=True))
        workflow.submit(requester, mass.id, mass.version)
    return request, services


def test_the_requests_list_download_defuses_every_field(team, period, hostile):
    request, _ = hostile
    assert set(IN_FIELDS) <= set(queries.REQUEST_EXPORT_FIELDS)
    text = queries.requests_csv(team[Role.NATIONAL_MDT], period.id, queries.ListFilters())
    rows = list(csv.DictReader(io.StringIO(text)))
    [row] = [r for r in rows if int(r["id"]) == request.id]
    for name, typed in IN_FIELDS.items():
        assert row[name] == "'" + typed, name


def test_the_dashboard_audit_download_defuses_and_still_verifies(team, period, hostile, tmp_path):
    request, _ = hostile
    text = queries.audit_csv(team[Role.NATIONAL_MDT], period.id, queries.ListFilters())
    rows = list(csv.DictReader(io.StringIO(text)))
    [escalation] = [r for r in rows if r["action"] == "escalate" and int(r["request_id"]) == request.id]
    assert escalation["rationale"] == "'" + RATIONALE
    path = tmp_path / "audit.csv"
    path.write_text(text, encoding="utf-8", newline="")
    status, lines = verify(str(path), request_export=True, anchors=[])
    assert status == 0, lines


def test_the_command_line_audit_export_defuses_and_still_verifies(hostile, tmp_path):
    request, _ = hostile
    out = tmp_path / "request.csv"
    assert cli.main(["export-audit", "--request", str(request.id), "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["rationale"] for r in rows if r["action"] == "escalate"] == ["'" + RATIONALE]
    status, lines = verify(str(out), request_export=True, anchors=[])
    assert status == 0, lines


def test_the_post_strike_report_download_defuses_user_text(team, period, hostile):
    _, services = hostile
    built = report.build(team[Role.NATIONAL_MDT], period.id)
    rows = list(csv.DictReader(io.StringIO(report.to_csv(built).decode("utf-8-sig"))))
    written = {r["value"] for r in rows if r["table"] == "Mass-casualty events" and r["measure"] == "Service"}
    assert written == {"'" + service for service in services}
    assert not any(dangerous(cell) for r in rows for cell in r.values())


def test_streamlits_own_table_download_is_off():
    """st.dataframe's toolbar offers a CSV download built in the browser with no formula guard; the app's
    own downloads (above) are the only way out."""
    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


def test_a_period_name_with_a_formula_is_defused_in_the_report_and_the_comparison(team, period):
    """Strike period names are typed by administrators and head the report's and the comparison's rows."""
    named = ' \uff1dHYPERLINK("http://evil.example") strike'
    with write_session() as session:
        stored = session.get(StrikePeriod, period.id)
        stored.name = named
        session.add(stored)
    national = team[Role.NATIONAL_MDT]
    report_rows = list(
        csv.DictReader(io.StringIO(report.to_csv(report.build(national, period.id)).decode("utf-8-sig")))
    )
    assert report_rows and {r["period"] for r in report_rows} == {"'" + named}
    compared = report.compare.to_csv(report.compare.compare(national, [period.id]))
    compare_rows = list(csv.DictReader(io.StringIO(compared.decode("utf-8-sig"))))
    assert compare_rows and all(r["period"].startswith("'" + named) for r in compare_rows)  # "... (Nov 2026)"
