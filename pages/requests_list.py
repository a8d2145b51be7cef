"""Requests list (national MDT: England; regional medical director: their region): every request of a
strike period in the viewer's scope, filtered by region, category and outcome, newest first; a row
opens the request; the filtered list and its audit history download as CSV. Linked from the live
dashboard (?period= carries the period shown there)."""

from __future__ import annotations

import re

import streamlit as st

from core import queries
from core.queries.search import MAX_SEARCH
from ui import components, narrow, shared_copies
from ui.filters import bypass, category, filter_row, outcome, period_picker, reason, region
from ui.session import guarded_download, refused_download, require_page

user = require_page("requests_list")
narrow.compact_on_phone()
SHOWN = 50  # newest rows on screen; the CSV holds every row

st.title("Requests list")
chosen = period_picker("list_period", st.query_params.get("period"))
region_names = shared_copies.region_names()
national = queries.figures_region(user) is None
st.caption(
    ("Every region of England." if national else f"{queries.figures_scope_label(user, region_names)} only.")
    + " Times are UK time."
)
st.page_link("pages/dashboard.py", label="Back to the live dashboard", icon=":material/monitoring:")

search = st.text_input(
    "Search: a request number, or words in the service, site, ward or trust",
    key="list_search",
    max_chars=MAX_SEARCH,
    help="Derogations are also called patient safety mitigations: 'derogation 42', 'patient safety mitigation 42' "
    "and '42' all find request 42.",
)
chosen_filters = filter_row("list", [region(region_names if national else None), category(), outcome()])
chosen_filters |= filter_row("list", [reason(), bypass()])
filters = queries.ListFilters(**chosen_filters, search=search or None)
rows, total = queries.period_requests(user, chosen.id, filters, limit=SHOWN)
more = f"; showing the newest {len(rows)}: download the CSV for all" if total > len(rows) else ""
st.markdown(f"**{total} request{'s' if total != 1 else ''}{more}.** Click a request to open it.")
columns = components.OVERVIEW_COLUMNS if national else tuple(c for c in components.OVERVIEW_COLUMNS if c != "Region")
components.list_table(rows, columns=columns)
slug = re.sub(r"[^a-z0-9]+", "-", chosen.name.lower()).strip("-") or "period"
downloads = (
    ("Download this list (CSV)", queries.requests_csv, f"derogations-{slug}.csv", "list_csv"),
    (
        "Download the audit history of this list (CSV)",
        queries.audit_csv,
        f"derogations-audit-{slug}.csv",
        "list_csv_audit",
    ),
)
for column, (label, export, file_name, key) in zip(st.columns(2), downloads, strict=True):
    column.download_button(
        label,
        data=guarded_download(lambda actor, export=export: export(actor, chosen.id, filters), key=key),
        file_name=file_name,
        mime="text/csv",
        on_click="ignore",  # no rerun: it races the file generated on the click (seen under load)
        key=key,
        icon=":material/download:",
    )
    refused_download(key, column)
