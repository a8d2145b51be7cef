"""Hostile and bad input, property-based: every call into core either does exactly what it should or
refuses with a plain message (a DerogationError), never anything else; a refusal changes nothing, and
afterwards every request has one audit row per version and the audit chain verifies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from core import queries, workflow
from core.accounts import admin
from core.accounts.users import GENERIC_FAILURE, authenticate, create_user, update_user
from core.enums import ELIGIBLE_CATEGORIES, TIER_ACTIONS, Action, Role, Status, Tier
from core.models import AuditEvent, Comment, DerogationRequest, StrikePeriod, User
from core.platform.clock import from_london, utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import AuthFailed, DerogationError, NotFound, ValidationFailed
from core.platform.input_checks import DB_INT_MAX, unstorable
from core.request.form import MAX_NOTE, TEXT_FIELDS, RequestForm, validate_draft, validate_submission
from tests.conftest import PROSE_LIMITS, TRUST_A, TRUST_OTHER_REGION, examples, valid_form
from tests.security.strategies import datetimes, form_overrides, numbers, sentences, texts
from tests.security.world import STATES, assert_consistent, fingerprint, make_request

NOW = utcnow()
PERIOD = StrikePeriod(id=1, name="Strike", starts_at=NOW - timedelta(hours=12), ends_at=NOW + timedelta(days=3))
FREE_TEXT = list(TEXT_FIELDS)
# Shared across examples on purpose: the invariants are about the whole database, which keeps growing.
DB_SETTINGS = settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_refusal_is_clear(exc: DerogationError) -> None:
    assert str(exc).strip()
    if isinstance(exc, ValidationFailed):
        assert exc.errors and all(isinstance(m, str) and m.strip() for m in exc.errors.values())


# ---------------------------------------------------------------- the form, without a database


@settings(max_examples=examples(400), deadline=None)
@given(overrides=form_overrides(NOW))
def test_form_checks_answer_every_input_with_messages(overrides):
    form = valid_form(PERIOD, **overrides)
    draft_errors = validate_draft(form)
    errors = validate_submission(form, PERIOD, NOW)  # a submission is always into a period in progress
    for found in (draft_errors, errors):
        assert all(isinstance(m, str) and m.strip() for m in found.values())
    assert set(draft_errors) <= set(errors)  # whatever stops a draft also stops a submission
    if not draft_errors:
        form.storable()  # a draft that passes can be stored
        assert not any(unstorable(getattr(form, name)) for name in FREE_TEXT)
    if not errors:  # accepted: so it really meets the letter's rules
        start, end = from_london(form.window_start), from_london(form.window_end)
        assert PERIOD.starts_at <= start < end <= PERIOD.ends_at
        assert NOW < from_london(form.decision_needed_by) < end
        assert form.category in ELIGIBLE_CATEGORIES
        assert 1 <= form.doctors_requested <= form.minimum_safe_doctors - form.doctors_on_duty
        assert any(m.get("tried") for m in form.mitigations.values())


# ---------------------------------------------------------------- every workflow action, on each database

ACTIONS = [
    "new_draft",
    "edit_draft",
    "submit",
    "review",
    "answer",
    "bma_decide",
    "withdraw",
    "revoke",
    "harm",
    "comment",
]
ids = st.one_of(st.integers(), st.integers(-5, 200), texts, st.none(), st.floats())


@dataclass
class Pool:
    period: StrikePeriod
    actors: list[User]
    ids: list[int]
    teams: dict[str, dict[Role, User]]

    def fitting(self, request: DerogationRequest) -> list[tuple[str, User]]:
        """The actions the request's state invites, each with the person who may take it."""
        team = self.teams[request.trust_code]
        requester = team[Role.REQUESTER]
        status = Status(request.status)
        if status is Status.DRAFT:
            return [("edit_draft", requester), ("submit", requester), ("submit", requester), ("withdraw", requester)]
        if status is Status.MORE_INFO:
            return [("answer", requester), ("withdraw", requester), ("comment", team[Role.NATIONAL_MDT])]
        if status is Status.IN_REVIEW and request.current_tier == Tier.BMA.value:
            return [("bma_decide", team[Role.BMA]), ("comment", team[Role.BMA])]
        if status is Status.IN_REVIEW:
            reviewer = team[Role(request.current_tier)]
            return [("review", reviewer), ("review", reviewer), ("review", reviewer), ("withdraw", requester)]
        if status is Status.APPROVED:
            return [("revoke", team[Role.BMA]), ("comment", requester)]
        if status in (Status.DECLINED, Status.NOT_ELIGIBLE, Status.REVOKED):
            return [("harm", requester), ("comment", team[Role.NATIONAL_MDT])]
        return [("comment", requester), ("new_draft", requester), ("new_draft", requester)]


