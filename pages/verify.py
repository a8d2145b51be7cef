"""Check a recall (public, no sign-in): a resident doctor checks that a recall was really approved by
the BMA. Shows only trust, service, window, number and grades approved, and whether it still stands."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.clock import utcnow
from core.db import DatabaseBusy
from ui.components import facts
from ui.text import when

st.title("Check a recall")
st.markdown(
    "Before you return to work during strike action, check that the BMA really approved the recall. "
    "Enter the confirmation reference the trust gave you, for example **ABCD-EF23**."
)


def check() -> None:
    st.session_state["verify_checked"] = st.session_state.get("verify_ref", "")


if "verify_ref" not in st.session_state:
    st.session_state["verify_ref"] = st.query_params.get("ref", "")[:20]  # a link can carry the reference
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
        st.success("**VALID.** The BMA approved this recall and it has not been revoked.", icon=":material/verified:")
        if found.window_end <= utcnow():
            st.warning(f"The approved window ended {when(found.window_end)}: it does not cover any shift from now on.")
    if found is not None:
        facts(
            [
                ("Reference", found.reference),
                ("Trust", found.trust_name),
                ("Service", found.service + (f" ({found.approved_scope})" if found.approved_scope else "")),
                ("Window (UK time)", f"{when(found.window_start)} to {when(found.window_end)}"),
                ("Resident doctors approved", str(found.doctors)),
                ("Grades approved", ", ".join(found.grades)),
                ("Still valid", "Yes" if found.valid else "No: revoked"),
            ]
        )
