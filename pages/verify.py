"""Check a recall (public, no sign-in): a resident doctor checks that a recall was really approved by
the BMA. Shows only trust, service, window, number and grades approved, and whether it still stands."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.db import DatabaseBusy
from ui.text import md_escape, when

st.title("Check a recall")
st.markdown(
    "Before you return to work during strike action, check that the BMA really approved the recall. "
    "Enter the confirmation reference the trust gave you, for example **ABCD-EF23**."
)


def check() -> None:
    st.session_state["verify_checked"] = st.session_state.get("verify_ref", "")


st.text_input("Confirmation reference", key="verify_ref", max_chars=20, autocomplete="off")
st.button("Check", key="verify_go", type="primary", on_click=check)
reference = st.session_state.get("verify_checked") or st.query_params.get("ref", "")
if reference:
    try:
        found = queries.verify_reference(reference)
    except DatabaseBusy as exc:
        st.error(str(exc))
        st.stop()
    if found is None:
        st.error(
            "No BMA approval has this reference. Do not return to work on the strength of it: check the "
            "reference with the trust, or contact the BMA.",
            icon=":material/gpp_bad:",
        )
    elif not found.valid:
        st.error(
            f"**REVOKED.** The BMA withdrew this approval on {when(found.revoked_at)}. It is no longer valid: "
            "do not return to work under it.",
            icon=":material/block:",
        )
    else:
        st.success(
            f"**VALID.** The BMA approved this recall ({md_escape(found.reference)}).", icon=":material/verified:"
        )
    if found is not None:
        st.markdown(
            "  \n".join(
                [
                    f"**Reference:** {md_escape(found.reference)}",
                    f"**Trust:** {md_escape(found.trust_name)}",
                    f"**Service:** {md_escape(found.service)}"
                    + (f" ({md_escape(found.approved_scope)})" if found.approved_scope else ""),
                    f"**Window:** {when(found.window_start)} to {when(found.window_end)}",
                    f"**Resident doctors approved:** {found.doctors}",
                    f"**Grades approved:** {md_escape(', '.join(found.grades))}",
                    f"**Still valid:** {'Yes' if found.valid else 'No, revoked'}",
                ]
            )
        )
