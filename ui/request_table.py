"""A list of requests as one HTML table of real links: at a desk a table whose cells wrap (so time left and
decision-needed-by are on screen without scrolling sideways), on a phone a list of cards (CSS media query).
Each row's number is a link to the request page, stretched over the whole row: one click or tap anywhere on
a row opens it. What needs action stands out by colour and in words (never colour alone). A column empty
for every row on the page is left out. Every value is escaped (html_text): no markup can form."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.enums import OPEN_STATUSES, Status
from core.queries import ListRow
from ui.text import html_text

# A request with this little time left before its decision-needed-by is due soon.
DUE_SOON_MINUTES = 60
REQUEST_PAGE = "request"  # url path of pages/request_detail.py (app.py's PAGES)
EMPTY = {"", "—"}
OPEN = {s.value for s in OPEN_STATUSES}

# Static styling only (no user text). NHS red #D5281B and warm yellow #FFB81C, each with text of enough
# contrast; the link colour is NHS blue. On a phone the header row is hidden visually (still read out)
# and each cell says its own label.
STYLE = """
<style>
table.requests {width:100%; border-collapse:collapse; color:#212B32; margin:0 0 1rem 0;}
table.requests th, table.requests td {text-align:left; vertical-align:top; padding:0.45rem 0.75rem 0.45rem 0;
  border-bottom:1px solid #D8DDE0; overflow-wrap:anywhere;}
table.requests thead th {border-bottom:2px solid #425563; vertical-align:bottom;}
table.requests tbody tr {position:relative;}
table.requests tbody tr:hover {background:#E8EDEE;}
table.requests td:first-child {white-space:nowrap;}
table.requests a.open {color:#005EB8; font-weight:700; display:inline-block; min-width:24px; min-height:24px;}
table.requests a.open::after {content:""; position:absolute; inset:0;}
table.requests a.open:focus {outline:3px solid #FFEB3B; box-shadow:0 4px 0 #212B32;}
table.requests .tag {display:inline-block; padding:0 0.35rem; font-weight:700; border-radius:2px;}
table.requests .tag.urgent {background:#D5281B; color:#FFFFFF;}
table.requests .tag.soon {background:#FFB81C; color:#212B32;}
table.requests .card-only {display:none;}
@media (max-width: 640px) {
  table.requests thead {position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%);}
  table.requests, table.requests tbody, table.requests tr, table.requests td {display:block; width:auto;}
  table.requests tbody tr {border:1px solid #D8DDE0; border-left:6px solid #005EB8; margin:0 0 0.75rem 0;
    padding:0.5rem 0.75rem;}
  table.requests tbody tr:hover {background:none;}
  table.requests td {border:0; padding:0.1rem 0;}
  table.requests td.empty {display:none;}  /* a card says only what it has */
  table.requests td[data-label]::before {content:attr(data-label) ": "; font-weight:600;}
  table.requests .card-only {display:inline;}
  table.requests a.open {font-size:1.1rem;}
}
</style>
"""


def _tag(words: str, kind: str) -> str:
    return f'<span class="tag {kind}">{html_text(words)}</span>'


def _open(row: ListRow) -> bool:
    return row.request.status in OPEN


def time_left_cell(row: ListRow, text: str) -> str:
    """Not decided in time, or due within the hour, as a coloured tag that says so in words."""
    if row.not_decided_in_time:
        return _tag(text, "urgent")
    due = row.minutes_to_decision
    if _open(row) and due is not None and due <= DUE_SOON_MINUTES:
        return _tag(f"Due within the hour: {text}", "soon")
    return html_text(text)


def at_tier_cell(row: ListRow, text: str) -> str:
    return _tag(text, "urgent") if row.breached else html_text(text)


def status_cell(row: ListRow, text: str) -> str:
    """A question waiting for the trust's answer stands out on the trust's list."""
    return _tag(text, "soon") if row.request.status == Status.MORE_INFO else html_text(text)


def mass_casualty_cell(row: ListRow, text: str) -> str:
    return _tag(text, "urgent") if text else ""


# Columns whose cells say more than their words: how each is marked up (the rest are escaped text).
MARKED: dict[str, Callable[[ListRow, str], str]] = {
    "Time left": time_left_cell,
    "Time at tier (target)": at_tier_cell,
    "Mass casualty": mass_casualty_cell,
    "Status": status_cell,
}


def shown_columns(texts: list[dict[str, str]], columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns with something in them for at least one row (the number always)."""
    return tuple(name for name in columns if name == "No." or any(cells[name] not in EMPTY for cells in texts))


def table_html(rows: list[ListRow], columns: tuple[str, ...], cells: dict[str, Callable[[ListRow], object]]) -> str:
    """The table (without its style): a header row, then one row per request with its number as the link."""
    texts = [{name: str(cells[name](row)) for name in columns} for row in rows]
    shown = shown_columns(texts, columns)
    head = "".join(f'<th scope="col">{html_text(name)}</th>' for name in shown)
    body = []
    for row, values in zip(rows, texts, strict=True):
        number = row.request.id
        tds = [
            f'<td><a class="open" href="{REQUEST_PAGE}?id={number}" target="_self">'
            f'<span class="card-only">Request </span>{number}</a></td>'
        ]
        for name in shown[1:]:
            mark = MARKED.get(name)
            content = mark(row, values[name]) if mark else html_text(values[name])
            empty = ' class="empty"' if values[name] in EMPTY else ""
            tds.append(f'<td data-label="{html_text(name)}"{empty}>{content or "—"}</td>')
        body.append(f"<tr>{''.join(tds)}</tr>")
    return f'<table class="requests"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def request_table(rows: list[ListRow], columns: tuple[str, ...], cells: dict[str, Callable[[ListRow], object]]) -> None:
    """Draw the requests (nothing when there are none: the page says so in words)."""
    if rows:
        st.html(STYLE + table_html(rows, columns, cells))
