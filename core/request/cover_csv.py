"""A trust's cover register as a CSV file (trusts keep these in spreadsheets): export with every text cell
defused for spreadsheets (core/platform/spreadsheet.py), and import that replaces the whole register, or, when any row
has a problem, saves nothing and says where each problem is (row, column, what is wrong)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from core.models import User
from core.platform.db import read_session, write_session
from core.platform.errors import DerogationError
from core.platform.spreadsheet import defuse
from core.platform.spreadsheet import writer as spreadsheet_writer
from core.request.cover_register import (
    COVER_GRADES,
    LineValues,
    Shift,
    editor_of,
    line_problems,
    register,
    replace_register,
    service_key,
    uk_today,
)

MAX_FILE_BYTES = 512 * 1024
MAX_ROWS = 2000  # a trust's register, every service x grade x shift, is a few hundred lines at most


class CsvRejected(DerogationError):
    """A CSV file with at least one problem: nothing from it was saved. `problems` says where each is."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        many = len(problems) != 1
        super().__init__(
            f"The file has {len(problems)} problem{'s' if many else ''}, listed below. Nothing from it was saved: "
            "correct the file and import it again."
        )


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    message: str


# ---------------------------------------------------------------- CSV: a trust's register as a spreadsheet

CSV_COLUMNS = {  # field: heading in the file
    "service": "Service",
    "grade": "Grade",
    "shift": "Shift",
    "minimum_doctors": "Minimum doctors",
    "expected_cover": "Expected from staff not striking",
    "agreed_with": "Agreed with",
    "agreed_on": "Agreed on",
}
SHIFT_WORDS = {"day": Shift.DAY, "night": Shift.NIGHT, "24h": Shift.WHOLE_DAY, "24 hours": Shift.WHOLE_DAY}


def export_csv(user: User, trust_code: object) -> str:
    """The trust's register as CSV, every text cell defused for spreadsheets (core/platform/spreadsheet.py)."""
    out = io.StringIO()
    writer = spreadsheet_writer(out, lineterminator="\r\n")  # every text cell quoted: no separator splits it
    writer.writerow(CSV_COLUMNS.values())
    for line in register(user, trust_code):
        writer.writerow(
            [
                defuse(line.service),
                defuse(line.grade),
                line.shift,
                line.minimum_doctors,
                line.expected_cover,
                defuse(line.agreed_with),
                line.agreed_on.isoformat(),
            ]
        )
    return out.getvalue()


def _undefused(cell: str) -> str:
    """A cell as typed: export_csv put one apostrophe before text a spreadsheet could run."""
    return cell[1:] if cell.startswith("'") else cell


def _whole_cell(cell: str) -> int | str:
    text = cell.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else text


def _date_cell(cell: str) -> date | str:
    text = cell.strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


CELL_MESSAGES = {  # what a cell that could not be read as its type needs
    "minimum_doctors": "Write a whole number of doctors, for example 4.",
    "expected_cover": "Write a whole number of doctors, for example 2 (0 if none).",
    "agreed_on": "Write the date as 2026-11-30 or 30/11/2026.",
}


def _row_values(cells: dict[str, str]) -> tuple[LineValues, dict[str, str]]:
    grade = next((g for g in COVER_GRADES if g.lower() == cells["grade"].strip().lower()), cells["grade"])
    values = LineValues(
        service=_undefused(cells["service"]),
        grade=grade,
        shift=SHIFT_WORDS.get(cells["shift"].strip().lower(), cells["shift"]),
        minimum_doctors=_whole_cell(cells["minimum_doctors"]),  # type: ignore[arg-type]
        expected_cover=_whole_cell(cells["expected_cover"]),  # type: ignore[arg-type]
        agreed_with=_undefused(cells["agreed_with"]),
        agreed_on=_date_cell(cells["agreed_on"]),  # type: ignore[arg-type]
    )
    unreadable = {name: message for name, message in CELL_MESSAGES.items() if isinstance(getattr(values, name), str)}
    return values, unreadable


def parse_csv(data: bytes, today: date | None = None) -> tuple[list[LineValues], list[RowProblem]]:
    """Every line of a register file, and every problem in it (row, column, what is wrong)."""
    today = today or uk_today()
    if len(data) > MAX_FILE_BYTES:
        return [], [RowProblem(1, "", f"The file is larger than {MAX_FILE_BYTES // 1024} KB: is it a register?")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(1, "", "The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'.")]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], [RowProblem(1, "", "The file is empty.")]
    headings = [h.strip().lower() for h in rows[0]]
    where = {}
    problems = []
    for name, heading in CSV_COLUMNS.items():
        if heading.lower() in headings:
            where[name] = headings.index(heading.lower())
        else:
            problems.append(RowProblem(1, heading, "This column is missing from the first row."))
    if problems:
        return [], problems
    lines: list[LineValues] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # spreadsheets leave blank rows
        if number > MAX_ROWS + 1:
            problems.append(RowProblem(number, "", f"A register has at most {MAX_ROWS} lines."))
            break
        if len(row) > len(headings):
            problems.append(RowProblem(number, "", "This row has more cells than the first row has columns."))
            continue
        cells = {name: row[i] if i < len(row) else "" for name, i in where.items()}
        values, unreadable = _row_values(cells)
        found = unreadable | {k: v for k, v in line_problems(values, today).items() if k not in unreadable}
        problems += [RowProblem(number, heading, found[name]) for name, heading in CSV_COLUMNS.items() if name in found]
        if found:
            continue
        key = (service_key(values.service), values.grade, values.shift)
        if key in seen:
            problems.append(
                RowProblem(number, CSV_COLUMNS["service"], f"Row {seen[key]} has the same service, grade and shift.")
            )
            continue
        seen[key] = number
        lines.append(values)
    if not lines and not problems:
        problems.append(RowProblem(2, "", "The file has no lines under its first row."))
    return lines, problems


def import_csv(actor: User, trust_code: object, data: bytes) -> int:
    """Replace the trust's whole register with the file's lines, or, if any row has a problem, save nothing
    (CsvRejected lists them). Returns the number of lines saved. One transaction, one audit row."""
    if not isinstance(data, bytes):
        raise CsvRejected([RowProblem(1, "", "Choose a CSV file.")])
    with read_session() as session:
        editor_of(session, actor, trust_code)  # refuse a stranger before reading their file
    lines, problems = parse_csv(data)
    if problems:
        raise CsvRejected(problems)
    with write_session() as session:
        editor, trust = editor_of(session, actor, trust_code)
        replace_register(session, trust.ods_code, lines, editor, file_sha256=hashlib.sha256(data).hexdigest())
    return len(lines)
