"""Cover register: each trust's agreed minimum safe cover per service, grade and shift during strike action,
who agreed it and when, and the cover expected from staff who are not striking (core/request/cover_register.py).
The trust's staff, its region's medical director and the national MDT read it; the trust's requesters and
medical director change it, line by line or from a CSV file."""

from __future__ import annotations

import streamlit as st

from core.access_control.scope import ScopeKind, kind_of
from core.enums import Role
from core.request import cover_csv, cover_register
from ui import cover
from ui.session import guarded_download, refused_download, require_page
from ui.text import visible

user = require_page("cover_register")

st.title("Cover register")
st.caption(
    "Agreed before the strike, service by service: the minimum safe number of doctors of each grade per shift, "
    "the cover expected from staff who are not striking, and who agreed it (for example the local BMA "
    "representative) and when. A request for a registered service starts from it, and every reviewer sees it."
)

if kind_of(Role(user.role)) is ScopeKind.TRUST:
    trust_code = user.trust_code
else:
    trusts = cover_register.trusts_in_scope(user)
    names = {trust.ods_code: f"{trust.name} ({lines} line{'s' if lines != 1 else ''})" for trust, lines in trusts}
    trust_code = st.selectbox(
        "Trust",
        options=list(names),
        format_func=lambda code: visible(names[code]),
        key="cover_trust",
        index=None,
        placeholder="Choose a trust (those with a register first)",
    )
    if trust_code is None:
        st.stop()

lines = cover_register.register(user, trust_code)
if lines:
    cover.register_table(lines)
else:
    st.info("This trust has no cover register yet.")
st.download_button(
    "Download the register (CSV)",
    data=guarded_download(lambda actor: cover_csv.export_csv(actor, trust_code), key="cover_download"),
    file_name=f"cover-register-{trust_code}.csv",
    mime="text/csv",
    on_click="ignore",
    key="cover_download",
    icon=":material/download:",
)
refused_download("cover_download")

if cover_register.may_edit(user, trust_code):
    st.header("Add or change a line")
    cover.line_form(trust_code, lines)
    st.header("Import from a spreadsheet")
    cover.csv_import(trust_code)
