"""The rules are written in the repository (docs/rules.md, numbered) and the code cites them by that
name and number: no "rule N" pointing nowhere, no number the document does not have."""

from __future__ import annotations

import re

from core.platform.config import PROJECT_ROOT

SOURCES = [
    path
    for folder in ("core", "ops", "ui", "pages", "server", "bench", "tests")
    for path in (PROJECT_ROOT / folder).rglob("*.py")
] + [PROJECT_ROOT / "app.py", PROJECT_ROOT / "serve.py"]


def test_every_rule_the_code_cites_is_written_in_docs_rules_md() -> None:
    written = {int(n) for n in re.findall(r"^(\d+)\. \*\*", (PROJECT_ROOT / "docs" / "rules.md").read_text(), re.M)}
    assert written == set(range(1, len(written) + 1)) and len(written) >= 15
    cited, loose = set(), []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        cited |= {int(n) for n in re.findall(r"docs/rules\.md rule (\d+)", text)}
        loose += [
            f"{path.name}: {m.group(0)}" for m in re.finditer(r"(?<!rules\.md )\b(?:DESIGN )?rules? \d+", text, re.I)
        ]
    assert loose == [], "cite a rule as 'docs/rules.md rule N'"
    assert cited and cited <= written
