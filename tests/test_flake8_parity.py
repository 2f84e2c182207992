"""One truth with flake8: the same `# noqa` forms and the same configuration give the same findings
through flake8 (with the plugin) and through the command, run on the same files from the same folder."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from conftest import ROOT

FINDING = re.compile(r"^(?:\./)?(?P<path>[^:]+):(?P<line>\d+):\d+: (?P<code>NTL\d{3})\b")

# Every form of flake8's documentation, and the edges of its regular expression. The expected
# column says what flake8 does; the test checks flake8 itself agrees before comparing the command.
NOQA_FORMS = '''\
import torch

a = torch.zeros(2).cuda()
b = torch.zeros(2).cuda()  # noqa
c = torch.zeros(2).cuda()  # noqa: NTL301
d = torch.zeros(2).cuda()  # noqa:NTL301
e = torch.load("m.pt").cuda()  # noqa:NTL302
f = torch.load("m.pt").cuda()  # noqa: NTL301,NTL302
g = torch.load("m.pt").cuda()  # noqa:NTL301, NTL302
h = torch.load("m.pt").cuda()  # noqa: NTL301 NTL302
i = torch.zeros(2).cuda()  # NOQA: NTL301
j = torch.zeros(2).cuda()  # NoQA:NTL301
k = torch.load("m.pt").cuda()  # noqa:NTL3
l = torch.zeros(2).cuda()  # noqa:NTL
m = torch.zeros(2).cuda()  # noqa: E501
n = torch.zeros(2).cuda()  # noqa: ntl301
o = torch.zeros(2).cuda()  #noqa
p = torch.zeros(2).cuda()  # noqa : NTL302
q = torch.zeros(2).cuda()  # noqa:  NTL302
r = torch.zeros(2).cuda()  # noqa: NTL301 because the tests need a GPU
s = torch.zeros(2).cuda()  # noqa: E501,NTL301
t = torch.load("m.pt").cuda()  # noqa: NTL30
u = "# noqa"; v = torch.zeros(2).cuda()
w = torch.zeros(2).cuda(); doc = """
text
"""  # noqa: NTL301
x = torch.zeros(2).cuda() + \\
    torch.zeros(2)  # noqa: NTL301
y = max(
    torch.zeros(2).cuda(),
)  # noqa
z = torch.zeros(2).cuda()  # noqa: E501 # noqa: NTL301
aa = torch.zeros(2).cuda()  # type: ignore # noqa
ab = torch.load("m.pt").cuda()  # noqa: NTL302,E501 NTL301
'''
# (line, code) left by flake8: no noqa; NTL302 listed, NTL301 not; E501 only; lower case (flake8
# compares codes case-sensitively); `#noqa` without its space; a comment inside brackets does
# not reach the line above; the first noqa of a line decides.
NOQA_EXPECTED = {(3, "NTL301"), (7, "NTL301"), (15, "NTL301"), (16, "NTL301"), (17, "NTL301"),
                 (30, "NTL301"), (32, "NTL301")}


def _flake8(cwd: Path, *args: str) -> Set[Tuple[str, int, str]]:
    result = subprocess.run([sys.executable, "-m", "flake8", *args], cwd=cwd, capture_output=True, text=True,
                            check=False)
    assert result.returncode in (0, 1), result.stderr
    return _parse(result.stdout)


def _command(cwd: Path, *args: str) -> Set[Tuple[str, int, str]]:
    result = subprocess.run([sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache", *args], cwd=cwd,
                            capture_output=True, text=True, check=False, env=_env())
    assert result.returncode in (0, 1), result.stderr
    return _parse(result.stdout)


def _env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _parse(text: str) -> Set[Tuple[str, int, str]]:
    found = set()
    for line in text.splitlines():
        match = FINDING.match(line)
        if match:
            found.add((match["path"], int(match["line"]), match["code"]))
    return found


def test_every_noqa_form_reads_the_same_in_flake8_and_the_command(tmp_path: Path) -> None:
    (tmp_path / "forms.py").write_text(NOQA_FORMS)
    theirs = _flake8(tmp_path, "--select", "NTL", "forms.py")
    assert {(line, code) for _, line, code in theirs} == NOQA_EXPECTED, "flake8 reads the forms as documented above"
    assert _command(tmp_path, "forms.py") == theirs


PROJECT_FILE = "import torch\nx = torch.zeros(2).cuda()\ny = torch.load('m.pt')\n"

FLAKE8_SETTINGS = [
    "extend-ignore = NTL302",
    "select = NTL3\nignore = NTL301",
    "ignore = NTL3\nextend-select = NTL301",  # both explicit: the longer prefix wins
    "select = NTL3\nignore = NTL3",  # a tie ignores
    "select = E,W,F",  # NTL not selected at all
    "extend_ignore = NTL302",  # flake8 takes either spelling
    "per-file-ignores =\n    tests/*:NTL301\n    src/a.py:NTL302",
    "per-file-ignores = *.py:NTL302 tests/*:NTL301",  # the longest pattern applies, alone
    "extend-ignore = NTL3\nper-file-ignores = b.py:NTL2",
    "select = NTL301,E501\nper-file-ignores = src/*:NTL3",
]


def _tree(root: Path) -> None:
    for folder in ("src", "tests"):
        (root / folder).mkdir()
        for name in ("a.py", "b.py"):
            (root / folder / name).write_text(PROJECT_FILE)


# Every setting in setup.cfg; the other two files flake8 reads, with one setting each.
CASES = [("setup.cfg", s) for s in FLAKE8_SETTINGS] + [("tox.ini", FLAKE8_SETTINGS[1]), (".flake8", FLAKE8_SETTINGS[7])]


@pytest.mark.parametrize("config_name, settings", CASES)
def test_flake8_configuration_gives_the_same_findings_through_both(tmp_path: Path, config_name: str,
                                                                    settings: str) -> None:
    _tree(tmp_path)
    (tmp_path / config_name).write_text(f"[flake8]\n{settings}\n")
    theirs = {f for f in _flake8(tmp_path, ".") if f[2].startswith("NTL")}
    ours = _command(tmp_path, ".")
    assert ours == theirs
    everything = {(f"{folder}/{name}", line, code) for folder in ("src", "tests") for name in ("a.py", "b.py")
                  for line, code in ((2, "NTL301"), (3, "NTL302"))}
    assert ours != everything, "each setting leaves something out"
    # The command line replaces each configured option, as in flake8.
    assert _command(tmp_path, "--select", "NTL", "--ignore", "NTL0", "--extend-ignore", "NTL0",
                    "--per-file-ignores", "", ".") == everything


def test_pyproject_keys_replace_flake8_keys_of_the_same_name(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-ignore = NTL302\nper-file-ignores = tests/*:NTL301\n")
    assert {code for _, _, code in _command(tmp_path, ".")} == {"NTL301"}
    (tmp_path / "pyproject.toml").write_text('[tool.np-torch-lint]\nextend-ignore = []\n')
    found = _command(tmp_path, ".")
    assert ("src/a.py", 3, "NTL302") in found, "pyproject's extend-ignore replaced flake8's"
    assert not any(path.startswith("tests/") and code == "NTL301" for path, _, code in found), \
        "flake8's per-file-ignores still apply: pyproject did not set them"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_torch_lint.cli", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, env=_env())


@pytest.mark.parametrize("where, setting, message", [
    ("cli", ["--select", "NTL3O1"], "--select: unknown code or prefix 'NTL3O1'; did you mean NTL301?"),
    ("cli", ["--extend-ignore", "NTL9"], "--extend-ignore: unknown code or prefix 'NTL9'; did you mean"),
    ("cli", ["--per-file-ignores", "tests/*:NTL3O2"], "unknown code or prefix 'NTL3O2'; did you mean NTL302?"),
    ("pyproject.toml", '[tool.np-torch-lint]\nselect = ["NTL999"]\n',
     "[tool.np-torch-lint] 'select': unknown code or prefix 'NTL999'; did you mean"),
    ("setup.cfg", "[flake8]\nextend-ignore = E501,NTL3O1\n",
     "[flake8] extend-ignore: unknown code or prefix 'NTL3O1'; did you mean NTL301?"),
    ("tox.ini", "[flake8]\nselect = ntl3\n", "codes are upper case, as flake8 compares them: NTL3"),
    (".flake8", "[flake8]\nper-file-ignores = tests/*:NTL3O1\n", "unknown code or prefix 'NTL3O1'"),
])
def test_an_unknown_code_anywhere_is_an_error_that_names_the_nearest(tmp_path: Path, where: str, setting,
                                                                     message: str) -> None:
    (tmp_path / "m.py").write_text(PROJECT_FILE)
    args = ["check", "m.py"]
    if where == "cli":
        args += setting
    else:
        (tmp_path / where).write_text(setting)
    result = _run(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == "", "nothing is linted under a configuration that cannot be read"


def test_other_tools_codes_in_flake8_configuration_are_theirs(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(PROJECT_FILE)
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-ignore = E501,W503\nextend-select = B950\n")
    result = _run(tmp_path, "check", "--quiet", "m.py")
    assert result.returncode == 1 and result.stderr == ""
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["NTL301", "NTL302"]


@pytest.mark.parametrize("args, message", [
    (["--select", "NTL3O1"], "np-torch-lint: --select: unknown code or prefix 'NTL3O1'; did you mean NTL301?"),
    (["--extend-ignore", "E501,NTL9"], "np-torch-lint: --extend-ignore: unknown code or prefix 'NTL9'"),
    (["--per-file-ignores", "m.py:NTL3O2"], "unknown code or prefix 'NTL3O2'; did you mean NTL302?"),
])
def test_flake8_refuses_a_mistyped_code_too(tmp_path: Path, args: List[str], message: str) -> None:
    (tmp_path / "m.py").write_text(PROJECT_FILE)
    result = subprocess.run([sys.executable, "-m", "flake8", *args, "m.py"], cwd=tmp_path, capture_output=True,
                            text=True, check=False, env=_env())
    assert result.returncode == 1 and message in result.stdout + result.stderr
    assert "NTL301 unguarded" not in result.stdout, "nothing is linted under options that cannot be honoured"


def test_flake8_keeps_other_plugins_codes_and_valid_prefixes(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(PROJECT_FILE)
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "NTL3,E9", "--extend-ignore", "W503,NTL302",
                             "m.py"], cwd=tmp_path, capture_output=True, text=True, check=False, env=_env())
    assert result.returncode == 1 and [l.split()[1] for l in result.stdout.splitlines()] == ["NTL301"]
