"""Ports for the servers the tests start (Streamlit, SMTP, nginx, the identity provider).

Each pytest-xdist worker hands out ports from a block of its own, below the kernel's ephemeral range
(32768 and up on Linux): two workers never pick the same port in the seconds between choosing one and
the server binding it, and no outgoing connection (to PostgreSQL, say) can be given it meanwhile, as
it could be with a port the kernel chose (bind to port 0) and let go of.
"""

from __future__ import annotations

import itertools
import os
import socket

FIRST, BLOCK, WORKERS = 20_000, 500, 24  # 20000-31999: nothing of Debian's listens there by default


def _block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"…; unset without xdist
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index >= WORKERS:
        raise RuntimeError(f"tests/ports.py has port blocks for {WORKERS - 1} workers, not {index}")
    start = FIRST + index * BLOCK
    return range(start, start + BLOCK)


# Where this process starts in its block depends on its process id, so that another run of the suite on
# the same machine (another checkout) rarely walks the same ports at the same moment.
_BLOCK = _block()
_next = itertools.count(os.getpid() % BLOCK)


def free_port() -> int:
    """A port of this worker's block that nothing listens on now (each one handed out once per cycle)."""
    for _ in range(BLOCK):
        port = _BLOCK[next(_next) % BLOCK]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken by something else: try the next one
                continue
            return port
    raise RuntimeError(f"no free port in {_BLOCK.start}-{_BLOCK.stop - 1}")
