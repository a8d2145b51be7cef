"""The GOV.UK error summary: after a refused save or submit, "There is a problem" at the top of the form,
moved into view and focused (so a screen reader reads it), each problem a link that moves to its field.
Fields are found by the CSS class Streamlit gives a keyed widget's container (`st-key-<key>`). The messages
stay next to their fields as well (ui.feedback.field_error).

The only HTML with a script in the app: every text in it is escaped, and the script is ours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import streamlit as st

from ui import scripts

STYLE = """
<style>
.derog-error-summary {border:4px solid #D5281B; padding:1rem 1.25rem; margin:0 0 1rem 0; background:#FFFFFF;
  color:#212B32; scroll-margin-top:6rem;}
.derog-error-summary:focus {outline:none !important; box-shadow:inset 0 0 0 4px #FFEB3B;}  /* inside: a parent clips outlines */
.derog-error-summary h2 {font-size:1.5rem; font-weight:700; margin:0 0 0.5rem 0; padding:0; color:#212B32;}
.derog-error-summary p {margin:0 0 0.75rem 0;}
.derog-error-summary ul {margin:0; padding-left:0; list-style:none;}
.derog-error-summary li {margin:0 0 0.5rem 0;}
.derog-error-summary a {color:#D5281B; font-weight:400; text-decoration:underline;}
.derog-error-summary a strong {font-weight:600;}
.derog-error-summary a:focus {color:#212B32; background:#FFEB3B; outline:none; box-shadow:0 4px 0 #212B32;}
[class*="st-key-"] {scroll-margin-top:6rem;}
</style>
"""

# Runs each time the summary is drawn; acts once per refused attempt (the nonce), so ticking a box after
# a refusal does not pull the person back to the top.


@dataclass(frozen=True)
class Problem:
    """One entry of the summary: the widget key of its field ('' when it has none), its label, the message."""

    field_key: str
    label: str
    message: str


NOTHING_LOST = "Nothing you typed has been lost."


def summary_html(problems: Sequence[Problem], nonce: str, lead: str = NOTHING_LOST) -> str:
    entries = []
    for problem in problems:
        message = escape(problem.message)
        words = f"<strong>{escape(problem.label)}:</strong> {message}" if problem.label else message
        if problem.field_key:
            key = escape(problem.field_key)
            entries.append(f'<li><a href="#{key}" data-field="{key}">{words}</a></li>')
        else:
            entries.append(f"<li>{words}</li>")
    return (
        f'<div class="derog-error-summary" id="derog-error-summary" role="alert" tabindex="-1" '
        f'aria-labelledby="derog-error-summary-title" data-nonce="{escape(nonce)}">'
        '<h2 id="derog-error-summary-title">There is a problem</h2>'
        f"<p>{escape(lead)}</p>"
        f"<ul>{''.join(entries)}</ul></div>"
    )


def error_summary(problems: Sequence[Problem], nonce: str, lead: str = NOTHING_LOST) -> None:
    """Draw the summary (nothing when there are no problems); `lead` says what happened to the attempt."""
    if not problems:
        return
    st.html(
        STYLE + summary_html(problems, nonce, lead) + scripts.tag(scripts.ERROR_SUMMARY), unsafe_allow_javascript=True
    )
