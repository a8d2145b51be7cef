"""The outbox worker: sends due `email_outbox` rows over SMTP, outside any user's transaction.

Each pass claims a batch in one short transaction (a claimed row's next_attempt_at moves a lease ahead,
so no other worker sees it as due), sends with no transaction open, then records each result.
A failure is retried with exponential back-off (1 minute doubling, capped at an hour) until
MAX_ATTEMPTS; a recipient the server refuses for good (5xx) is not retried. A worker that dies
mid-send leaves its rows to be picked up again when the lease runs out, so mail is never lost
(at worst, in that crash, sent twice)."""

from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, update
from sqlmodel import col, select

from core.models import EmailOutbox, column_limit
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session

log = logging.getLogger("derogations.mailer")
BATCH = 50
LEASE = timedelta(minutes=10)  # far above the SMTP timeout: a live worker finishes well inside it
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 48  # about two days of retries at the cap: longer than a strike's worst outage
TRUE_WORDS = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    ssl: bool = False  # implicit TLS (usually port 465)
    timeout: float = 30.0
    ca_file: str = ""  # PEM file of the CA(s) to trust for the server's certificate; empty: the system's

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """From DEROG_SMTP_* (docs/notifications.md); None when DEROG_SMTP_HOST is not set."""
        env = os.environ
        host = env.get("DEROG_SMTP_HOST", "").strip()
        if not host:
            return None
        use_ssl = env.get("DEROG_SMTP_SSL", "").strip().lower() in TRUE_WORDS
        starttls = env.get("DEROG_SMTP_STARTTLS", "").strip().lower() in TRUE_WORDS
        default_port = 465 if use_ssl else 587 if starttls else 25
        return cls(
            host=host,
            port=int(env.get("DEROG_SMTP_PORT", "").strip() or default_port),
            sender=env.get("DEROG_SMTP_FROM", "").strip() or "derogations@localhost",
            user=env.get("DEROG_SMTP_USER", "").strip(),
            password=env.get("DEROG_SMTP_PASSWORD", ""),
            starttls=starttls,
            ssl=use_ssl,
            timeout=float(env.get("DEROG_SMTP_TIMEOUT", "").strip() or 30),
            ca_file=env.get("DEROG_SMTP_CA_FILE", "").strip(),
        )


@dataclass
class PassResult:
    sent: int = 0
    failed: int = 0  # will be retried
    gave_up: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, never more than an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _due(now: datetime):  # noqa: ANN202  (a SQL condition)
    return (
        col(EmailOutbox.sent_at).is_(None),
        col(EmailOutbox.failed_at).is_(None),
        EmailOutbox.next_attempt_at <= now,
    )


def claim_due(now: datetime, limit: int = BATCH) -> list[EmailOutbox]:
    """Take up to `limit` due rows for this worker; a row another worker holds is never returned."""
    claimed: list[int] = []
    with write_session() as session:
        # SKIP LOCKED (PostgreSQL) lets concurrent workers take different rows; SQLite's write lock
        # (BEGIN IMMEDIATE) serialises claims. The conditional UPDATE is the guarantee on both.
        candidates = session.exec(
            select(EmailOutbox.id)
            .where(*_due(now))
            .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row_id in candidates:
            result = session.execute(
                update(EmailOutbox)
                .where(EmailOutbox.id == row_id, *_due(now))
                .values(next_attempt_at=now + LEASE, attempts=EmailOutbox.attempts + 1)
            )
            if result.rowcount == 1:
                claimed.append(row_id)
        if not claimed:
            return []
        return list(session.exec(select(EmailOutbox).where(col(EmailOutbox.id).in_(claimed))).all())


def _message(row: EmailOutbox, settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = f"<derogations-outbox-{row.id}@{settings.sender.rpartition('@')[2] or 'localhost'}>"
    message.set_content(row.body)
    return message


class PasswordInClear(smtplib.SMTPException):
    """DEROG_SMTP_USER is set for a server reached over an unencrypted connection."""

    def __init__(self, host: str) -> None:
        super().__init__(
            f"not signing in to {host} over an unencrypted connection: set DEROG_SMTP_STARTTLS or DEROG_SMTP_SSL "
            "(the SMTP password is never sent in clear, except to this machine)"
        )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Certificates are verified, host name included, against DEROG_SMTP_CA_FILE or the system's trusted CAs:
    a certificate that does not check out ends the connection before anything is sent (ssl.SSLError)."""
    return ssl.create_default_context(cafile=settings.ca_file or None)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.user and not (settings.ssl or settings.starttls) and not _loopback(settings.host):
        raise PasswordInClear(settings.host)
    context = tls_context(settings) if settings.ssl or settings.starttls else None
    if settings.ssl:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            connection.starttls(context=context)  # a server that does not offer it is refused, not used in clear
        if settings.user:
            connection.login(settings.user, settings.password)
    except BaseException:
        connection.close()
        raise
    return connection


def _permanent(exc: Exception) -> bool:
    """The server refused every recipient for good (5xx): retrying cannot help."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and all(code >= 500 for code, _ in exc.recipients.values())


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[: column_limit(EmailOutbox.last_error)]


def _record(row: EmailOutbox, now: datetime, error: Exception | None, result: PassResult) -> None:
    if error is None:
        values: dict = {"sent_at": now, "last_error": ""}
        result.sent += 1
    elif _permanent(error) or row.attempts >= MAX_ATTEMPTS:
        values = {"failed_at": now, "last_error": _describe(error)}
        result.gave_up += 1
        log.error("E-mail %s to %s given up: %s", row.id, row.to_address, values["last_error"])
    else:
        values = {"next_attempt_at": now + backoff(row.attempts), "last_error": _describe(error)}
        result.failed += 1
        log.warning("E-mail %s failed (attempt %s), retrying later: %s", row.id, row.attempts, values["last_error"])
    with write_session() as session:
        session.execute(update(EmailOutbox).where(EmailOutbox.id == row.id).values(**values))


def deliver_due(now: datetime | None = None, settings: SmtpSettings | None = None, limit: int = BATCH) -> PassResult:
    """One pass: claim due mail, send it over one SMTP connection, record each outcome."""
    settings = settings or SmtpSettings.from_env()
    result = PassResult()
    if settings is None:
        return result
    now = now or utcnow()
    rows = claim_due(now, limit)
    connection: smtplib.SMTP | None = None
    server_down: Exception | None = None
    try:
        for row in rows:
            error: Exception | None = server_down  # once the server is unreachable, the batch waits
            if error is None and connection is None:
                try:
                    connection = _connect(settings)
                except (smtplib.SMTPException, OSError) as exc:
                    error = server_down = exc
            if error is None:
                try:
                    connection.send_message(_message(row, settings))
                except smtplib.SMTPRecipientsRefused as exc:
                    error = exc  # this address only; the connection is still good
                except (smtplib.SMTPException, OSError) as exc:
                    error = exc
                    connection = _close(connection)
            _record(row, now, error, result)
    finally:
        _close(connection)
    return result


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return None
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
    return None


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int
    sent: int
    given_up: int


def outbox_status() -> OutboxStatus:
    with read_session() as session:
        rows = session.exec(
            select(
                func.count().filter(col(EmailOutbox.sent_at).is_(None), col(EmailOutbox.failed_at).is_(None)),
                func.count().filter(col(EmailOutbox.sent_at).is_not(None)),
                func.count().filter(col(EmailOutbox.failed_at).is_not(None)),
            )
        ).one()
    return OutboxStatus(*rows)
