"""The server: Streamlit's app (app.py) with our own HTTP routes beside it (server/routes.py).
Start it with `streamlit run serve.py` (./scripts/start does) or `uvicorn serve:app`."""

import streamlit as st

from server.routes import ROUTES

app = st.App("app.py", routes=ROUTES)
