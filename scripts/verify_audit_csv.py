#!/usr/bin/env python3
"""Re-check an audit export of the Derogations service, outside the system (standard library only).

    python verify_audit_csv.py period-3.csv                  # a strike period: an unbroken chain
    python verify_audit_csv.py --request-export request-42.csv
    python verify_audit_csv.py --anchor 3f5a... period-3.csv # a hash you recorded earlier must be there

Every row's hash is recomputed from its content (docs/audit-chain.md gives the recipe), and each
row's prev_hash must equal the row_hash of the row before it. A request export holds one request's
rows only, with other requests' rows missing in between, so there only the hashes are checked.
Exit status: 0 intact, 1 tampered or incomplete, 2 not an audit export.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys

COLUMNS = [
    "id",
    "request_id",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "from_status",
    "to_status",
    "from_tier",
    "to_tier",
    "rationale",
    "details",
    "prev_hash",
    "row_hash",
]
HASHED = COLUMNS[1:-1]  # everything but the id and the row's own hash
INTEGERS = {"request_id", "actor_id"}
NULLABLE = {"request_id", "actor_id", "from_status", "to_status", "from_tier", "to_tier"}


def unprotect(cell: str) -> str:
    """The export puts one apostrophe before a cell a spreadsheet could run as a formula."""
    return cell[1:] if cell.startswith("'") else cell


def row_hash(cells: dict[str, str]) -> str:
    payload: dict[str, object] = {}
    for name in HASHED:
        cell = cells[name]
        if name in NULLABLE and cell == "":
            payload[name] = None
        elif name in INTEGERS:
            payload[name] = int(cell)
        elif name == "details":
            payload[name] = json.loads(cell)
        else:
            payload[name] = cell
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify(path: str, *, request_export: bool, anchors: list[str]) -> tuple[int, list[str]]:
    """(exit status, lines to print)."""
    problems: list[str] = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or header[: len(COLUMNS)] != COLUMNS:
            return 2, [f"{path}: not an audit export (the first line must start with: {','.join(COLUMNS)})"]
        previous: str | None = None
        rows = links_unchecked = 0
        seen: set[str] = set()
        first_prev = last = ""
        for line_number, raw in enumerate(reader, start=2):
            if len(raw) < len(COLUMNS):
                problems.append(f"line {line_number}: has {len(raw)} cells, expected {len(COLUMNS)}")
                continue
            cells = {name: unprotect(cell) for name, cell in zip(COLUMNS, raw, strict=False)}
            rows += 1
            where = f"row id {cells['id']} (line {line_number})"
            try:
                expected = row_hash(cells)
            except ValueError as exc:
                problems.append(f"{where}: cannot be read ({exc})")
                expected = None
            if expected is not None and expected != cells["row_hash"]:
                problems.append(f"{where}: its content does not match its hash (it was edited)")
            if previous is not None and cells["prev_hash"] != previous:
                if request_export:
                    links_unchecked += 1
                else:
                    problems.append(f"{where}: its link to the row before is broken (a row was removed or reordered)")
            if previous is None:
                first_prev = cells["prev_hash"]
            previous = last = cells["row_hash"]
            seen.add(cells["row_hash"])
    for anchor in anchors:
        if anchor.strip().lower() not in seen:
            problems.append(f"recorded hash {anchor} is not in this file (the history was rewritten or cut)")
    if problems:
        return 1, [f"{path}: NOT INTACT", *problems]
    report = [f"{path}: intact, {rows} row(s) each match their hash."]
    if request_export:
        report.append(
            f"{links_unchecked} link(s) pass through other requests' rows not in this file; "
            "check those with a period export or on the server with `python -m ops verify-audit`."
        )
    else:
        report.append("Every row links to the row before it.")
    report.append(f"First row's prev_hash: {first_prev or '(start of the chain)'}")
    report.append(f"Last row_hash: {last}")
    return 0, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-check a Derogations audit export (CSV).")
    parser.add_argument("file")
    parser.add_argument(
        "--request-export",
        action="store_true",
        help="the file holds one request's rows: check each row's hash, not the links between rows",
    )
    parser.add_argument("--anchor", action="append", default=[], help="a row hash recorded earlier; must be present")
    args = parser.parse_args(argv)
    status, lines = verify(args.file, request_export=args.request_export, anchors=args.anchor)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
