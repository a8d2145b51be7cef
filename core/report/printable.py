"""The post-strike report as one self-contained, printable HTML page: its tables, and the dashboard's
charts embedded as SVG images (drawn by the caller), so it prints and opens offline."""

from __future__ import annotations

import base64
import html

import pandas as pd

from core.platform.clock import format_duration, format_london
from core.report.figures import Report
from core.report.tables import tables

PRINT_CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#212B32;margin:2rem;max-width:60rem}
h1{color:#003087;font-size:1.8rem;margin-bottom:.2rem}h2{color:#005EB8;font-size:1.3rem;margin-top:2rem;
border-bottom:2px solid #005EB8;padding-bottom:.2rem}p.meta{color:#4C6272;margin-top:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem 0;font-size:.9rem}
th,td{border:1px solid #D8DDE0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#F0F4F5}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0;page-break-inside:avoid}figcaption{font-weight:bold;margin-bottom:.3rem}
figure img{max-width:100%;height:auto}.note{background:#FFF9C4;border-left:6px solid #FFB81C;padding:.5rem}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table{page-break-inside:auto}
tr{page-break-inside:avoid}}
"""


def cell_text(value: object, column: str) -> str:
    """A figure as the printable pages show it: a dash for none, minutes also as a duration, thousands separated."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float) and "minutes" in column.lower():
        return f"{format_duration(value)} ({value:,.0f} min)"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>None in this period.</p>"
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f"<td{' class=n' if numeric else ''}>{html.escape(cell_text(value, str(column)))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(report: Report, charts: list[tuple[str, str | None]]) -> str:
    """A self-contained, printable summary. `charts` are (title, SVG text) pairs rendered from the
    dashboard's Altair charts; each is embedded as an image, so nothing is fetched and no script runs."""
    period = report.period
    figures = []
    missing = False
    for title, svg in charts:
        if svg is None:
            missing = True
            continue
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        figures.append(
            f"<figure><figcaption>{html.escape(title)}</figcaption>"
            f"<img alt='{html.escape(title, quote=True)} (chart; the same figures are in the tables)' "
            f"src='data:image/svg+xml;base64,{data}'></figure>"
        )
    note = (
        "<p class='note'>Some charts could not be drawn on this server; every figure is in the tables.</p>"
        if missing
        else ""
    )
    status = (
        "Final: the strike period has ended."
        if report.is_final
        else "Provisional: the strike period has not ended yet; open requests may still change."
    )
    sections = "".join(f"<h2>{html.escape(title)}</h2>{_html_table(frame)}" for title, frame, _ in tables(report))
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>Post-strike report: {html.escape(period.name)}</title><style>{PRINT_CSS}</style></head><body>"
        f"<h1>Post-strike report: {html.escape(period.name)}</h1>"
        f"<p class='meta'>{html.escape(report.scope)} · strike period {html.escape(format_london(period.starts_at))} "
        f"to {html.escape(format_london(period.ends_at))} · generated {html.escape(format_london(report.generated_at))}"
        f"</p><p>{html.escape(status)} Times at each tier are measured from the audit history; "
        "the median and 90th percentile are over finished visits of a request to a tier.</p>"
        f"{note}<h2>Charts</h2>{''.join(figures) or '<p>No charts for this period.</p>'}{sections}"
        "</body></html>"
    )
