"""Security headers on every HTTP response the app sends (pages, Streamlit's static files, our routes,
/metrics): an ASGI middleware passed to st.App in serve.py. deploy/nginx.conf.template sends the same.

- Content-Security-Policy: the page may load scripts, styles, images, fonts and connections from this
  origin only (no request leaves the site), and no other site may frame it (`frame-ancestors 'none'`:
  clickjacking "Record my decision"). What Streamlit's front end needs beyond that: inline styles (its
  CSS-in-JS), `data:`/`blob:` images and fonts, and its one inline script, allowed by its hash, read
  from the index.html this Streamlit serves (so an upgrade cannot silently break or widen it); and our own
  three inline scripts (ui/scripts.py), by their hashes.
- X-Frame-Options: DENY, for browsers older than frame-ancestors.
- Referrer-Policy: no-referrer (a sign-in ticket travels in an address: /session/start?ticket=…).
- X-Content-Type-Options: nosniff.
- Strict-Transport-Security, when the cookies are Secure-only (DEROG_SECURE_COOKIES, on by default):
  the site is served over HTTPS and browsers should never try it over plain HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import streamlit
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.platform.config import security_settings
from ui import scripts

HSTS = "max-age=31536000; includeSubDomains"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in the index.html Streamlit serves, and of our own (ui/scripts.py)."""
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    bodies = [*_INLINE_SCRIPT.findall(index), *scripts.ALL]
    digests = (hashlib.sha256(body.encode("utf-8")).digest() for body in bodies)
    return [f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests]


@cache
def content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {' '.join(_inline_script_hashes())}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(secure: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """Adds security_headers() to every HTTP response (a websocket has no response headers to add to)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers(security_settings().secure_cookies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
