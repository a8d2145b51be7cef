"""Optional sign-in through an organisation's identity provider (OIDC, Streamlit's st.login).

The provider proves who someone is; this service still decides what they may do. An identity is
mapped by its e-mail claim to one of our own active accounts, with its role and scope; an address
without an account gets nothing. The page passes `dict(st.user)` in; core never imports streamlit.
Configuration: docs/identity.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from core.accounts import sessions
from core.accounts.users import SignedIn, normalise_email, record_sign_in
from core.models import User, column_limit
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.platform.errors import AuthFailed
from core.platform.input_checks import EMAIL_RE, unstorable

# The provider's claims open a session only this soon after it signed the person in, and only if no
# session of the account has ended since: an identity cookie left in a browser after a sign-out (in
# another tab too), "sign out everywhere" or an administrator ending sessions must not open a new
# session by itself. The person clicks "Sign in with your organisation account" and gets fresh claims.
PROVIDER_FRESH_FOR = timedelta(minutes=5)
# `iat` is in whole seconds: a sign-out within the second the claims were issued does not make them stale
# (a quick sign-out and sign-in again), anything later does.
_IAT_RESOLUTION = timedelta(seconds=1)
_CLOCK_SKEW = timedelta(minutes=1)  # the provider's clock may run a little ahead of ours

NO_EMAIL = (
    "Your organisation's sign-in did not tell us your e-mail address, so we cannot find your account. "
    "Ask your administrator."
)
UNVERIFIED = "Your organisation has not verified this e-mail address, so it cannot be used to sign in here."
WRONG_DOMAIN = "This service does not accept sign-in with e-mail addresses from that organisation."
NOT_REGISTERED = (
    "Signed in with your organisation, but {email} has no active account in this service. "
    "Ask an administrator to add you (they choose your role and trust or region)."
)


@dataclass(frozen=True)
class IdentitySettings:
    email_claim: str = "email"
    allowed_domains: tuple[str, ...] = ()  # empty: any domain the provider vouches for


def identity_settings() -> IdentitySettings:
    domains = os.environ.get("DEROG_OIDC_ALLOWED_DOMAINS", "")
    return IdentitySettings(
        email_claim=os.environ.get("DEROG_OIDC_EMAIL_CLAIM", "email").strip() or "email",
        allowed_domains=tuple(d.strip().lower().lstrip("@") for d in domains.split(",") if d.strip()),
    )


class StaleIdentity(AuthFailed):
    """The provider's sign-in is too old to open a session by itself: nothing to tell the person, who
    signs in with the provider again."""

    def __init__(self) -> None:
        super().__init__("")


def _issued_at(claims: Mapping[str, object]) -> datetime | None:
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        return None
    try:
        return datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _claimed_false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def user_for_identity(session: Session, claims: Mapping[str, object], settings: IdentitySettings | None = None) -> User:
    """Our active account for a signed-in identity, or AuthFailed with a message for the person."""
    settings = settings or identity_settings()
    raw = claims.get(settings.email_claim)
    if not isinstance(raw, str) or len(raw) > column_limit(User.email) or unstorable(raw):
        raise AuthFailed(NO_EMAIL)
    email = normalise_email(raw)
    if not EMAIL_RE.match(email):
        raise AuthFailed(NO_EMAIL)
    # A provider that says the address is unverified must not let someone claim another person's account.
    if _claimed_false(claims.get("email_verified")):
        raise AuthFailed(UNVERIFIED)
    domain = email.rsplit("@", 1)[1]
    if settings.allowed_domains and not any(
        domain == allowed or domain.endswith("." + allowed) for allowed in settings.allowed_domains
    ):
        raise AuthFailed(WRONG_DOMAIN)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.active:
        raise AuthFailed(NOT_REGISTERED.format(email=email))
    return user


def sign_in(claims: Mapping[str, object], now: datetime | None = None) -> SignedIn:
    """Our account for the provider's identity (user_for_identity): a session opened, the sign-in audited.
    StaleIdentity when the claims are too old to do that by themselves (PROVIDER_FRESH_FOR)."""
    now = now or utcnow()
    issued = _issued_at(claims)
    if issued is None or not -_CLOCK_SKEW <= now - issued <= PROVIDER_FRESH_FOR:
        raise StaleIdentity()
    with write_session() as session:
        user = user_for_identity(session, claims)
        ended = sessions.last_ended_at(session, user.id)
        if ended is not None and ended >= issued + _IAT_RESOLUTION:
            raise StaleIdentity()
        return record_sign_in(session, user, "identity provider", now)
