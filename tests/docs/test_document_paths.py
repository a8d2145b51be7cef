"""Every file or folder a document names exists: a link, or a path written as code (`core/records/audit.py`);
and every module or name written as code in dotted form (`core.access_control.permissions.refusal`) imports."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CODE_PATH = re.compile(r"`([\w.\-]+(?:/[\w.\-]+)+/?)(?:::\w+)?`")
# Written in documents but never in the repository: made at run time, or kept off it on purpose.
NOT_IN_THE_REPOSITORY = ("var/", "test-artifacts/", ".venv/", "node_modules/")
# A name of our own code written as code, with or without a call: `core.workflow.command.apply`, `ui.session`.
DOTTED_NAME = re.compile(r"`((?:core|ui|pages|ops|server|bench)(?:\.\w+)+)(?:\([^`]*\))?`")


def _documents() -> list[Path]:
    return sorted(
        {*ROOT.glob("*.md"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("deploy/**/*.md"), *ROOT.glob("data/**/*.md")}
    )


def _ignored(path: Path) -> bool:
    """Paths git ignores on purpose (secrets, run-time files) are named in documents without existing."""
    return subprocess.run(["git", "check-ignore", "-q", str(path.resolve())], cwd=ROOT).returncode == 0


def _named_paths(document: Path) -> list[tuple[str, Path]]:
    text = document.read_text(encoding="utf-8")
    named = [(m, document.parent / m) for m in LINK.findall(text) if not re.match(r"[a-z]+:", m)]
    for path in CODE_PATH.findall(text):
        if path.startswith(NOT_IN_THE_REPOSITORY) or "*" in path or not re.search("[A-Za-z]", path):  # 30/11/2026
            continue
        relative = document.parent / path
        named.append((path, relative if relative.exists() else ROOT / path))
    return named


def test_every_path_a_document_names_exists():
    missing = [
        f"{document.relative_to(ROOT)}: {name}"
        for document in _documents()
        for name, path in _named_paths(document)
        if not path.exists() and not _ignored(path)
    ]
    assert missing == []


def test_the_checker_sees_links_and_code_paths(tmp_path):
    document = tmp_path / "x.md"
    document.write_text("See [rules](docs/rules.md), `core/no_such_module.py` and [web](https://example.org).")
    assert [name for name, _ in _named_paths(document)] == ["docs/rules.md", "core/no_such_module.py"]


def resolves(dotted: str) -> bool:
    """The longest leading part that is a module imports, and the rest are attributes of it, in turn."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            found: object = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name is not None and (module_name + ".").startswith(missing.name + "."):
                continue  # not a module: try a shorter one
            raise
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_every_module_or_name_a_document_writes_as_code_exists():
    missing = [
        f"{document.relative_to(ROOT)}: {name}"
        for document in _documents()
        for name in DOTTED_NAME.findall(document.read_text(encoding="utf-8"))
        if not resolves(name)
    ]
    assert missing == []


def test_the_checker_reads_module_names_and_refuses_what_does_not_exist():
    assert DOTTED_NAME.findall("`core.workflow.command.apply` and `ui.session.hand_over()`, not core.x") == [
        "core.workflow.command.apply",
        "ui.session.hand_over",
    ]
    assert resolves("core.workflow.command.apply") and resolves("core.access_control")
    assert not resolves("core.workflow._apply") and not resolves("core.no_such_package.thing")
