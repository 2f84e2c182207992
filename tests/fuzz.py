"""Fuzz the engine and the fixes with mutated fixtures (and hypothesmith programs when installed).

Run by hand, bounded in time:  python tests/fuzz.py --seconds 120 [--seed 1]
A short seeded version runs in the suite (tests/test_fuzz.py). A program may be
invalid Python after a mutation: that is fine (AnalysisError); anything else
raised is a bug, and so is a fix whose output does not parse or is not stable.
"""
from __future__ import annotations

import argparse
import ast
import random
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from np_torch_lint import fixes  # noqa: E402
from np_torch_lint.lint import AnalysisError, analyze  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def mutations(source: str, rng: random.Random) -> Iterator[Tuple[str, str]]:
    lines = source.splitlines(keepends=True)
    if len(lines) > 2:
        i = rng.randrange(len(lines))
        yield "drop a line", "".join(lines[:i] + lines[i + 1:])
        i, j = sorted(rng.sample(range(len(lines)), 2))
        swapped = list(lines)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        yield "swap two lines", "".join(swapped)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    body = list(tree.body)
    rng.shuffle(body)
    yield "shuffle statements", ast.unparse(ast.Module(body=body, type_ignores=[]))
    names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    if len(names) >= 2:
        a, b = rng.sample(names, 2)
        yield f"swap names {a}/{b}", source.replace(a, "\0").replace(b, a).replace("\0", b)


def check_program(source: str) -> Optional[str]:
    """None when the engine and fixes behave; else what went wrong."""
    try:
        reports = analyze(source)
    except AnalysisError:
        return None
    except Exception as error:  # noqa: BLE001 - this is what the fuzzer looks for
        return f"engine raised {type(error).__name__}: {error}"
    fixed, count = fixes.apply(source, reports, unsafe=True)
    if count:
        try:
            after = ast.parse(fixed)
        except SyntaxError as error:
            return f"fix produced invalid code: {error}"
        sites = {(r.line, r.col) for r in reports if fixes.fixable(r, True)}
        if fixes.changed_outside(ast.parse(source), after, sites):
            return "a fix changed code outside the fixed calls"
        again, second = fixes.apply(fixed, analyze(fixed), unsafe=True)
        if second or again != fixed:
            return "a second fix changed the code"
    return None


def corpus() -> List[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("NTL*/*.py"))]


def run(seconds: float, seed: int, limit: Optional[int] = None) -> Tuple[int, List[str]]:
    rng = random.Random(seed)
    sources = corpus()
    deadline = time.monotonic() + seconds
    programs, problems = 0, []
    while time.monotonic() < deadline and (limit is None or programs < limit):
        source = rng.choice(sources)
        for what, mutated in mutations(source, rng):
            programs += 1
            problem = check_program(mutated)
            if problem:
                problems.append(f"{what}: {problem}\n{mutated}")
    return programs, problems


def run_hypothesmith(seconds: float) -> Tuple[int, List[str]]:
    try:
        import hypothesmith
        from hypothesis import HealthCheck, given, settings
    except ImportError:
        print("hypothesmith is not installed (pip install hypothesmith): grammar-based programs skipped")
        return 0, []
    count, problems = [0], []

    @settings(deadline=None, max_examples=25, suppress_health_check=list(HealthCheck), database=None)
    @given(hypothesmith.from_grammar())
    def one(source: str) -> None:
        count[0] += 1
        problem = check_program("import torch\nimport numpy as np\n" + source)
        if problem:
            problems.append(problem)

    stop = time.monotonic() + seconds
    while time.monotonic() < stop:  # small batches, so the time bound holds
        one()
    return count[0], problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    programs, problems = run(options.seconds / 2, options.seed)
    grammar, more = run_hypothesmith(options.seconds / 2)
    problems += more
    print(f"{programs} mutated fixtures and {grammar} grammar-generated programs, {len(problems)} problems")
    for problem in problems[:10]:
        print("---\n" + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
