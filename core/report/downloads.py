"""The post-strike report's CSV download, and the names both downloads are saved under."""

from __future__ import annotations

import io
from datetime import UTC

import pandas as pd

from core import queries
from core.platform import spreadsheet
from core.platform.spreadsheet import defuse
from core.report.figures import Report
from core.report.tables import tables


def _cell(value: object) -> object:
    if isinstance(value, float):
        return round(value, 1)
    return defuse(value) if isinstance(value, str) else value


def _blank(value: object) -> object:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else value


def to_csv(report: Report) -> bytes:
    """Every table of the report in one long CSV (period, scope, table, row, measure, value), UTF-8 with a
    byte-order mark so spreadsheets read it correctly."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["period", "scope", "table", "row", "measure", "value"])
    for title, frame, keys in tables(report):
        label_columns, measures = list(frame.columns[:keys]), list(frame.columns[keys:])
        for record in frame.to_dict("records"):
            row = " | ".join(str(record[c]) for c in label_columns)
            for measure in measures:
                values = (report.period.name, report.scope, title, row, measure, _blank(record[measure]))
                writer.writerow([_cell(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(report: Report, extension: str) -> str:
    stamp = report.period.starts_at.astimezone(UTC).strftime("%Y-%m-%d")
    scope = "england" if report.scope == queries.ENGLAND else report.scope.lower().replace(" ", "-")
    return f"post-strike-report-{stamp}-{scope}.{extension}"
