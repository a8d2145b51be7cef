"""Drawing the Altair charts of ui/charts.py on a live page without paying for Altair on every refresh.

Building an Altair chart and turning it into a Vega-Lite spec costs milliseconds per chart, most of
it the same work each time: only the figures change. Every builder in ui/charts.py uses its frame
only as the chart's data, so each chart's spec is built (and validated against the Vega-Lite schema)
once per process from an empty frame, and each refresh only puts its figures, already in the
viewer's scope, in as the spec's dataset (as Arrow, the form Streamlit ships chart data in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

Builder = Callable[[pd.DataFrame], alt.TopLevelMixin]


@dataclass(frozen=True)
class ChartSpec:
    """A chart ready to draw: its Vega-Lite spec with the figures in, and the same figures in words."""

    name: str
    spec: dict[str, Any]
    words: str


@cache
def _template(builder: Builder, schema: pa.Schema) -> tuple[dict[str, Any], str]:
    """The builder's spec without figures, and the name of the dataset it reads. Depends on code only
    (the builder and the figures' columns), so one per process is right whatever the data."""
    spec = builder(schema.empty_table().to_pandas()).to_dict()  # validated against the Vega-Lite schema, once
    (dataset,) = spec.pop("datasets")
    return spec, dataset


def chart_spec(builder: Builder, figures: pa.Table | pd.DataFrame, words: str) -> ChartSpec:
    """`builder(figures)` as a Vega-Lite spec, built from the builder's template."""
    table = figures if isinstance(figures, pa.Table) else pa.Table.from_pandas(figures, preserve_index=False)
    template, dataset = _template(builder, table.schema)
    spec = {**template, "datasets": {dataset: convert_anything_to_arrow_bytes(table)}}
    return ChartSpec(builder.__name__, spec, words)


def show(chart: ChartSpec) -> None:
    """Draw a chart full width (or column width), with its figures in words as its text alternative."""
    # Streamlit moves the datasets out of the spec it is given: hand it a copy, keep ours whole.
    st.vega_lite_chart(spec=dict(chart.spec), width="stretch", alt=chart.words)
