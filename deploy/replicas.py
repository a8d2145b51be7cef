"""N app processes on PostgreSQL behind nginx, with one mail worker: `./scripts/start-replicas N`.

    python -m deploy.replicas start 3            # PostgreSQL (started if need be), 3 processes, nginx, worker
    python -m deploy.replicas status
    python -m deploy.replicas stop

What it does, in order (deploy/README.md says why):
1. PostgreSQL from Debian's packages: if DATABASE_URL's server does not answer, start its cluster
   (`pg_ctlcluster`), installing `postgresql` first if it is missing; create the database if need be.
2. `python -m ops demo` on it: the schema (Alembic), reference data, demo accounts and requests
   (`--no-demo`: the schema and reference data only).
3. N app processes (`streamlit run serve.py`), each on a free port on 127.0.0.1, and waits for each
   one's readiness probe (`/_stcore/script-health-check`) before any traffic reaches it.
4. One mail worker (`python -m ops mail-worker`): outbox and reminders.
5. nginx (deploy/nginx.conf.template) on --port, sticky by session cookie, in front of them.
/metrics on each process wants the bearer token in DEROG_METRICS_TOKEN (one is made if it is unset and kept
in the state folder); prometheus.yml there is a scraper's configuration that sends it.
Every process id is written under the state folder (var/replicas/ by default) with its port and log.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "var" / "replicas"
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
PROMETHEUS = Path(__file__).resolve().parent / "prometheus.yml.example"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/derogations"
READY_SECONDS = 120


@dataclass
class App:
    index: int
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- PostgreSQL


def _connect(url: str, database: str):  # noqa: ANN202  (a psycopg connection)
    import psycopg

    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, dbname=database, autocommit=True, connect_timeout=3,
    )  # fmt: skip


def _answers(url: str) -> bool:
    try:
        with _connect(url, "postgres"):
            return True
    except Exception:  # noqa: BLE001
        return False


def _root(command: list[str]) -> list[str]:
    return command if os.geteuid() == 0 else ["sudo", *command]


def ensure_postgres(url: str) -> None:
    """The server answers, or its Debian cluster is started (installed first if need be)."""
    if not _answers(url):
        if shutil.which("pg_lsclusters") is None:
            print("PostgreSQL is not installed: installing Debian's package…", flush=True)
            env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(_root(["apt-get", "install", "-y", "-qq", "postgresql"]), check=True, env=env)
        clusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True)
        for line in clusters.stdout.splitlines():
            version, name, _port, status, *_ = line.split()
            if status != "online":
                print(f"Starting PostgreSQL {version}/{name}…", flush=True)
                subprocess.run(_root(["pg_ctlcluster", version, name, "start"]), check=True)
        deadline = time.monotonic() + 30
        while not _answers(url):
            if time.monotonic() > deadline:
                raise SystemExit(f"PostgreSQL does not answer at {make_url(url).render_as_string(hide_password=True)}")
            time.sleep(0.5)
    database = make_url(url).database
    with _connect(url, "postgres") as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            from psycopg import sql

            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            print(f"Created database {database}.", flush=True)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (killed, not yet reaped by its parent) is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _spawn(command: list[str], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # not ended by a Ctrl+C in the terminal that started them
        )  # fmt: skip
    return process.pid


def ready(url: str, timeout: float = READY_SECONDS, pid: int | None = None) -> None:
    """Wait for the readiness probe: app.py has run once (migrations included) and answered ok."""
    deadline = time.monotonic() + timeout
    while True:
        if pid is not None and not _alive(pid):
            raise SystemExit(f"the process {pid} behind {url} exited; see its log")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=30) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} was not ready in {timeout:.0f} s")
        time.sleep(0.3)


def app_env(url: str, public_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env.setdefault("DEROG_BASE_URL", public_url)
    # The local recipe serves plain http: a Secure-only cookie would never come back. Behind TLS, set 1.
    env.setdefault("DEROG_SECURE_COOKIES", "0")
    # nginx, on this machine, names the client in X-Forwarded-For: believe it, and nobody else.
    env.setdefault("DEROG_TRUSTED_PROXIES", "127.0.0.1")
    env["FORWARDED_ALLOW_IPS"] = ""  # uvicorn's own reading of it off: DEROG_TRUSTED_PROXIES decides (serve.py)
    return env


def metrics_token(state: Path) -> str:
    """The bearer token /metrics wants (DEROG_METRICS_TOKEN, or one made once and kept in the state folder,
    readable by its owner only), and a Prometheus configuration beside it that sends it."""
    token_file = state / "metrics-token"
    token = os.environ.get("DEROG_METRICS_TOKEN", "").strip()
    if not token:
        if not token_file.exists():
            token_file.touch(mode=0o600)
            token_file.write_text(secrets.token_urlsafe(32) + "\n")
        token = token_file.read_text().strip()
    else:
        token_file.touch(mode=0o600)
        token_file.write_text(token + "\n")
    return token


def write_prometheus_conf(state: Path, servers: list[App]) -> Path:
    targets = ", ".join(f'"127.0.0.1:{app.port}"' for app in servers)
    text = PROMETHEUS.read_text().replace("@TOKEN_FILE@", str(state / "metrics-token")).replace("@TARGETS@", targets)
    conf = state / "prometheus.yml"
    conf.write_text(text)
    return conf


def start_app(state: Path, index: int, env: dict[str, str], port: int | None = None) -> App:
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port)]  # fmt: skip
    pid = _spawn(command, env, state / f"app-{index}.log")
    (state / f"app-{index}.pid").write_text(f"{pid}\n")
    (state / f"app-{index}.port").write_text(f"{port}\n")
    return App(index, port, pid)


def apps(state: Path = STATE) -> list[App]:
    found = []
    for pid_file in sorted(state.glob("app-*.pid"), key=lambda p: int(p.stem.split("-")[1])):
        index = int(pid_file.stem.split("-")[1])
        port = int((state / f"app-{index}.port").read_text())
        found.append(App(index, port, int(pid_file.read_text())))
    return found


def write_nginx_conf(state: Path, listen: int, servers: list[App], debug_header: bool = True) -> Path:
    upstreams = "\n".join(f"        server 127.0.0.1:{a.port} max_fails=1 fail_timeout=3s;" for a in servers)
    header = "        add_header X-Served-By $upstream_addr always;  # which process answered (local recipe)"
    text = (
        TEMPLATE.read_text()
        .replace("@STATE@", str(state))
        .replace("@UPSTREAMS@", upstreams)
        # The local recipe answers on this machine only (plain http, cookies not Secure-only);
        # DEROG_NGINX_ADDRESS=0.0.0.0 to show it to others on the network.
        .replace("@LISTEN@", f"{os.environ.get('DEROG_NGINX_ADDRESS', '127.0.0.1')}:{listen}")
        .replace("@DEBUG_HEADER@", header if debug_header else "")
    )
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(state / "nginx-tmp", 0o1777)  # nginx's workers may run as another user than the master
    for sub in (state / "nginx-tmp").iterdir():
        os.chmod(sub, 0o1777)
    conf = state / "nginx.conf"
    conf.write_text(text)
    return conf


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        print("nginx is not installed: installing Debian's package…", flush=True)
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(_root(["apt-get", "install", "-y", "-qq", "nginx"]), check=True, env=env)
        found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found


def start_nginx(state: Path, listen: int, servers: list[App]) -> int:
    conf = write_nginx_conf(state, listen, servers)
    binary = nginx_binary()
    subprocess.run([binary, "-t", "-q", "-c", str(conf), "-p", str(state)], check=True)
    subprocess.run([binary, "-c", str(conf), "-p", str(state)], check=True)  # it daemonises and writes its pid
    deadline = time.monotonic() + 10
    while not (state / "nginx.pid").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"nginx did not start; see {state / 'nginx-error.log'}")
        time.sleep(0.1)
    return int((state / "nginx.pid").read_text())


def start_worker(state: Path, env: dict[str, str], name: str = "mail-worker", interval: float | None = None) -> int:
    command = [sys.executable, "-m", "ops", "mail-worker"]
    if interval is not None:
        command += ["--interval", str(interval)]
    pid = _spawn(command, env, state / f"{name}.log")
    (state / f"{name}.pid").write_text(f"{pid}\n")
    return pid


def start(count: int, *, url: str, listen: int, state: Path = STATE, demo: bool = True,
          workers: int = 1, worker_interval: float | None = None) -> str:  # fmt: skip
    if running(state):
        raise SystemExit(
            f"Replicas are already running (state in {state}); stop them first: ./scripts/start-replicas stop"
        )
    state.mkdir(parents=True, exist_ok=True)
    for old in state.glob("*.pid"):
        old.unlink()
    public = f"http://127.0.0.1:{listen}"
    ensure_postgres(url)
    env = app_env(url, public) | {"DEROG_METRICS_TOKEN": metrics_token(state)}
    seed = ["demo"] if demo else ["load-reference"]
    subprocess.run([sys.executable, "-m", "ops", *seed], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    servers = [start_app(state, i, env) for i in range(1, count + 1)]
    for app in servers:
        ready(app.url, pid=app.pid)
        print(f"  app {app.index}: {app.url} (pid {app.pid}) ready", flush=True)
    for n in range(1, workers + 1):
        name = "mail-worker" if n == 1 else f"mail-worker-{n}"
        print(f"  {name}: pid {start_worker(state, env, name, worker_interval)}", flush=True)
    write_prometheus_conf(state, servers)
    pid = start_nginx(state, listen, servers)
    print(f"  nginx: pid {pid}, port {listen}", flush=True)
    (state / "url").write_text(public + "\n")
    return public


def pids(state: Path = STATE) -> dict[str, int]:
    found = {}
    for pid_file in state.glob("*.pid"):
        try:
            found[pid_file.stem] = int(pid_file.read_text())
        except ValueError:
            continue
    return found


def running(state: Path = STATE) -> dict[str, int]:
    return {name: pid for name, pid in pids(state).items() if _alive(pid)}


def stop(state: Path = STATE, timeout: float = 20) -> None:
    """Stop what start() started, by the process ids it wrote (nginx first, so no new traffic arrives)."""
    found = pids(state)
    order = sorted(found, key=lambda name: (name != "nginx", name))
    for name in order:
        pid = found[name]
        if _alive(pid):
            os.kill(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name in order:
        pid = found[name]
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        (state / f"{name}.pid").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="start-replicas", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("start", help="start N app processes, a mail worker and nginx")
    go.add_argument("count", type=int)
    go.add_argument("--port", type=int, default=int(os.environ.get("DEROG_NGINX_PORT", 8080)))
    go.add_argument("--no-demo", action="store_true", help="schema and reference data only, no demo accounts")
    go.add_argument("--state", type=Path, default=STATE)
    sub.add_parser("stop", help="stop everything started").add_argument("--state", type=Path, default=STATE)
    sub.add_parser("status", help="what is running").add_argument("--state", type=Path, default=STATE)
    args = parser.parse_args(argv)
    if args.command == "start":
        if args.count < 1:
            parser.error("N must be at least 1")
        url = os.environ.get("DATABASE_URL", DEFAULT_URL)
        if not url.startswith("postgresql"):
            parser.error("several app processes need PostgreSQL: set DATABASE_URL=postgresql+psycopg://…")
        public = start(args.count, url=url, listen=args.port, state=args.state, demo=not args.no_demo)
        print(f"\nDerogations: {public}  ({args.count} app processes behind nginx; state and logs in {args.state})")
        print("Stop: ./scripts/start-replicas stop")
    elif args.command == "stop":
        stop(args.state)
        print("Stopped.")
    else:
        live = running(args.state)
        if not pids(args.state):
            print(f"Nothing is running (no process ids under {args.state}).")
        for name, pid in sorted(pids(args.state).items()):
            print(f"  {name}: pid {pid} {'running' if name in live else 'not running'}")


if __name__ == "__main__":
    main()
