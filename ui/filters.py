"""The row of optional filters (region, trust, category, outcome) above a list of requests: one
select box per column, empty meaning all. The requests list and the review queues draw it here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from core import queries
from core.enums import ELIGIBLE_CATEGORIES


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
    return Filter("outcome", "Outcome", "All outcomes", queries.OUTCOME_LABELS)


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
