"""The post-strike report of one strike period: its figures (figures.py), the same figures as titled
tables (tables.py), and the files it is downloaded as (downloads.py: CSV; printable.py: HTML), and
the freedom-of-information export of its requests (foi.py).
Import from here: `from core import report` then `report.build(...)`."""

from core.report import compare, foi
from core.report.downloads import filename, to_csv
from core.report.figures import Approvals, Report, TierTime, build, percentile, tier_visits
from core.report.printable import to_html
from core.report.tables import summary_rows, tables, tier_times_frame

__all__ = [
    "compare",
    "foi",
    "Approvals",
    "Report",
    "TierTime",
    "build",
    "filename",
    "percentile",
    "summary_rows",
    "tables",
    "tier_times_frame",
    "tier_visits",
    "to_csv",
    "to_html",
]
