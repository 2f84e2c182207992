"""Every fixture's `# expect:` markers match flake8's NTL output exactly, both ways (folder fixtures too)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from conftest import FIXTURES, ROOT, expected_findings, fixture_files, fixture_projects

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>NTL\d{3}) ")


@pytest.fixture(scope="module")
def flake8_findings() -> Dict[Path, Set[Tuple[int, str]]]:
    """One flake8 run (the real CLI, plugin found by its entry point) over all fixtures."""
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "NTL", "--no-show-source", str(FIXTURES)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    found: Dict[Path, Set[Tuple[int, str]]] = {}
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        assert match, f"unexpected flake8 output line: {line}"
        path = Path(match.group("path")).resolve()
        found.setdefault(path, set()).add((int(match.group("line")), match.group("code")))
    return found


def test_fixture_set_is_complete() -> None:
    """Every rule has fixtures: 6+ positive and 6+ negative for the flagship rules, 5+ for the others."""
    from np_torch_lint.rules import ALL_RULES

    for rule in ALL_RULES:
        least = 6 if rule.code in ("NTL101", "NTL201", "NTL301", "NTL403") else 5
        folder = FIXTURES / rule.code
        assert len(list(folder.glob("pos_*.py"))) >= least, rule.code
        assert len(list(folder.glob("neg_*.py"))) >= least, rule.code


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_markers_match_flake8(path: Path, flake8_findings: Dict[Path, Set[Tuple[int, str]]]) -> None:
    expected = expected_findings(path)
    actual = flake8_findings.get(path.resolve(), set())
    assert sorted(actual - expected) == [], "extra findings (false positives)"
    assert sorted(expected - actual) == [], "missing findings (false negatives)"
    if path.name.startswith("neg_"):
        assert not expected, "a negative fixture carries no markers"
    else:
        assert expected, "a positive fixture marks at least one finding"
        assert {code for _, code in expected} >= {path.parent.name}, "a positive fixture marks its own rule"


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: f"{p.parent.name}/{p.name}/")
def test_folder_fixture_markers_match_flake8(folder: Path, flake8_findings: Dict[Path, Set[Tuple[int, str]]]) -> None:
    """A folder fixture is a small project: each of its files' markers match, and the folder's name says its role."""
    assert any((folder / marker).is_file() for marker in ("pyproject.toml", "setup.py", "setup.cfg")), \
        "a folder fixture is its own project: it holds a root marker"
    files = sorted(folder.rglob("*.py"))
    assert len(files) >= 2, "a folder fixture holds at least two modules"
    marked: Set[str] = set()
    for path in files:
        expected = expected_findings(path)
        actual = flake8_findings.get(path.resolve(), set())
        assert sorted(actual - expected) == [], f"{path.name}: extra findings (false positives)"
        assert sorted(expected - actual) == [], f"{path.name}: missing findings (false negatives)"
        marked.update(code for _, code in expected)
    if folder.name.startswith("neg_"):
        assert not marked, "a negative fixture carries no markers"
    else:
        assert folder.parent.name in marked, "a positive fixture marks its own rule"


def test_folder_fixtures_are_linted_as_projects() -> None:
    """The same verdicts from the command as from flake8: each folder is read with its own modules."""
    for folder in fixture_projects():
        result = subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache", "--select", "NTL",
                                 str(folder)], capture_output=True, text=True, cwd=ROOT, check=False)
        assert "Traceback" not in result.stderr, result.stderr
        found = set()
        for line in result.stdout.splitlines():
            match = LINE.match(line)
            if match:
                found.add((Path(match.group("path")).resolve(), int(match.group("line")), match.group("code")))
        wanted = {(path.resolve(), line, code) for path in folder.rglob("*.py") for line, code in expected_findings(path)}
        assert found == wanted, folder.name
