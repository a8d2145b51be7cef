"""The server: Streamlit's app (app.py) with our own HTTP routes beside it (server/routes.py), and two
middlewares on every connection: the client's address from a trusted proxy only
(server/client_address.py) and security headers on every response (server/headers.py).
Start it with `streamlit run serve.py` (./scripts/start does) or `uvicorn serve:app`.

Sign-in through an identity provider (docs/identity.md) is configured either in Streamlit secrets
(`[auth]` in .streamlit/secrets.toml) or, for platforms that hand secrets over as environment
variables, with DEROG_OIDC_METADATA_URL and its companions (server/identity_settings.py)."""

import os

import streamlit as st
from starlette.middleware import Middleware

from server import metrics
from server.client_address import ClientAddress
from server.headers import SecurityHeaders
from server.identity_settings import auth_secrets
from server.routes import ROUTES
from server.runtime import lifespan

# uvicorn would otherwise take X-Forwarded-For from any local peer: DEROG_TRUSTED_PROXIES decides instead.
os.environ["FORWARDED_ALLOW_IPS"] = ""

app = st.App(
    "app.py",
    routes=[*ROUTES, metrics.ROUTE],
    middleware=[Middleware(ClientAddress), Middleware(SecurityHeaders)],
    secrets=auth_secrets(),
    lifespan=lifespan,
)
