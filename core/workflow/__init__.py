"""The escalation route of letter PRN02106 as state changes, one module per who acts: the trust
(`trust`), the reviewing tiers (`reviewers`), the BMA (`bma`), everyone who can see a request
(`comments`) and the system (`expiry`). Every command opens and closes the same way (`command`): one
transaction that writes the new state and exactly one audit row, or raises and changes nothing; who may
act is asked of core.access_control.permissions, the same question the pages ask before they offer a deed;
where each deed leaves the request's status and tier is core.lifecycle's table."""

from core.models import MAX_RATIONALE
from core.workflow.bma import MAX_SCOPE, BmaDecision, bma_decide, revoke
from core.workflow.comments import add_comment
from core.workflow.expiry import expire_ended_periods
from core.workflow.reviewers import review, review_bypass
from core.workflow.trust import (
    MAX_DECLARED_BY,
    BypassRecall,
    answer_more_info,
    record_bypass,
    record_harm,
    save_draft,
    stand_down,
    submit,
    withdraw,
)

__all__ = [
    "MAX_DECLARED_BY",
    "MAX_RATIONALE",
    "MAX_SCOPE",
    "BmaDecision",
    "BypassRecall",
    "add_comment",
    "answer_more_info",
    "bma_decide",
    "expire_ended_periods",
    "record_bypass",
    "record_harm",
    "review",
    "review_bypass",
    "revoke",
    "save_draft",
    "stand_down",
    "submit",
    "withdraw",
]
