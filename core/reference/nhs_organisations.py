"""NHS England regions and the NHS trusts of England (ODS), loaded idempotently."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from core.models import Region, Trust
from core.platform.config import DATA_DIR

ODS_TRUSTS_FILE = DATA_DIR / "ods-etr-nhs-trusts-2026-07.csv"
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
_UPPER_WORDS = {"NHS", "UK", "II"}
_LOWER_WORDS = {"and", "of", "the", "for", "on", "upon", "in"}


def display_name(ods_name: str) -> str:
    """'MANCHESTER UNIVERSITY NHS FOUNDATION TRUST' -> 'Manchester University NHS Foundation Trust'."""
    words = []
    for index, word in enumerate(ods_name.split()):
        if word in _UPPER_WORDS:
            words.append(word)
        elif index and word.lower() in _LOWER_WORDS:
            words.append(word.lower())
        else:
            words.append(re.sub(r"[A-Za-z][A-Za-z']*", lambda m: m.group(0).capitalize(), word.lower()))
    return " ".join(words)


@dataclass(frozen=True)
class TrustRow:
    ods_code: str
    name: str
    region_code: str
    postcode: str


def read_english_trusts(path: Path = ODS_TRUSTS_FILE) -> list[TrustRow]:
    """Open trusts with an NHS England region (closed and Welsh trusts are left out)."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.reader(handle):
            code, name, region, close_date, postcode = record[0], record[1], record[2], record[11], record[9]
            if close_date or region not in REGIONS:
                continue
            rows.append(TrustRow(code, display_name(name), region, postcode))
    return rows


def load_reference_data(session: Session) -> tuple[int, int]:
    """Insert or update regions and trusts; safe to run any number of times."""
    for code, name in REGIONS.items():
        session.merge(Region(code=code, name=name))
    session.flush()
    trusts = read_english_trusts()
    for row in trusts:
        session.merge(Trust(ods_code=row.ods_code, name=row.name, region_code=row.region_code, postcode=row.postcode))
    return len(REGIONS), len(trusts)
