"""Who covers what: the part of England's requests a person's role gives them (one trust, one region, the
nation, or the BMA's route), built once from the account, and every filter that follows from it: the
requests they see, the running counts they may read, whom news of a request reaches (the inverse), and
the list filters their scope spans. The one place a role is mapped to a scope."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import col

from core.enums import Role, Status, Tier
from core.models import DerogationRequest, RequestTally, Trust, User


class ScopeKind(StrEnum):
    TRUST = "trust"
    REGION = "region"  # an NHS England region: every trust in it
    NATIONAL = "national"  # England
    BMA_ROUTE = "bma_route"  # the requests that reach the BMA, from every trust
    NOTHING = "nothing"  # administrators (who manage the system, not requests) and closed accounts


_TRUST_ROLES = frozenset({Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD})
_REGION_ROLES = frozenset({Role.REGIONAL_MD})


def kind_of(role: Role) -> ScopeKind:
    """The kind of scope a role has: what its account must name (a trust, a region, or neither)."""
    if role in _TRUST_ROLES:
        return ScopeKind.TRUST
    if role in _REGION_ROLES:
        return ScopeKind.REGION
    if role is Role.NATIONAL_MDT:
        return ScopeKind.NATIONAL
    if role is Role.BMA:
        return ScopeKind.BMA_ROUTE
    return ScopeKind.NOTHING


def reviewer_tier(user: User) -> Tier | None:
    """The tier whose queue a user works, if any: the reviewers' role is their tier."""
    try:
        return Tier(user.role)
    except ValueError:
        return None


@dataclass(frozen=True)
class Scope:
    """One person's scope. `trust_code` is set for a trust's scope only, `region_code` for a region's."""

    kind: ScopeKind
    trust_code: str | None = None
    region_code: str | None = None
    drafts: bool = False  # the trust's requesters also see its drafts (shift handover)

    @classmethod
    def of(cls, user: User) -> Scope:
        """The scope `user` works in now: their role's, and nothing once their account is closed."""
        if not user.active:
            return cls(ScopeKind.NOTHING)
        return cls.of_role(Role(user.role), user.trust_code, user.region_code)

    @classmethod
    def of_role(cls, role: Role, trust_code: str | None, region_code: str | None) -> Scope:
        """The scope `role` gives an account that names `trust_code` and `region_code`: it keeps only the
        code its kind needs."""
        kind = kind_of(role)
        return cls(
            kind,
            trust_code=trust_code if kind is ScopeKind.TRUST else None,
            region_code=region_code if kind is ScopeKind.REGION else None,
            drafts=role is Role.REQUESTER,
        )

    def visible_filter(self) -> ColumnElement[bool]:
        """SQL condition on DerogationRequest: the requests this scope sees."""
        submitted = DerogationRequest.status != Status.DRAFT.value
        if self.kind is ScopeKind.TRUST:
            in_trust = DerogationRequest.trust_code == self.trust_code
            return in_trust if self.drafts else and_(in_trust, submitted)
        if self.kind is ScopeKind.REGION:
            return and_(DerogationRequest.region_code == self.region_code, submitted)
        if self.kind is ScopeKind.NATIONAL:
            return submitted
        if self.kind is ScopeKind.BMA_ROUTE:
            # A mass-casualty request alerts every tier at once (docs/rules.md rule 5), so the BMA may read it
            # from submission; it still acts only once the request has been escalated to it.
            return or_(
                col(DerogationRequest.escalated_to_bma_at).is_not(None),
                and_(col(DerogationRequest.mass_casualty), submitted),
            )
        return false()

    def tally_filter(self, table: type = RequestTally) -> ColumnElement[bool] | None:
        """visible_filter on one of the running tallies (core/request/running_counts.py: requests, or the
        reasons given), which hold whole regions: only a scope made of whole regions (England, a region) can be
        read from them; None for every other scope, which needs the requests."""
        if self.kind is ScopeKind.NATIONAL:
            return true()
        if self.kind is ScopeKind.REGION:
            return table.region_code == self.region_code
        if self.kind is ScopeKind.NOTHING:
            return false()
        return None

    def trust_filter(self) -> ColumnElement[bool]:
        """SQL condition on Trust: the trusts whose own records (the cover register) this scope sees. The
        BMA's route is made of requests, not trusts: it sees no trust's register."""
        if self.kind is ScopeKind.TRUST:
            return Trust.ods_code == self.trust_code
        if self.kind is ScopeKind.REGION:
            return Trust.region_code == self.region_code
        return true() if self.kind is ScopeKind.NATIONAL else false()

    @property
    def spans_regions(self) -> bool:
        """More than one region: lists offer a region filter and show the region column."""
        return self.kind in (ScopeKind.NATIONAL, ScopeKind.BMA_ROUTE)

    @property
    def spans_trusts(self) -> bool:
        """More than one trust: lists offer a trust filter and show the trust column."""
        return self.kind in (ScopeKind.REGION, ScopeKind.NATIONAL, ScopeKind.BMA_ROUTE)


def recipients_filter(role: Role, request: DerogationRequest) -> ColumnElement[bool]:
    """SQL condition on User: the active people of `role` whose scope covers `request`, the inverse of
    Scope.visible_filter for a submitted request: whom news of it reaches."""
    kind = kind_of(role)
    if kind is ScopeKind.TRUST:
        covers = User.trust_code == request.trust_code
    elif kind is ScopeKind.REGION:
        covers = User.region_code == request.region_code
    elif kind is ScopeKind.NOTHING:
        covers = false()
    else:
        covers = true()  # England, and the BMA's route, hold every request told to them
    return and_(col(User.active), User.role == role.value, covers)
