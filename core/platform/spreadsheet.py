"""CSV cells that are safe to open in a spreadsheet (CSV injection). Every CSV the service writes (the
requests list, the audit downloads and the command line's audit export, the post-strike report, the
freedom-of-information export) passes each text cell through `defuse`."""

from __future__ import annotations

import csv
import re
import unicodedata
from typing import Any, TextIO

import regex

# OWASP's list: a cell whose first character is one of these may run as a formula (tab, CR and LF too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Look-alikes a spreadsheet may fold into them: NFKC turns full-width ＝＋－＠ and small ﹦﹢﹣﹫ into = + - @;
# the minus sign − is added by hand (NFKC keeps it).
FORMULA_SIGNS = frozenset("=+-@\u2212")
# Characters a spreadsheet may skip before reading a formula: whitespace and invisible characters.
SKIPPED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
# Where a spreadsheet may start a new cell inside ours: a file opened with a semicolon or tab as its
# separator (Excel in much of Europe; "Text Import" dialogs), or one that ignores the quotes around a comma.
SEPARATORS = re.compile("[,;\t]")


SPLIT_LOOKAHEAD = 1000  # after a separator, how far to look past spaces: keeps a cell of many tabs linear


def _first_visible(text: str, start: int = 0) -> str:
    for ch in text[start : start + SPLIT_LOOKAHEAD] if start else text:
        if not (ch.isspace() or unicodedata.category(ch) in SKIPPED_CATEGORIES or _DEFAULT_IGNORABLE.match(ch)):
            return ch
    return ""


def starts_formula(text: str, start: int = 0) -> bool:
    """Whether a spreadsheet could read the cell `text` (from `start`) as a formula, on its own (see `dangerous`)."""
    if start == 0 and text.startswith(FORMULA_START):  # a split-off cell: only a visible sign counts
        return True
    first = _first_visible(text, start)
    return bool(first) and (first in FORMULA_SIGNS or unicodedata.normalize("NFKC", first) in FORMULA_SIGNS)


def dangerous(text: str) -> bool:
    """Whether a spreadsheet could read `text`, or a cell it may split off `text` at a separator (`1;=cmd|`,
    `a,=1`, `x\\t=1`), as a formula: its first character is on OWASP's list, or its first visible one (after
    any spaces, tabs, line breaks or invisible characters) is = + - @ or a look-alike."""
    return starts_formula(text) or any(starts_formula(text, m.end()) for m in SEPARATORS.finditer(text))


def defuse(text: str) -> str:
    """`text` with one leading apostrophe when a spreadsheet could run it, so it is shown as text. A cell
    already starting with an apostrophe gets one too, so a reader strips exactly one leading apostrophe
    to get the value back (scripts/verify_audit_csv.py does). A cell with a formula after a separator is
    marked too; `writer` quotes every text cell, so a spreadsheet splitting on that separator keeps the
    cell whole."""
    return "'" + text if text.startswith("'") or dangerous(text) else text


def writer(out: TextIO, **options: object) -> Any:
    """A csv.writer for `out` that quotes every text cell (numbers stay numbers): quotes keep a cell holding
    a separator in one piece whichever separator a spreadsheet splits on, not only the file's comma."""
    return csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, **options)
