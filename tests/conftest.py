"""Shared helpers: fixture discovery and markers, and the rule for tests that need torch."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple

import pytest

# The one parser of the `# expect:` markers (runtime_check reads them too;
# it imports neither torch nor NumPy at import time).
from runtime_check.fixture_header import expected_findings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def fixture_files() -> List[Path]:
    return sorted(FIXTURES.glob("NTL*/*.py"))


WITHOUT_TORCH = "NTL_TESTS_WITHOUT_TORCH"


def skip_module_without_torch(why: str) -> None:
    """Call at the top of a test module that needs torch and NumPy, before importing them.

    They are in the `test` extra: a missing one fails the suite (the module's
    plain import raises). A run may say on purpose that it has no torch
    (NTL_TESTS_WITHOUT_TORCH=1) and skips the module instead, but never in CI
    (the CI variable set): there a missing torch is a failure, not a skip.
    """
    if os.environ.get(WITHOUT_TORCH) == "1" and not os.environ.get("CI"):
        pytest.skip(f"{WITHOUT_TORCH}=1: {why}", allow_module_level=True)


__all__ = ["FIXTURES", "ROOT", "expected_findings", "fixture_files", "skip_module_without_torch"]


@pytest.fixture
def lint():
    """Lint a snippet with the engine and return (line, col, code) triples."""
    from np_torch_lint.lint import analyze

    def run(source: str) -> List[Tuple[int, int, str]]:
        return [(r.line, r.col, r.code) for r in analyze(source)]

    return run


@pytest.fixture
def codes(lint):
    def run(source: str) -> List[str]:
        return [code for _, _, code in lint(source)]

    return run


def fixture_projects() -> List[Path]:
    """The folder fixtures: a small project each (its own root marker), named pos_/neg_ like a file.

    ``fixture_files()`` leaves them out: their files are linted, and judged, as one project.
    """
    return sorted(p for p in FIXTURES.glob("NTL*/*") if p.is_dir() and p.name.startswith(("pos_", "neg_")))
