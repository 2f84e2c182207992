"""torch and NumPy are required by the runtime tests: in CI a missing torch fails the suite, never skips it.

Each case collects the modules that need torch in a child pytest where an
importable `torch` package that raises ImportError hides the real one.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS_TORCH = ["tests/test_runtime_check.py", "tests/test_fixture_runner.py", "tests/test_fix_runtime.py",
               "tests/test_trace.py"]


def _collect(tmp_path: Path, env_extra: Dict[str, str]) -> subprocess.CompletedProcess:
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True, exist_ok=True)
    (shadow / "__init__.py").write_text('raise ImportError("no torch here: a test hid it")\n')
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NTL_TESTS_WITHOUT_TORCH")}
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), str(ROOT)])
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--collect-only", *NEEDS_TORCH],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("env_extra", [{}, {"CI": "true", "NTL_TESTS_WITHOUT_TORCH": "1"}],
                         ids=["plain run", "CI, even when told to run without torch"])
def test_a_missing_torch_fails_collection(tmp_path: Path, env_extra: Dict[str, str]) -> None:
    result = _collect(tmp_path, env_extra)
    assert result.returncode not in (0, 5), result.stdout[-2000:]
    assert "no torch here" in result.stdout and "SKIPPED" not in result.stdout


def test_outside_ci_a_run_may_say_it_has_no_torch(tmp_path: Path) -> None:
    result = _collect(tmp_path, {"NTL_TESTS_WITHOUT_TORCH": "1"})
    assert result.returncode == 5, result.stdout[-2000:]  # nothing collected: every module skipped
    assert result.stdout.count("SKIPPED [1]") == len(NEEDS_TORCH), result.stdout[-2000:]
    assert "no torch here" not in result.stdout


def test_trace_without_torch_says_what_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("no torch here: a test hid it")\n')
    script = tmp_path / "train.py"
    script.write_text("print('never runs')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shadow.parent), str(ROOT)]))
    result = subprocess.run([sys.executable, "-m", "runtime_check", "trace", "--", "python", str(script)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "install np-torch-lint[runtime]" in result.stderr, result.stderr
