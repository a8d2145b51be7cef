"""pages/report.py through the whole app (AppTest): national and regional scope, refused roles."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.enums import Role
from core.platform.config import PROJECT_ROOT
from tests.conftest import Staff
from tests.core.report.test_report import History
from tests.pages.conftest import sign_in_as

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 60


@pytest.fixture
def history(sqlite_db) -> History:
    return History(Staff())


def _open_report(user) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    sign_in_as(at, user)
    at.run()
    at.switch_page("pages/report.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_national_mdt_sees_england(history: History) -> None:
    at = _open_report(history.a[Role.NATIONAL_MDT])
    assert at.title[0].value == "Post-strike report"
    assert at.selectbox(key="report_period").value == history.period.id
    assert any(m.value.startswith("**England**") and "Final" in m.value for m in at.markdown)
    metrics = _metrics(at)
    assert metrics["Requests"] == "5" and metrics["Mass-casualty events"] == "1"
    assert metrics["Doctors recalled"] == "2" and metrics["Breached a tier target"] == "4"
    assert {b.proto.label for b in at.get("download_button")} == {
        "Download the figures (CSV)",
        "Download a printable summary (HTML)",
        "Download the requests for a freedom-of-information answer (CSV, no personal data)",
    }
    assert len(at.get("vega_lite_chart")) == 8  # five summaries, declines by reason and two over time
    captions = " ".join(c.value for c in at.caption)
    assert "Requests by region: North West: 4; London: 1" in captions
    assert {s.value for s in at.subheader} >= {"Time at each tier", "Outcomes at each tier", "Mass-casualty events"}


def test_regional_md_sees_only_their_region(history: History) -> None:
    at = _open_report(history.a[Role.REGIONAL_MD])
    assert any(m.value.startswith("**North West region**") for m in at.markdown)
    metrics = _metrics(at)
    assert metrics["Requests"] == "4" and metrics["Mass-casualty events"] == "0"
    captions = " ".join(c.value for c in at.caption)
    assert "Requests by region: North West: 4" in captions and "London" not in captions
    assert len(at.get("download_button")) == 2  # no freedom-of-information export: it is the national MDT's


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.BMA, Role.ADMIN])
def test_other_roles_are_refused(history: History, role: Role) -> None:
    at = _open_report(history.a[role])
    assert any("not available to your role" in e.value for e in at.error)
    assert not at.metric and not any(t.value == "Post-strike report" for t in at.title)


def test_printable_summary_embeds_every_report_chart_as_svg(history: History) -> None:
    from core import report
    from ui import charts

    built = report.build(history.a[Role.NATIONAL_MDT], history.period.id)
    frame = built.by_region.rename(columns={"Region": "label", "Requests": "requests"})
    svg = charts.to_svg(charts.requests_by(frame, "Requests by region"))
    assert svg is not None and svg.startswith("<svg") and "North West" in svg
    assert charts.to_svg(object()) is None  # a chart that cannot be drawn leaves the report its tables


def test_declines_by_reason_and_the_new_tables_are_on_the_report(history: History) -> None:
    at = _open_report(history.a[Role.NATIONAL_MDT])
    captions = " ".join(c.value for c in at.caption)
    assert "Declines by reason: Evidence missing or unclear: 1" in captions
    assert {s.value for s in at.subheader} >= {
        "Declines by who declined",
        "Reasons given for declines, returns and revocations",
        "Recalls under the failsafe bypass, and their reviews",
    }


def test_compare_strike_periods(history: History) -> None:
    from datetime import timedelta

    from tests.core.conftest import add_period

    later = add_period(
        history.period.starts_at + timedelta(days=90), history.period.ends_at + timedelta(days=90), "Next"
    )
    at = _open_report(history.a[Role.NATIONAL_MDT])
    at.segmented_control(key="report_view").set_value("compare").run()
    assert not at.exception, at.exception
    at.multiselect(key="report_compare_periods").set_value([history.period.id, later.id]).run()
    assert not at.exception, at.exception
    assert any(h.value == "Figures, period by period" for h in at.header)
    table = at.dataframe[0].value
    assert table["Measure"].tolist()[:2] == ["Requests", "Doctors asked for"]
    assert table.iloc[0, 1:].tolist() == [5, 0]  # the July round, then the next
    assert {b.proto.label for b in at.get("download_button")} == {
        "Download the comparison (CSV)",
        "Download a printable comparison (HTML)",
    }
    assert len(at.get("vega_lite_chart")) >= 3
    assert not at.metric  # the single period's figures are not drawn in this view
