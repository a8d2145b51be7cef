"""The client's address, decided in one place: the peer that connected, unless that peer is one of the
proxies named in DEROG_TRUSTED_PROXIES (addresses or networks, separated by commas or spaces), in which
case the address that proxy reports (X-Forwarded-For, read from the right past every trusted proxy; or
X-Real-IP). A header sent by anyone else is ignored: otherwise whoever guesses passwords could name a
new address for every guess, or someone else's (core/accounts/users.py throttles unknown browsers per address).

An ASGI middleware (serve.py) writes the result into the connection's scope, so every HTTP request and
every websocket (where `st.context.ip_address` reads it) sees the same answer. uvicorn's own reading of
X-Forwarded-For must be off (FORWARDED_ALLOW_IPS empty: ./scripts/start and deploy/ set it; serve.py),
so that this is the only one."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(setting: str | None = None) -> tuple[Network, ...]:
    """DEROG_TRUSTED_PROXIES as networks; a mistyped entry stops the server (ValueError) rather than
    trusting the wrong machine."""
    raw = os.environ.get("DEROG_TRUSTED_PROXIES", "") if setting is None else setting
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in raw.replace(",", " ").split())


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _trusted(address: str | None, proxies: Iterable[Network]) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, real_ip: str | None, proxies: tuple[Network, ...]
) -> str | None:
    """Who is at the other end: see the module's docstring. A garbled hop ends the walk at the last
    address a trusted proxy vouched for."""
    address = _address(peer) if peer else None
    if not _trusted(address, proxies):
        return address
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_address = _address(hop)
        if hop_address is None:
            return address
        address = hop_address
        if not _trusted(address, proxies):
            return address
    if not hops and real_ip and _address(real_ip):
        return _address(real_ip)
    return address


class ClientAddress:
    """Puts the client's address (client_address) into every HTTP and websocket connection's scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.proxies = trusted_proxies()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers: dict[str, list[str]] = {}
            for name, value in scope["headers"]:
                headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
            peer = scope.get("client")
            address = client_address(
                peer[0] if peer else None,
                ",".join(headers.get("x-forwarded-for", [])),
                (headers.get("x-real-ip") or [None])[-1],
                self.proxies,
            )
            if address is not None:
                scope = {**scope, "client": (address, peer[1] if peer else 0)}
        await self.app(scope, receive, send)
