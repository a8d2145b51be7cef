"""CSV cells that are safe to open in a spreadsheet (CSV injection). Every CSV the service writes (the
requests list, the audit downloads and the command line's audit export, the post-strike report) passes
each text cell through `defuse`."""

from __future__ import annotations

import unicodedata

# OWASP's list: a cell whose first character is one of these may run as a formula (tab, CR and LF too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Look-alikes a spreadsheet may fold into them: NFKC turns full-width ＝＋－＠ and small ﹦﹢﹣﹫ into = + - @;
# the minus sign − is added by hand (NFKC keeps it).
FORMULA_SIGNS = frozenset("=+-@\u2212")
# Characters a spreadsheet may skip before reading a formula: whitespace and invisible characters.
SKIPPED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _first_visible(text: str) -> str:
    for ch in text:
        if not (ch.isspace() or unicodedata.category(ch) in SKIPPED_CATEGORIES):
            return ch
    return ""


def dangerous(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula: its first character is on OWASP's list, or its
    first visible one (after any spaces, tabs, line breaks or invisible characters) is = + - @ or a
    look-alike."""
    if text.startswith(FORMULA_START):
        return True
    first = _first_visible(text)
    return bool(first) and (first in FORMULA_SIGNS or unicodedata.normalize("NFKC", first) in FORMULA_SIGNS)


def defuse(text: str) -> str:
    """`text` with one leading apostrophe when a spreadsheet could run it, so it is shown as text. A cell
    already starting with an apostrophe gets one too, so a reader strips exactly one leading apostrophe
    to get the value back (scripts/verify_audit_csv.py does)."""
    return "'" + text if text.startswith("'") or dangerous(text) else text
