"""Remove each row of api.py's tables in turn and see whether a test notices.

Run by hand (a few seconds of CPU per row; several hundred rows):

    python benchmarks/rows/remove_each_row.py                    # every row, report survivors
    python benchmarks/rows/remove_each_row.py --tables LOADERS,EXITS --show
    python benchmarks/rows/remove_each_row.py --flips            # also flip each boolean in a row's value
    python benchmarks/rows/remove_each_row.py --json rows.json
    python benchmarks/rows/remove_each_row.py --source DIR       # another checkout (git archive of main)
    python benchmarks/rows/remove_each_row.py --pytest           # the slow, literal way (see below)

A row is one element of a table literal in ``np_torch_lint/engine/api.py``: an
element of a set, tuple or list, or a ``key: value`` pair of a dict, found in a
module-level assignment (also inside ``frozenset(...)``, ``|`` unions, ``**``
unpackings and the iterable of a comprehension). The script copies the
project (package, runtime_check, tests, fixtures) into a temporary folder,
deletes the row's text from the copy's api.py (derived tables follow, since the
module computes them), and runs ``pytest -x tests/test_fixtures.py
tests/test_engine.py tests/test_tables_*.py`` there in a fresh interpreter. A row whose removal fails
no test is a survivor: nothing checks it.

By default the tests run in a forked child (the parent has imported pytest, never the
linter): the child imports the mutated package, compares every fixture's findings
(``lint.analyze``, as the flake8 plugin calls it) with its ``# expect:`` markers both ways,
exactly as tests/test_fixtures.py does with flake8's output, and then runs the other test
files with ``pytest.main``. ``--pytest`` runs ``python -m pytest -x`` on all of them in a
subprocess instead (the same verdicts, several times slower). ``--tests`` adds test files. ``--flips`` adds one mutation per
boolean constant in a row's value (``copies=False`` -> ``True``,
``shares_memory=True`` -> ``False``). Exit status 0; the report is the output.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
API = Path("np_torch_lint") / "engine" / "api.py"
COPIED = ("np_torch_lint", "runtime_check", "tests", "fixtures", "pyproject.toml")
TESTS = ("tests/test_fixtures.py", "tests/test_engine.py", "tests/test_tables_numpy.py", "tests/test_tables_torch.py")
FIXTURE_TEST = "tests/test_fixtures.py"
#: tests that run NumPy and torch themselves and never read the tables: skipped here.
PYTEST_FILTER = ("-k", "not installed")


@dataclass
class Mutation:
    table: str
    line: int
    text: str  # the row as written (one line)
    kind: str  # "remove" or "flip"
    start: Tuple[int, int]  # (line, col) of the span replaced
    end: Tuple[int, int]
    replacement: str


@dataclass
class Verdict:
    table: str
    line: int
    row: str
    kind: str
    noticed_by: Optional[str]  # the first failing test, or None: the row survived
    seconds: float


def _targets(statement: ast.stmt) -> List[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value is not None:
        return [statement.target.id]
    return []


def _segment(source_lines: Sequence[str], node: ast.AST) -> str:
    start, end = (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)
    if start[0] == end[0]:
        return source_lines[start[0] - 1][start[1]:end[1]]
    parts = [source_lines[start[0] - 1][start[1]:]] + source_lines[start[0]:end[0] - 1] + [source_lines[end[0] - 1][:end[1]]]
    return " ".join(p.strip() for p in parts)


def _row_spans(value: ast.expr) -> Iterator[Tuple[ast.AST, ast.AST, Optional[ast.expr]]]:
    """(first node, last node, value subtree) of each row reachable from a table's value."""
    if isinstance(value, ast.Dict):
        for key, item in zip(value.keys, value.values):
            if key is None:
                yield from _row_spans(item)  # {**other, ...}
            else:
                yield key, item, item
    elif isinstance(value, (ast.Set, ast.List, ast.Tuple)):
        for element in value.elts:
            if not isinstance(element, ast.Starred):
                yield element, element, None
    elif isinstance(value, ast.Call):
        for arg in value.args:
            yield from _row_spans(arg)
    elif isinstance(value, ast.BinOp):
        yield from _row_spans(value.left)
        yield from _row_spans(value.right)
    elif isinstance(value, (ast.GeneratorExp, ast.SetComp, ast.ListComp, ast.DictComp)):
        for generator in value.generators:
            yield from _row_spans(generator.iter)


