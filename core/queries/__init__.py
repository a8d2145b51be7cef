"""What the pages read: lists, review queues, one request's record, dashboard aggregates, CSV exports
and the public check of a confirmation reference.

Every query is scoped through core.access (visible_filter / queue_filter), lists are capped, and the
dashboard is aggregated in SQL with GROUP BY so only small tables ever reach Python. Import from here:
`from core import queries` then `queries.queue(...)`."""

from core.queries.dashboard import (
    ATTENTION_LIMIT,
    BREAKDOWN_COLUMNS,
    OUTCOME_LABELS,
    TIMELINE_EVENTS,
    Headline,
    ListFilters,
    attention,
    dashboard_breakdown,
    dashboard_timeline,
    headline,
    outcome_sql,
    period_requests,
)
from core.queries.exports import REQUEST_EXPORT_FIELDS, audit_csv, requests_csv
from core.queries.lists import (
    STATUS_GROUPS,
    CommentRow,
    QueueFilters,
    RequestRecord,
    draft_for_edit,
    queue,
    queue_choices,
    request_record,
    trust_requests,
)
from core.queries.public_check import Verification, normalise_reference, verify_reference
from core.queries.reference import (
    category_label,
    default_period,
    fresh_user,
    period_label,
    periods_at,
    periods_now,
    region_name,
    regions,
    scope_label,
    strike_periods,
    targets,
    trust_of,
    trusts_in,
    user_scope_label,
)
from core.queries.rows import LIST_LIMIT, ListRow

__all__ = [
    "ATTENTION_LIMIT",
    "BREAKDOWN_COLUMNS",
    "LIST_LIMIT",
    "OUTCOME_LABELS",
    "REQUEST_EXPORT_FIELDS",
    "STATUS_GROUPS",
    "TIMELINE_EVENTS",
    "CommentRow",
    "Headline",
    "ListFilters",
    "ListRow",
    "QueueFilters",
    "RequestRecord",
    "Verification",
    "attention",
    "audit_csv",
    "category_label",
    "dashboard_breakdown",
    "dashboard_timeline",
    "default_period",
    "draft_for_edit",
    "fresh_user",
    "headline",
    "normalise_reference",
    "outcome_sql",
    "period_label",
    "periods_at",
    "period_requests",
    "periods_now",
    "queue",
    "queue_choices",
    "region_name",
    "regions",
    "request_record",
    "requests_csv",
    "scope_label",
    "strike_periods",
    "targets",
    "trust_of",
    "trust_requests",
    "trusts_in",
    "user_scope_label",
    "verify_reference",
]
