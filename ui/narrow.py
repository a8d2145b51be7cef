"""Narrow screens (a phone): the header band, the strike line and page titles shrink, so a page's own
content starts on the first screen. CSS media queries only: Streamlit tells the server no screen width."""

from __future__ import annotations

import streamlit as st

# Static styling only (no user text). Streamlit stacks columns below 640 px: the header's are put back in
# a row that wraps, so the inbox link and the buttons take one line, not three.
STYLE = """
<style>
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] {padding-top:3.5rem; padding-left:0.75rem; padding-right:0.75rem;}
  .st-key-nhs-header {padding:0.4rem 0.6rem;}
  .st-key-nhs-header p, .st-key-nhs-header span, .st-key-nhs-header div {font-size:0.85rem; line-height:1.3;}
  .st-key-nhs-header [data-testid="stHorizontalBlock"] {flex-direction:row; flex-wrap:wrap; gap:0.4rem;}
  .st-key-nhs-header [data-testid="stColumn"] {width:auto !important; flex:1 1 auto; min-width:0;}
  .st-key-nhs-header [data-testid="stVerticalBlock"] {gap:0.2rem;}
  .st-key-nhs-header button {min-height:2rem; padding:0.1rem 0.6rem;}
  .st-key-nhs-header a {min-height:24px; display:inline-flex; align-items:center;}  /* 24 px targets (WCAG 2.5.8) */
  .st-key-strike-on, .st-key-strike-off {padding:0.2rem 0.5rem;}
  .st-key-strike-on p, .st-key-strike-off p {font-size:0.85rem; line-height:1.3;}
  [data-testid="stMainBlockContainer"] h1 {font-size:1.75rem; padding:0.25rem 0;}
  /* Columns stacked one above the other: a small gap, not the wide one set for side by side. */
  [data-testid="stMainBlockContainer"] [data-testid="stHorizontalBlock"] {row-gap:0.5rem;}
}
</style>
"""


def compact_on_phone() -> None:
    st.html(STYLE)
