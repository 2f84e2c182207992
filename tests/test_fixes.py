"""Fixes: on every fixture the output parses, a second fix changes nothing, the fixed sites are clean."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, fixture_files
from np_torch_lint import fixes
from np_torch_lint.cli import read_source
from np_torch_lint.engine import analyze


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_invariants_on_every_fixture(path: Path) -> None:
    text, lines = read_source(str(path))
    reports = analyze(text, lines=lines)
    fixed, count = fixes.apply(text, reports, unsafe=True)
    ast.parse(fixed)  # the output parses
    expected = sum(1 for r in reports if fixes.fixable(r, True))
    assert count == expected, "every fixable finding is fixed"
    again, second = fixes.apply(fixed, analyze(fixed), unsafe=True)
    assert (again, second) == (fixed, 0), "a second fix changes nothing"
    left = {r.code for r in analyze(fixed)}
    assert not left & {r.code for r in reports if fixes.fixable(r, True)}, "the fixed findings are gone"
    if count == 0:
        assert fixed == text


def test_unsafe_fixes_need_the_flag() -> None:
    source = "import torch\nx = torch.zeros(2).cuda()\nstate = torch.load('m.pt')\n"
    fixed, count = fixes.apply(source, analyze(source), unsafe=False)
    assert (fixed, count) == (source, 0)
    fixed, count = fixes.apply(source, analyze(source), unsafe=True)
    assert count == 1 and "torch.load('m.pt', map_location=\"cpu\")" in fixed


def _command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache", *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_fix_writes_keeping_encoding_line_endings_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    original = ("# -*- coding: latin-1 -*-\r\nimport numpy as np\r\nimport torch\r\nname = 'caf\xe9'\r\n"
                "t = torch.from_numpy(np.zeros(3)[::-1])  # flipped\r\n")
    path.write_bytes(original.encode("latin-1"))
    diff = _command("--diff", str(path))
    assert "+t = torch.from_numpy(np.zeros(3)[::-1].copy())  # flipped" in diff.stdout
    assert path.read_bytes() == original.encode("latin-1"), "--diff writes nothing"
    result = _command("--fix", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == original.replace("[::-1])", "[::-1].copy())").encode("latin-1")
    assert not list(tmp_path.glob(".np-torch-lint-*")), "no temporary file left behind"