def mostly(good: st.SearchStrategy, other: st.SearchStrategy, percent: int = 70) -> st.SearchStrategy:
    """`good` most of the time, so the success paths are exercised as much as the refusals."""
    return st.sampled_from(range(100)).flatmap(lambda n: good if n < percent else other)  # uniform, unlike integers()


@pytest.fixture
def pool(team, staff, period) -> Pool:
    other = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    closed = staff.make(Role.REQUESTER, trust=TRUST_A)
    with write_session() as session:
        update_user(session, closed.id, by=team[Role.ADMIN], role=Role.REQUESTER, trust_code=TRUST_A, active=False)
    requests = [make_request(team, period, state) for state in STATES * 2]
    requests += [make_request(other, period, s, trust=TRUST_OTHER_REGION) for s in ("draft", "bma", "approved")]
    teams = {TRUST_A: team, TRUST_OTHER_REGION: other}
    return Pool(period, [*team.values(), *other.values(), closed], [r.id for r in requests], teams)


def current(request_id: object) -> DerogationRequest | None:
    if not isinstance(request_id, int) or isinstance(request_id, bool) or not 0 < request_id <= DB_INT_MAX:
        return None
    with read_session() as session:
        return session.get(DerogationRequest, request_id)


def newest_event() -> AuditEvent:
    with read_session() as session:
        return session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


OWN = object()  # stands for "the request's own value", filled in once the request is read


def draw_inputs(data: st.DataObject) -> dict[str, object]:
    """Every input any action could take, always drawn in the same order: the database changes between
    Hypothesis's runs, so what is drawn must never depend on it (only how it is used does)."""
    return {
        "text": data.draw(mostly(sentences, texts, 50), label="text"),
        "form": data.draw(mostly(st.just({}), form_overrides(NOW), 50), label="form"),
        "choice": data.draw(mostly(st.sampled_from(TIER_ACTIONS), st.one_of(st.sampled_from(list(Action)), texts))),
        "approve": data.draw(st.booleans(), label="approve"),
        "doctors": data.draw(mostly(st.just(1), numbers), label="doctors"),
        "grades": data.draw(mostly(st.just(OWN), st.lists(st.one_of(st.just("FY2"), texts), max_size=3))),
        "start": data.draw(mostly(st.just(OWN), datetimes(NOW)), label="start"),
        "end": data.draw(mostly(st.just(OWN), datetimes(NOW)), label="end"),
        "scope": data.draw(mostly(sentences, texts, 50), label="scope"),
    }


def make_call(pool: Pool, inputs: dict, action: str, actor: User, request_id: object, version: object):
    """The call to make, and what a success must have stored as typed."""
    text = inputs["text"]
    existing = current(request_id)
    if action in ("new_draft", "edit_draft", "answer"):
        form = (
            valid_form(pool.period) if existing is None or action == "new_draft" else RequestForm.from_request(existing)
        )
        for name, value in inputs["form"].items():
            setattr(form, name, value)
        if action == "new_draft":
            return (lambda: workflow.save_draft(actor, form)), form
        if action == "edit_draft":
            return (lambda: workflow.save_draft(actor, form, request_id, version)), form
        return (lambda: workflow.answer_more_info(actor, request_id, version, form, text)), text
    if action == "submit":
        return (lambda: workflow.submit(actor, request_id, version)), None
    if action == "review":
        return (
            lambda: workflow.review(actor, request_id, version, inputs["choice"], text, reasons=["evidence_missing"])
        ), text
    if action == "bma_decide":

        def own(value: object, mine: object) -> object:
            return mine if value is OWN else value

        decision = workflow.BmaDecision(
            approve=inputs["approve"],
            rationale=text,
            approved_doctors=inputs["doctors"],
            approved_grades=own(inputs["grades"], existing.grades_requested[:1] if existing else []),
            approved_window_start=own(inputs["start"], existing.window_start if existing else None),
            approved_window_end=own(inputs["end"], existing.window_end if existing else None),
            approved_scope=inputs["scope"],
            reasons=["evidence_missing"],
        )
        return (lambda: workflow.bma_decide(actor, request_id, version, decision)), decision
    if action == "withdraw":
        return (lambda: workflow.withdraw(actor, request_id, version, text)), text
    if action == "revoke":
        return (lambda: workflow.revoke(actor, request_id, version, text, reasons=["facts_changed"])), text
    if action == "harm":
        return (lambda: workflow.record_harm(actor, request_id, version, text)), text
    return (lambda: workflow.add_comment(actor, request_id, text)), text


