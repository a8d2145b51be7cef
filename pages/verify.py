"""Check a recall (public, no sign-in): a resident doctor checks that a recall was really approved by
the BMA, or where a recall made under the failsafe bypass stands. Shows only trust, service, window, number
and grades, and whether it still stands; nothing when the record cannot be proven against its history."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.platform.clock import utcnow
from core.platform.db import DatabaseBusy
from core.queries import Standing, Verification
from core.queries.public_check import MAX_TYPED_REFERENCE
from ui.components import facts
from ui.text import when

st.title("Check a recall")
st.markdown(
    "Before you return to work during strike action, check that the BMA really approved the recall. "
    "Enter the reference the trust gave you, for example **ABCD-EF23**."
)

if "verify_ref" not in st.session_state:  # a link can carry the reference
    st.session_state["verify_ref"] = st.query_params.get("ref", "")[:MAX_TYPED_REFERENCE]
with st.form("verify_form", border=False, enter_to_submit=True):  # Enter in the box checks, as the button does
    st.text_input("Reference", key="verify_ref", max_chars=MAX_TYPED_REFERENCE, autocomplete="off")
    if st.form_submit_button("Check", key="verify_go", type="primary"):
        st.session_state["verify_checked"] = st.session_state.get("verify_ref", "")
reference = st.session_state.get("verify_checked") or st.query_params.get("ref", "")


def approval_facts(found: Verification) -> list[tuple[str, str]]:
    return [
        ("Trust", found.trust_name),
        ("Service", found.service + (f" ({found.approved_scope})" if found.approved_scope else "")),
        ("Window (UK time)", f"{when(found.window_start)} to {when(found.window_end)}"),
        ("Resident doctors approved", str(found.doctors)),
        ("Grades approved", ", ".join(found.grades)),
    ]


def recall_facts(found: Verification) -> list[tuple[str, str]]:
    return [
        ("Trust", found.trust_name),
        ("Service", found.service),
        ("Recalled at (UK time)", when(found.recalled_at)),
        ("Resident doctors recalled", str(found.recalled_doctors)),
        ("Grades recalled", ", ".join(found.recalled_grades)),
    ]


def answer(found: Verification) -> list[tuple[str, str]]:
    """Say what the reference means now; return the facts to show under it (none that cannot be proven)."""
    standing = found.standing
    if standing is Standing.UNCONFIRMED:
        st.error(
            "**CANNOT BE CONFIRMED.** This approval cannot be confirmed just now. Do not return to work on the "
            "strength of it: call the trust that gave you the reference. The service's administrators have been told.",
            icon=":material/gpp_maybe:",
        )
        return []
    if standing is Standing.REVOKED:
        st.error(
            f"**REVOKED.** The BMA withdrew this approval on {when(found.revoked_at)}. It is no longer valid: "
            "do not return to work under it.",
            icon=":material/block:",
        )
        return [*approval_facts(found), ("Still valid", "No: revoked")]
    if standing is Standing.VALID:
        st.success("**VALID.** The BMA approved this recall and it has not been revoked.", icon=":material/verified:")
        if found.window_end <= utcnow():
            st.warning(f"The approved window ended {when(found.window_end)}: it does not cover any shift from now on.")
        return [*approval_facts(found), ("Still valid", "Yes")]
    if standing is Standing.BYPASS_PENDING:
        st.warning(
            "**RECALLED UNDER THE FAILSAFE BYPASS.** The trust recalled these doctors at once for a declared "
            "major event. The BMA has not decided yet: the recall stands until it does. Check again later.",
            icon=":material/emergency:",
        )
        return recall_facts(found)
    if standing is Standing.BYPASS_APPROVED:
        st.success(
            f"**APPROVED.** The BMA has since approved this recall (reference {found.confirmation_ref}). Only the "
            "doctors and grades below are covered: anyone else recalled under the bypass is stood down.",
            icon=":material/verified:",
        )
        return [*recall_facts(found), *approval_facts(found)[2:]]
    stood_down = f" The trust stood the doctors down at {when(found.stood_down_at)}." if found.stood_down_at else ""
    st.error(
        "**STAND DOWN.** This recall under the failsafe bypass was not approved by the BMA, or its approval was "
        f"revoked: do not work under it.{stood_down}",
        icon=":material/block:",
    )
    return recall_facts(found)


if reference:
    try:
        found = queries.verify_reference(reference)
    except DatabaseBusy as exc:
        st.error(str(exc))
        st.stop()
    if found is None:
        st.error(
            "No BMA approval or recall has this reference. Do not return to work on the strength of it: check the "
            "reference with the trust, or contact the BMA.",
            icon=":material/gpp_bad:",
        )
    else:
        facts([("Reference", found.reference), *answer(found)])
