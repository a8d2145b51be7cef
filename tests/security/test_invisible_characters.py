"""Invisible characters: bidirectional overrides and isolates, zero-width characters, the other format
characters (Unicode Cf), every default-ignorable code point (Hangul fillers, variation selectors and the
rest of the Unicode property) and control characters other than tab and line breaks are refused in every
free-text field with the form's message; text stored before is shown with each one as its code point."""

from __future__ import annotations

import sys

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.accounts import admin
from core.accounts.users import create_user
from core.enums import Role
from core.platform.db import write_session
from core.platform.input_checks import UNSTORABLE_MESSAGE, free_text_problem, invisible_at, unstorable
from core.request.form import TEXT_FIELDS
from tests.conftest import examples
from tests.security.free_text import free_text_refusals, refused
from tests.security.world import assert_consistent, fingerprint
from ui.text import html_text, md_escape, one_line, visible

BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
OTHER_FORMAT = ["\u00ad", "\u061c", "\u180e", "\u200e", "\u200f", "\u2061", "\ufff9", "\U000e0041"]
CONTROLS = ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b"]
INVISIBLE = BIDI + ZERO_WIDTH + OTHER_FORMAT + CONTROLS
# Ordinary text a person types, kept: tab and line breaks, accents, emoji joined into one (a health worker
# with a skin tone, England's flag), and symbols that look like spaces but show.
KEPT = [
    "Line one\r\nline two\ttabbed",
    "Café, naïve, Zoë",
    "\U0001f9d1\u200d\u2695\ufe0f on call",
    "\U0001f469\U0001f3fd\u200d\u2695\ufe0f",
    "\u2764\ufe0f\u200d\U0001f525",
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f England",
    "non\u00a0breaking and\u2009thin spaces",
]


@pytest.mark.parametrize("ch", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_each_invisible_character_is_refused_and_shown_as_its_code_point(ch):
    text = f"ok {ch}gnp.exe"
    assert unstorable(text)
    assert invisible_at(text) == [3]
    assert visible(text) == f"ok [U+{ord(ch):04X}]gnp.exe"


# Every code point Unicode marks Default_Ignorable_Code_Point, read off the property (not a list of ours).
DEFAULT_IGNORABLE = [
    chr(c) for c in range(sys.maxunicode + 1) if regex.match(r"\p{Default_Ignorable_Code_Point}", chr(c))
]


def test_every_default_ignorable_code_point_is_refused_and_shown_as_its_code_point():
    assert len(DEFAULT_IGNORABLE) > 4000  # the property, unassigned code points kept for it included
    for ch in ["\u3164", "\u115f", "\u034f", "\ufe0f"]:  # still stored before (issue 20)
        assert ch in DEFAULT_IGNORABLE
    for ch in DEFAULT_IGNORABLE:
        text = f"ok {ch}gnp.exe"
        assert invisible_at(text) == [3], f"U+{ord(ch):04X}"
        assert free_text_problem(text) == UNSTORABLE_MESSAGE
        assert visible(text) == f"ok [U+{ord(ch):04X}]gnp.exe"


def test_a_presentation_selector_is_kept_only_after_a_character_with_an_emoji_form():
    assert not unstorable("\u2764\ufe0f \u260e\ufe0e 1\ufe0f\u20e3")  # red heart, black telephone, keycap one
    for text in ["a\ufe0f", "\ufe0f", "Majors \ufe0fward", "\u3164\ufe0f"]:
        assert unstorable(text), repr(text)


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text):
    assert not unstorable(text)
    assert visible(text) == text


def test_a_joiner_or_tag_outside_an_emoji_is_refused():
    for text in ["a\u200db", "\u200d\u2695", "\U0001f9d1\u200d", "x\U000e0067\U000e007f", "\u200d"]:
        assert unstorable(text), repr(text)


def test_the_right_to_left_trick_from_the_issue_reads_as_typed():
    assert visible("ok \u202egnp.exe") == "ok [U+202E]gnp.exe"
    assert md_escape("ok \u202egnp.exe") == "ok &#91;U&#43;202E&#93;gnp&#46;exe"
    assert html_text("a\u2066b") == "a&#91;U&#43;2066&#93;b"
    assert one_line("a\u200b\nb") == "a[U+200B] b"


@settings(max_examples=examples(300))
@given(st.text(st.characters(codec="utf-8")))
@example("\u202e\u200d\U0001f9d1\u200d\u2695")
def test_what_is_shown_never_holds_an_invisible_character(text):
    shown = visible(text)
    assert not invisible_at(shown)
    assert (shown == text) == (not invisible_at(text))


# ---------------------------------------------------------------- every free-text field, on both databases


@pytest.mark.parametrize("ch", ["\u202e", "\u2067", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u3164", "\ufe0f"])
def test_every_free_text_field_refuses_them_with_the_forms_message(team, period, ch):
    bad = f"Majors {ch}ward"
    messages = free_text_refusals(team, period, bad, form_fields=TEXT_FIELDS)
    before = fingerprint()
    adm = team[Role.ADMIN]

    def account(password: str | None = None, **fields: str) -> None:
        values = {"email": "new.person@nhs.net", "full_name": "New Person", "job_title": "", "phone": ""} | fields
        with write_session() as session:
            create_user(session, role=Role.NATIONAL_MDT, password=password, **values)

    for field in ("full_name", "job_title", "phone", "email"):
        value = f"new{ch}.person@nhs.net" if field == "email" else bad
        messages[f"account {field}"] = refused(lambda field=field, value=value: account(**{field: value}), field)
    assert set(messages.values()) == {UNSTORABLE_MESSAGE}, messages
    password = refused(lambda: account(password=f"A-long-password{ch}"), "password")
    assert "ordinary text" in password
    assert admin.list_accounts(adm, f"Adm{ch}in") == ([], 0)
    assert fingerprint() == before
    assert_consistent()
