"""What a reviewer decides on, at the top of a request (on a phone, above the decision): trust and service,
what is asked, the risk in its first lines, decision needed by with the time left, mass casualty, and the
evidence the BMA asks for, each shown as done or not. One HTML list; every typed value escaped (html_text)."""

from __future__ import annotations

import streamlit as st

from core.enums import Mitigation
from core.models import DerogationRequest
from core.queries import ListRow
from ui.components import waiting_at
from ui.request_table import OPEN, at_tier_cell, time_left_cell
from ui.text import at_tier, counted, html_text, one_line, status_word, time_left, when, when_short

RISK_PREVIEW = 150  # characters of the risk shown in the summary; the whole of it is in the full record

# The evidence the BMA asks for before a recall, as the summary names it.
EVIDENCE = (
    (Mitigation.ELECTIVE_STOOD_DOWN, "Non-urgent work stood down"),
    (Mitigation.ENHANCED_RATES, "Incentives offered"),
    (Mitigation.REDEPLOYMENT, "Staff redeployed"),
)

# Static styling only. On a phone the label column is narrow, so label and value keep to one line.
STYLE = """
<style>
dl.summary {display:grid; grid-template-columns:minmax(7rem, 12rem) 1fr; gap:0.25rem 0.75rem; margin:0;
  padding:0; color:#212B32;}
dl.summary dt {font-weight:600;}
h2.summary-heading {position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%); margin:0;
  padding:0;}
dl.summary dd {margin:0; white-space:pre-wrap; overflow-wrap:anywhere;}
dl.summary .tag {display:inline-block; padding:0 0.35rem; font-weight:700; border-radius:2px;}
dl.summary .tag.urgent {background:#D5281B; color:#FFFFFF;}
dl.summary .tag.soon {background:#FFB81C; color:#212B32;}
dl.summary .done::before {content:"\\2713  "; color:#007F3B; font-weight:700;}
dl.summary .missing::before {content:"\\2717  "; color:#D5281B; font-weight:700;}
@media (max-width: 640px) {
  dl.summary {grid-template-columns:6rem 1fr; gap:0.15rem 0.5rem; font-size:0.95rem;}
}
</style>
"""


def asked(request: DerogationRequest) -> str:
    doctors = request.doctors_requested or 0
    grades = ", ".join(request.grades_requested) or "no grade given"
    window = f"{when_short(request.window_start)} to {when_short(request.window_end)}"
    return f"{counted(doctors, 'resident doctor')} ({grades}), {window}"


def _evidence(request: DerogationRequest) -> str:
    lines = []
    for mitigation, words in EVIDENCE:
        done = bool(request.mitigations.get(mitigation.value, {}).get("tried"))
        if mitigation is Mitigation.ELECTIVE_STOOD_DOWN and request.non_urgent_work_running:
            done = False  # the trust says some non-urgent work is still running
        kind, word = ("done", "Done") if done else ("missing", "Not done")
        lines.append(f'<span class="{kind}">{html_text(words)}: {word}</span>')
    return "<br>".join(lines)


def _where(row: ListRow) -> str:
    """Status, who acts next and, while open, how long it has been at this tier against its target."""
    request = row.request
    where = status_word(request.status)
    if request.status not in OPEN:
        return html_text(where)
    waiting = html_text(f"{where}, waiting at {waiting_at(request)}")
    tier_time = at_tier(row.minutes_at_tier, row.target_minutes, row.breached)
    return waiting if tier_time == "—" else f"{waiting} · {at_tier_cell(row, tier_time)}"


def _deadline(row: ListRow) -> str:
    request = row.request
    left = time_left(row.minutes_to_decision, request.status in OPEN, row.not_decided_in_time)
    if left == "—":
        return html_text(when(request.decision_needed_by))
    return f"{html_text(when(request.decision_needed_by))} · {time_left_cell(row, left)}"


def summary(row: ListRow, request: DerogationRequest) -> None:
    """The short summary a reviewer decides on (the whole request is in the full record below it)."""
    risk = one_line(request.risk_description, RISK_PREVIEW)
    mass = '<span class="tag urgent">MASS CASUALTY EVENT declared</span>' if request.mass_casualty else "No"
    items = [
        ("Where it is", _where(row)),
        ("Trust", html_text(row.trust_name)),
        ("Service", html_text(f"{request.service} at {request.site}")),
        ("Asked for", html_text(asked(request))),
        ("Risk", html_text(risk) if risk else "—"),
        ("Decision needed by", _deadline(row)),
        ("Mass casualty", mass),
        ("Evidence", _evidence(request)),
    ]
    body = "".join(f"<dt>{html_text(label)}</dt><dd>{value}</dd>" for label, value in items)
    # The heading is for screen readers (the page's outline: title, summary, decision); the eye sees the list.
    st.html(f'{STYLE}<h2 class="summary-heading">Summary</h2><dl class="summary">{body}</dl>')
