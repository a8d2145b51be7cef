"""Hypothesis strategies for hostile input: any text, number, date and id a page could pass to core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from core.enums import Category, Grade, Mitigation, Priority
from core.models import MAX_RATIONALE
from core.request.form import FLAG_FIELDS, MAX_NOTE, NUMBER_FIELDS, TEXT_FIELDS, TEXT_LIMITS, TIME_FIELDS
from core.workflow.bma import MAX_SCOPE
from core.workflow.trust import MAX_HARM_RECORD
from tests.conftest import TRUST_A, TRUST_B

# Markup and tricks that must be stored as typed and never interpreted.
MARKUP = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[Open the approval](javascript:alert(1))",
    "![tracking pixel](https://example.com/p.png)",
    "**not bold** _not italic_ `not code` # not a heading",
    "<style>body{display:none}</style><iframe src=https://example.com>",
    '=HYPERLINK("https://example.com","x")',
    "'; DROP TABLE derogation_request; --",
    "{{7*7}} ${7*7} %s %n",
    "\u202eevil\u202c right-to-left override",
    ":material/warning: :red[red] $x^2$",
]
# What neither database can store; core must refuse it with a message.
UNSTORABLE = ["\x00", "before\x00after", "\ud800", "lone \udfff surrogate"]
# Every length a text is held to, from where each is declared: the form's fields, a mitigation's note, a
# written reason, the BMA's scope, the harm record. A text of exactly each length, one under and one over.
LIMITS = sorted({*TEXT_LIMITS.values(), MAX_NOTE, MAX_RATIONALE, MAX_SCOPE, MAX_HARM_RECORD})

sentences = st.sampled_from(
    ["Risk confirmed with the service.", "Mitigations tried; still unsafe overnight.", "Escalating as agreed."]
)
long_texts = st.tuples(st.sampled_from(["x", "<b>é</b> ", "🚑"]), st.sampled_from(LIMITS), st.integers(-1, 1)).map(
    lambda t: (t[0] * (t[1] + 1))[: t[1] + t[2]]
)
texts = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.text(st.characters(categories=["Cc", "Cs", "Zl", "Zp", "Cf"]), min_size=1, max_size=8),
    st.sampled_from(MARKUP + UNSTORABLE + ["", " ", "\n\t"]),
    long_texts,
    sentences,
)
numbers = st.one_of(
    st.none(),
    st.integers(-3, 600),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    texts,
)


def near(anchor: datetime) -> st.SearchStrategy[datetime]:
    """Times around `anchor`, naive (typed in London) or aware."""
    offsets = st.integers(-3 * 24 * 60, 5 * 24 * 60).map(lambda m: anchor + timedelta(minutes=m))
    return st.one_of(offsets, offsets.map(lambda d: d.astimezone(UTC).replace(tzinfo=None)))


def datetimes(anchor: datetime) -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        near(anchor),
        st.datetimes(),  # year 1 to 9999, naive
        st.datetimes(timezones=st.timezones()),
        st.dates(),
        texts,
    )


def form_fields(anchor: datetime) -> dict[str, st.SearchStrategy[object]]:
    """One strategy per field of core.request.form.RequestForm (core.models.RequestFields), by its kind."""
    fields: dict[str, st.SearchStrategy[object]] = dict.fromkeys(TEXT_FIELDS, texts)
    fields |= dict.fromkeys(NUMBER_FIELDS, numbers)
    fields |= dict.fromkeys(TIME_FIELDS, datetimes(anchor))
    fields |= dict.fromkeys(FLAG_FIELDS, st.booleans())
    fields["trust_code"] = st.one_of(st.sampled_from([TRUST_A, TRUST_B, "RJ1", "ZZZ"]), texts)
    fields["category"] = st.one_of(st.sampled_from([c.value for c in Category]), texts)
    fields["priority"] = st.one_of(st.none(), st.sampled_from([p.value for p in Priority]), texts)
    fields["grades_requested"] = st.lists(st.one_of(st.sampled_from([g.value for g in Grade]), texts), max_size=5)
    fields["mitigations"] = st.dictionaries(
        st.one_of(st.sampled_from([m.value for m in Mitigation]), texts),
        st.fixed_dictionaries({"tried": st.booleans(), "note": texts}),
        max_size=8,
    )
    return fields


def form_overrides(anchor: datetime) -> st.SearchStrategy[dict[str, object]]:
    """A few fields of an otherwise valid form replaced by arbitrary values."""
    fields = form_fields(anchor)
    return st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=5).flatmap(
        lambda names: st.fixed_dictionaries({name: fields[name] for name in names})
    )
