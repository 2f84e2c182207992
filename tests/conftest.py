"""Shared helpers: fixture discovery and markers."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MARKER = re.compile(r"#\s*expect:\s*(?P<codes>NTL\d{3}(?:\s*,\s*NTL\d{3})*)")


def fixture_files() -> List[Path]:
    return sorted(FIXTURES.glob("NTL*/*.py"))


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    """(line, code) for every `# expect: NTLnnn` marker in a fixture."""
    found: Set[Tuple[int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            for code in match.group("codes").split(","):
                found.add((number, code.strip()))
    return found


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
