"""The two session routes: they exist because only an HTTP response can set or clear an HttpOnly
cookie, and a Streamlit script run answers over a websocket.

- GET /session/start?ticket=…&next=…  redeems the one-time ticket a sign-in made (core/accounts/sessions.py),
  ends the session the browser's cookie named until then, sets the new session cookie and sends the
  browser on to `next` (a path on this server only).
- GET /display/start?claim=…  turns the wall screen's browser into a display session
  (core/accounts/display_sessions.py) once the national MDT or an administrator has typed its code: sets the
  display cookie, ends the person's session this browser held (a wall acts for nobody) and opens /wall.
- GET /session/end?reason=…  ends this browser's session (if the page has not already), clears the
  cookie, and sends the browser to sign in again, saying why (`reason`, one of ours), through
  Streamlit's own sign-out first when the person signed in with the identity provider, so that its
  identity cookie goes too.

Only our own pages send a browser here. A browser says where a navigation came from (Sec-Fetch-Site):
one sent by another site is refused, so a link elsewhere can neither sign a person in to someone else's
account (login CSRF, with a ticket the attacker made) nor sign them out. Browsers send the header to
HTTPS sites and localhost; clients that send none (scripts, the benchmark) are let through, and the
ticket still works once, within a minute.

Both are plain functions: Starlette runs them on its thread pool, so the database calls never block
the server's event loop."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from core.accounts import devices, display_sessions, sessions
from core.platform.config import security_settings
from core.platform.db import DatabaseBusy
from server import figures

# Streamlit's identity cookie (st.login) and its sign-out route, which also signs out at the provider.
PROVIDER_COOKIE = "_streamlit_user"
PROVIDER_SIGN_OUT = "/auth/logout"
SIGN_IN = "/sign-in"
WALL = "/wall"


# Sec-Fetch-Site values of a navigation our own page started; "none" (typed or bookmarked) and
# "same-site"/"cross-site" (another origin) were not.
_OURS = {"same-origin"}


def _from_another_site(request: Request) -> bool:
    sent = request.headers.get("sec-fetch-site")
    return sent is not None and sent.lower() not in _OURS


def _redirect(address: str) -> RedirectResponse:
    response = RedirectResponse(address, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _delete_cookie(response: RedirectResponse) -> None:
    response.delete_cookie(
        sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=security_settings().secure_cookies
    )


def start(request: Request) -> RedirectResponse:
    if _from_another_site(request):
        return _redirect(f"{SIGN_IN}?ended=ticket")
    # The browser's device cookie (core/accounts/devices.py) if we issued it, or a new one: from now on it is trusted
    # for the account.
    try:
        device = sessions.device_for_browser(request.cookies.get(devices.COOKIE_NAME))
    except DatabaseBusy:
        device = sessions.new_secret()
    try:
        token = sessions.redeem(
            request.query_params.get("ticket", ""), replacing=request.cookies.get(sessions.COOKIE_NAME), device=device
        )
    except DatabaseBusy:
        token = None
    if token is None:
        return _redirect(f"{SIGN_IN}?ended=ticket")
    response = _redirect(sessions.safe_return_path(request.query_params.get("next")))
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
    # Long-lived, unlike the session: it only lets this browser keep signing in while others guess.
    response.set_cookie(
        devices.COOKIE_NAME,
        device,
        max_age=int(devices.LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
        secure=security_settings().secure_cookies,
    )
    return response


def end(request: Request) -> RedirectResponse:
    if _from_another_site(request):
        return _redirect("/")  # nothing ends: the page the person was on opens as it was
    reason = sessions.end_reason(request.query_params.get("reason")) or sessions.EndReason.SIGNED_OUT
    # The cookie goes whatever happens: if the database is too busy to note the sign-out now, the session
    # ends at its idle limit and this browser no longer holds it.
    with contextlib.suppress(DatabaseBusy):
        sessions.sign_out(request.cookies.get(sessions.COOKIE_NAME))
    through_provider = any(
        name == PROVIDER_COOKIE or name.startswith(f"{PROVIDER_COOKIE}__") for name in request.cookies
    )
    response = _redirect(PROVIDER_SIGN_OUT if through_provider else f"{SIGN_IN}?ended={quote(reason.value)}")
    _delete_cookie(response)
    return response


def start_display(request: Request) -> RedirectResponse:
    if _from_another_site(request):
        return _redirect(WALL)
    try:
        token = display_sessions.redeem(request.query_params.get("claim", ""))
    except DatabaseBusy:
        token = None
    response = _redirect(WALL)  # refused: the wall shows a new code
    if token is None:
        return response
    with contextlib.suppress(DatabaseBusy):  # the cookie goes whatever happens; the session's limits end it
        sessions.sign_out(request.cookies.get(sessions.COOKIE_NAME))
    _delete_cookie(response)
    # No Max-Age, like the session cookie; the row's own end stops the display whatever the browser keeps.
    response.set_cookie(
        display_sessions.COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=security_settings().secure_cookies,
    )
    return response


ROUTES = [
    Route("/session/start", start, methods=["GET"]),
    Route("/session/end", end, methods=["GET"]),
    *figures.ROUTES,  # the daily public figures (server/figures.py)
    Route("/display/start", start_display, methods=["GET"]),
]
