"""The flake8 plugin as flake8 users meet it: columns, noqa, select/ignore, bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

SNIPPET = """\
import numpy as np
import torch

x = np.random.rand(8, 3)
model = torch.nn.Linear(3, 1)
out = model(torch.from_numpy(x))
print(out.numpy())
"""


def flake8(tmp_path: Path, source, *options: str, name: str = "snippet.py", config: str = "") -> subprocess.CompletedProcess:
    path = tmp_path / name
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        path.write_text(source, encoding="utf-8")
    if config:
        (tmp_path / ".flake8").write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated" if not config else "--config=.flake8", *options, name],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )


def ntl_lines(result: subprocess.CompletedProcess) -> List[str]:
    return [line for line in result.stdout.splitlines() if " NTL" in line]


def test_codes_are_on_by_default(tmp_path: Path) -> None:
    result = flake8(tmp_path, SNIPPET)
    assert [line.split(": ")[1].split()[0] for line in ntl_lines(result)] == ["NTL101", "NTL201"]


def test_column_is_first_character_of_the_node(tmp_path: Path) -> None:
    # `torch.from_numpy` starts at 0-based column 12 on line 6, flake8 prints 13;
    # `.numpy` (the method name) starts at 0-based column 10 on line 7, flake8 prints 11.
    result = flake8(tmp_path, SNIPPET, "--select", "NTL")
    assert ntl_lines(result)[0].startswith("snippet.py:6:13: NTL101 ")
    assert ntl_lines(result)[1].startswith("snippet.py:7:11: NTL201 ")


def test_column_counts_like_ast_after_non_ascii(tmp_path: Path) -> None:
    source = SNIPPET.replace("print(out.numpy())", "é = (out.numpy())")
    result = flake8(tmp_path, source, "--select", "NTL201")
    # "numpy" is character 9 but byte 10 ("é" is two bytes): flake8 uses ast's byte offsets, as pyflakes does.
    assert ntl_lines(result)[0].startswith("snippet.py:7:11: NTL201")


def test_noqa_all_and_by_code(tmp_path: Path) -> None:
    source = SNIPPET.replace("out = model(torch.from_numpy(x))", "out = model(torch.from_numpy(x))  # noqa: NTL101")
    assert [l.split()[1] for l in ntl_lines(flake8(tmp_path, source))] == ["NTL201"]
    source = source.replace("print(out.numpy())", "print(out.numpy())  # noqa")
    assert ntl_lines(flake8(tmp_path, source)) == []
    other = SNIPPET.replace("out = model(torch.from_numpy(x))", "out = model(torch.from_numpy(x))  # noqa: E501")
    assert "NTL101" in flake8(tmp_path, other).stdout


def test_select_extend_select_and_ignore(tmp_path: Path) -> None:
    assert [l.split()[1] for l in ntl_lines(flake8(tmp_path, SNIPPET, "--select", "NTL2"))] == ["NTL201"]
    assert [l.split()[1] for l in ntl_lines(flake8(tmp_path, SNIPPET, "--ignore", "NTL101"))] == ["NTL201"]
    result = flake8(tmp_path, SNIPPET, "--select", "E", "--extend-select", "NTL101")
    assert [l.split()[1] for l in ntl_lines(result)] == ["NTL101"]


def test_per_file_ignores(tmp_path: Path) -> None:
    config = "[flake8]\nper-file-ignores =\n    snippet.py: NTL201\n"
    result = flake8(tmp_path, SNIPPET, config=config)
    assert [l.split()[1] for l in ntl_lines(result)] == ["NTL101"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("import torch\ndef f(:\n    pass\n", id="syntax-error"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xef\xbb\xbfimport torch\nx = torch.zeros(2).cuda()\n", id="bom"),
        pytest.param("# -*- coding: latin-1 -*-\nimport torch\ns = 'caf\xe9'\n".encode("latin-1"), id="latin-1"),
        pytest.param(b"import torch\nx = '\xff\xfe'\n", id="invalid-utf8"),
        pytest.param(b"import torch\x00\n", id="nul-byte"),
        pytest.param("import torch\r\nx = torch.zeros(2)\r\ny = x.cuda()\r\n", id="crlf"),
        pytest.param("import torch\nx = " + "(" * 200 + "1" + ")" * 200 + "\n", id="deep-nesting"),
    ],
)
def test_bad_input_never_crashes_flake8(tmp_path: Path, source) -> None:
    result = flake8(tmp_path, source)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 1)
    assert "np-torch-lint" not in result.stderr
    assert "NTL000" not in result.stdout, "an internal error of the linter (see test_internal_errors_are_findings)"


def test_bom_and_crlf_files_still_get_findings(tmp_path: Path) -> None:
    result = flake8(tmp_path, b"\xef\xbb\xbfimport torch\r\nx = torch.zeros(2).cuda()\r\n", "--select", "NTL")
    assert ntl_lines(result) == [
        line for line in ntl_lines(result) if line.startswith("snippet.py:2:20: NTL301")
    ] and len(ntl_lines(result)) == 1


def test_parallel_jobs(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"m{i}.py").write_text(SNIPPET)
    result = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "-j", "2", "--select", "NTL", "."],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert len(ntl_lines(result)) == 8, result.stderr


# flake8 run in a process whose rule registry or engine is changed first (the process is thrown away).
PATCHED_FLAKE8 = """
import sys
from np_torch_lint import rules
from np_torch_lint.engine.interpreter import Interpreter
from np_torch_lint.rules.device import UnguardedCudaPlacement

