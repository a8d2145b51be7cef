"""The layout a newcomer reads the design from: core/ in packages that say what they hold, the README's
Layout naming each of them, and tests/core mirroring them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"


def _packages() -> list[Path]:
    return sorted(p.parent for p in CORE.glob("*/__init__.py"))


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Layout") :]


def test_every_core_package_says_in_its_docstring_what_it_holds() -> None:
    for package in _packages():
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert docstring and len(docstring.split()) >= 5, (
            f"core/{package.name}/__init__.py says nothing of what it holds"
        )


def test_the_readme_layout_names_every_core_package_and_loose_module() -> None:
    layout = _layout()
    for package in _packages():
        assert re.search(rf"^  {package.name}/ ", layout, re.M), f"README's Layout does not name core/{package.name}/"
    for module in sorted(CORE.glob("*.py")):
        if module.name != "__init__.py":
            assert re.search(rf"^  {module.stem}\.py ", layout, re.M), (
                f"README's Layout does not name core/{module.name}"
            )


def test_tests_core_mirrors_the_packages_of_core() -> None:
    code = {p.name for p in _packages()}
    tested = {p.name for p in (ROOT / "tests" / "core").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert tested == code, f"only in tests/core: {sorted(tested - code)}; untested packages: {sorted(code - tested)}"
