"""Post-strike report: what happened in one strike period, in the reader's scope (England for the
national MDT, their own region for a regional medical director; core.report decides), or every round
side by side. Its charts and printable summaries are drawn in ui/report_charts.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from core import queries, report
from core.enums import Role
from core.models import User
from core.platform.clock import format_london
from core.platform.db import DatabaseBusy
from core.platform.errors import NotFound
from core.request.outcomes import DECLINED_EITHER, Outcome
from ui.filters import period_picker
from ui.report_charts import compare_charts, compare_printable, printable, report_charts
from ui.session import guarded_download, refused_download, require_page

user = require_page("report")
Built = TypeVar("Built")  # a report or a comparison


def _figures_and_printable(
    build: Callable[[User], Built],
    to_csv: Callable[[Built], bytes],
    to_html: Callable[[Built], str],
    *,
    labels: tuple[str, str],
    file_name: Callable[[str], str],
    key: str,
) -> None:
    """Two downloads side by side, each built for the account at the click: the figures as CSV, then a
    printable page (keys `{key}_csv` and `{key}_html`)."""
    kinds = (("csv", "text/csv", ":material/download:", to_csv), ("html", "text/html", ":material/print:", to_html))
    for column, label, (kind, mime, icon, render) in zip(st.columns(2), labels, kinds, strict=True):
        column.download_button(
            label,
            data=guarded_download(lambda actor, render=render: render(build(actor)), key=f"{key}_{kind}"),
            file_name=file_name(kind),
            mime=mime,
            key=f"{key}_{kind}",
            icon=icon,
            on_click="ignore",  # no rerun: it races the file generated on the click (seen under load)
        )
        refused_download(f"{key}_{kind}", column)


def compare_view() -> None:
    """Every strike round side by side: by default every period of the last 12 months."""
    periods = queries.strike_periods()
    by_id = {p.id: p for p in periods}
    chosen = st.multiselect(
        "Strike periods to compare",
        options=list(by_id),
        default=[pid for pid in report.compare.default_period_ids() if pid in by_id],
        format_func=lambda pid: queries.period_label(by_id[pid]),
        key="report_compare_periods",
        help="At first, every strike period of the last 12 months (a strike mandate lasts 12 months).",
    )
    if not chosen:
        st.info("Choose the strike periods to compare.")
        return
    try:
        compared = report.compare.compare(user, chosen)
    except NotFound:
        st.error("One of those strike periods was not found. Choose again.")
        return
    except DatabaseBusy as exc:
        st.error(str(exc))
        return
    st.markdown(f"**{compared.scope}** · {len(compared.periods)} strike periods, oldest first.")
    _figures_and_printable(
        lambda actor: report.compare.compare(actor, chosen),
        report.compare.to_csv,
        compare_printable,
        labels=("Download the comparison (CSV)", "Download a printable comparison (HTML)"),
        file_name=lambda kind: report.compare.filename(compared, kind),
        key="compare",
    )
    st.header("Figures, period by period")
    st.caption("Declines by reason count each reason given: a decline may give several.")
    shown = compared.table.set_index(report.compare.PERIOD).T.reset_index(names="Measure")
    st.dataframe(shown, hide_index=True, width="stretch", key="compare_table")
    st.header("Charts")
    for start, pair in enumerate(_pairs(compare_charts(compared))):
        for column, (title, chart, chart_words) in zip(st.columns(2), pair, strict=False):
            with column:
                st.altair_chart(chart, width="stretch", key=f"compare_chart_{start}_{title}")
                st.caption(f"{title}: {chart_words}")


def _pairs(items: list) -> list[list]:
    return [items[i : i + 2] for i in range(0, len(items), 2)]


st.title("Post-strike report")
view = st.segmented_control(
    "Show",
    options=["period", "compare"],
    format_func={"period": "One strike period", "compare": "Compare strike periods"}.get,
    default="period",
    required=True,
    key="report_view",
)
if view == "compare":
    compare_view()
    st.stop()
period_id = period_picker("report_period").id

try:
    built = report.build(user, period_id)
except NotFound:
    st.error("That strike period was not found. Choose another.")
    st.stop()
except DatabaseBusy as exc:
    st.error(str(exc))
    st.stop()

status = (
    "Final: the strike period has ended." if built.is_final else "Provisional: the strike period has not ended yet."
)
st.markdown(f"**{built.scope}** · {status} Drawn up {format_london(built.generated_at)}.")

h = built.headline
a = built.approvals
figures = [
    ("Requests", h.requests),
    (Outcome.APPROVED.long_label, h.approved),
    (DECLINED_EITHER, h.declined),
    (Outcome.WITHDRAWN.label, h.withdrawn),
    (Outcome.NOT_DECIDED_IN_TIME.label, h.not_decided_in_time),
    ("Doctors requested", a.doctors_requested),
    ("Doctors recalled", a.doctors_recalled),
    ("Breached a tier target", built.breached_requests),
    ("Mass-casualty events", h.mass_casualty),
    ("Approvals given", h.approvals_given),
    ("Doctors approved by the BMA", h.doctors_given),
    ("Recalls under the failsafe bypass", h.bypasses),
    ("Bypass reviews due", h.bypass_reviews_due),
    ("Bypasses not justified", h.bypass_not_justified),
]
for start in range(0, len(figures), 5):
    columns = st.columns(5)
    for column, (label, value) in zip(columns, figures[start : start + 5], strict=False):
        column.metric(label, f"{value:,}")

_figures_and_printable(
    lambda actor: report.build(actor, period_id),
    report.to_csv,
    printable,
    labels=("Download the figures (CSV)", "Download a printable summary (HTML)"),
    file_name=lambda kind: report.filename(built, kind),
    key="report",
)
if user.role == Role.NATIONAL_MDT:
    st.download_button(
        "Download the requests for a freedom-of-information answer (CSV, no personal data)",
        data=guarded_download(lambda actor: report.foi.foi_csv(actor, period_id), key="report_foi"),
        file_name=report.foi.filename(built.period),
        mime="text/csv",
        key="report_foi",
        icon=":material/download:",
        on_click="ignore",  # no rerun: it races the file generated on the click (seen under load)
        help="Every request of this period: no names, phone numbers or e-mail addresses, no free text (only "
        "whether a request has any). See docs/privacy.md.",
    )
    refused_download("report_foi")

st.header("Charts")
chart_list = report_charts(built)
for start in range(0, len(chart_list), 2):
    for column, (title, chart, words) in zip(st.columns(2), chart_list[start : start + 2], strict=False):
        with column:
            st.altair_chart(chart, width="stretch")
            st.caption(f"{title}: {words}")

st.header("Figures")
for title, frame, _ in report.tables(built):
    st.subheader(title)
    if frame.empty:
        st.caption("None in this period.")
    else:
        st.dataframe(frame, hide_index=True, width="stretch")
