"""The fixes, run for real: a positive fixture whose findings are all fixed must no longer fail.

For every positive fixture in which each finding offers a fix, the fixed source
is run the way runtime_check runs fixtures, with the installed torch and NumPy,
and must show that the failure its header names is gone:

- raises: it runs clean (exit 0);
- warns: it exits 0 and the header's warning is no longer given, anywhere;
- prints: it exits 0, and the `# value:` expression, read right after the
  lines the original finding named (the same lines in the fixed text), now
  reads something other than the wrong value.

And the linter has nothing left to say about it.
"""
from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from conftest import fixture_files, skip_module_without_torch

skip_module_without_torch("running the fixes needs torch and NumPy")

import numpy  # noqa: E402,F401
import torch  # noqa: E402,F401

from np_torch_lint import fixes  # noqa: E402
from np_torch_lint.cli import read_source  # noqa: E402
from np_torch_lint.lint import analyze  # noqa: E402
from runtime_check.executors import ForkExecutor, SpawnExecutor  # noqa: E402
from runtime_check.fixture_header import Header, read_header  # noqa: E402
from runtime_check.fixture_judge import Run  # noqa: E402
from runtime_check.fixture_runner import RunnerConfig, run_program  # noqa: E402
from runtime_check.linter_view import lint_fixture, named_lines  # noqa: E402
from runtime_check.run_output import exc_summary, type_matches, warnings_in  # noqa: E402


def fully_fixable() -> List[Path]:
    chosen = []
    for path in fixture_files():
        if not path.name.startswith("pos_") or read_header(path).needs == "cuda":
            continue
        text, lines = read_source(str(path))
        reports = analyze(text, lines=lines)
        if reports and all(fixes.fixable(r, unsafe=True) for r in reports):
            chosen.append(path)
    return chosen


def same_lines(before: str, after: str, lines: Sequence[int]) -> List[int]:
    """Where `lines` of `before` are in `after` (a fix may add or drop lines elsewhere)."""
    old, new = before.splitlines(), after.splitlines()
    mapped = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
            mapped += [j1 + (line - 1 - i1) + 1 for line in lines if i1 <= line - 1 < i2]
    return sorted(mapped)


def still_fails(header: Header, run: Run) -> str:
    """What of the original failure the fixed run still shows ("" when it is gone)."""
    out = run.outcome
    if out.returncode != 0:
        return f"exit {out.returncode}: {exc_summary(out)}"
    if header.kind == "warns":
        same = [w for w in warnings_in(out.stderr)
                if type_matches(w.category, [header.category]) and header.fragments[0] in w.message]
        return f"still warns at line {same[0].line}: {same[0].message}" if same else ""
    if header.kind == "prints":
        read = {line: v for line, v in run.values.items() if "value" in v}
        if not read:
            return f"{header.expression} was never read after the fixed lines: {run.values}"
        wrong = [line for line, v in read.items() if v["value"] == header.fragments[0]]
        return f"{header.expression} still reads {header.fragments[0]!r} after line {wrong[0]}" if wrong else ""
    return ""


@pytest.fixture(scope="module")
def executor():
    if not sys.platform.startswith("linux"):
        yield SpawnExecutor()
        return
    server = ForkExecutor()
    yield server
    server.close()


def test_fixed_positive_fixtures_no_longer_fail(tmp_path: Path, executor) -> None:
    chosen = fully_fixable()
    assert len(chosen) >= 20, [p.name for p in chosen]  # every fixable rule is represented
    assert {p.parent.name for p in chosen} >= {"NTL201", "NTL302", "NTL403", "NTL501", "NTL502"}
    kinds: Dict[str, int] = {}
    failures = []
    for path in chosen:
        header = read_header(path)
        kinds[header.kind] = kinds.get(header.kind, 0) + 1
        text, _ = read_source(str(path))
        fixed, count = fixes.apply(text, analyze(text), unsafe=True)
        assert count and not analyze(fixed), f"{path.name}: findings left after the fix"
        target = tmp_path / path.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(fixed, encoding="utf-8")
        watch = same_lines(text, fixed, sorted(named_lines(lint_fixture(path), path.parent.name)))
        if header.kind == "prints":
            assert watch, f"{path.name}: the named lines are gone from the fixed text"
        run = run_program(target, RunnerConfig(), executor, header.needs, watch, header.expression)
        left = still_fails(header, run)
        if left:
            failures.append(f"{path.parent.name}/{path.name}: {left}")
    assert not failures, "\n".join(failures)
    # The fixes of warnings and of wrong values are proved too, not only those of exceptions.
    assert kinds.get("warns", 0) >= 5 and kinds.get("prints", 0) >= 1, kinds


def test_a_fix_that_changes_nothing_is_caught(tmp_path: Path, executor) -> None:
    # The check above can fail: the unfixed program still warns, and still reads the wrong value.
    for rel in ("NTL502/pos_metric_accuracy.py", "NTL101/pos_inline_loss_target.py"):
        path = fixture_files()[0].parent.parent / rel
        header = read_header(path)
        named = sorted(named_lines(lint_fixture(path), path.parent.name))
        run = run_program(path, RunnerConfig(), executor, header.needs, named, header.expression)
        assert still_fails(header, run), rel
