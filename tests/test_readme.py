"""The README's pasted output stays true: every ```console block is run and compared."""
from __future__ import annotations

import re
import subprocess
import sys
from typing import List, Tuple

import pytest

from conftest import ROOT

CUT = "..."  # a line that marks where a long output was cut: the rest is not compared
ANY = "\u2026"  # "…" inside an expected line stands for any text (a path that depends on the machine)


def console_blocks() -> List[Tuple[str, List[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        lines = body.rstrip("\n").split("\n")
        assert lines[0].startswith("$ "), lines[0]
        blocks.append((lines[0][2:], lines[1:]))
    return blocks


def test_the_readme_has_console_blocks() -> None:
    commands = [command for command, _ in console_blocks()]
    assert len(commands) >= 8
    for word in ("check", "--format json", "--format github", "--format sarif", "--diff", "rules", "explain", "flake8"):
        assert any(word in command for command in commands), word


@pytest.mark.parametrize("command, expected", console_blocks(), ids=lambda v: v if isinstance(v, str) else "")
def test_console_block_output(command: str, expected: List[str]) -> None:
    python = sys.executable
    shell = (command.replace("np-torch-lint ", f"{python} -m np_torch_lint.cli ")
             .replace("flake8 ", f"{python} -m flake8 "))
    result = subprocess.run(["bash", "-c", shell + " 2>&1"], cwd=ROOT, capture_output=True, text=True, check=False)
    actual = result.stdout.rstrip("\n").split("\n")
    if CUT in expected:
        expected = expected[: expected.index(CUT)]
        actual = actual[: len(expected)]
    assert len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected)), (actual, expected)


def _same(actual: str, expected: str) -> bool:
    if ANY not in expected:
        return actual == expected
    return re.fullmatch(".*".join(re.escape(part) for part in expected.split(ANY)), actual) is not None
