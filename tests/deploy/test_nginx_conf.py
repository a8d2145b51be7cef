"""The nginx configuration deploy/ generates (deploy/nginx.conf.template): valid for Debian's nginx, no
query string (a sign-in ticket) in its access log, the security headers on nginx's own answers, and
/metrics never passed through."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import replicas

HEADERS = ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options")


@pytest.fixture
def conf(tmp_path: Path) -> str:
    written = replicas.write_nginx_conf(tmp_path, 18080, [replicas.App(1, 18001, 1), replicas.App(2, 18002, 2)])
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(binary).exists():
        checked = subprocess.run([binary, "-t", "-q", "-c", str(written), "-p", str(tmp_path)], capture_output=True)
        assert checked.returncode == 0, checked.stderr.decode()
    return written.read_text()


def test_the_access_log_never_holds_a_query_string(conf: str) -> None:
    formats = re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf)
    assert [name for name, _ in formats] == ["derog"]
    logged = formats[0][1]
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_", "$http_referer"):
        assert variable not in logged, variable
    assert "$uri" in logged
    assert re.search(r"access_log\s+\S+\s+derog;", conf)


def test_nginx_adds_the_security_headers_where_the_app_sent_none(conf: str) -> None:
    for header in HEADERS:
        assert re.search(rf"add_header {header} \$\w+ always;", conf), header
    assert "frame-ancestors 'none'" in conf


def test_metrics_are_not_passed_through(conf: str) -> None:
    assert re.search(r"location = /metrics \{\s*return 404;", conf)


def test_the_app_processes_believe_nginx_alone_about_the_clients_address(monkeypatch) -> None:
    monkeypatch.delenv("DEROG_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own reading, which would believe anyone
    env = replicas.app_env("postgresql+psycopg://postgres@127.0.0.1:5432/x", "http://127.0.0.1:8080")
    assert env["DEROG_TRUSTED_PROXIES"] == "127.0.0.1" and env["FORWARDED_ALLOW_IPS"] == ""
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in replicas.TEMPLATE.read_text()


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[unit]


def _location(conf: str, path: str) -> str:
    return re.search(rf"location {re.escape(path)} \{{(.*?)\n        \}}", conf, re.S).group(1)


def test_a_dead_process_is_passed_over_quickly_and_a_restarted_one_is_used_again_soon(conf: str) -> None:
    # Every process: one refused connection marks it failed, for a few seconds only (a process back from a
    # restart counts as failed until one request to it finishes; deploy/README.md, "Sticky sessions").
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ (.*);$", conf, re.M)
    assert len(servers) == 2
    for options in servers:
        settings = dict(option.split("=") for option in options.split())
        assert settings["max_fails"] == "1" and _seconds(settings["fail_timeout"]) <= 3, options
    upstream = re.search(r"upstream derogations \{(.*?)\}", conf, re.S).group(1)
    assert not re.search(r"^\s*keepalive\b", upstream, re.M)  # no pooled connection to a process that died
    assert re.search(r"^\s*proxy_next_upstream error timeout http_502 http_503;", conf, re.M)
    assert _seconds(re.search(r"proxy_connect_timeout (\w+);", conf).group(1)) <= 2


def test_a_request_to_a_silent_process_goes_to_another_before_nginx_gives_up_on_it(conf: str) -> None:
    # nginx passes a request on only while less than proxy_next_upstream_timeout has passed since it began.
    give_up = _seconds(re.search(r"proxy_next_upstream_timeout (\w+);", conf).group(1))
    connect = _seconds(re.search(r"proxy_connect_timeout (\w+);", conf).group(1))
    read = _seconds(re.search(r"proxy_read_timeout (\w+);", _location(conf, "/")).group(1))
    assert connect + read < give_up
    assert read <= 15  # a page's requests are quick: a silent process is passed over within a reload's patience
