"""The server: Streamlit's app (app.py) with our own HTTP routes beside it (server/routes.py), and two
middlewares on every connection: the client's address from a trusted proxy only
(server/client_address.py) and security headers on every response (server/headers.py).
uvicorn itself believes X-Forwarded-For from 127.0.0.1 unless FORWARDED_ALLOW_IPS is set, and reads it
before this file is imported: ./scripts/start and deploy/ set it empty, so DEROG_TRUSTED_PROXIES alone
decides (server/runtime.py warns at start-up when it is not).
Start it with `streamlit run serve.py` (./scripts/start does) or `uvicorn serve:app`.

Sign-in through an identity provider (docs/identity.md) is configured either in Streamlit secrets
(`[auth]` in .streamlit/secrets.toml) or, for platforms that hand secrets over as environment
variables, with DEROG_OIDC_METADATA_URL and its companions (server/identity_settings.py)."""

import streamlit as st
from starlette.middleware import Middleware

from server import metrics
from server.client_address import ClientAddress
from server.headers import SecurityHeaders
from server.identity_settings import auth_secrets
from server.routes import ROUTES
from server.runtime import lifespan

app = st.App(
    "app.py",
    routes=[*ROUTES, metrics.ROUTE],
    middleware=[Middleware(ClientAddress), Middleware(SecurityHeaders)],
    secrets=auth_secrets(),
    lifespan=lifespan,
)