def check_success(action: str, actor: User, before: DerogationRequest | None, result: object, typed: object) -> None:
    """A call that returned did exactly its one change, with one audit row, storing text as typed."""
    event = newest_event()
    assert event.actor_id == actor.id
    if action == "comment":
        assert isinstance(result, Comment) and result.body == typed
        assert (event.action, event.rationale, event.request_id) == ("comment", typed, before.id)
        assert current(before.id).version == before.version
        return
    after = current(result.id)
    assert event.request_id == after.id
    if action == "new_draft":
        assert (after.version, after.status, event.action) == (1, Status.DRAFT.value, "create")
    else:
        assert after.version == before.version + 1
    if isinstance(typed, RequestForm):
        for name in FREE_TEXT:
            assert getattr(after, name) == getattr(typed, name)
    elif isinstance(typed, str):
        assert event.rationale == typed
    expected = {
        "submit": (Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR.value),
        "withdraw": (Status.WITHDRAWN, None),
        "revoke": (Status.REVOKED, None),
        "answer": (Status.IN_REVIEW, before.returned_from_tier if before else None),
    }
    if action in expected:
        assert (after.status, after.current_tier) == expected[action]
    if action == "harm":
        assert after.harm_report.endswith(typed) and after.status == before.status
    if action == "bma_decide":
        assert after.status == (Status.APPROVED if typed.approve else Status.DECLINED)
        if typed.approve:
            assert after.approved_scope == typed.approved_scope
            assert 1 <= after.approved_doctors <= after.doctors_requested
            assert after.window_start <= after.approved_window_start < after.approved_window_end <= after.window_end


@DB_SETTINGS
@given(data=st.data())
def test_every_action_succeeds_as_specified_or_refuses_cleanly(pool, data):
    # Indexes, not sampled_from(pool.ids): the pool grows, and Hypothesis needs stable draws to replay.
    pick = data.draw(st.sampled_from(range(10_000)), label="pick")
    fitting = data.draw(st.sampled_from(range(100)), label="fitting?") < 60  # what the request's state invites
    option = data.draw(st.sampled_from(range(10_000)), label="option")
    any_action = data.draw(st.sampled_from(ACTIONS), label="action")
    any_actor = data.draw(st.sampled_from(pool.actors), label="actor")
    any_id = data.draw(mostly(st.just(OWN), ids, 50), label="request id")
    any_version = data.draw(mostly(st.just(OWN), numbers, 80), label="version")
    inputs = draw_inputs(data)

    request_id = pool.ids[pick % len(pool.ids)]
    if fitting:
        options = pool.fitting(current(request_id))
        action, actor = options[option % len(options)]
    else:  # anything, by anyone, on any id
        action, actor = any_action, any_actor
        request_id = request_id if any_id is OWN else any_id
    before = current(request_id)
    version = (before.version if before else 1) if any_version is OWN else any_version
    call, typed = make_call(pool, inputs, action, actor, request_id, version)
    snapshot = fingerprint()
    note(f"{action} by {actor.email} on {request_id!r} v{version!r}")
    try:
        result = call()
    except DerogationError as exc:
        note(f"refused: {exc}")
        event(f"{action}: refused ({type(exc).__name__})")
        assert_refusal_is_clear(exc)
        assert fingerprint() == snapshot
    else:
        event(f"{action}: done")
        check_success(action, actor, before, result, typed)
        if action == "new_draft":
            pool.ids.append(result.id)
    assert_consistent()


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(version=numbers, action=st.sampled_from(["edit_draft", "submit", "withdraw"]))
@example(version=True, action="submit")  # drawn by a fresh clone's run: it reached PostgreSQL as `version = true`
@example(version=True, action="edit_draft")
@example(version=1.0, action="withdraw")
def test_a_version_is_the_whole_number_read_or_refused_cleanly(team, period, version, action):
    """A draft at version 1, acted on with any version: done only for the int 1, refused cleanly otherwise
    (test_every_action_... draws its examples with st.data(), which @example cannot pin; this pins them)."""
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period))
    assert draft.version == 1
    calls = {
        "edit_draft": lambda: workflow.save_draft(requester, valid_form(period, ward="Resus"), draft.id, version),
        "submit": lambda: workflow.submit(requester, draft.id, version),
        "withdraw": lambda: workflow.withdraw(requester, draft.id, version, "No longer needed."),
    }
    snapshot = fingerprint()
    try:
        done = calls[action]()
    except DerogationError as exc:
        assert_refusal_is_clear(exc)
        assert fingerprint() == snapshot
        assert not (type(version) is int and version == 1), f"refused the right version: {exc}"
    else:
        assert type(version) is int and version == 1
        assert done.version == 2
    assert_consistent()


