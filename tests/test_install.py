"""Install as people will install it: the sdist and the wheel built by `python -m build`, each installed
in a fresh virtual environment (no system site-packages), run from outside the checkout.

- the wheel, no extras: the command and the flake8 plugin lint without torch; `explain` and the JSON
  doc links reach the pages installed with the package; `python -m runtime_check --help` works and
  a run says to install the `runtime` extra;
- the sdist with the `runtime` extra (torch pinned to 2.13.0, the CPU build, as the README's second
  command does): `python -m runtime_check` executes the fixtures shipped inside the package.

Slow (a few minutes: two environments, one with torch) and it reaches the package index, as the
README's own install commands do; it runs in the normal suite.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

FINDING = "import torch\nx = torch.zeros(2).cuda()\n"


def _sh(args: List[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it (python -m build's default), from a copy of the checkout."""
    out = tmp_path_factory.mktemp("dist")
    _ok(_sh([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], cwd=out))
    return out


def _venv(where: Path) -> Path:
    _ok(_sh([sys.executable, "-m", "venv", str(where)], cwd=where.parent))
    python = where / "bin" / "python"
    config = _sh([str(python), "-c", "import sys; print(sys.flags.no_site, sys.prefix != sys.base_prefix)"], where)
    assert config.stdout.split() == ["0", "True"], config.stdout
    return python


def test_packages_list_every_package_folder() -> None:
    """pyproject lists the packages (the fixtures are mapped in): a new package folder must be listed."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {str(p.parent.relative_to(ROOT)).replace(os.sep, ".")
               for top in ("np_torch_lint", "runtime_check") for p in (ROOT / top).rglob("__init__.py")}
    assert listed == on_disk | {"runtime_check.fixtures"}


def test_the_wheel_lints_without_torch_and_runtime_check_says_what_it_needs(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("*.whl")
    python = _venv(tmp_path / "venv")
    _ok(_sh([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path))
    bin_dir = python.parent
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text(FINDING)

    assert _sh([str(python), "-c", "import torch"], work).returncode != 0, "torch is not installed"
    assert _sh([str(python), "-c", "import numpy"], work).returncode != 0, "nor NumPy"
    command = _sh([str(bin_dir / "np-torch-lint"), "check", "--quiet", "train.py"], work)
    assert command.returncode == 1 and command.stdout.startswith("train.py:2:20: NTL301 "), command.stderr
    plugin = _sh([str(bin_dir / "flake8"), "--select", "NTL", "train.py"], work)
    assert plugin.returncode == 1 and plugin.stdout.startswith("train.py:2:20: NTL301 "), plugin.stderr

    [finding] = json.loads(_sh([str(bin_dir / "np-torch-lint"), "check", "--format", "json", "train.py"],
                               work).stdout)
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    page = Path(url2pathname(urlparse(finding["url"]).path))
    assert page.is_file() and str(page).startswith(str(tmp_path / "venv")), finding["url"]
    explained = _ok(_sh([str(bin_dir / "np-torch-lint"), "explain", "unguarded-cuda-placement"], work))
    assert explained.stdout.startswith("# NTL301: unguarded-cuda-placement")

    helped = _ok(_sh([str(python), "-m", "runtime_check", "--help"], work))
    assert "usage: python -m runtime_check" in helped.stdout
    needs = _sh([str(python), "-m", "runtime_check", "--no-fixtures"], work)
    assert needs.returncode == 2
    assert "install np-torch-lint[runtime]" in needs.stderr and "Traceback" not in needs.stderr


def test_the_sdist_with_the_runtime_extra_runs_the_shipped_fixtures(dist: Path, tmp_path: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    python = _venv(tmp_path / "venv")
    # torch pinned as the README's second command pins it (the CPU build this machine carries).
    _ok(_sh([str(python), "-m", "pip", "install", "-q", f"np-torch-lint[runtime] @ {sdist.as_uri()}",
             "torch==2.13.0"], tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    _ok(_sh([str(python), "-m", "runtime_check", "--help"], work))
    result = _sh([str(python), "-m", "runtime_check", "--device", "cpu", "--rules", "NTL403", "--json"], work)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout)
    fixtures = report["fixtures"]
    site_packages = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    assert Path(fixtures["dir"]) == site_packages / "runtime_check" / "fixtures", "the copy inside the package"
    assert len(fixtures["results"]) >= 10 and {r["code"] for r in fixtures["results"]} == {"NTL403"}
    assert all(r["status"] == "confirmed" for r in fixtures["results"]), fixtures["results"]
    assert report["summary"]["ok"] is True


def test_runtime_check_device_cuda_without_cuda_says_so() -> None:
    from runtime_check.env import cuda_available

    if cuda_available():
        pytest.skip("a CUDA device is present: --device cuda runs")
    result = _sh([sys.executable, "-m", "runtime_check", "--device", "cuda", "--no-fixtures"], ROOT)
    assert result.returncode == 1
    assert "no CUDA device" in result.stderr and "OK" not in result.stdout


def test_runtime_check_without_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import importlib.util

    from runtime_check import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert cli.main(["--no-fixtures"]) == 2
    assert "runtime_check needs torch" in capsys.readouterr().err


def test_the_readme_pre_commit_snippet_resolves_and_runs(tmp_path: Path) -> None:
    """The README's hook, as written, with this checkout standing for the published repository."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [snippet] = re.findall(r"```yaml\n(repos:\n  - repo: https://github.com/OWNER/np-torch-lint\n.*?)```", readme,
                           re.DOTALL)
    repo = tmp_path / "user-repo"
    repo.mkdir()
    _ok(_sh(["git", "init", "-q", str(repo)], tmp_path))
    (repo / "train.py").write_text("import torch\nmodel = torch.nn.Linear(2, 2).cuda()\n")
    (repo / ".pre-commit-config.yaml").write_text(snippet.replace("https://github.com/OWNER/np-torch-lint", str(ROOT)))
    _ok(_sh(["git", "add", "."], repo))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "train.py:2:31: NTL301" in output, output
