"""Which files to lint, and how to read them: discovery (gitignore-style excludes) and decoding."""
from __future__ import annotations

import io
import os
import sys
import tokenize
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from .config import Settings
from .ignore import PatternSet, enclosing_gitignores, excluded, read_gitignore

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "node_modules", ".eggs", "build", "dist",
                       ".ipynb_checkpoints"})  # Jupyter's autosaved copies of the notebooks beside them
STDIN = "-"


def iter_python_files(paths: Sequence[str], settings: Optional[Settings] = None) -> Iterator[str]:
    """Files to lint: named files (and ``-`` for stdin), directories walked minus excludes.

    A walk yields ``*.py`` and ``*.ipynb`` files, never a ``.ipynb_checkpoints`` folder.

    Excludes are gitignore-style: the ``exclude`` setting and, unless turned off, the
    ``.gitignore`` files of the walked folders and of their parents up to the git root.
    A named file is linted even if excluded, unless ``force-exclude`` is set (for
    pre-commit, which names every staged file).
    """
    settings = settings or Settings()
    configured = settings.exclude_patterns()
    # Per folder of named files (pre-commit names many files in few folders): its own and its
    # parents' .gitignore files, read once.
    folder_sets: Dict[Path, List[PatternSet]] = {}
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if os.path.isdir(path):
            inherited = enclosing_gitignores(absolute) if settings.respect_gitignore else []
            yield from _walk(path, inherited, configured, settings.respect_gitignore)
        elif path == STDIN or not settings.force_exclude:
            yield path
        else:
            folder = absolute.parent
            if folder not in folder_sets:
                own = read_gitignore(folder) if settings.respect_gitignore else None
                inherited = enclosing_gitignores(folder) if settings.respect_gitignore else []
                folder_sets[folder] = [*inherited, *([own] if own is not None else []), configured]
            if not _excluded_anywhere(absolute, folder_sets[folder]):
                yield path


def _excluded_anywhere(path: Path, sets: List[PatternSet]) -> bool:
    """A file is excluded if it, or a folder above it, is (git does not enter an excluded folder)."""
    for folder in reversed(path.parents):
        if excluded(folder, True, sets):
            return True
    return excluded(path, False, sets)


def _walk(top: str, inherited: List[PatternSet], configured: PatternSet, gitignore: bool) -> Iterator[str]:
    patterns = {os.path.abspath(top): [*inherited]}
    for root, dirs, files in os.walk(top):
        here = Path(os.path.abspath(root))
        sets = patterns.pop(str(here), inherited)
        own = read_gitignore(here) if gitignore and ".gitignore" in files else None
        if own is not None:
            sets = [*sets, own]
        active = [s for s in (*sets, configured) if s.patterns]
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")
                         and not (active and excluded(here / d, True, active)))
        for d in dirs:
            patterns[str(here / d)] = sets
        for name in sorted(files):
            # *.py as flake8 (stubs, .pyi, hold no code that runs), and Jupyter notebooks.
            if name.endswith((".py", ".ipynb")) and not (active and excluded(here / name, False, active)):
                yield os.path.join(root, name)


def read_bytes(path: str) -> bytes:
    """The file's bytes; ``-`` is stdin (read once)."""
    if path == STDIN:
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def read_source(path: str) -> Tuple[str, List[str]]:
    """Decode as Python does: the BOM or coding cookie, else UTF-8."""
    with open(path, "rb") as handle:
        return decode(handle.read())


def decode(raw: bytes) -> Tuple[str, List[str]]:
    """(text, lines) as Python reads the bytes: the BOM or coding cookie, else UTF-8."""
    text = raw.decode(encoding_of(raw))
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, split_lines(text)


def encoding_of(raw: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    return encoding


def split_lines(text: str) -> List[str]:
    """Split as Python's tokenizer does (\\n, \\r\\n, \\r), not str.splitlines (form feeds, \\x1c...)."""
    return io.StringIO(text, newline="").readlines()
