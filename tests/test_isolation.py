"""The linter never imports torch, NumPy or runtime_check, and never runs the code it reads."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

PROBE = r"""
import json, sys
from pathlib import Path
from np_torch_lint.lint import analyze
from np_torch_lint.cli import read_source
count = 0
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    text, lines = read_source(str(path))
    count += len(analyze(text, lines=lines))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "numpy", "runtime_check"))
print(json.dumps({"findings": count, "heavy": heavy}))
"""


def test_linting_imports_neither_torch_nor_numpy() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, str(FIXTURES)], capture_output=True, text=True, cwd=ROOT, check=True)
    report = json.loads(result.stdout)
    assert report["findings"] > 0, "the probe must really lint something"
    assert report["heavy"] == []


def test_linted_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    (tmp_path / "side_effect.py").write_text(
        "import torch\n"
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "x = torch.zeros(2).cuda()\n"
    )
    result = subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert "NTL301" in result.stdout
    assert not marker.exists()


def test_a_run_with_nothing_to_fix_does_not_load_libcst() -> None:
    """LibCST costs more to import than a warm, cached run: only fixes load it."""
    import subprocess
    import sys

    code = ("import sys; from np_torch_lint import cli; "
            "cli.main(['check', '--no-cache', 'fixtures/NTL403']); "
            "print('libcst' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout + result.stderr
