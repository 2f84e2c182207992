"""gitignore-style excludes: the pattern language, .gitignore files in the walk, force-exclude."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

from np_torch_lint.files import iter_python_files
from np_torch_lint.config import Settings
from np_torch_lint.ignore import PatternSet

BASE = Path("/project")


@pytest.mark.parametrize("pattern, path, is_dir, verdict", [
    ("build", "build", True, True),
    ("build", "src/build", True, True),  # no slash: any depth
    ("build/", "src/build", False, None),  # folders only
    ("/build", "src/build", True, None),  # anchored
    ("/build", "build", True, True),
    ("*.py", "a/b/c.py", False, True),
    ("a/*.py", "a/b/c.py", False, None),  # * stops at /
    ("a/**/c.py", "a/b/d/c.py", False, True),
    ("a/**/c.py", "a/c.py", False, True),
    ("**/gen", "x/y/gen", True, True),
    ("gen/**", "gen/x/y.py", False, True),
    ("gen/**", "gen", True, None),
    ("!keep.py", "keep.py", False, False),
    ("data_[0-9].py", "data_7.py", False, True),
    ("data_[!0-9].py", "data_7.py", False, None),
    ("# a comment", "# a comment", False, None),
    ("\\#literal.py", "#literal.py", False, True),
    ("third_party/*", "third_party/x.py", False, True),
])
def test_pattern_language(pattern: str, path: str, is_dir: bool, verdict: Optional[bool]) -> None:
    assert PatternSet.from_lines(BASE, [pattern]).verdict(BASE / path, is_dir) is verdict


def test_the_last_matching_pattern_wins() -> None:
    patterns = PatternSet.from_lines(BASE, ["*.py", "!keep.py", "# note", ""])
    assert patterns.verdict(BASE / "drop.py", False) is True
    assert patterns.verdict(BASE / "keep.py", False) is False


def _tree(root: Path, files: List[str], ignores: dict) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("import torch\n")
    for folder, text in ignores.items():
        (root / folder / ".gitignore").write_text(text)


def _listed(paths: List[str], settings: Settings, root: Path) -> List[str]:
    return sorted(Path(p).resolve().relative_to(root.resolve()).as_posix() for p in iter_python_files(paths, settings))


def test_gitignore_files_in_the_walk_and_above_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _tree(root, ["src/model.py", "src/generated/pb.py", "src/cache/x.py", "src/cache/keep/y.py",
                 "scratch.py", "src/notes/scratch.py", "src/local/a.py"],
          {".": "scratch.py\ngenerated/\n", "src": "cache/*\n!cache/keep/\n/local\n"})
    everything = _listed([str(root)], Settings(root=root), root)
    assert everything == ["src/cache/keep/y.py", "src/model.py"]
    # Walking a subfolder still reads the .gitignore files above it, up to the git root.
    assert _listed([str(root / "src")], Settings(root=root), root) == ["src/cache/keep/y.py", "src/model.py"]
    unfiltered = _listed([str(root)], Settings(root=root, respect_gitignore=False), root)
    assert len(unfiltered) == 7


def test_exclude_setting_is_gitignore_style_and_named_files_need_force(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _tree(root, ["app/main.py", "vendor/lib.py", "vendor/ours/glue.py"], {})
    settings = Settings(root=root, exclude=["vendor/", "!vendor/ours/"])
    # vendor/ is excluded as a folder: git never enters it, so !vendor/ours/ cannot re-include.
    assert _listed([str(root)], settings, root) == ["app/main.py"]
    named = [str(root / "vendor" / "lib.py"), str(root / "app" / "main.py")]
    assert _listed(named, settings, root) == ["app/main.py", "vendor/lib.py"]  # named files are linted
    settings.force_exclude = True
    assert _listed(named, settings, root) == ["app/main.py"]


def test_settings_keys_and_the_command_flags(tmp_path: Path) -> None:
    import sys

    from np_torch_lint.config import ConfigError, parse

    assert parse({"respect-gitignore": False, "force-exclude": True}, tmp_path / "pyproject.toml").force_exclude
    with pytest.raises(ConfigError, match="'respect-gitignore' must be true or false"):
        parse({"respect-gitignore": "no"}, tmp_path / "pyproject.toml")
    root = tmp_path / "repo"
    _tree(root, ["ok.py", "ignored.py"], {".": "ignored.py\n"})
    (root / "ignored.py").write_text("import torch\nx = torch.zeros(1).cuda()\n")
    command = [sys.executable, "-m", "np_torch_lint.cli", "check", "--no-cache"]
    assert subprocess.run([*command, str(root)], capture_output=True, text=True).stdout == ""
    shown = subprocess.run([*command, "--no-respect-gitignore", str(root)], capture_output=True, text=True).stdout
    assert "ignored.py:2:" in shown and "NTL301" in shown
    named = subprocess.run([*command, "--force-exclude", str(root / "ignored.py")], capture_output=True, text=True)
    assert (named.returncode, named.stdout) == (0, "")


def test_the_walk_takes_py_files_only_as_flake8_does(tmp_path: Path) -> None:
    for name in ("a.py", "b.pyi", "c.txt", "d.pyx"):
        (tmp_path / name).write_text("import torch\n")
    assert [Path(p).name for p in iter_python_files([str(tmp_path)], Settings(root=tmp_path))] == ["a.py"]
