"""Every response carries the security headers (server/headers.py), and the client's address comes from a
proxy's header only when that proxy is trusted (server/client_address.py)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from server import headers
from server.client_address import ClientAddress, client_address, trusted_proxies


def _echo_address(request: Request) -> Response:
    return PlainTextResponse(request.client.host if request.client else "")


def _refused(_request: Request) -> Response:
    return PlainTextResponse("no", status_code=404)


def _client() -> TestClient:
    app = Starlette(
        routes=[Route("/who", _echo_address), Route("/missing", _refused)],
        middleware=[Middleware(ClientAddress), Middleware(headers.SecurityHeaders)],
    )
    return TestClient(app)


@pytest.mark.parametrize("secure", ["1", "0"])
def test_every_response_carries_the_security_headers(monkeypatch, secure):
    monkeypatch.setenv("DEROG_SECURE_COOKIES", secure)
    client = _client()
    for path in ("/who", "/missing", "/nowhere"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert "https:" not in policy and "*" not in policy  # nothing from another origin
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert ("strict-transport-security" in answer.headers) == (secure == "1")


def test_streamlits_one_inline_script_is_allowed_by_its_hash_and_nothing_else_inline():
    policy = headers.content_security_policy()
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert script_src.count("'sha256-") >= 1


PROXY = trusted_proxies("10.0.0.0/8, 192.0.2.1")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "real_ip", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", None, "203.0.113.9"),  # not a proxy of ours: its headers are ignored
        ("203.0.113.9", None, "198.51.100.1", "203.0.113.9"),
        ("192.0.2.1", "198.51.100.1", None, "198.51.100.1"),  # our proxy says who connected to it
        ("192.0.2.1", "6.6.6.6, 198.51.100.1", None, "198.51.100.1"),  # the client's own claim is not read
        ("192.0.2.1", "198.51.100.1, 10.1.2.3", None, "198.51.100.1"),  # past every proxy of ours
        ("192.0.2.1", None, "198.51.100.7", "198.51.100.7"),
        ("192.0.2.1", "not-an-address", None, "192.0.2.1"),
        ("192.0.2.1", "198.51.100.1, rubbish", None, "192.0.2.1"),
        ("::ffff:203.0.113.9", None, None, "::ffff:cb00:7109"),
    ],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(peer, forwarded_for, real_ip, expected):
    assert client_address(peer, forwarded_for, real_ip, PROXY) == expected


def test_without_trusted_proxies_every_header_is_ignored(monkeypatch):
    monkeypatch.delenv("DEROG_TRUSTED_PROXIES", raising=False)
    answer = _client().get("/who", headers={"X-Forwarded-For": "198.51.100.1", "X-Real-IP": "198.51.100.2"})
    assert answer.text == "testclient"  # Starlette's test client's own peer name, untouched


def test_a_mistyped_proxy_setting_stops_the_server(monkeypatch):
    with pytest.raises(ValueError):
        trusted_proxies("10.0.0.0/8, proxy.example")
