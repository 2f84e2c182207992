"""pre-commit, for real: the repository's own hook (try-repo) and flake8 with the plugin as a local hook.

Each run builds a fresh hook environment from this checkout (about 10 s): the
hook definition, the package metadata and the entry point are what users get.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

FINDING = "import torch\nmodel = torch.nn.Linear(2, 2).cuda()\n"


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "user-repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "train.py").write_text(FINDING)
    (repo / "clean.py").write_text("import torch\nx = torch.zeros(2)\n")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "copied.py").write_text(FINDING)
    (repo / "pyproject.toml").write_text('[tool.np-torch-lint]\nexclude = ["vendor/"]\n')
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    return repo


def _pre_commit(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_repository_hook_runs_with_try_repo(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    result = _pre_commit(repo, tmp_path, "try-repo", str(ROOT), "np-torch-lint", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "train.py:2:31: NTL301" in output
    assert "vendor/copied.py" not in output, "the project's exclude applies to files pre-commit names"
    assert "clean.py" not in output


def test_flake8_with_the_plugin_as_a_hook(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: flake8\n        name: flake8\n"
        "        entry: flake8 --select NTL\n        language: python\n        types: [python]\n"
        f"        additional_dependencies: [flake8, '{ROOT}']\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    result = _pre_commit(repo, tmp_path, "run", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "train.py:2:31: NTL301" in output
