"""The np-torch-lint command: same findings as flake8, exit codes, noqa, rules, explain."""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from np_torch_lint import cli, parallel
from np_torch_lint.rules import ALL_RULES


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_torch_lint.cli", *args], capture_output=True, text=True, cwd=ROOT, check=False)


FINDING_LINE = re.compile(r"^.+:\d+:\d+: NTL\d{3} ")


def finding_lines(text: str) -> list:
    """The findings of text output, without the summary line."""
    return [line for line in text.splitlines() if FINDING_LINE.match(line)]


def test_check_agrees_with_flake8_on_every_fixture() -> None:
    ours = run("check", "--quiet", "fixtures")
    theirs = subprocess.run([sys.executable, "-m", "flake8", "--select", "NTL", "fixtures"],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert ours.returncode == 1
    assert ours.stdout.strip(), "the fixtures have findings"
    assert " [*] " in ours.stdout, "fixable findings carry the marker"
    normalize = lambda text: sorted(line.replace("./", "", 1).replace(" [*] ", " ")  # noqa: E731
                                    for line in text.splitlines())
    assert normalize(ours.stdout) == normalize(theirs.stdout)


def test_exit_codes(tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("import torch\nx = torch.zeros(2)\n")
    assert run("check", str(clean)).returncode == 0
    assert run(str(clean)).returncode == 0  # the short form
    dirty = tmp_path / "dirty.py"
    dirty.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    assert run("check", str(dirty)).returncode == 1
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\ndef f(:\n")
    result = run("check", str(broken), str(dirty))
    assert result.returncode == 2
    assert "broken.py: error: cannot lint: not valid Python" in result.stderr
    assert "dirty.py:2:20: NTL301" in result.stdout, "the other files are still linted"
    missing = run("check", str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_noqa_select_ignore(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch\na = torch.zeros(2).cuda()\nb = torch.zeros(2).cuda()  # noqa: NTL301\nc = torch.zeros(2).cuda()  # noqa\n")
    result = run("check", str(path))
    assert [l.split(":")[1] for l in finding_lines(result.stdout)] == ["2"]
    assert run("check", "--ignore", "NTL3", str(path)).returncode == 0
    assert run("check", "--select", "NTL1", str(path)).returncode == 0
    assert run("check", "--select", "NTL301", str(path)).returncode == 1


def test_rules_lists_every_rule() -> None:
    out = io.StringIO()
    cli.print_rules(out)
    listed = re.findall(r"^(NTL\d{3})", out.getvalue(), re.MULTILINE)
    assert listed == [rule.code for rule in ALL_RULES]


def test_every_rule_has_a_doc_page_that_explain_prints() -> None:
    for rule in ALL_RULES:
        result = run("explain", rule.code.lower())
        assert result.returncode == 0
        assert result.stdout.startswith(f"# {rule.code}: {rule.name}\n")
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known limits"):
            assert heading in result.stdout, (rule.code, heading)
    assert run("explain", "NTL999").returncode == 2


def test_json_format(tmp_path: Path) -> None:
    import json

    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    result = run("check", "--format", "json", str(path))
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert finding["code"] == "NTL301" and finding["name"] == "unguarded-cuda-placement"
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (2, 20, 2, 24)
    assert finding["url"].endswith("docs/NTL301.md") and finding["fix"] is None


def test_github_annotations(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    line = run("check", "--format", "github", str(path)).stdout.strip()
    assert line.startswith(f"::error file={path},line=2,col=20,endLine=2,endColumn=24,title=NTL301::NTL301 ")


def test_sarif_has_every_required_field(tmp_path: Path) -> None:
    import json

    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\ny = torch.load('m.pt')\n")
    log = json.loads(run("check", "--format", "sarif", str(path)).stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "np-torch-lint"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(rule.code for rule in ALL_RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"].startswith(f"# {rule['id']}")
    assert [r["ruleId"] for r in run_["results"]] == ["NTL301", "NTL302"]
    for result in run_["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(path)


def test_cache_serves_unchanged_files_and_sees_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NP_TORCH_LINT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    calls = []
    real = parallel.analyze
    monkeypatch.setattr(parallel, "analyze", lambda *a, **k: calls.append(1) or real(*a, **k))
    first, second = io.StringIO(), io.StringIO()
    assert cli.check([str(path)], None, [], out=first) == 1
    assert cli.check([str(path)], None, [], out=second) == 1
    assert first.getvalue() == second.getvalue() and len(calls) == 1, "the second run is served from the cache"
    path.write_text("import torch\nx = torch.zeros(2)\n")
    assert cli.check([str(path)], None, [], out=io.StringIO()) == 0 and len(calls) == 2
    assert cli.check([str(path)], None, [], out=io.StringIO(), use_cache=False) == 0 and len(calls) == 3


def test_form_feed_does_not_shift_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch\n# section\x0c\nx = torch.zeros(2).cuda()  # noqa: NTL301\ny = torch.zeros(2).cuda()\n")
    result = run("check", "--no-cache", str(path))
    assert [l.split(":")[1] for l in finding_lines(result.stdout)] == ["4"]


def test_large_trees_run_in_parallel_with_the_same_findings(tmp_path: Path) -> None:
    for i in range(cli.PARALLEL_FROM + 6):
        (tmp_path / f"m{i:03d}.py").write_text("import torch\nx = torch.zeros(2).cuda()\n")
    result = run("check", "--no-cache", str(tmp_path))
    assert result.returncode == 1
    assert len(finding_lines(result.stdout)) == cli.PARALLEL_FROM + 6
    assert finding_lines(result.stdout) == sorted(finding_lines(result.stdout)), "output order is stable"


CUDA_LINE = "import torch\nx = torch.zeros(2).cuda()\ny = torch.load('m.pt')\n"


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.np-torch-lint]\n{table}\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "src" / "a.py").write_text(CUDA_LINE)
    (tmp_path / "tests" / "b.py").write_text(CUDA_LINE)
    return tmp_path


def _codes_by_file(result: subprocess.CompletedProcess) -> list:
    return sorted((Path(l.split(":")[0]).name, l.split()[1]) for l in finding_lines(result.stdout))


def test_pyproject_select_ignore_and_per_file_ignores(tmp_path: Path) -> None:
    root = _project(tmp_path, 'ignore = ["NTL302"]\nper-file-ignores = { "tests/*" = ["NTL301"] }')
    result = run("check", "--no-cache", str(root))
    assert _codes_by_file(result) == [("a.py", "NTL301")]
    root2 = tmp_path / "two"
    root2.mkdir()
    _project(root2, 'select = ["NTL302"]')
    assert _codes_by_file(run("check", "--no-cache", str(root2))) == [("a.py", "NTL302"), ("b.py", "NTL302")]


def test_exclude_from_config_and_option(tmp_path: Path) -> None:
    root = _project(tmp_path, 'exclude = ["tests"]')
    assert [name for name, _ in _codes_by_file(run("check", "--no-cache", str(root)))] == ["a.py", "a.py"]
    assert run("check", "--no-cache", "--exclude", "src", str(root)).stdout == ""


def test_configuration_errors_name_the_key(tmp_path: Path) -> None:
    root = _project(tmp_path, 'selct = ["NTL1"]')
    result = run("check", str(root))
    assert result.returncode == 2 and "unknown key 'selct'" in result.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.np-torch-lint]\nignore = ["E501"]\n')
    result = run("check", str(root))
    assert result.returncode == 2 and "'ignore'" in result.stderr and "E501" in result.stderr


def test_stdin_with_a_display_name() -> None:
    result = subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", "-", "--stdin-filename", "pkg/m.py"],
                            input=CUDA_LINE, capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 1
    assert [l.split(":")[0] for l in finding_lines(result.stdout)] == ["pkg/m.py", "pkg/m.py"]


def test_terminal_output_shows_the_line_and_a_caret(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = tmp_path / "m.py"
    path.write_text("import torch\nmodel = torch.nn.Linear(3, 1)\nprint(model(torch.randn(2, 3)).numpy())\n")
    out = Terminal()
    assert cli.check([str(path)], None, [], out=out, use_cache=False) == 1
    lines = out.getvalue().splitlines()
    assert lines[1] == "    print(model(torch.randn(2, 3)).numpy())"
    assert lines[2] == "    " + " " * 31 + "^^^^^"
    piped = io.StringIO()
    cli.check([str(path)], None, [], out=piped, use_cache=False)
    assert piped.getvalue().splitlines()[1:] == ["1 finding, 1 fixable with --fix."], "no source lines when piped"


def test_json_names_the_fix_and_its_safety(tmp_path: Path) -> None:
    import json

    path = tmp_path / "m.py"
    path.write_text("import torch\nmodel = torch.nn.Linear(3, 1)\nprint(model(torch.randn(2, 3)).numpy())\n")
    [finding] = json.loads(run("check", "--no-cache", "--format", "json", str(path)).stdout)
    assert {key: finding["fix"][key] for key in ("name", "safety", "applicability")} == {
        "name": "detach-cpu", "safety": "safe", "applicability": "safe"}


def test_rules_and_explain_as_json() -> None:
    import json

    rules = json.loads(run("rules", "--format", "json").stdout)
    assert [r["code"] for r in rules] == [rule.code for rule in ALL_RULES]
    assert {r["code"]: r["fix"] for r in rules}["NTL302"] == "unsafe"
    page = json.loads(run("explain", "NTL403", "--format", "json").stdout)
    assert page["name"] == "negative-strides-conversion" and page["doc"].startswith("# NTL403")


def test_sarif_and_github_count_columns_in_utf16_code_units(tmp_path: Path) -> None:
    """Reports carry UTF-8 byte columns (as flake8); SARIF and GitHub count UTF-16 code units."""
    import json

    path = tmp_path / "u.py"
    path.write_text('import torch\nname = "caf\u00e9 \U0001f642"; x = torch.zeros(2).cuda()\n', encoding="utf-8")
    text = run("check", "--no-cache", str(path)).stdout
    assert f"{path}:2:41: NTL301" in text  # 36 characters, 40 bytes before `cuda`
    github = run("check", "--no-cache", "--format", "github", str(path)).stdout
    assert ",line=2,col=38,endLine=2,endColumn=42," in github  # the emoji is two UTF-16 units
    document = json.loads(run("check", "--no-cache", "--format", "sarif", str(path)).stdout)
    assert document["runs"][0]["columnKind"] == "utf16CodeUnits"
    region = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (38, 42)


def test_output_goes_to_sys_stdout_as_it_is_when_called(tmp_path: Path) -> None:
    """`out` defaults are resolved at call time: a redirected or captured sys.stdout is honoured."""
    import contextlib

    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    captured, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(errors):
        assert cli.check([str(path)], None, [], use_cache=False) == 1
        cli.print_rules()
        assert cli.explain("NTL301") == 0
        assert cli.explain("NTL998") == 2
    assert f"{path}:2:20: NTL301" in captured.getvalue()
    assert "unguarded-cuda-placement" in captured.getvalue() and "# NTL301" in captured.getvalue()
    assert "unknown rule 'NTL998'" in errors.getvalue()


def off_by_default_rule() -> type:
    """A temporary rule that is off by default: NTL301's check under another code."""
    from np_torch_lint.rules.device import UnguardedCudaPlacement

    class OffByDefault(UnguardedCudaPlacement):
        code = "NTL999"
        name = "off-by-default"
        summary = "a rule that runs only when selected"
        default_enabled = False

    return OffByDefault


def test_a_rule_off_by_default_is_reported_only_when_selected(tmp_path: Path, monkeypatch) -> None:
    from np_torch_lint import config, rules

    rule = off_by_default_rule()
    monkeypatch.setattr(rules, "ALL_RULES", [*rules.ALL_RULES, rule])
    monkeypatch.setattr(rules, "RULES_BY_CODE", {**rules.RULES_BY_CODE, rule.code: rule})
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.zeros(2).cuda()\n")

    def codes(select=None, ignore=(), settings=None) -> list:
        out = io.StringIO()
        cli.check([str(path)], select, list(ignore), out=out, use_cache=False, settings=settings)
        return [line.split()[1] for line in finding_lines(out.getvalue())]

    assert codes() == ["NTL301"], "off by default"
    assert codes(select=["NTL999"]) == ["NTL999"]
    assert codes(select=["NTL"]) == ["NTL301", "NTL999"], "a selected prefix names it, as in flake8"
    assert codes(select=["NTL3"]) == ["NTL301"]
    assert codes(ignore=["NTL301"]) == [], "ignoring another code does not turn it on"
    settings = config.parse({"extend-select": ["NTL999"]}, tmp_path / "pyproject.toml")
    assert codes(settings=settings) == ["NTL301", "NTL999"], "extend-select turns it on, the others stay on"
    settings = config.parse({"extend-select": ["NTL999"], "ignore": ["NTL9"]}, tmp_path / "pyproject.toml")
    assert codes(settings=settings) == ["NTL301", "NTL999"], "the longer prefix decides"
    listed = io.StringIO()
    cli.print_rules(listed)
    assert re.search(r"^NTL999  off-by-default\s+off ", listed.getvalue(), re.MULTILINE)
