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
from np_torch_lint.lint import analyze


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_invariants_on_every_fixture(path: Path) -> None:
    text, lines = read_source(str(path))
    reports = analyze(text, lines=lines)
    fixed, count = fixes.apply(text, reports, unsafe=True)
    after = ast.parse(fixed)  # the output parses
    expected = sum(1 for r in reports if fixes.fixable(r, True))
    sites = {(r.line, r.col) for r in reports if fixes.fixable(r, True)}
    assert fixes.changed_outside(ast.parse(text), after, sites) == [], "the same AST outside the fixed calls"
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


def test_changed_outside_sees_an_edit_beside_the_fixed_call() -> None:
    before = ast.parse("a = torch.tensor(t)\nb = 1\n")
    fixed_only = ast.parse("a = t.detach().clone()\nb = 1\n")
    assert fixes.changed_outside(before, fixed_only, {(1, 4)}) == []
    also_elsewhere = ast.parse("a = t.detach().clone()\nb = 2\n")
    assert fixes.changed_outside(before, also_elsewhere, {(1, 4)}) != []
    assert fixes.changed_outside(before, fixed_only, set()) != [], "an unlisted fix is a change"


def _fixed(source: str, unsafe: bool = False) -> str:
    fixed, _ = fixes.apply(source, analyze(source), unsafe=unsafe)
    return fixed


MODEL = "import numpy as np\nimport torch\nimport torch.nn as nn\nnet = nn.Linear(3, 1)\nx = np.random.rand(4, 3)\n"


def test_float32_fix_into_a_model_is_safe() -> None:
    assert "net(torch.tensor(x, dtype=torch.float32))" in _fixed(MODEL + "y = net(torch.tensor(x))\n")
    assert "net(torch.from_numpy(x).float().to('cpu'))" in _fixed(MODEL + "y = net(torch.from_numpy(x).to('cpu'))\n")


def test_float32_fix_into_a_loss_is_unsafe() -> None:
    source = MODEL + "p = net(torch.zeros(4, 3))\nl = torch.nn.functional.mse_loss(p, torch.as_tensor(x[:, :1]))\n"
    assert _fixed(source) == source
    assert "mse_loss(p, torch.as_tensor(x[:, :1], dtype=torch.float32))" in _fixed(source, unsafe=True)


def test_float32_fix_only_where_the_sink_is_the_one_use() -> None:
    source = MODEL + "t = torch.from_numpy(x)\ny = net(t)\n"  # t may be used elsewhere: no fix
    assert [r.fix for r in analyze(source) if r.code == "NTL101"] == [None]
    chosen = MODEL + "y = net(torch.tensor(x, dtype=torch.float64))\n"  # the user chose float64
    assert [r.fix for r in analyze(chosen) if r.code == "NTL101"] == [None]


def test_stack_fix_uses_the_files_numpy_name_and_keeps_arguments() -> None:
    source = "import numpy as onp\nimport torch\nrows = [onp.zeros(3), onp.ones(3)]\nt = torch.tensor(rows)\n"
    assert "t = torch.from_numpy(onp.stack(rows))" in _fixed(source)
    source = source.replace("torch.tensor(rows)", "torch.tensor(rows, device='cpu')")
    assert "t = torch.tensor(onp.stack(rows), device='cpu')" in _fixed(source)
    no_name = "from numpy import zeros\nimport torch\nt = torch.tensor([zeros(3), zeros(3)])\n"
    assert [r.fix for r in analyze(no_name) if r.code == "NTL501"] == [None]


