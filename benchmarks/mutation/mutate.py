"""Mutation run of the linter's facts and exemptions: does some test fail when one is removed?

Run by hand, not in CI (it runs the linter's tests once per mutant: an hour
or more on two cores):

    python benchmarks/mutation/mutate.py --jobs 2 --json mutation.json
    python benchmarks/mutation/mutate.py --list            # the mutants only
    python benchmarks/mutation/mutate.py --only NOT_WRITES  # a subset, by description
    python benchmarks/mutation/mutate.py --tables LOADERS,EXITS --flips  # those tables' rows, and their flips

Mutants (see README.md):
- row: one row of a table in np_torch_lint/engine/api.py removed (an entry of
  a dict, set, tuple or list display assigned at module level);
- flip (only with --flips): one boolean constant in a dict row's value flipped
  (`copies=False` -> `True`, `("float32", True)` -> `("float32", False)`);
- guard: in the rules, the runner (lint.py) and the CUDA-guard heuristics
  (engine/guards.py), one early exit (`if ...: return` / `continue`) or
  comprehension filter weakened: an `or` loses one operand, `not (a and b)`
  loses one conjunct, any other test becomes False (a filter: True).

Each mutant is written into a private copy of the repository and the tests
run there (`pytest -x`); a mutant is killed when they fail. The score is
killed / all; the survivors are listed, to be killed by a test or judged
equivalent (README.md lists those judged so, with why).
"""
from __future__ import annotations

import argparse
import ast
import json
import multiprocessing
import multiprocessing.queues
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
TABLES = "np_torch_lint/engine/api.py"
GUARDED = ("np_torch_lint/rules", "np_torch_lint/lint.py", "np_torch_lint/engine/guards.py")
# The linter's own tests in two stages, the fastest killers first: a mutant the
# first stage kills never pays for the second (each stage runs with -x).
# The table tests run without their `installed` cases (those run NumPy and torch, never the tables).
NOT_INSTALLED = ("-k", "not installed")
DEFAULT_STAGES = (
    ("tests/test_api_facts.py", "tests/test_rule_guards.py", "tests/test_engine.py", "tests/test_precision.py",
     "tests/test_evidence.py", "tests/test_reach.py"),
    (*NOT_INSTALLED, "tests/test_tables_numpy.py", "tests/test_tables_torch.py"),
    ("tests/test_fixtures.py", "tests/test_project_modules.py", "tests/test_ignore.py", "tests/test_fixes.py"),
)
# Tried first for a row, with -k and the row's name: its own expectation fails fast.
QUICK_TESTS = ("tests/test_api_facts.py", "tests/test_tables_numpy.py", "tests/test_tables_torch.py")
COPIED = ("np_torch_lint", "runtime_check", "tests", "fixtures", "pyproject.toml", "README.md")


@dataclass
class Mutant:
    id: str
    kind: str  # "row", "flip" or "guard"
    path: str  # relative to the repository
    line: int
    what: str  # e.g. "ARRAY_MAKERS: drop 'numpy.zeros'"
    source: str = ""  # the mutated file (not written to the report)
    keyword: str = ""  # a row's name ("zeros"): the quick tests with -k keyword are tried first
    table: str = ""  # a row's or flip's table ("ARRAY_MAKERS"); "" for a guard


@dataclass
class Outcome:
    id: str
    kind: str
    path: str
    line: int
    what: str
    killed: bool
    seconds: float
    by: str  # the first failing test, "timeout", or "" when it survived


# --- mutants ---------------------------------------------------------------------


