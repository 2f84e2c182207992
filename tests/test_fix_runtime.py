"""The fixes, run for real: a positive fixture whose findings are all fixed must then run clean.

For every positive fixture in which each finding offers a fix, the fixed source is
written as a negative fixture (header ``# runtime: clean``) and run by runtime_check
with the installed torch and NumPy: the error or warning the fixture showed is gone,
and the linter has nothing left to say about it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List

import pytest

# torch and NumPy are in the `test` extra: their absence fails the suite
# (a plain import), unless a run says on purpose that it has no torch.
if os.environ.get("NTL_TESTS_WITHOUT_TORCH") == "1":
    pytest.skip("NTL_TESTS_WITHOUT_TORCH=1: running the fixes needs torch and NumPy", allow_module_level=True)

import numpy  # noqa: E402,F401
import torch  # noqa: E402,F401

from conftest import fixture_files  # noqa: E402
from np_torch_lint import fixes  # noqa: E402
from np_torch_lint.cli import read_source  # noqa: E402
from np_torch_lint.lint import analyze  # noqa: E402
from runtime_check.fixture_header import read_header  # noqa: E402
from runtime_check.fixture_runner import RunnerConfig, run_fixtures  # noqa: E402
from runtime_check.results import CONFIRMED  # noqa: E402

HEADER = re.compile(r"^# runtime:.*$", re.MULTILINE)


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


def test_fixed_positive_fixtures_run_clean(tmp_path: Path) -> None:
    chosen = fully_fixable()
    assert len(chosen) >= 20, [p.name for p in chosen]  # every fixable rule is represented
    assert {p.parent.name for p in chosen} >= {"NTL201", "NTL302", "NTL403", "NTL501", "NTL502"}
    written = []
    for path in chosen:
        text, _ = read_source(str(path))
        fixed, count = fixes.apply(text, analyze(text), unsafe=True)
        assert count and not analyze(fixed), f"{path.name}: findings left after the fix"
        target = tmp_path / path.parent.name / ("neg_fixed_" + path.name[len("pos_"):])
        target.parent.mkdir(exist_ok=True)
        target.write_text(HEADER.sub("# runtime: clean", fixed, count=1), encoding="utf-8")
        written.append(target)
    results = run_fixtures(written, tmp_path, RunnerConfig(cuda=False))
    failed = [f"{r.path}: {r.reason} | {r.observed}" for r in results if r.status != CONFIRMED]
    assert not failed, "\n".join(failed)
