"""The command's errors and conveniences: explain by name, refused mixes, files not linted in every
format, fixes on stdin, fixes as JSON edits, the summary line, --exit-zero, --statistics,
--output-file, --quiet, colour, --add-noqa, doc links that work where the package is installed."""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conftest import FIXTURES, ROOT
from np_torch_lint import edits, fixes
from np_torch_lint.files import read_source
from np_torch_lint.lint import analyze

CUDA = "import torch\nx = torch.zeros(2).cuda()\n"
# One safe fix (NTL201), one unsafe (NTL302), one without a fix (NTL301).
MIXED = ("import torch\nmodel = torch.nn.Linear(3, 1)\nprint(model(torch.randn(2, 3)).numpy())\n"
         "y = torch.load(\"m.pt\")\nz = torch.zeros(2).cuda()\n")


def run(*args: str, stdin: Optional[str] = None, cwd: Path = ROOT,
        env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if env is None or name not in env:
            environment.pop(name, None)
    return subprocess.run([sys.executable, "-m", "np_torch_lint.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, check=False, env=environment)


# -- errors users expect ----------------------------------------------------------------------------

def test_explain_takes_a_name_and_suggests_the_nearest() -> None:
    by_name = run("explain", "negative-strides-conversion")
    assert by_name.returncode == 0 and by_name.stdout == run("explain", "NTL403").stdout
    typo = run("explain", "NTL3O1")
    assert typo.returncode == 2 and "did you mean NTL301?" in typo.stderr
    name_typo = run("explain", "negative-stride-conversion")
    assert name_typo.returncode == 2 and "did you mean negative-strides-conversion?" in name_typo.stderr


@pytest.mark.parametrize("fmt", ["json", "github", "sarif"])
def test_diff_is_refused_with_a_machine_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(MIXED)
    result = run("check", "--diff", "--format", fmt, str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert f"--diff prints a unified diff; it cannot be mixed into --format {fmt}" in result.stderr
    assert path.read_text() == MIXED


def _broken_and_dirty(tmp_path: Path) -> List[str]:
    (tmp_path / "broken.py").write_text("import torch\ndef f(:\n")
    (tmp_path / "dirty.py").write_text(CUDA)
    return [str(tmp_path / "broken.py"), str(tmp_path / "dirty.py")]


def test_files_not_linted_appear_in_every_format(tmp_path: Path) -> None:
    paths = _broken_and_dirty(tmp_path)
    broken = paths[0]
    text = run("check", *paths)
    assert text.returncode == 2 and f"{broken}: error: cannot lint: not valid Python" in text.stderr
    assert "1 finding, 1 file not linted." in text.stdout

    listed = run("check", "--format", "json", *paths)
    assert listed.returncode == 2
    entries = json.loads(listed.stdout)
    [failure] = [e for e in entries if e["code"] is None]
    assert failure["path"] == broken and failure["message"].startswith("cannot lint: not valid Python")
    assert [e["code"] for e in entries if e["code"]] == ["NTL301"]

    log = json.loads(run("check", "--format", "sarif", *paths).stdout)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["message"]["text"].startswith("cannot lint")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == broken
    clean = json.loads(run("check", "--format", "sarif", paths[1]).stdout)
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]

    annotations = run("check", "--format", "github", *paths).stdout.splitlines()
    assert f"::error file={broken},title=np-torch-lint::cannot lint: not valid Python" in "\n".join(annotations)
    assert len(annotations) == 2


# -- editors and bots -------------------------------------------------------------------------------

def test_fix_stdin_prints_the_fixed_source_and_the_findings_left_on_stderr() -> None:
    result = run("check", "--fix", "-", stdin=MIXED)
    assert result.returncode == 1
    assert result.stdout == MIXED.replace(".numpy())", ".detach().cpu().numpy())")
    assert "-:3:" not in result.stderr and "-:4:5: NTL302" in result.stderr and "-:5:20: NTL301" in result.stderr
    unsafe = run("check", "--fix", "--unsafe-fixes", "-", "--stdin-filename", "train.py", stdin=MIXED)
    assert 'torch.load("m.pt", map_location="cpu")' in unsafe.stdout
    assert [line.split(":")[0] for line in unsafe.stderr.splitlines() if ": NTL" in line] == ["train.py"]


def test_fix_stdin_gives_back_what_it_cannot_fix() -> None:
    clean = run("check", "--fix", "-", stdin=CUDA)
    assert (clean.returncode, clean.stdout) == (1, CUDA)
    broken = "import torch\ndef f(:\n"
    result = run("check", "--fix", "-", stdin=broken)
    assert (result.returncode, result.stdout) == (2, broken)
    assert "-: error: cannot lint: not valid Python" in result.stderr


def test_diff_stdin_prints_the_diff_then_the_findings() -> None:
    result = run("check", "--diff", "-", "--stdin-filename", "pkg/train.py", stdin=MIXED)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- pkg/train.py", "+++ pkg/train.py"]
    assert "+print(model(torch.randn(2, 3)).detach().cpu().numpy())" in lines
    assert "pkg/train.py:3:32: NTL201 [*] .numpy() on a tensor" in result.stdout


def test_stdin_filename_decides_configuration_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.np-torch-lint]\nper-file-ignores = { "tests/*" = ["NTL301"] }\n')
    (tmp_path / "tests").mkdir()
    inside = run("check", "-", "--stdin-filename", str(tmp_path / "tests" / "t.py"), stdin=CUDA, cwd=tmp_path)
    assert (inside.returncode, inside.stdout) == (0, "")
    outside = run("check", "-", "--stdin-filename", str(tmp_path / "src" / "t.py"), stdin=CUDA, cwd=tmp_path)
    assert outside.returncode == 1 and "NTL301" in outside.stdout


def _apply(text: str, edit: dict) -> str:
    lines = text.splitlines(keepends=True)

    def offset(position: dict) -> int:
        line = lines[position["row"] - 1]
        column = len(line.encode("utf-8")[:position["column"] - 1].decode("utf-8"))
        return sum(len(l) for l in lines[:position["row"] - 1]) + column

    return text[:offset(edit["location"])] + edit["content"] + text[offset(edit["end_location"]):]


def test_json_edits_of_every_fixable_fixture_do_what_fix_does() -> None:
    checked = 0
    for path in sorted(FIXTURES.glob("NTL*/pos_*.py")):
        text, lines = read_source(str(path))
        for report in analyze(text, lines=lines, filename=str(path)):
            if report.fix is None:
                continue
            [edit] = edits.edits_of(report, lines)
            expected, count = fixes.apply(text, [report], unsafe=True)
            assert count == 1 and _apply(text, edit) == expected, (path.name, report.code, edit)
            checked += 1
    assert checked >= 20


def test_json_findings_carry_their_fix_as_edits(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text('name = "caf\u00e9"\n' + MIXED, encoding="utf-8")
    found = {f["code"]: f for f in json.loads(run("check", "--no-cache", "--format", "json", str(path)).stdout)}
    assert found["NTL201"]["fix"] == {
        "name": "detach-cpu", "safety": "safe", "applicability": "safe", "applies": True,
        "edits": [{"content": "detach().cpu().", "location": {"row": 4, "column": 32},
                   "end_location": {"row": 4, "column": 32}}]}
    assert found["NTL302"]["fix"]["applicability"] == "unsafe" and found["NTL302"]["fix"]["applies"] is False
    assert found["NTL302"]["fix"]["edits"][0]["content"] == ', map_location="cpu"'
    assert found["NTL301"]["fix"] is None
    with_unsafe = json.loads(run("check", "--no-cache", "--unsafe-fixes", "--format", "json", str(path)).stdout)
    assert [f["fix"]["applies"] for f in with_unsafe if f["code"] == "NTL302"] == [True]


def test_doc_links_point_at_the_installed_page(tmp_path: Path) -> None:
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    path = tmp_path / "m.py"
    path.write_text(CUDA)
    [finding] = json.loads(run("check", "--format", "json", str(path), cwd=tmp_path).stdout)
    page = Path(url2pathname(urlparse(finding["url"]).path))
    assert finding["url"].startswith("file:///") and page.is_file()
    assert page.read_text(encoding="utf-8").startswith("# NTL301: unguarded-cuda-placement")
    explained = json.loads(run("explain", "NTL301", "--format", "json", cwd=tmp_path).stdout)
    assert explained["url"] == finding["url"]


# -- conveniences -----------------------------------------------------------------------------------

def test_summary_line_and_fixable_marker(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(MIXED)
    result = run("check", str(path))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:3:32: NTL201 [*] .numpy()")
    assert lines[1].startswith(f"{path}:4:5: NTL302 torch.load"), "unsafe: no marker without --unsafe-fixes"
    assert lines[-1] == "3 findings, 1 fixable with --fix, 1 more with --unsafe-fixes."
    unsafe = run("check", "--unsafe-fixes", str(path)).stdout.splitlines()
    assert unsafe[1].startswith(f"{path}:4:5: NTL302 [*] ")
    assert unsafe[-1] == "3 findings, 2 fixable with --fix --unsafe-fixes."
    quiet = run("check", "--quiet", str(path))
    assert len(quiet.stdout.splitlines()) == 3 and quiet.returncode == 1
    clean = tmp_path / "clean.py"
    clean.write_text("import torch\n")
    assert run("check", str(clean)).stdout == "", "nothing to say about a clean run"


def test_exit_zero(tmp_path: Path) -> None:
    paths = _broken_and_dirty(tmp_path)
    dirty = run("check", "--exit-zero", paths[1])
    assert dirty.returncode == 0 and "NTL301" in dirty.stdout
    assert run("check", "--exit-zero", *paths).returncode == 2, "a file not linted is still an error"


def test_statistics(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(MIXED + "w = torch.ones(2).cuda()\n")
    text = run("check", "--statistics", str(path))
    assert text.returncode == 1
    assert text.stdout.splitlines() == [
        "    2  NTL301  [ ] unguarded-cuda-placement",
        "    1  NTL201  [*] numpy-on-grad-tensor",
        "    1  NTL302  [ ] load-without-map-location",
        "4 findings, 1 fixable with --fix, 1 more with --unsafe-fixes.",
    ]
    rows = json.loads(run("check", "--statistics", "--format", "json", str(path)).stdout)
    assert rows[0] == {"code": "NTL301", "name": "unguarded-cuda-placement", "count": 2, "fixable": 0}
    refused = run("check", "--statistics", "--format", "sarif", str(path))
    assert refused.returncode == 2 and "--statistics" in refused.stderr


def test_output_file(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(CUDA)
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    result = run("check", "--format", "json", "--output-file", str(report), str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert [f["code"] for f in json.loads(report.read_text())] == ["NTL301"]
    missing = run("check", "--output-file", str(tmp_path / "no" / "such" / "dir" / "r.txt"), str(path))
    assert missing.returncode == 2 and "--output-file" in missing.stderr


def test_colour_only_on_request_or_a_terminal(tmp_path: Path) -> None:
    import io

    from np_torch_lint import cli, output

    path = tmp_path / "m.py"
    path.write_text(CUDA)
    assert "\x1b[" not in run("check", str(path)).stdout, "never in a pipe"
    assert "\x1b[31m" in run("check", str(path), env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run("check", str(path), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    saved = {name: os.environ.pop(name, None) for name in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    try:
        assert output.use_color(Terminal()) and not output.use_color(io.StringIO())
        os.environ["NO_COLOR"] = "1"
        assert not output.use_color(Terminal())
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
    out = Terminal()
    cli.check([str(path)], out=out, use_cache=False, extras=cli.Extras(color=True))
    assert out.getvalue().startswith(f"\x1b[1m{path}\x1b[0m:2:20: \x1b[1m\x1b[31mNTL301\x1b[0m")


# -- --add-noqa -------------------------------------------------------------------------------------

def _flake8_codes(path: Path) -> List[str]:
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "NTL", str(path)], capture_output=True,
                            text=True, check=False)
    return [line.split()[1] for line in result.stdout.splitlines()]


def test_add_noqa_baselines_every_positive_fixture_for_both_front_ends(tmp_path: Path) -> None:
    copies = tmp_path / "copies"
    shutil.copytree(FIXTURES, copies, ignore=shutil.ignore_patterns("neg_*", "*.md"))
    before = {p: p.read_text() for p in copies.rglob("*.py")}
    assert run("check", "--no-cache", "--quiet", str(copies)).returncode == 1
    result = run("check", "--no-cache", "--add-noqa", str(copies))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "added # noqa to" in result.stderr
    for path, text in before.items():
        after = path.read_text()
        assert ast.dump(ast.parse(after)) == ast.dump(ast.parse(text)), path
    assert run("check", "--no-cache", str(copies)).stdout == ""
    assert _flake8_codes(copies) == [], "flake8 reads the comments the same way"
    snapshot = {p: p.read_text() for p in copies.rglob("*.py")}
    again = run("check", "--no-cache", "--add-noqa", str(copies))
    assert again.returncode == 0 and again.stderr == ""
    assert {p: p.read_text() for p in copies.rglob("*.py")} == snapshot, "a second run changes nothing"


def test_add_noqa_places_and_extends_comments_where_flake8_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    source = ('import torch\n'
              'a = torch.zeros(2).cuda()  # noqa: E501\n'
              'b = torch.load("m.pt").cuda()  # keep this comment\n'
              'c = torch.zeros(2).cuda(); doc = """\n'
              '# noqa: E501 inside a string\n'
              '"""\n'
              'd = torch.zeros(2).cuda() + \\\n'
              '    torch.zeros(2)\n'
              'e = torch.zeros(2).cuda()  # noqa:E501,W291\r\n')
    path.write_bytes(source.encode())
    added = run("check", "--no-cache", "--add-noqa", str(path))
    assert added.returncode == 1 and "added # noqa to 4 lines" in added.stderr
    assert [line.split(":")[1] for line in added.stdout.splitlines()[:-1]] == ["4"], "the one it cannot silence"
    assert path.read_bytes().decode() == (
        'import torch\n'
        'a = torch.zeros(2).cuda()  # noqa: E501, NTL301\n'
        'b = torch.load("m.pt").cuda()  # keep this comment  # noqa: NTL301, NTL302\n'
        'c = torch.zeros(2).cuda(); doc = """\n'
        '# noqa: E501 inside a string\n'
        '"""\n'
        'd = torch.zeros(2).cuda() + \\\n'
        '    torch.zeros(2)  # noqa: NTL301\n'
        'e = torch.zeros(2).cuda()  # noqa:E501,W291,NTL301\r\n')
    assert _flake8_codes(path) == ["NTL301"], "line 4: flake8 reads the noqa inside the string first"
    left = run("check", "--no-cache", str(path))
    assert left.returncode == 1 and f"{path}:4:" in left.stdout, "not silenced rather than a string changed"


def test_add_noqa_refuses_stdin_and_fixes(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(CUDA)
    assert run("check", "--add-noqa", "-", stdin=CUDA).returncode == 2
    refused = run("check", "--add-noqa", "--fix", str(path))
    assert refused.returncode == 2 and "--add-noqa cannot be combined" in refused.stderr
    assert path.read_text() == CUDA
