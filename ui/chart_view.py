"""Drawing the Altair charts of ui/charts.py on a live page without paying for Altair on every rerun.

Building an Altair chart validates it against the Vega-Lite JSON schema (tens of milliseconds per
chart). The dashboard reruns every few seconds with the same small aggregates most of the time, so
the finished Vega-Lite spec (its data already in Arrow) is cached by chart and data: only a change
in the figures rebuilds it.
The cache holds aggregates already scoped to the viewer (the data is part of the key)."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

Builder = Callable[[pd.DataFrame], alt.TopLevelMixin]


@st.cache_data(max_entries=512, show_spinner=False)
def _spec(_builder: Builder, _frame: pd.DataFrame, key: str) -> dict:
    spec = _builder(_frame).to_dict()
    # Streamlit ships chart data as Arrow; doing that here, once, spares every rerun the conversion.
    spec["datasets"] = {
        name: convert_anything_to_arrow_bytes(pd.DataFrame(values)) for name, values in spec.get("datasets", {}).items()
    }
    return spec


def show(builder: Builder, frame: pd.DataFrame, description: str) -> None:
    """Draw `builder(frame)` full width, with `description` as its text alternative."""
    # The key is the chart's name and its data as JSON: far cheaper to hash than a DataFrame.
    key = f"{builder.__module__}.{builder.__qualname__}:{frame.to_json(orient='split', date_format='iso')}"
    spec = _spec(builder, frame, key)
    st.vega_lite_chart(spec=spec, width="stretch", alt=description)
