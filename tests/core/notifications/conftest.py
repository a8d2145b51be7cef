"""A real SMTP server on localhost (aiosmtpd) that a test can stop and start again on the same port; with
a certificate, it speaks STARTTLS or implicit TLS (tests/core/notifications/certificates.py makes the certificates)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.ports import free_port


class Recorder:
    """aiosmtpd handler: keeps every message it accepts; refuses recipients at bounce.* for good."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address.startswith("bounce"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(
        self,
        port: int,
        login: tuple[str, str] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    ) -> None:
        self.port = port
        self.recorder = Recorder()
        self.login = login  # when set, the server offers AUTH and accepts only this user and password
        self.tls = tls  # with a certificate: STARTTLS required before anything else, or implicit TLS
        self.implicit_tls = implicit_tls
        self.mechanisms = mechanisms  # the AUTH mechanisms offered
        self.signed_in_with: list[str] = []  # the mechanism of each successful AUTH
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages

    def start(self) -> None:
        options: dict = {}
        if self.login:
            excluded = [m for m in ("LOGIN", "PLAIN") if m not in self.mechanisms]
            # AUTH only once encrypted when STARTTLS is on offer (implicit TLS is encrypted from the start)
            require_tls = self.tls is not None and not self.implicit_tls
            options = {"authenticator": self._authenticate, "auth_require_tls": require_tls}
            options["auth_exclude_mechanism"] = excluded
        if self.tls is not None and self.implicit_tls:
            options["ssl_context"] = self.tls
        elif self.tls is not None:
            options |= {"tls_context": self.tls, "require_starttls": True}
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        ok = (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
        if ok:
            self.signed_in_with.append(mechanism)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """Running on a free port; DEROG_SMTP_* point at it, so the workflow queues e-mail."""
    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setenv("DEROG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DEROG_SMTP_PORT", str(server.port))
    monkeypatch.setenv("DEROG_SMTP_FROM", "derogations@test.nhs.uk")
    monkeypatch.setenv("DEROG_SMTP_TIMEOUT", "10")
    monkeypatch.setenv("DEROG_BASE_URL", "https://derogations.test.nhs.uk/")
    yield server
    server.stop()
