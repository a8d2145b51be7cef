"""A real SMTP server on localhost (aiosmtpd) that a test can stop and start again on the same port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    def __init__(self, port: int, login: tuple[str, str] | None = None) -> None:
        self.port = port
        self.recorder = Recorder()
        self.login = login  # when set, the server offers AUTH and accepts only this user and password
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages

    def start(self) -> None:
        options = {}
        if self.login:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        ok = (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
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
