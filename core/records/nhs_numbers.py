"""Patient-identifiable data in free text: NHS numbers.

An NHS number is ten digits whose last is a Modulus 11 check digit (NHS Data Dictionary, "NHS number"):
the first nine are weighted 10 down to 2 and summed; 11 minus the sum's remainder on division by 11 is
the check digit, where 11 means 0 and 10 means the number is not valid. People write it as 943 476 5919,
943-476-5919 or 9434765919, so a run of digits with single spaces or hyphens between them is read in
whole groups: any stretch of whole groups holding exactly ten digits is a candidate (an eleven-digit
phone number written 01632 960 123 holds none, nor does one written +44 7700 900000; "bed 12, 943 476 5919"
still finds the number). Ten
digits with a wrong check digit (a phone extension, a reference) are not an NHS number."""

from __future__ import annotations

import re
from collections.abc import Iterator

NHS_NUMBER_MESSAGE = (
    "This looks like an NHS number. Patient details do not belong in a request: remove it and describe "
    "the patients without identifying anyone."
)
DIGITS = 10
# Between two digits of one number: a space (also no-break) or a hyphen (also its typographic forms).
SEPARATOR = "[ \u00a0\\-\u2010\u2011\u2012\u2013]"
_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{SEPARATOR}[0-9]+)*(?![0-9])")
_GROUP = re.compile("[0-9]+")


def valid_nhs_number(digits: str) -> bool:
    """Whether ten ASCII digits carry a valid Modulus 11 check digit."""
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _candidates(text: str) -> Iterator[str]:
    """Every stretch of whole digit groups, within one run of digits and separators, of ten digits."""
    for run in _RUN.finditer(text):
        if text[run.start() - 1 : run.start()] == "+":  # an international phone number (+44 7700 900000)
            continue
        groups = _GROUP.findall(run.group())
        for first in range(len(groups)):
            joined = ""
            for group in groups[first:]:
                joined += group
                if len(joined) >= DIGITS:
                    break
            if len(joined) == DIGITS:
                yield joined


def holds_nhs_number(text: str) -> bool:
    """Whether `text` holds something written like a valid NHS number (never says which: callers must not
    print it)."""
    return any(valid_nhs_number(candidate) for candidate in _candidates(text))
