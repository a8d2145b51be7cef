"""The hazard log (docs/clinical-safety/hazard-log.yaml) stays true to the code: every hazard is complete and
controlled, its risks are read from DCB0129's matrix, and every test a control names still exists."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.yaml"
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
CONTROL_TYPES = {"design", "test", "documentation", "training"}
STATUSES = {"open", "closed", "transferred"}
FIELDS = ("id", "title", "cause", "effect", "harm", "initial", "controls", "residual", "status")


@cache
def _log() -> dict:
    return yaml.safe_load(LOG.read_text(encoding="utf-8"))


def _hazards() -> list[dict]:
    return _log()["hazards"]


@cache
def _test_names(path: Path) -> frozenset[str]:
    """`name` and `Class::name` of every test function a test file defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(name for name in names if name.split("::")[-1].startswith("test"))


def _missing(node_id: str) -> str | None:
    """Why a pytest node id names no test, or None when it does."""
    path, _, name = node_id.partition("::")
    name = name.split("[", 1)[0]  # a parametrised case names its function
    file = ROOT / path
    if not path.startswith("tests/") or not file.is_file():
        return f"{node_id}: no file {path}"
    if name not in _test_names(file):
        return f"{node_id}: {path} defines no test {name}"
    return None


def test_the_log_holds_at_least_fifteen_complete_hazards_with_unique_ids():
    hazards = _hazards()
    assert len(hazards) >= 15
    for hazard in hazards:
        assert all(hazard.get(field) for field in FIELDS), f"{hazard.get('id')} lacks one of {FIELDS}"
        assert hazard["status"] in STATUSES, hazard["id"]
    ids = [hazard["id"] for hazard in hazards]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("stage", ["initial", "residual"])
def test_every_risk_is_read_from_the_dcb0129_matrix(stage):
    matrix = _log()["matrix"]
    assert set(matrix) == set(LIKELIHOODS) and all(len(row) == len(SEVERITIES) for row in matrix.values())
    for hazard in _hazards():
        rating = hazard[stage]
        assert rating["severity"] in SEVERITIES and rating["likelihood"] in LIKELIHOODS, hazard["id"]
        expected = matrix[rating["likelihood"]][SEVERITIES.index(rating["severity"])]
        assert rating["risk"] == expected, f"{hazard['id']} {stage}: {rating} is risk {expected} on the matrix"


def test_controls_never_raise_a_risk_and_every_hazard_has_one():
    for hazard in _hazards():
        assert hazard["controls"], f"{hazard['id']} has no control"
        assert hazard["residual"]["risk"] <= hazard["initial"]["risk"], hazard["id"]
        for control in hazard["controls"]:
            assert control["type"] in CONTROL_TYPES and control["description"].strip(), hazard["id"]
            if control["type"] == "test":
                assert control.get("tests"), f"{hazard['id']}: a test control names no test"


def test_every_test_a_control_names_exists():
    named = [node for hazard in _hazards() for control in hazard["controls"] for node in control.get("tests", [])]
    assert named, "no control names a test"
    assert [why for node in named if (why := _missing(node))] == []


def test_the_checker_finds_a_test_that_is_gone():
    assert _missing("tests/docs/test_hazard_log.py::test_every_test_a_control_names_exists") is None
    assert _missing("tests/docs/test_hazard_log.py::test_that_was_renamed") is not None
    assert _missing("tests/no_such_file.py::test_anything") is not None


def test_the_readme_links_the_safety_case():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/clinical-safety/safety-case-report.md" in readme
    for document in ("clinical-risk-management-plan.md", "safety-case-report.md", "hazard-log.yaml"):
        assert (LOG.parent / document).is_file(), document