def mutations(source: str, flips: bool) -> List[Mutation]:
    tree = ast.parse(source)
    lines = source.splitlines()
    found: List[Mutation] = []
    for statement in tree.body:
        names = _targets(statement)
        if not names or not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
            continue
        table = names[0]
        for first, last, row_value in _row_spans(statement.value):
            start = (first.lineno, first.col_offset)
            end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
            text = _segment(lines, first) if first is last else f"{_segment(lines, first)}: {_segment(lines, last)}"
            # Swallow the comma after the row, so the literal stays well formed.
            line_text = lines[end[0] - 1]
            match = re.match(r"\s*,", line_text[end[1]:])
            removal_end = (end[0], end[1] + match.end()) if match else end
            found.append(Mutation(table, start[0], text, "remove", start, removal_end, ""))
            if flips and row_value is not None:
                for node in ast.walk(row_value):
                    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                        context = _keyword_of(row_value, node)
                        flipped = str(not node.value)
                        found.append(Mutation(
                            table, start[0], f"{text}  [{context}{node.value} -> {flipped}]", "flip",
                            (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0),
                            flipped))
    return found


def _keyword_of(value: ast.AST, constant: ast.Constant) -> str:
    for node in ast.walk(value):
        if isinstance(node, ast.keyword) and node.value is constant and node.arg:
            return node.arg + "="
    return ""


def apply(source: str, mutation: Mutation) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    # ast columns are UTF-8 byte offsets; api.py is ASCII in its code, so characters match.
    begin = offsets[mutation.start[0] - 1] + mutation.start[1]
    finish = offsets[mutation.end[0] - 1] + mutation.end[1]
    return source[:begin] + mutation.replacement + source[finish:]


def copy_project(source: Path, destination: Path) -> None:
    for name in COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, destination / name)


FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def run_tests(copy: Path, timeout: float, tests: Sequence[str]) -> Optional[str]:
    """The first test that fails in ``copy`` (None: all pass), by ``python -m pytest``."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", *PYTEST_FILTER, *tests],
            cwd=copy, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return "(timeout)"
    if result.returncode == 0:
        return None
    match = FAILED.search(result.stdout)
    if match:
        return match.group(1)
    tail = (result.stdout + result.stderr).strip().splitlines()
    return "(exit %d) %s" % (result.returncode, tail[-1] if tail else "")


def _child_verdict(copy: Path, tests: Sequence[str]) -> str:
    """In a forked child: the first failure, or "" when every check passes."""
    os.chdir(copy)
    sys.path.insert(0, str(copy))
    import pytest  # noqa: F401  (already imported by the parent)
    from np_torch_lint.lint import analyze  # the mutated package: the parent never imported it
    from runtime_check.fixture_header import expected_findings

    if FIXTURE_TEST in tests:
        for path in sorted((copy / "fixtures").glob("NTL*/*.py")):
            try:
                reports = analyze(path.read_text(encoding="utf-8"), filename=str(path))
            except Exception as error:  # noqa: BLE001 - a crash is noticed too
                return f"{FIXTURE_TEST} {path.parent.name}/{path.name}: {type(error).__name__}"
            found = {(r.line, r.code) for r in reports}
            if found != expected_findings(path):
                return f"{FIXTURE_TEST}::test_markers_match_flake8[{path.parent.name}/{path.name}]"
    others = [t for t in tests if t != FIXTURE_TEST]
    if others:
        import io
        from contextlib import redirect_stderr, redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-rfE", *PYTEST_FILTER, *others])
        if code != 0:
            match = FAILED.search(out.getvalue())
            return match.group(1) if match else f"(pytest exit {int(code)})"
    return ""


def run_forked(copy: Path, timeout: float, tests: Sequence[str]) -> Optional[str]:
    """The first failure in ``copy`` (None: all pass), checked in a forked child."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            verdict = _child_verdict(copy, tests)
        except BaseException as error:  # noqa: BLE001 - report, never fall back into the parent's loop
            verdict = f"(child error) {type(error).__name__}: {error}"
        os.write(write, verdict.encode("utf-8", "replace") or b"\0")
        os._exit(0)
    os.close(write)
    began = time.monotonic()
    chunks: List[bytes] = []
    while True:
        if time.monotonic() - began > timeout:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(read)
            return "(timeout)"
        chunk = os.read(read, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    verdict = b"".join(chunks).decode("utf-8", "replace")
    if verdict == "\0":
        return None
    return verdict or "(child died)"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", help="comma-separated table names (default: all)")
    parser.add_argument("--flips", action="store_true", help="also flip each boolean in a row's value")
    parser.add_argument("--show", action="store_true", help="print every row's verdict, not only survivors")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--json", type=Path, help="write every verdict to this file")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to mutate (default: this one)")
    parser.add_argument("--pytest", action="store_true", help="run python -m pytest in a subprocess per mutation")
    parser.add_argument("--tests", default="", help="comma-separated test files to run besides " + ", ".join(TESTS))
    options = parser.parse_args(argv)
    # the test files this checkout has (the table tests are new with the table review)
    tests = [t for t in TESTS if (options.source / t).exists()] + [t for t in options.tests.split(",") if t]
    sys.dont_write_bytecode = True  # a mutated api.py never meets a stale .pyc of another mutation
    import pytest  # noqa: F401  - imported once; forked children inherit it

    def check(copy: Path) -> Optional[str]:
        if options.pytest:
            return run_tests(copy, options.timeout, tests)
        return run_forked(copy, options.timeout, tests)

    source = (options.source / API).read_text(encoding="utf-8")
    todo = mutations(source, options.flips)
    if options.tables:
        wanted = set(options.tables.split(","))
        todo = [m for m in todo if m.table in wanted]
    if options.list:
        for m in todo:
            print(f"{m.kind:6} {m.table}:{m.line} {m.text}")
        print(f"{len(todo)} mutations")
        return 0

    verdicts: List[Verdict] = []
    with tempfile.TemporaryDirectory(prefix="rows-") as folder:
        copy = Path(folder)
        copy_project(options.source, copy)
        target = copy / API
        baseline = check(copy)
        if baseline is not None:
            print(f"the unmutated tests fail ({baseline}): fix that first", file=sys.stderr)
            return 1
        for index, mutation in enumerate(todo, 1):
            mutated = apply(source, mutation)
            try:
                ast.parse(mutated)
            except SyntaxError as error:
                print(f"skipped {mutation.table}:{mutation.line} {mutation.text}: mutated api.py does not parse ({error})",
                      file=sys.stderr)
                continue
            target.write_text(mutated, encoding="utf-8")
            began = time.monotonic()
            noticed = check(copy)
            verdict = Verdict(mutation.table, mutation.line, mutation.text, mutation.kind, noticed,
                              round(time.monotonic() - began, 1))
            verdicts.append(verdict)
            if options.show or noticed is None:
                status = "SURVIVED" if noticed is None else f"noticed by {noticed}"
                print(f"[{index}/{len(todo)}] {mutation.kind} {mutation.table}:{mutation.line} {mutation.text}: {status}",
                      flush=True)
        target.write_text(source, encoding="utf-8")

    survivors = [v for v in verdicts if v.noticed_by is None]
    print(f"\n{len(verdicts)} mutations, {len(verdicts) - len(survivors)} noticed, {len(survivors)} survived")
    by_table: dict = {}
    for v in survivors:
        by_table.setdefault(v.table, []).append(v.row)
    for table, rows in sorted(by_table.items()):
        print(f"  {table}: {', '.join(rows)}")
    if options.json:
        options.json.write_text(json.dumps([asdict(v) for v in verdicts], indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
