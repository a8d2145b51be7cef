"""The strike period a page of figures shows, and the row of optional filters (region, trust,
category, outcome) above a list of requests: one select box per column, empty meaning all. The
dashboard, the requests list, the report and the review queues draw them here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from core import queries
from core.enums import ELIGIBLE_CATEGORIES, BypassState, Reason
from core.models import StrikePeriod
from core.reference import periods
from core.request.outcomes import Outcome
from ui import shared_copies


def period_picker(key: str, linked: str | None = None) -> StrikePeriod:
    """The strike period chosen: at first the one `linked` names (a ?period= id), else the one in
    progress or the latest. With none set up yet it says so and stops the page."""
    known = shared_copies.strike_periods()
    if not known:
        st.info("No strike periods yet. An administrator adds them on the Administration page.")
        st.stop()
    by_id = {p.id: p for p in known}
    default = by_id.get(int(linked)) if linked and re.fullmatch(r"[0-9]{1,9}", linked) else None
    default = default or periods.most_relevant(known)
    period_id = st.selectbox(
        "Strike period",
        options=list(by_id),
        format_func=lambda pid: queries.period_label(by_id[pid]),
        index=list(by_id).index(default.id),
        key=key,
    )
    return by_id[period_id]


@dataclass(frozen=True)
class Filter:
    name: str  # the widget key is "<page prefix>_<name>"; the chosen value comes back under `name`
    label: str
    everything: str  # the placeholder: what an empty box means
    choices: Mapping[str, str] | None  # code -> words; None: not offered to this viewer


def region(names: Mapping[str, str] | None) -> Filter:
    return Filter("region", "Region", "All regions", names)


def trust(names: Mapping[str, str] | None) -> Filter:
    """Trusts read as "name (ODS code)": names alone are long and some are alike."""
    shown = None if names is None else {code: f"{name} ({code})" for code, name in names.items()}
    return Filter("trust", "Trust", "All trusts", shown)


def category() -> Filter:
    return Filter("category", "Category", "All categories", {c.value: c.label for c in ELIGIBLE_CATEGORIES})


def outcome() -> Filter:
    return Filter("outcome", "Outcome", "All outcomes", {o.value: o.label for o in Outcome})


def reason() -> Filter:
    """A reason given with a decline, return for more information or revocation (docs/rules.md rule 9)."""
    return Filter("reason", "Reason given", "Any reason", {r.value: r.label for r in Reason})


def bypass() -> Filter:
    choices = {queries.ANY_BYPASS: "Any recall under the failsafe bypass"}
    choices |= {s.value: s.label for s in BypassState if s is not BypassState.NONE}
    return Filter("bypass", "Failsafe bypass", "With or without", choices)


def filter_row(prefix: str, filters: Sequence[Filter]) -> dict[str, str | None]:
    """One column per filter; a filter not offered leaves its column empty, so the others keep their
    place whoever looks. Returns each filter's choice by name (None: all)."""
    chosen: dict[str, str | None] = {}
    for column, spec in zip(st.columns(len(filters)), filters, strict=True):
        choices = spec.choices
        chosen[spec.name] = (
            None
            if choices is None
            else column.selectbox(
                spec.label,
                options=list(choices),
                format_func=choices.__getitem__,
                index=None,
                placeholder=spec.everything,
                key=f"{prefix}_{spec.name}",
            )
        )
    return chosen
