"""The mailer against a real SMTP server on localhost over STARTTLS and over implicit TLS, with certificates
this test makes and with authentication (AUTH LOGIN and AUTH PLAIN). A certificate that does not check out
(another authority's, another host's, expired, or one the system does not trust) is refused before the
password or any mail is sent; the mail waits and goes once the configuration is right. (The outbox on
both databases: test_mailer.py; here SQLite is enough.)"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from core.models import EmailOutbox
from core.notifications import mailer
from core.notifications.mailer import SmtpSettings
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from tests.core.notifications.certificates import Authority, ServerCertificate
from tests.core.notifications.conftest import SmtpServer, free_port

LOGIN = ("derogations", "relay-password-2026")
MODES = ["starttls", "implicit"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Our authority, an impostor's, and server certificates: right, for another host, expired, and the impostor's."""
    folder = tmp_path_factory.mktemp("pki")
    ours, impostor = Authority.create(folder, "Test Trust CA"), Authority.create(folder, "Impostor CA")
    return {
        "ca": ours,
        "right": ours.issue(folder, ["localhost", "127.0.0.1"]),
        "other host": ours.issue(folder, ["mail.example.org"]),
        "expired": ours.issue(folder, ["localhost", "127.0.0.1"], valid_for=timedelta(seconds=-60)),
        "impostor": impostor.issue(folder, ["localhost", "127.0.0.1"]),
    }


@pytest.fixture
def tls_server(sqlite_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SmtpServer]]:
    """Start an SMTP server with a certificate and point DEROG_SMTP_* at it (STARTTLS or implicit TLS)."""
    started: list[SmtpServer] = []

    def start(
        certificate: ServerCertificate,
        mode: str,
        *,
        mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
        ca_file: Path | None = None,
        host: str = "localhost",
    ) -> SmtpServer:
        server = SmtpServer(
            free_port(),
            login=LOGIN,
            tls=certificate.server_context(),
            implicit_tls=mode == "implicit",
            mechanisms=mechanisms,
        )
        server.start()
        started.append(server)
        for name in ("DEROG_SMTP_STARTTLS", "DEROG_SMTP_SSL", "DEROG_SMTP_CA_FILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DEROG_SMTP_HOST", host)
        monkeypatch.setenv("DEROG_SMTP_PORT", str(server.port))
        monkeypatch.setenv("DEROG_SMTP_FROM", "derogations@test.nhs.uk")
        monkeypatch.setenv("DEROG_SMTP_TIMEOUT", "10")
        monkeypatch.setenv("DEROG_SMTP_USER", LOGIN[0])
        monkeypatch.setenv("DEROG_SMTP_PASSWORD", LOGIN[1])
        monkeypatch.setenv("DEROG_SMTP_SSL" if mode == "implicit" else "DEROG_SMTP_STARTTLS", "true")
        if ca_file is not None:
            monkeypatch.setenv("DEROG_SMTP_CA_FILE", str(ca_file))
        return server

    yield start
    for server in started:
        server.stop()


def _queue(subject: str = "Request 7: waiting for your review") -> None:
    with write_session() as session:
        session.add(
            EmailOutbox(
                to_address="reviewer@test.nhs.uk", subject=subject, body="Open the link.", next_attempt_at=utcnow()
            )
        )


def _row() -> EmailOutbox:
    with read_session() as session:
        return session.exec(select(EmailOutbox)).one()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_mail_goes_over_tls_after_signing_in(pki, tls_server, mode, mechanism):
    server = tls_server(pki["right"], mode, mechanisms=(mechanism,), ca_file=pki["ca"].path)
    _queue()
    result = mailer.deliver_due()
    assert (result.sent, result.failed, result.gave_up) == (1, 0, 0), _row().last_error
    assert server.signed_in_with == [mechanism]
    [message] = server.messages
    assert message["Subject"] == "Request 7: waiting for your review"
    assert message["To"] == "reviewer@test.nhs.uk"
    assert _row().sent_at is not None


@pytest.mark.parametrize("mode", MODES)
def test_the_certificate_is_checked_against_the_ip_address_too(pki, tls_server, mode):
    server = tls_server(pki["right"], mode, ca_file=pki["ca"].path, host="127.0.0.1")
    _queue()
    assert mailer.deliver_due().sent == 1
    assert len(server.messages) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("certificate", "why"),
    [
        ("impostor", "certificate verify failed"),  # signed by an authority we do not trust
        ("other host", "mismatch"),  # ours, but for another host name
        ("expired", "certificate has expired"),
    ],
)
def test_a_certificate_that_does_not_check_out_is_refused_before_anything_is_sent(
    pki, tls_server, mode, certificate, why
):
    server = tls_server(pki[certificate], mode, ca_file=pki["ca"].path)
    _queue()
    result = mailer.deliver_due()
    assert (result.sent, result.failed) == (0, 1)
    row = _row()
    assert row.sent_at is None and row.failed_at is None  # kept, to be retried
    assert "SSLCertVerificationError" in row.last_error and why in row.last_error
    assert server.signed_in_with == [] and server.messages == []  # no password, no mail


@pytest.mark.parametrize("mode", MODES)
def test_without_a_ca_file_the_systems_trust_applies_and_mail_waits_until_it_is_configured(pki, tls_server, mode):
    """Our private authority is not among the system's trusted ones: refused; with DEROG_SMTP_CA_FILE, sent."""
    server = tls_server(pki["right"], mode)
    _queue()
    t0 = utcnow()
    assert mailer.deliver_due(now=t0).failed == 1
    assert "certificate verify failed" in _row().last_error and server.messages == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEROG_SMTP_CA_FILE", str(pki["ca"].path))
        assert mailer.deliver_due(now=t0 + timedelta(minutes=1)).sent == 1
    assert len(server.messages) == 1 and _row().attempts == 2


def test_starttls_asked_for_but_not_offered_is_refused_not_sent_in_clear(sqlite_db, monkeypatch):
    server = SmtpServer(free_port(), login=LOGIN)  # no certificate: no STARTTLS on offer
    server.start()
    try:
        monkeypatch.setenv("DEROG_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DEROG_SMTP_PORT", str(server.port))
        monkeypatch.setenv("DEROG_SMTP_STARTTLS", "true")
        monkeypatch.setenv("DEROG_SMTP_USER", LOGIN[0])
        monkeypatch.setenv("DEROG_SMTP_PASSWORD", LOGIN[1])
        _queue()
        assert mailer.deliver_due().failed == 1
        assert "STARTTLS" in _row().last_error
        assert server.signed_in_with == [] and server.messages == []
    finally:
        server.stop()


def test_the_password_is_never_sent_in_clear_to_another_machine():
    settings = SmtpSettings(host="smtp.example.nhs.uk", port=25, sender="d@test.nhs.uk", user="u", password="p")
    with pytest.raises(mailer.PasswordInClear) as refused:
        mailer._connect(settings)  # refused before any connection is made
    assert isinstance(refused.value, smtplib.SMTPException)  # recorded and retried like any SMTP failure
    assert "DEROG_SMTP_STARTTLS" in str(refused.value)


def test_the_ca_file_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DEROG_SMTP_HOST", "smtp.nhs.net")
    monkeypatch.setenv("DEROG_SMTP_CA_FILE", f" {tmp_path / 'ca.pem'} ")
    assert SmtpSettings.from_env().ca_file == str(tmp_path / "ca.pem")
    monkeypatch.delenv("DEROG_SMTP_CA_FILE")
    assert SmtpSettings.from_env().ca_file == ""  # the system's trusted authorities
