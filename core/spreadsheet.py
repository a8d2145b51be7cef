"""CSV cells that are safe to open in a spreadsheet (CSV injection)."""

from __future__ import annotations

# A cell starting with one of these would run as a formula. Such a cell gets one leading apostrophe,
# and so does a cell already starting with one, so a reader strips exactly one to get the value back.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
