"""The two session routes: they exist because only an HTTP response can set or clear an HttpOnly
cookie, and a Streamlit script run answers over a websocket.

- GET /session/start?ticket=…&next=…  redeems the one-time ticket a sign-in made (core/sessions.py),
  sets the session cookie and sends the browser on to `next` (a path on this server only).
- GET /session/end  ends this browser's session (if the page has not already), clears the cookie, and
  sends the browser to sign in again, through Streamlit's own sign-out first when the person signed in
  with the identity provider, so that its identity cookie goes too.

Both are plain functions: Starlette runs them on its thread pool, so the database calls never block
the server's event loop."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from core import sessions
from core.config import security_settings

# Streamlit's identity cookie (st.login) and its sign-out route, which also signs out at the provider.
PROVIDER_COOKIE = "_streamlit_user"
PROVIDER_SIGN_OUT = "/auth/logout"
SIGN_IN = "/sign-in"


def safe_next(address: str | None) -> str:
    """A path and query on this server; anything else (another host, a scheme, our own routes) is '/'."""
    if not address or any(ord(ch) < 32 for ch in address):
        return "/"
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("//", "/\\")):
        return "/"
    if parts.path.startswith("/session/"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _redirect(address: str) -> RedirectResponse:
    response = RedirectResponse(address, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def start(request: Request) -> RedirectResponse:
    token = sessions.redeem(request.query_params.get("ticket", ""))
    if token is None:
        return _redirect(f"{SIGN_IN}?ended=ticket")
    response = _redirect(safe_next(request.query_params.get("next")))
    # No Max-Age: the cookie goes when the browser closes (shared NHS computers); the row's own expiry
    # and idle limit end the session on the server whatever the browser keeps.
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=security_settings().secure_cookies,
    )
    return response


def end(request: Request) -> RedirectResponse:
    sessions.sign_out(request.cookies.get(sessions.COOKIE_NAME))
    reason = quote(sessions.EndReason.SIGNED_OUT.value)
    through_provider = any(name == PROVIDER_COOKIE or name.startswith(f"{PROVIDER_COOKIE}__") for name in request.cookies)
    response = _redirect(PROVIDER_SIGN_OUT if through_provider else f"{SIGN_IN}?ended={reason}")
    response.delete_cookie(
        sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=security_settings().secure_cookies
    )
    return response


ROUTES = [
    Route("/session/start", start, methods=["GET"]),
    Route("/session/end", end, methods=["GET"]),
]
