"""The trust hears the reasons with a decision, in the inbox and by e-mail (never in the subject, which
stays short); a recall under the failsafe bypass alerts every tier and the BMA at once, by e-mail too."""

from datetime import timedelta

from sqlmodel import select

from core import workflow
from core.enums import Role, Tier
from core.models import EmailOutbox
from core.platform.clock import utcnow
from core.platform.db import read_session
from tests.core.conftest import REASON, escalate_to, file_request


def _mail_to(user, request_id):
    with read_session() as session:
        return [
            m
            for m in session.exec(select(EmailOutbox).where(EmailOutbox.to_address == user.email)).all()
            if f"/request?id={request_id}" in m.body
        ]


def test_reasons_reach_the_trust_by_email(team, period, monkeypatch):
    monkeypatch.setenv("DEROG_SMTP_HOST", "smtp.example.nhs.uk")
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=["incentives_not_offered", "other"])
    workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    (mail,) = _mail_to(team[Role.REQUESTER], request.id)[-1:]
    assert (
        "Reasons: Incentives or enhanced rates not offered to non-striking doctors; Other (see the rationale)."
        in mail.body
    )
    assert "Reasons" not in mail.subject and len(mail.subject) <= 300


def test_a_bypass_emails_every_tier_and_the_bma_at_once(team, period, monkeypatch):
    monkeypatch.setenv("DEROG_SMTP_HOST", "smtp.example.nhs.uk")
    request = file_request(team, period, mass_casualty=True)
    recall = workflow.BypassRecall(utcnow() - timedelta(minutes=5), 2, ["ST3+"], "North West Ambulance Service")
    workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, recall)
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT, Role.BMA):
        bypass_mail = [m for m in _mail_to(team[role], request.id) if "FAILSAFE BYPASS" in m.subject]
        assert bypass_mail and "2 resident doctors (ST3+) recalled" in bypass_mail[0].body, role
        assert "North West Ambulance Service" in bypass_mail[0].body
