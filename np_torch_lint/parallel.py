"""Lint many files: cache hits first, then the misses, in worker processes when there are many."""
from __future__ import annotations

import os
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .cache import Cache
from .config import Settings
from .debug import debugging, internal_error, traceback_text
from .files import STDIN, decode, iter_python_files, read_bytes
from .lint import AnalysisError, Report, analyze
from .notebooks import CodeCell, NotebookError, is_notebook

PARALLEL_FROM = 64  # files: below this, starting worker processes costs more than it saves


class Linted(NamedTuple):
    """One file's result. ``error`` (what follows "error: " in the message) when it was not linted.

    A notebook's ``lines`` are its joined program's, ``cells`` say where its code cells lie,
    and ``notes`` name the cells left out ("cell 4:2: error: cannot lint this cell: ...").
    """

    path: str
    lines: List[str]
    reports: List[Report]
    error: Optional[str] = None
    cells: Optional[Tuple[CodeCell, ...]] = None
    notes: Tuple[str, ...] = ()


def lint_file(path: str, cache: Optional[Cache], stdin_filename: Optional[str] = None) -> Linted:
    """One file, from the cache when its bytes are unchanged. Never raises: a failure is the result's error.

    ``stdin_filename``: the path stdin's source stands for (its project's modules are read, as for that file).
    """
    lines: List[str] = []  # kept on a failure after decoding: `--fix -` gives the source back
    try:
        raw = read_bytes(path)
        if is_notebook(path):
            return _lint_notebook(path, raw, cache)
        text, lines = decode(raw)
        filename = stdin_filename if path == STDIN else path
        key = cache.key(raw, filename or path) if cache is not None else ""
        reports = cache.get(key) if cache is not None else None
        if reports is None:
            dependencies: List[Tuple[str, int, int]] = []
            reports = analyze(text, lines=lines, filename=filename, dependencies=dependencies)
            if cache is not None:
                cache.put(key, reports, dependencies)
        return Linted(path, lines, reports)
    except (OSError, UnicodeDecodeError, SyntaxError, AnalysisError, NotebookError) as error:
        # The file's fault (or the disk's): unreadable, undecodable, not Python.
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return Linted(path, lines, [], f"cannot lint: {reason}")
    except Exception as error:  # noqa: BLE001 - the linter's fault: said loudly, never shown as clean
        message = internal_error(error)
        if debugging():
            message += "\n" + traceback_text()
        return Linted(path, lines, [], message)


def _lint_notebook(path: str, raw: bytes, cache: Optional[Cache]) -> Linted:
    """A notebook: its joined program analyzed (or its findings from the cache), its cells placed."""
    from . import notebooks

    notebook = notebooks.read(raw)
    key = cache.key(raw, path) if cache is not None else ""
    reports = cache.get(key) if cache is not None else None
    if reports is None:
        dependencies: List[Tuple[str, int, int]] = []
        reports = notebooks.lint(notebook, path, dependencies)
        if cache is not None:
            # The joined program, the cells' places and the notes too: reading and validating a
            # notebook cost most of a warm run (see _cached_notebook).
            stored = {"nbformat": _nbformat_version(), "lines": notebook.lines,
                      "cells": [list(cell) for cell in notebook.cells], "notes": list(notebook.notes)}
            cache.put(key, reports, dependencies, extra={"notebook": stored})
    return Linted(path, notebook.lines, reports, cells=notebook.cells, notes=notebook.notes)


def _cached_notebook(path: str, raw: bytes, cache: Cache) -> Optional[Linted]:
    """A notebook's result from the cache, without reading it through nbformat, if the entry holds
    its program and cells and was written under the same nbformat (which decides what is read)."""
    entry = cache.entry(cache.key(raw, path))
    stored = entry.get("notebook") if entry is not None else None
    if entry is None or not isinstance(stored, dict) or stored.get("nbformat") != _nbformat_version():
        return None
    try:
        cells = tuple(CodeCell(int(number), int(position), None if cell_id is None else str(cell_id), int(first),
                               int(count), tuple(int(line) for line in file_lines))
                      for number, position, cell_id, first, count, file_lines in stored["cells"])
        return Linted(path, [str(line) for line in stored["lines"]], [Report(**item) for item in entry["reports"]],
                      cells=cells, notes=tuple(str(note) for note in stored["notes"]))
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # an entry of another shape: read the notebook


_NBFORMAT: List[str] = []


def _nbformat_version() -> str:
    if not _NBFORMAT:
        from importlib.metadata import PackageNotFoundError, version

        try:
            _NBFORMAT.append(version("nbformat"))
        except PackageNotFoundError:
            _NBFORMAT.append("")
    return _NBFORMAT[0]


def _cached(path: str, cache: Cache) -> Optional[Linted]:
    if path == STDIN:
        return None  # stdin is read once, by lint_file
    try:
        raw = read_bytes(path)
        if is_notebook(path):
            return _cached_notebook(path, raw, cache)
        reports = cache.get(cache.key(raw, path))
        # The lines are needed only to read `# noqa` on reported lines.
        return Linted(path, decode(raw)[1] if reports else [], reports) if reports is not None else None
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None


def lint_all(paths: Sequence[str], cache: Optional[Cache], settings: Optional[Settings] = None,
             stdin_filename: Optional[str] = None) -> Iterator[Linted]:
    """Every file's result, in path order: cache hits here, misses in worker processes when many."""
    files = list(iter_python_files(paths, settings))
    results: Dict[str, Linted] = {}
    misses = []
    for path in files:
        hit = _cached(path, cache) if cache is not None else None
        if hit is not None:
            results[path] = hit
        else:
            misses.append(path)
    workers = os.cpu_count() or 1
    if len(misses) < PARALLEL_FROM or workers < 2:
        for path in misses:
            results[path] = lint_file(path, cache, stdin_filename)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(lint_file, misses, [cache] * len(misses), chunksize=8):
                results[result.path] = result
    for path in files:
        yield results[path]
