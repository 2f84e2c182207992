"""`python -m runtime_check trace [options] -- COMMAND`: run the user's program with the seam watched.

COMMAND is `python script.py ARGS`, `python -m module ARGS`, `script.py ARGS`
or `pytest ARGS`.  It runs in this process, unchanged: sys.argv and sys.path
as Python would set them, its exit status passed on.  The report goes to
stderr at the end (and to --json / --sarif files).
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Callable, List, Optional, Sequence, Tuple

from .findings import WATCHED
from .trampoline import TRAMPOLINE_NAME

USAGE_EXIT = 2
RUNTIME_EXTRA = "np-torch-lint[runtime]"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m runtime_check trace",
        description="Run a program (a script, a module or a pytest run) with the NumPy/torch seam watched, "
                    "and report each np-torch-lint pitfall that really happened, with the user's line where "
                    "the value was born and where it went wrong.",
        epilog="example: python -m runtime_check trace --compare -- python train.py --epochs 1",
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON")
    p.add_argument("--sarif", type=Path, metavar="PATH", help="also write the report as SARIF 2.1.0")
    p.add_argument("--compare", action="store_true",
                   help="run the static linter on the files the run touched and set its findings against the trace's")
    p.add_argument("--no-watch", default="", metavar="CODES",
                   help=f"comma-separated codes not to watch (known: {', '.join(WATCHED)})")
    p.add_argument("--root", action="append", default=[], metavar="DIR",
                   help="a folder of the user's code (default: the script's folder and the working directory)")
    p.add_argument("--fail-on-findings", action="store_true",
                   help="exit 1 when the program succeeded but the trace found something")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- python train.py ARGS | -- pytest ARGS")
    return p


def split_command(command: Sequence[str]) -> Tuple[str, str, List[str]]:
    """('script', path, args), ('module', name, args) or ('pytest', '', args); ValueError when unreadable."""
    words = list(command)
    if words and words[0] == "--":
        words = words[1:]
    if not words:
        raise ValueError("no command given: add `-- python train.py ARGS` or `-- pytest ARGS`")
    head = os.path.basename(words[0])
    if head.startswith("python") and not head.endswith(".py"):
        words = words[1:]
        if not words:
            raise ValueError("`python` with nothing to run: give a script or -m MODULE")
        if words[0] == "-m":
            if len(words) < 2:
                raise ValueError("`python -m` needs a module name")
            return ("pytest", "", words[2:]) if words[1] == "pytest" else ("module", words[1], words[2:])
        if words[0].startswith("-"):
            raise ValueError(f"unsupported python option {words[0]!r}: give a script or -m MODULE")
    elif head in ("pytest", "py.test"):
        return "pytest", "", words[1:]
    if not words[0].endswith(".py") and not os.path.isfile(words[0]):
        raise ValueError(f"{words[0]!r} is not a Python script, `python ...` or `pytest ...`")
    return "script", words[0], words[1:]


def _run_python(target: Callable[[], object], shown_from: Optional[str]) -> int:
    """Run the program as the interpreter would; its exit status."""
    try:
        target()
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException as exc:  # noqa: BLE001 - printed as Python prints it, then the status it exits with
        _print_exception(exc, shown_from)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        _join_threads()
    return 0


def _print_exception(exc: BaseException, shown_from: Optional[str]) -> None:
    """The traceback Python would print, without the frames of runpy and of the trace itself."""
    sys.stdout.flush()
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    seen = set()
    todo = [te]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        item.stack = traceback.StackSummary.from_list(
            [f for f in item.stack if not _own_frame(f.filename) and f.name != TRAMPOLINE_NAME])
        todo.extend(x for x in (item.__cause__, item.__context__) if x is not None)
    sys.stderr.write("".join(te.format()))
    _LAST_FAILURE.append((exc, exc.__traceback__))


def _own_frame(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR) or os.path.basename(filename) == "runpy.py" or filename == "<frozen runpy>"


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_LAST_FAILURE: List[Tuple[BaseException, Optional[TracebackType]]] = []


def _join_threads() -> None:
    """Wait for the program's non-daemon threads, as the interpreter would before it exits."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        kind, target, program_args = split_command(args.command)
    except ValueError as exc:
        print(f"runtime_check trace: {exc}", file=sys.stderr)
        return USAGE_EXIT
    disabled = [c.strip().upper() for c in args.no_watch.split(",") if c.strip()]
    unknown = [c for c in disabled if c not in WATCHED]
    if unknown:
        print(f"runtime_check trace: unknown code(s) in --no-watch: {', '.join(unknown)}; "
              f"known: {', '.join(WATCHED)}", file=sys.stderr)
        return USAGE_EXIT
    if kind == "script" and not os.path.isfile(target):
        print(f"runtime_check trace: can't open file {target!r}: no such file", file=sys.stderr)
        return USAGE_EXIT
    try:
        import numpy  # noqa: F401 - the watchers wrap both
        import torch  # noqa: F401
    except ImportError as exc:
        print(f"runtime_check trace needs torch and NumPy ({exc}): install {RUNTIME_EXTRA} "
              f"(pip install '{RUNTIME_EXTRA}')", file=sys.stderr)
        return USAGE_EXIT
    roots = [os.path.abspath(r) for r in args.root] or [os.getcwd()]
    if kind == "script":
        roots.append(os.path.dirname(os.path.abspath(target)))

    from .output import finish
    from .session import TraceSession

    session = TraceSession(roots, disabled)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    _LAST_FAILURE.clear()
    session.install()
    try:
        if kind == "script":
            path = os.path.abspath(target)
            sys.argv = [target, *program_args]
            sys.path.insert(0, os.path.dirname(path))
            code = _run_python(lambda: runpy.run_path(path, run_name="__main__"), path)
        elif kind == "module":
            sys.argv = [target, *program_args]
            sys.path.insert(0, os.getcwd())
            code = _run_python(lambda: runpy.run_module(target, run_name="__main__", alter_sys=True), None)
        else:
            import pytest

            sys.argv = ["pytest", *program_args]
            code = int(pytest.main(list(program_args)))
    finally:
        session.uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path
    for failure, failure_tb in _LAST_FAILURE:
        session.program_failed(failure, failure_tb)
    shown = [a for a in args.command if a != "--"][:1] + [a for a in args.command if a != "--"][1:]
    return finish(session, shown, code, args.json, args.sarif, args.compare, args.fail_on_findings, disabled,
                  target if kind == "script" else None)