def test_map_location_fix_uses_the_files_device_variable() -> None:
    source = ("import torch\ndevice = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
              "def restore(path):\n    return torch.load(path)\n")
    assert "torch.load(path, map_location=device)" in _fixed(source, unsafe=True)
    plain = "import torch\nmodel = torch.nn.Linear(2, 2).cuda()\nstate = torch.load('m.pt',)\n"
    assert "torch.load('m.pt', map_location=\"cpu\",)" in _fixed(plain, unsafe=True)
    lines = plain.replace("torch.load('m.pt',)", "torch.load(\n    'm.pt',\n    weights_only=True,\n)")
    assert "torch.load(\n    'm.pt',\n    weights_only=True,\n    map_location=\"cpu\",\n)" in _fixed(lines, unsafe=True)


def test_fix_command_over_every_fixture_keeps_line_endings_and_final_newline(tmp_path: Path) -> None:
    """--fix through the command on a copy of all fixtures: CRLF copies stay CRLF, no final newline stays none."""
    from conftest import FIXTURES

    expected = {}
    for index, path in enumerate(fixture_files()):
        text = path.read_text(encoding="utf-8")
        if index % 3 == 1:
            text = text.replace("\n", "\r\n")
        elif index % 3 == 2:
            text = text.rstrip("\n")
        target = tmp_path / path.relative_to(FIXTURES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        fixed, _ = fixes.apply(text, analyze(text), unsafe=True)
        expected[target] = fixed.encode("utf-8")
    result = _command("--fix", "--unsafe-fixes", str(tmp_path))
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    fixed_crlf = fixed_unterminated = 0
    for target, wanted in expected.items():
        data = target.read_bytes()
        assert data == wanted, target.name
        if f"{target}: fixed" not in result.stderr:
            continue
        if b"\r\n" in data:
            fixed_crlf += 1
            assert data.count(b"\n") == data.count(b"\r\n"), f"{target.name}: line endings mixed by the fix"
        elif not data.endswith(b"\n"):
            fixed_unterminated += 1
    assert result.stderr.count(": fixed ") >= 30
    assert fixed_crlf >= 5 and fixed_unterminated >= 5, (fixed_crlf, fixed_unterminated)
    assert not list(tmp_path.rglob(".np-torch-lint-*")), "no temporary file left behind"


def test_a_fix_is_typed_and_survives_the_cache() -> None:
    import json

    from np_torch_lint.findings import Report

    source = MODEL + "y = net(torch.tensor(x))\nrows = [x, x]\nt = torch.tensor(rows)\n"
    reports = analyze(source)
    offered = [r.fix for r in reports if r.fix is not None]
    assert {(f.kind, f.safety) for f in offered} == {(fixes.FixKind.FLOAT32_MODEL_INPUT, fixes.Safety.SAFE),
                                                     (fixes.FixKind.STACK_ARRAYS, fixes.Safety.SAFE)}
    assert {f.name for f in offered} == {"float32-model-input", "stack-arrays:np"}
    back = [Report(**item) for item in json.loads(json.dumps([r.__dict__ for r in reports]))]
    assert back == reports and all(isinstance(r.fix, fixes.Fix) for r in back if r.fix is not None)


def test_the_rule_decides_and_the_transform_only_applies() -> None:
    # Decided on the resolved function, not its spelling: an alias of from_numpy is fixed too.
    aliased = "import numpy as np\nfrom torch import from_numpy as fn\nt = fn(np.zeros(3)[::-1])\n"
    assert "t = fn(np.zeros(3)[::-1].copy())" in _fixed(aliased)
    # Arguments the fix cannot see (*args, **kwargs): no fix is offered, rather than one that never applies.
    starred = "import numpy as np\nimport torch\nt = torch.from_numpy(np.zeros(3)[::-1], *rest)\n"
    assert [r.fix for r in analyze(starred) if r.code == "NTL403"] == [None]


def test_the_fixes_package_has_no_circle_and_loads_libcst_only_to_apply() -> None:
    for first in ("np_torch_lint.findings", "np_torch_lint.fixes", "np_torch_lint.fixes.model", "np_torch_lint.rules"):
        code = f"import sys, {first}; print('libcst' in sys.modules)"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
        assert result.stdout.strip() == "False", (first, result.stderr)