def _displays(value: ast.expr) -> Iterator[ast.expr]:
    """The table displays of a module-level value: the display itself, or inside frozenset(...)/unions."""
    if isinstance(value, (ast.Dict, ast.Set, ast.Tuple, ast.List)):
        yield value
    elif isinstance(value, ast.Call):
        for arg in value.args:
            if isinstance(arg, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
                for gen in arg.generators:
                    yield from _displays(gen.iter)
            else:
                yield from _displays(arg)
    elif isinstance(value, ast.BinOp):
        yield from _displays(value.left)
        yield from _displays(value.right)
    elif isinstance(value, (ast.SetComp, ast.DictComp, ast.ListComp, ast.GeneratorExp)):
        for gen in value.generators:
            yield from _displays(gen.iter)


def _table_name(node: ast.stmt) -> Optional[Tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    return None


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def row_mutants(root: Path) -> List[Mutant]:
    text = (root / TABLES).read_text(encoding="utf-8")
    count = len(_row_sites(ast.parse(text)))
    mutants = []
    for index in range(count):
        tree = ast.parse(text)  # a fresh tree per mutant: the removal edits it
        name, display, position = _row_sites(tree)[index]
        if isinstance(display, ast.Dict):
            key = display.keys[position]
            removed = f"{_short(key)}: {_short(display.values[position])}" if key is not None else "**"
            line, row = display.values[position].lineno, key
            del display.keys[position], display.values[position]
        else:
            elts = display.elts  # type: ignore[attr-defined]
            removed, line, row = _short(elts[position]), elts[position].lineno, elts[position]
            del elts[position]
        mutants.append(Mutant(f"row-{index:03d}", "row", TABLES, line, f"{name}: drop {removed}", ast.unparse(tree),
                              _keyword(row), name))
    return mutants


def flip_mutants(root: Path) -> List[Mutant]:
    """Each boolean constant in the value of a dict row flipped, one at a time (`copies=False` -> True)."""
    text = (root / TABLES).read_text(encoding="utf-8")
    mutants = []
    for index, (name, display, position) in enumerate(_row_sites(ast.parse(text))):
        if not isinstance(display, ast.Dict):
            continue
        key = display.keys[position]
        for nth, flag in enumerate(_booleans(display.values[position])):
            tree = ast.parse(text)  # a fresh tree per mutant: the flip edits it
            _, fresh, _ = _row_sites(tree)[index]
            assert isinstance(fresh, ast.Dict)
            target = _booleans(fresh.values[position])[nth]
            target.value = not target.value
            what = f"{name}: {_short(key) if key is not None else '**'} [{_argument_name(display.values[position], flag)}" \
                   f"{flag.value} -> {not flag.value}]"
            mutants.append(Mutant(f"flip-{index:03d}-{nth}", "flip", TABLES, flag.lineno, what, ast.unparse(tree),
                                  _keyword(key), name))
    return mutants


def _booleans(value: ast.expr) -> List[ast.Constant]:
    found = [n for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, bool)]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))  # source order, the same in every fresh tree


def _argument_name(value: ast.expr, constant: ast.Constant) -> str:
    """`copies=` when the constant is a keyword argument's value, else ""."""
    for node in ast.walk(value):
        if isinstance(node, ast.keyword) and node.value is constant and node.arg:
            return node.arg + "="
    return ""


def _keyword(row: Optional[ast.expr]) -> str:
    """A row's last name ("numpy.float_" -> "float_"), when pytest's -k can select by it."""
    if isinstance(row, ast.Constant) and isinstance(row.value, str):
        last = row.value.rsplit(".", 1)[-1]
        if last.isidentifier():
            return last
    return ""


def _row_sites(tree: ast.Module) -> List[Tuple[str, ast.expr, int]]:
    sites = []
    for node in tree.body:
        named = _table_name(node)
        if named is None or not named[0].lstrip("_").isupper():
            continue
        name, value = named
        for display in _displays(value):
            size = len(display.keys) if isinstance(display, ast.Dict) else len(display.elts)  # type: ignore[attr-defined]
            for position in range(size):
                if isinstance(display, ast.Dict) and display.keys[position] is None:
                    continue  # a ** spread: not a row of its own
                sites.append((name, display, position))
    return sites


def _guard_files(root: Path) -> List[Path]:
    files: List[Path] = []
    for entry in GUARDED:
        path = root / entry
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return files


