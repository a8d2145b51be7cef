"""Streamlit's `[auth]` secrets for st.login, from environment variables when they are set.

| variable | meaning |
| --- | --- |
| DEROG_OIDC_METADATA_URL | the provider's /.well-known/openid-configuration |
| DEROG_OIDC_CLIENT_ID, DEROG_OIDC_CLIENT_SECRET | this service's registration with the provider |
| DEROG_OIDC_REDIRECT_URI | https://<this service>/oauth2callback, as registered |
| DEROG_OIDC_COOKIE_SECRET | a long random string that signs Streamlit's identity cookie |
"""

from __future__ import annotations

import os

REQUIRED = ("METADATA_URL", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", "COOKIE_SECRET")


def auth_secrets() -> dict[str, dict[str, str]] | None:
    """The `[auth]` section built from the environment, or None (secrets.toml, if any, decides)."""
    values = {name: os.environ.get(f"DEROG_OIDC_{name}", "").strip() for name in REQUIRED}
    if not values["METADATA_URL"]:
        return None
    missing = [f"DEROG_OIDC_{name}" for name, value in values.items() if not value]
    if missing:
        raise RuntimeError(f"Identity provider sign-in is half configured: set {', '.join(missing)}.")
    return {
        "auth": {
            "server_metadata_url": values["METADATA_URL"],
            "client_id": values["CLIENT_ID"],
            "client_secret": values["CLIENT_SECRET"],
            "redirect_uri": values["REDIRECT_URI"],
            "cookie_secret": values["COOKIE_SECRET"],
        }
    }
