"""Once per process, at server start-up (the st.App lifespan in serve.py): start counting for /metrics
(server/metrics.py); import what the pages use,
then move every object that exists at that moment into the garbage collector's permanent generation
(`gc.freeze()`).

Why: the libraries (pandas, pyarrow, altair, SQLAlchemy, Streamlit itself) are a few hundred thousand
objects that live as long as the process. A full collection walks all of them, and Streamlit runs one
after every script run, fragment refreshes included (`runner.postScriptGC`); so does Python's own
collector from time to time. Frozen objects are never walked again, so a collection only looks at what
the sessions created since. Measured with `python -m bench.capacity` (docs/performance.md).

`DEROG_GC_FREEZE=0` turns it off (to measure without it)."""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import pkgutil
import time
from collections.abc import AsyncIterator

log = logging.getLogger("derogations.runtime")
# Packages whose every module the pages import sooner or later (pages/ are scripts, run by Streamlit).
PRELOAD_PACKAGES = ("core", "ui")
PRELOAD_MODULES = ("pandas", "pyarrow", "altair", "sqlalchemy", "sqlmodel", "streamlit.elements.vega_charts")


def freeze_enabled() -> bool:
    return os.environ.get("DEROG_GC_FREEZE", "1").strip().lower() not in ("0", "false", "no", "off")


def preload() -> int:
    """Import the app's modules and the heavy libraries now, before anyone is served; how many modules."""
    count = 0
    for name in PRELOAD_MODULES:
        importlib.import_module(name)
        count += 1
    for package_name in PRELOAD_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            importlib.import_module(module.name)
            count += 1
    return count


def freeze() -> dict[str, float]:
    """Preload, collect what start-up left as garbage, then freeze the rest."""
    started = time.perf_counter()
    modules = preload()
    gc.collect()
    gc.freeze()
    return {"modules": modules, "frozen": gc.get_freeze_count(), "ms": (time.perf_counter() - started) * 1000}


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    from server import metrics

    metrics.install()  # before the freeze: its hooks are start-up objects too
    if os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1") != "":
        log.warning(
            "FORWARDED_ALLOW_IPS is not empty: uvicorn takes the client's address from X-Forwarded-For sent by "
            "those peers (127.0.0.1 if unset), beside DEROG_TRUSTED_PROXIES. Set FORWARDED_ALLOW_IPS= (serve.py)."
        )
    if freeze_enabled():
        done = freeze()
        log.info("gc.freeze(): %(frozen)d objects frozen after preloading %(modules)d modules in %(ms).0f ms", done)
    yield