def _weakened(test: ast.expr) -> List[Tuple[ast.expr, str]]:
    """The weaker tests of one exit: each `or` operand dropped, each conjunct of `not (a and b)` dropped, or False."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) and len(test.values) > 1:
        return [(_without(test, i), f"drop `{_short(test.values[i])}` from `or`") for i in range(len(test.values))]
    inner = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else None
    if isinstance(inner, ast.BoolOp) and isinstance(inner.op, ast.And) and len(inner.values) > 1:
        return [(ast.UnaryOp(ast.Not(), _without(inner, i)), f"drop `{_short(inner.values[i])}` from `not (and)`")
                for i in range(len(inner.values))]
    return [(ast.Constant(False), f"`{_short(test)}` -> False")]


def _without(op: ast.BoolOp, index: int) -> ast.expr:
    values = [v for i, v in enumerate(op.values) if i != index]
    return values[0] if len(values) == 1 else ast.BoolOp(op.op, values)


def _exits(node: ast.AST) -> bool:
    return (isinstance(node, ast.If) and len(node.body) == 1 and isinstance(node.body[0], (ast.Return, ast.Continue))
            and not node.orelse)


def guard_mutants(root: Path) -> List[Mutant]:
    mutants: List[Mutant] = []
    for path in _guard_files(root):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        sites = _guard_sites(ast.parse(text))
        for index, (kind, lineno, variants) in enumerate(sites):
            for variant in range(variants):
                tree = ast.parse(text)
                node = _guard_sites_nodes(tree)[index]
                if kind == "exit":
                    assert isinstance(node, ast.If)
                    node.test, what = _weakened(node.test)[variant]
                else:  # a comprehension filter: `[... if keep]`
                    assert isinstance(node, ast.comprehension)
                    test = node.ifs[0]
                    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and len(test.values) > 1:
                        node.ifs[0] = _without(test, variant)
                        what = f"drop `{_short(test.values[variant])}` from a filter"
                    else:
                        node.ifs[0] = ast.Constant(True)
                        what = f"filter `{_short(test)}` -> True"
                ast.fix_missing_locations(tree)
                mid = f"guard-{Path(rel).stem}-{lineno}-{variant}"
                mutants.append(Mutant(mid, "guard", rel, lineno, what, ast.unparse(tree)))
    return mutants


def _guard_sites_nodes(tree: ast.Module) -> List[ast.AST]:
    nodes: List[ast.AST] = []
    for node in ast.walk(tree):
        if _exits(node) or (isinstance(node, ast.comprehension) and len(node.ifs) == 1):
            nodes.append(node)
    return nodes


def _guard_sites(tree: ast.Module) -> List[Tuple[str, int, int]]:
    sites = []
    for node in _guard_sites_nodes(tree):
        if isinstance(node, ast.If):
            sites.append(("exit", node.lineno, len(_weakened(node.test))))
        else:
            assert isinstance(node, ast.comprehension)
            test = node.ifs[0]
            many = isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and len(test.values) > 1
            sites.append(("filter", test.lineno, len(test.values) if many else 1))  # type: ignore[attr-defined]
    return sites


# --- running ---------------------------------------------------------------------


def _copy(root: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix="ntl_mutation_"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, work / name)
    return work


def _pytest_in_child(work: Path, tests: Sequence[str], timeout: float) -> Tuple[int, str, float]:
    """Run the tests in a child forked from this process (pytest and libcst already imported here).

    The child imports np_torch_lint from `work` afresh (this process never
    imports it); tests that start a subprocess find it through PYTHONPATH.
    """
    out = work / ".pytest_out"
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            fd = os.open(str(out), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(work)
            os.environ["PYTHONPATH"] = str(work)
            os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
            sys.dont_write_bytecode = True
            sys.path.insert(0, str(work))
            import pytest

            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests]))
        finally:
            sys.stdout.flush()
            os._exit(code)
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -1, "timeout", time.monotonic() - start
        time.sleep(0.05)
    rc = os.waitstatus_to_exitcode(status)
    text = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
    failing = next((ln.split(" ")[1] for ln in text.splitlines() if ln.startswith(("FAILED ", "ERROR "))), "")
    return rc, failing or (text.strip().splitlines() or [""])[-1], time.monotonic() - start


def _preload() -> None:
    """Import, once and before forking, what every test run imports: pytest and its plugins, LibCST for
    the fixes, NumPy, torch and PIL for the table tests (never np_torch_lint: each child imports the mutant).

    Then freeze the heap: each pytest run collects garbage several times on exit, and without
    gc.freeze() every collection walks torch's objects again (over a second a run)."""
    import gc
    import importlib
    import importlib.metadata

    import pytest  # noqa: F401

    for plugin in importlib.metadata.entry_points(group="pytest11"):
        try:
            plugin.load()
        except Exception:  # noqa: BLE001 - pytest reports a broken plugin itself, in the child
            pass
    for name in ("libcst", "numpy", "torch", "PIL.Image"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if "np_torch_lint" in sys.modules:
        raise SystemExit("np_torch_lint was imported before forking: the mutants would not be the ones tested")
    gc.collect()
    gc.freeze()


_WORK: List[Path] = []  # this pool worker's copy of the repository


def _assign(works: "multiprocessing.queues.Queue") -> None:
    _WORK.append(works.get())


def _test_one(job: Tuple[Mutant, Sequence[Sequence[str]], float]) -> Outcome:
    mutant, tests, timeout = job
    work = _WORK[0]
    target = work / mutant.path
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(mutant.source, encoding="utf-8")
        rc, failing, seconds = 0, "", 0.0
        quick = [t for t in QUICK_TESTS if (work / t).exists()]
        if quick and mutant.keyword:  # the tests named after the row: a quick kill, most of the time
            rc, failing, seconds = _pytest_in_child(
                work, [*quick, "-k", f"{mutant.keyword} and not installed"], timeout)
            if rc in (4, 5):
                rc = 0  # no test carries that name (5), or pytest cannot read the -k expression (4)
        if rc == 0:
            for stage in tests:
                rc, failing, spent = _pytest_in_child(work, stage, timeout)
                seconds += spent
                if rc != 0:
                    break
    finally:
        target.write_text(original, encoding="utf-8")
    return Outcome(mutant.id, mutant.kind, mutant.path, mutant.line, mutant.what, rc != 0, round(seconds, 1),
                   failing if rc != 0 else "")


def run(mutants: Sequence[Mutant], root: Path, tests: Sequence[Sequence[str]], jobs: int,
        timeout: float) -> List[Outcome]:
    _preload()
    works = [_copy(root) for _ in range(max(1, jobs))]
    try:
        for stage in tests:
            rc, failing, _ = _pytest_in_child(works[0], stage, timeout)
            if rc != 0:
                raise SystemExit(f"the tests fail without any mutant ({failing or rc}): fix them first")
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        for work in works:
            queue.put(work)
        outcomes: List[Outcome] = []
        with context.Pool(len(works), initializer=_assign, initargs=(queue,)) as pool:
            for outcome in pool.imap_unordered(_test_one, [(m, tests, timeout) for m in mutants]):
                outcomes.append(outcome)
                state = "killed" if outcome.killed else "SURVIVED"
                print(f"[{len(outcomes)}/{len(mutants)}] {state:<8} {outcome.id} {outcome.what}  "
                      f"({outcome.seconds:.0f} s{', ' + outcome.by if outcome.by else ''})", flush=True)
        order = {m.id: i for i, m in enumerate(mutants)}
        return sorted(outcomes, key=lambda o: order[o.id])
    finally:
        for work in works:
            shutil.rmtree(work, ignore_errors=True)


def summary(outcomes: Sequence[Outcome]) -> str:
    lines = []
    for kind in ("row", "flip", "guard"):
        mine = [o for o in outcomes if o.kind == kind]
        if mine:
            killed = sum(o.killed for o in mine)
            lines.append(f"{kind:<6} {killed}/{len(mine)} killed ({100 * killed / len(mine):.1f}%)")
    killed = sum(o.killed for o in outcomes)
    lines.append(f"all    {killed}/{len(outcomes)} killed ({100 * killed / max(1, len(outcomes)):.1f}%)")
    survivors = [o for o in outcomes if not o.killed]
    if survivors:
        lines.append("survivors:")
        lines += [f"  {o.id}  {o.path}:{o.line}  {o.what}" for o in survivors]
    return "\n".join(lines)


def _present(root: Path, stage: Sequence[str]) -> List[str]:
    """A stage's test files that exist under root (an older checkout may lack some), with its options; [] if none."""
    files = [t for t in stage if t.endswith(".py") and (root / t).exists()]
    options = [t for t in stage if t.startswith("-") or (stage.index(t) > 0 and stage[stage.index(t) - 1] == "-k")]
    return [*options, *files] if files else []


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to mutate (default: this one)")
    parser.add_argument("--tests", nargs="*", default=None,
                        help="test files, run as one stage (default: " + " then ".join(" ".join(s) for s in DEFAULT_STAGES) + ")")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once, each in its own copy")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant's test run")
    parser.add_argument("--only", default="", help="only mutants whose id or description contains this")
    parser.add_argument("--ids", default="", help="a file of mutant ids to run (one a line)")
    parser.add_argument("--flips", action="store_true", help="add the flip mutants (each boolean of a row's value)")
    parser.add_argument("--tables", default="", help="only the rows (and flips) of these tables, comma-separated")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, default=None, help="write every outcome to this file")
    args = parser.parse_args(argv)
    # A run stopped by kill still removes its copies of the repository (the finally in run()).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = args.root.resolve()
    mutants = row_mutants(root) + (flip_mutants(root) if args.flips else []) + guard_mutants(root)
    if args.tables:
        wanted_tables = set(args.tables.split(","))
        mutants = [m for m in mutants if m.table in wanted_tables]
    if args.only:
        mutants = [m for m in mutants if args.only in m.id or args.only in m.what]
    if args.ids:
        wanted = set(Path(args.ids).read_text(encoding="utf-8").split())
        mutants = [m for m in mutants if m.id in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.id}  {m.path}:{m.line}  {m.what}")
        print(f"{len(mutants)} mutants")
        return 0
    stages = [args.tests] if args.tests else [_present(root, stage) for stage in DEFAULT_STAGES]
    tests = [stage for stage in stages if stage]
    outcomes = run(mutants, root, tests, args.jobs, args.timeout)
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n", encoding="utf-8")
    print(summary(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
