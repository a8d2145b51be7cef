"""The server: Streamlit's app (app.py) with our own HTTP routes beside it (server/routes.py).
Start it with `streamlit run serve.py` (./scripts/start does) or `uvicorn serve:app`.

Sign-in through an identity provider (docs/identity.md) is configured either in Streamlit secrets
(`[auth]` in .streamlit/secrets.toml) or, for platforms that hand secrets over as environment
variables, with DEROG_OIDC_METADATA_URL and its companions (server/identity_settings.py)."""

import streamlit as st

from server import metrics
from server.identity_settings import auth_secrets
from server.routes import ROUTES
from server.runtime import lifespan

app = st.App("app.py", routes=[*ROUTES, metrics.ROUTE], secrets=auth_secrets(), lifespan=lifespan)