class OffByDefault(UnguardedCudaPlacement):
    code = "NTL999"
    name = "off-by-default"
    summary = "a rule that runs only when selected"
    default_enabled = False

rules.ALL_RULES.append(OffByDefault)
rules.RULES_BY_CODE[OffByDefault.code] = OffByDefault
if "--crash" in sys.argv:
    sys.argv.remove("--crash")
    def crash(self, items):
        raise RuntimeError("engine exploded")
    Interpreter.run = crash

from flake8.main.cli import main
sys.exit(main(sys.argv[1:]))
"""


def patched_flake8(tmp_path: Path, source: str, *options: str, env=None) -> subprocess.CompletedProcess:
    (tmp_path / "snippet.py").write_text(source)
    (tmp_path / "patched_flake8.py").write_text(PATCHED_FLAKE8)
    return subprocess.run([sys.executable, "patched_flake8.py", "--isolated", *options, "snippet.py"],
                          capture_output=True, text=True, cwd=tmp_path, check=False, env=env)


def test_a_rule_off_by_default_joins_flake8s_default_ignore(tmp_path: Path) -> None:
    source = "import torch\nx = torch.zeros(2).cuda()\n"
    codes = lambda *options: [l.split()[1] for l in ntl_lines(patched_flake8(tmp_path, source, *options))]  # noqa: E731
    assert codes() == ["NTL301"], "off by default"
    assert codes("--extend-select", "NTL999") == ["NTL301", "NTL999"]
    assert codes("--select", "NTL999") == ["NTL999"]
    assert codes("--extend-ignore", "NTL301") == [], "--extend-ignore keeps the default ignore list"
    assert codes("--select", "E,F,W") == []


def test_internal_errors_are_findings(tmp_path: Path) -> None:
    """A crash in the engine is one NTL000 finding on line 1, not clean code; flake8's run goes on."""
    import os

    source = "import os\nimport torch\nx = torch.zeros(2).cuda()\n"
    result = patched_flake8(tmp_path, source, "--crash")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "snippet.py:1:1: F401 'os' imported but unused" in lines, "the other plugins still report"
    [internal] = [line for line in lines if " NTL" in line]
    assert internal.startswith("snippet.py:1:1: NTL000 internal error in np-torch-lint (RuntimeError: engine exploded)")
    assert "Traceback" not in result.stderr
    debug = patched_flake8(tmp_path, source, "--crash", env={**os.environ, "NP_TORCH_LINT_DEBUG": "1"})
    assert "Traceback" in debug.stderr and "RuntimeError: engine exploded" in debug.stderr
    assert "NTL000" in debug.stdout
    # Not Python at all: flake8's E999, and no NTL000.
    broken = patched_flake8(tmp_path, "import torch\ndef f(:\n", "--crash")
    assert "E999" in broken.stdout and "NTL" not in broken.stdout


def test_the_plugin_reports_an_internal_error_in_process(monkeypatch) -> None:
    import ast

    from np_torch_lint.engine.interpreter import Interpreter
    from np_torch_lint.plugin import NpTorchLintPlugin

    def crash(self, items):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(Interpreter, "run", crash)
    [(line, col, text, _)] = list(NpTorchLintPlugin(ast.parse(SNIPPET), SNIPPET.splitlines(True)).run())
    assert (line, col) == (1, 0) and text.startswith("NTL000 internal error in np-torch-lint (RuntimeError: engine exploded)")
