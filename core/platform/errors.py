"""Errors a page shows to the user as they are: every message is plain English."""

from __future__ import annotations


class DerogationError(Exception):
    """Base for refusals; `str(exc)` is the message for the user."""


class NotFound(DerogationError):
    def __init__(self, what: str = "request") -> None:
        super().__init__(f"That {what} was not found.")


class PermissionDenied(DerogationError):
    pass


class StaleVersion(DerogationError):
    def __init__(self) -> None:
        super().__init__(
            "This request changed since you opened it. Nothing was saved: read the latest version below and try again."
        )


class NotAllowed(DerogationError):
    """The action is not possible in the request's current state."""


class ValidationFailed(DerogationError):
    """Field-level problems: `errors` maps a field name (or "_form") to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("There is a problem: " + "; ".join(errors.values()))


class AuthFailed(DerogationError):
    pass


class BadArgument(DerogationError):
    """A command was called with a value of the wrong type (an id, version or count that is not a whole
    number, a yes/no that is not a bool): a page's fault or tampering, never what a person typed. Refused
    before any SQL, so neither database ever sees it."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"This page sent a {what} that is not valid. Nothing was changed: reload the page and try again."
        )
