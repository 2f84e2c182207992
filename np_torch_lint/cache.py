"""A content-hash cache for ``np-torch-lint check``: an unchanged file is not analyzed again.

The key is the SHA-256 of the file's bytes, its absolute path (its project's
modules and evidence are read from there) and the linter itself (version and
the size and mtime of its own modules, so an edited engine never serves stale
results). Entries are written to a temporary file and renamed into place, so
concurrent runs never read half an entry; a corrupt entry is a miss.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import __version__
from .engine.project import stamp_is_current
from .findings import Report


def default_directory() -> Path:
    override = os.environ.get("NP_TORCH_LINT_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "np-torch-lint"


def _linter_fingerprint() -> str:
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


class Cache:
    def __init__(self, directory: Optional[Path] = None) -> None:
        self.directory = directory or default_directory()
        self._fingerprint = _linter_fingerprint()

    def key(self, data: bytes, path: str = "") -> str:
        """The entry of a file's bytes at its place: the same bytes elsewhere read another project."""
        where = os.path.abspath(path) if path else ""
        return hashlib.sha256(self._fingerprint.encode() + b"\0" + where.encode() + b"\0" + data).hexdigest()

    def get(self, key: str) -> Optional[List[Report]]:
        """The reports stored for ``key``, unless a project module the analysis read has changed since."""
        entry = self.entry(key)
        if entry is None:
            return None
        try:
            return [Report(**item) for item in entry["reports"]]
        except (TypeError, KeyError):
            return None

    def entry(self, key: str) -> Optional[Dict[str, Any]]:
        """The whole entry stored for ``key`` (reports and what ``put`` was given as ``extra``),
        unless a project module the analysis read has changed since."""
        try:
            with open(self.directory / key[:2] / f"{key}.json", encoding="utf-8") as handle:
                entry = json.load(handle)
            if not isinstance(entry, dict):
                return None
            for path, size, mtime in entry.get("dependencies", ()):
                if not stamp_is_current((path, size, mtime)):
                    return None  # an imported module of the project changed: analyze again
            return entry
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, reports: List[Report], dependencies: Sequence[Tuple[str, int, int]] = (),
            extra: Optional[Dict[str, Any]] = None) -> None:
        folder = self.directory / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({**(extra or {}), "reports": [r.__dict__ for r in reports],
                           "dependencies": [list(stamp) for stamp in dependencies]}, handle)
            os.replace(temporary, folder / f"{key}.json")
        except OSError:
            pass  # a read-only or full cache directory only costs speed