# ---------------------------------------------------------------- accounts and sign-in


@DB_SETTINGS
@given(name=texts, email=st.one_of(texts, st.just("new.person@nhs.net")), job=texts, phone=texts)
def test_account_fields_are_stored_or_refused(db, name, email, job, phone):
    with read_session() as session:
        users_before = session.exec(select(func.count()).select_from(User)).one()
    unique = f"{abs(hash((name, job, phone)))}.{email}" if email == "new.person@nhs.net" else email
    try:
        with write_session() as session:
            user = create_user(
                session, email=unique, full_name=name, role=Role.NATIONAL_MDT, password=None, job_title=job, phone=phone
            )
    except DerogationError as exc:
        assert_refusal_is_clear(exc)
        with read_session() as session:
            assert session.exec(select(func.count()).select_from(User)).one() == users_before
    else:
        assert (user.full_name, user.job_title, user.phone) == (name.strip(), job.strip(), phone.strip())
    assert_consistent()


@settings(
    max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # argon2 is slow by design
@given(email=texts, password=texts)
def test_sign_in_with_anything_is_refused_with_the_generic_message(db, email, password):
    with pytest.raises(AuthFailed) as refused:
        authenticate(email, password)
    assert str(refused.value) == GENERIC_FAILURE or "Too many failed attempts" in str(refused.value)


# ---------------------------------------------------------------- markup stored exactly as typed

MARKUP_TEXT = (
    "<script>alert(document.cookie)</script> [click me](javascript:alert(1)) ![x](https://example.com/x.png) "
    '<img src=x onerror=alert(1)> **bold** # heading\n| a | b |\n=1+1 "quotes" & ampersand'
)


def markup(limit: int) -> str:
    """Markup, then filler up to exactly the field's limit: long text is kept whole too."""
    return (MARKUP_TEXT + " <b>filler</b>" * 800)[:limit]


def test_markup_and_long_text_round_trip_in_every_free_text_field(team, period):
    requester = team[Role.REQUESTER]
    typed = {name: markup(limit) for name, limit in PROSE_LIMITS.items()}
    note_text = markup(MAX_NOTE)
    form = valid_form(period, **typed, non_urgent_work_running=True, local_agreement_sought=True)
    form.mitigations = {k: {"tried": True, "note": note_text} for k in form.mitigations}
    draft = workflow.save_draft(requester, form)
    request = workflow.submit(requester, draft.id, draft.version)
    reason = markup(workflow.MAX_RATIONALE)
    request = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        reason,
        reasons=["evidence_missing"],
    )
    request = workflow.answer_more_info(
        requester, request.id, request.version, RequestForm.from_request(request), reason
    )
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        request = workflow.review(team[role], request.id, request.version, Action.ESCALATE, reason)
    comment = workflow.add_comment(team[Role.BMA], request.id, reason)
    decision = workflow.BmaDecision(
        approve=True,
        rationale=reason,
        approved_doctors=1,
        approved_grades=["ST3+"],
        approved_window_start=request.window_start,
        approved_window_end=request.window_end,
        approved_scope=markup(workflow.MAX_SCOPE),
    )
    request = workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    request = workflow.revoke(team[Role.BMA], request.id, request.version, reason, reasons=["facts_changed"])
    request = workflow.record_harm(requester, request.id, request.version, reason)

    with read_session() as session:
        stored = session.get(DerogationRequest, request.id)
        for name, value in typed.items():
            assert getattr(stored, name) == value, name
        assert all(m["note"] == note_text for m in stored.mitigations.values())
        assert (stored.approved_scope, stored.revoke_reason) == (markup(workflow.MAX_SCOPE), reason)
        assert stored.harm_report.endswith("] " + reason)
        assert session.get(Comment, comment.id).body == reason
        rationales = session.exec(
            select(AuditEvent.rationale).where(AuditEvent.request_id == request.id, AuditEvent.action != "create")
        ).all()
        assert set(rationales) - {""} == {reason}
    with write_session() as session:
        person = create_user(
            session, email="markup@nhs.net", full_name=markup(120), role=Role.BMA, password=None, job_title=markup(120)
        )
    assert (person.full_name, person.job_title) == (markup(120), markup(120))
    assert_consistent()


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\ud83d", "tail \udfff"])
def test_unstorable_text_is_refused_everywhere_with_a_message(team, period, bad):
    """PostgreSQL refuses NUL, and lone surrogates cannot be encoded: core says so before either database."""
    requester = team[Role.REQUESTER]
    before = fingerprint()
    attempts = [
        lambda: workflow.save_draft(requester, valid_form(period, risk_description=bad)),
        lambda: workflow.save_draft(requester, valid_form(period, mitigations={"other": {"tried": True, "note": bad}})),
    ]
    request = make_request(team, period, "declined")
    before = fingerprint()
    attempts += [
        lambda: workflow.add_comment(requester, request.id, bad),
        lambda: workflow.record_harm(requester, request.id, request.version, bad),
        lambda: workflow.withdraw(requester, request.id, request.version, bad),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert "control character" in str(refused.value) or "plain text" in str(refused.value)
    assert fingerprint() == before
    at_bma = make_request(team, period, "bma")
    decision = workflow.BmaDecision(
        approve=True,
        rationale="Fine.",
        approved_doctors=1,
        approved_grades=["ST3+"],
        approved_window_start=at_bma.window_start,
        approved_window_end=at_bma.window_end,
        approved_scope=bad,
    )
    with pytest.raises(ValidationFailed) as refused:
        workflow.bma_decide(team[Role.BMA], at_bma.id, at_bma.version, decision)
    assert "approved_scope" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, write_session() as session:
        create_user(session, email="x@nhs.net", full_name=bad, role=Role.BMA, password=None)
    assert "full_name" in refused.value.errors
    with pytest.raises(AuthFailed):
        authenticate(f"someone{bad}@nhs.net", "whatever")
    assert_consistent()


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=texts, search=texts)
@example(name="July \ud800 strike", search="\x00")
@example(name="July \x00 strike", search="\udfff")
def test_administration_answers_any_text(team, name, search):
    """Strike period names and the account search, with anything typed into them."""
    start = NOW + timedelta(days=400 + len(name) % 300)  # clear of the running period
    before = fingerprint()
    try:
        saved = admin.save_period(team[Role.ADMIN], name=name, starts_at=start, ends_at=start + timedelta(hours=4))
    except DerogationError as exc:
        assert_refusal_is_clear(exc)
        assert fingerprint() == before
    else:
        assert saved.name == name.strip()
    found, total = admin.list_accounts(team[Role.ADMIN], search)
    assert len(found) <= total
    assert_consistent()


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**63, 10**30])
def test_ids_outside_the_database_range_read_as_missing(team, period, number):
    """PostgreSQL ids are 32-bit: a larger number is a miss, never a database error. (A bool is no number
    at all: tests/security/test_argument_types.py.)"""
    request = make_request(team, period, "clinical_director")
    refusals = []
    for attempt in (
        lambda: queries.request_record(team[Role.NATIONAL_MDT], number).request,
        lambda: workflow.review(team[Role.CLINICAL_DIRECTOR], number, request.version, Action.ESCALATE, "Escalating."),
        lambda: admin.change_account(
            team[Role.ADMIN], number, role=Role.BMA, trust_code=None, region_code=None, active=True
        ),
    ):
        with pytest.raises(NotFound) as missing:
            attempt()
        refusals.append(str(missing.value))
    assert refusals == ["That request was not found.", "That request was not found.", "That user was not found."]
