"""Bad input never crashes the command: one clear line per file, the other files still linted, exit 2."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

GOOD = "import torch\nx = torch.zeros(2).cuda()\n"


def check(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache", "--quiet", *paths],
                          capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)


def test_each_bad_file_gets_one_line_and_the_rest_is_linted(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "syntax.py").write_text("import torch\ndef f(:\n")
    (tmp_path / "encoding.py").write_bytes(b"# -*- coding: not-a-codec -*-\nimport torch\n")
    (tmp_path / "utf8.py").write_bytes(b"import torch\nx = '\xff'\n")
    (tmp_path / "nul.py").write_bytes(b"import torch\x00\n")
    (tmp_path / "deep.py").write_text("import torch\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    os.symlink(tmp_path / "loop.py", tmp_path / "loop.py")
    result = check(str(tmp_path), str(tmp_path / "loop.py"), str(tmp_path / "missing.py"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "good.py:2:20: NTL301" in result.stdout
    errors = result.stderr.splitlines()
    for name in ("syntax.py", "encoding.py", "utf8.py", "nul.py", "deep.py", "loop.py", "missing.py"):
        assert sum(name in line and "cannot lint" in line for line in errors) >= 1, name
    assert all(": error: cannot lint: " in line for line in errors), "an internal error is not bad input"


def test_a_large_generated_file(tmp_path: Path) -> None:
    body = "".join(f"a{i} = np.zeros(3)\n" for i in range(50_000))
    path = tmp_path / "big.py"
    path.write_text("import numpy as np\nimport torch\n" + body + "t = torch.from_numpy(a0[::-1])\n")
    result = check(str(path))
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"{path}:50003:5: NTL403")


def test_fixes_leave_a_file_libcst_cannot_read_untouched(monkeypatch) -> None:
    # The analysis reads Python's own ast; only fixes need LibCST. If LibCST cannot read a
    # file (syntax newer than it knows), the fix is skipped rather than guessed.
    import libcst

    from np_torch_lint import fixes
    from np_torch_lint.fixes import transforms
    from np_torch_lint.lint import analyze

    source = "import torch\nmodel = torch.nn.Linear(3, 1)\nprint(model(torch.randn(2, 3)).numpy())\n"
    reports = analyze(source)
    assert reports and fixes.apply(source, reports)[1] == 1

    def refuse(text: str) -> None:
        raise libcst.ParserSyntaxError("unknown syntax", lines=[text], raw_line=1, raw_column=0)

    monkeypatch.setattr(transforms.cst, "parse_module", refuse)
    assert fixes.apply(source, reports) == (source, 0)


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    """`np-torch-lint check --format sarif . | head -1`: the pipe closes while we write."""
    process = subprocess.Popen([sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache", "--format", "sarif",
                                "fixtures"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # far more than a pipe buffer is still to come
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_odd_but_valid_files_are_linted(tmp_path: Path) -> None:
    """Tabs, form feeds, mixed line endings, a BOM, a latin-1 cookie, an empty file, a folder named like a file."""
    cases = {
        "tabs.py": b"import torch\nif True:\n\tx = torch.zeros(2).cuda()\n",
        "formfeed.py": b"import torch\n\x0c\nx = torch.zeros(2).cuda()\n",
        "mixed.py": b"import torch\r\ny = 1\nx = torch.zeros(2).cuda()\r\n",
        "bom.py": b"\xef\xbb\xbfimport torch\nx = torch.zeros(2).cuda()\n",
        "latin1.py": "# -*- coding: latin-1 -*-\nimport torch\nx = torch.zeros(2).cuda()  # caf\xe9\n".encode("latin-1"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "folder.py" / "inside.py").write_text(GOOD)
    result = check(str(tmp_path))
    assert (result.returncode, result.stderr) == (1, "")
    found = sorted(line.split(": NTL")[0].replace(str(tmp_path) + os.sep, "") for line in result.stdout.splitlines())
    assert found == ["bom.py:2:20", "folder.py/inside.py:2:20", "formfeed.py:3:20", "latin1.py:3:20",
                     "mixed.py:3:20", "tabs.py:3:21"]


def test_an_engine_crash_is_loud_in_the_command_and_in_the_fuzzer(tmp_path: Path, monkeypatch) -> None:
    """A bug in the engine is never a clean file: the command names it and exits 2, the fuzzer counts it."""
    import io

    import fuzz

    from np_torch_lint import cli
    from np_torch_lint.engine.interpreter import Interpreter

    def crash(self, items):
        raise RuntimeError("engine exploded")

    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "b.py").write_text("x = 1\n")  # never analyzed: it mentions neither torch nor numpy
    monkeypatch.setattr(Interpreter, "run", crash)
    out, err = io.StringIO(), io.StringIO()
    assert cli.check([str(tmp_path)], None, [], out=out, err=err, use_cache=False) == 2
    assert out.getvalue() == "0 findings, 1 file not linted.\n", "never a clean run: the summary counts it"
    assert err.getvalue().splitlines() == [
        f"{tmp_path / 'a.py'}: error: internal error in np-torch-lint (RuntimeError: engine exploded); this is a bug "
        "in the linter, not a finding about the file; set NP_TORCH_LINT_DEBUG=1 for the traceback"]
    monkeypatch.setenv("NP_TORCH_LINT_DEBUG", "1")
    err = io.StringIO()
    assert cli.check([str(tmp_path)], None, [], out=io.StringIO(), err=err, use_cache=False) == 2
    assert "Traceback (most recent call last)" in err.getvalue() and "in crash" in err.getvalue()
    assert fuzz.check_program(GOOD) == "engine raised RuntimeError: engine exploded"
