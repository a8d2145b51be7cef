"""Streamlit writes "Press Enter to apply" under a field being typed in. On our forms Enter does nothing a
person would notice (the value waits for the form's button), so the hint misleads: hide it on the fields
whose keys start with the given prefixes, and keep the character counter beside it. Where Enter does act
(a search box, the sign-in form) the hint stays."""

from __future__ import annotations

import streamlit as st

HINT = '[data-testid="InputInstructions"]'


def hide_enter_hint(*key_prefixes: str) -> None:
    """Drawn as a style only (no space on the page); it lasts as long as the page that draws it."""
    rules = []
    for prefix in key_prefixes:
        field = f'[class*="st-key-{prefix}"]'
        # The hint is the first of two parts when a counter follows, and all there is on a number field.
        rules.append(f"{field} {HINT} > span:first-child:not(:last-child)")
        rules.append(f'{field} [data-testid="stNumberInput"] {HINT}')
    st.html(f"<style>{', '.join(rules)} {{display:none;}}</style>")
