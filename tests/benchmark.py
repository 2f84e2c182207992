"""Benchmark: the NTL plugin against flake8's own checks (and TorchFix), on the same files, in one run.

Not collected by pytest (run it by hand; see README "Performance"):

    python tests/benchmark.py [--rounds 3] [EXTRA_CORPUS_DIR ...]

Corpora: torch's own ``nn``, ``optim`` and ``utils`` packages from the installed
torch, plus any directories given (e.g. fetched PyTorch projects). Each round
runs, alternating, one flake8 process per configuration with ``-j1``:

- ``flake8``: pycodestyle + pyflakes + mccabe only (the NTL and TOR plugins banned);
- ``flake8+NTL``: the same plus this plugin;
- ``flake8+TOR``: the same plus TorchFix, if it is installed.

It reports CPU seconds (user+sys of the child), the ratio of the NTL plugin's
added time to flake8's own, lines per second, peak memory, and, in-process,
p95 and max per-file analysis time. Absolute times on a shared machine are
noisy; the ratios in one run are what the budget is about.
"""
from __future__ import annotations

import argparse
import ast
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

#: the checkout this script belongs to: the plugin measured is its own, even where another
#: checkout is installed in editable mode (its finder would win over sys.path otherwise).
ROOT = str(Path(__file__).resolve().parent.parent)
RUNNER = r"""
import sys, logging, importlib.metadata
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, """ + repr(ROOT) + r""")
import flake8.plugins.finder as finder
for name in sys.argv[1].split(","):
    if name:
        try:  # flake8 compares the distribution's own spelling ("TorchFix")
            name = importlib.metadata.distribution(name).metadata["Name"]
        except importlib.metadata.PackageNotFoundError:
            pass
        finder.BANNED_PLUGINS[name] = "0"   # flake8's own switch for obsolete plugins
logging.disable(logging.WARNING)
from flake8.main.cli import main
main(sys.argv[2:])
"""

#: `np-torch-lint` of this checkout (as RUNNER, past an editable install of another one).
COMMAND = RUNNER.split("import flake8.plugins.finder")[0] + "from np_torch_lint.cli import main\nsys.exit(main())\n"
CONFIGS: Dict[str, str] = {
    "flake8": "np-torch-lint,torchfix",
    "flake8+NTL": "torchfix",
    "flake8+TOR": "np-torch-lint",
}


def torch_corpora() -> List[Path]:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return []
    root = Path(spec.origin).parent
    return [root / name for name in ("nn", "optim", "utils") if (root / name).is_dir()]


def python_files(paths: Sequence[Path]) -> List[Path]:
    files: List[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*.py") if p.is_file()))
    return files


def run_flake8(banned: str, files_list: Path) -> Tuple[float, float, int]:
    """CPU seconds, wall seconds and peak RSS (KiB) of one flake8 process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(files_list) as listing:
        names = listing.read().split("\n")
    subprocess.run([sys.executable, "-c", RUNNER, banned, "-j1", "--isolated", "--exit-zero", *names],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, after.ru_maxrss


def peak_rss(banned: str, names: List[str]) -> int:
    code = RUNNER + "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    result = subprocess.run([sys.executable, "-c", code, banned, "-j1", "--isolated", "--exit-zero", *names],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    return int(result.stderr.strip().splitlines()[-1])


def command_cold_and_warm(corpora: Sequence[Path]) -> Tuple[float, float]:
    """Wall seconds of `np-torch-lint check` with an empty cache, then (median of 5) on the unchanged tree."""
    import statistics
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NP_TORCH_LINT_CACHE_DIR=cache)
        times = []
        for _ in range(6):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", COMMAND, "check", *map(str, corpora)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
            times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def per_file_times(files: Sequence[Path]) -> List[Tuple[float, int, Path]]:
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path.insert(0, ROOT)
    from np_torch_lint.cli import read_source
    from np_torch_lint.lint import analyze

    analyze("import torch\nx = torch.zeros(2).cuda()\n")  # warm up: first-call imports and regexes
    out = []
    for path in files:
        try:
            text, lines = read_source(str(path))
            tree = ast.parse(text)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        start = time.perf_counter()
        analyze(text, tree=tree, lines=lines)
        out.append((time.perf_counter() - start, len(lines), path))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    corpora = torch_corpora() + list(options.corpora)
    files = python_files(corpora)
    lines = sum(len(p.read_bytes().splitlines()) for p in files)
    listing = Path(os.environ.get("TMPDIR", "/tmp")) / "ntl-benchmark-files.txt"
    listing.write_text("\n".join(str(p) for p in files))
    try:
        import torchfix  # noqa: F401

        configs = list(CONFIGS)
    except ImportError:
        configs = ["flake8", "flake8+NTL"]
        print("TorchFix is not installed (pip install torchfix): its column is left out")
    print(f"corpora: {', '.join(str(c) for c in corpora)}")
    print(f"{len(files)} files, {lines} lines; {options.rounds} rounds, alternating, flake8 -j1")

    cpu: Dict[str, List[float]] = {c: [] for c in configs}
    wall: Dict[str, List[float]] = {c: [] for c in configs}
    for _ in range(options.rounds):
        for config in configs:
            c, w, _ = run_flake8(CONFIGS[config], listing)
            cpu[config].append(c)
            wall[config].append(w)
    median = {c: statistics.median(v) for c, v in cpu.items()}
    base = median["flake8"]
    print()
    print(f"{'configuration':<14} {'cpu s (median)':>15} {'wall s':>8} {'lines/s':>9} {'added cpu':>10} {'added / flake8':>15}")
    for config in configs:
        added = median[config] - base
        print(f"{config:<14} {median[config]:>15.2f} {statistics.median(wall[config]):>8.2f} "
              f"{lines / median[config]:>9.0f} {added:>10.2f} {added / base if config != 'flake8' else 0:>15.2f}")
    if "flake8+TOR" in median:
        ntl_added = max(median["flake8+NTL"] - base, 1e-9)
        tor_added = median["flake8+TOR"] - base
        print(f"\nTorchFix's added time / NTL's added time: {tor_added / ntl_added:.1f}x")

    names = [str(p) for p in files]
    rss_alone, rss_ntl = peak_rss(CONFIGS["flake8"], names), peak_rss(CONFIGS["flake8+NTL"], names)
    print(f"peak memory: flake8 {rss_alone / 1024:.0f} MiB, flake8+NTL {rss_ntl / 1024:.0f} MiB ({rss_ntl / rss_alone:.2f}x)")

    cold, warm = command_cold_and_warm(corpora)
    print(f"np-torch-lint check: cold {cold:.2f} s, warm (cache) {warm:.2f} s ({warm / cold:.2f}x)")

    timings = per_file_times(files)
    per_kloc = sorted(t / max(n, 1) * 1000 for t, n, _ in timings if n >= 50)
    worst = max(timings)
    if per_kloc:
        p95 = per_kloc[min(len(per_kloc) - 1, int(0.95 * len(per_kloc)))]
        print(f"per file (in-process, files of 50+ lines): p95 {p95 * 1000:.1f} ms per 1,000 lines; "
              f"slowest file {worst[0] * 1000:.0f} ms ({worst[1]} lines, {worst[2].name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
