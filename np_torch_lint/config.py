"""Configuration for the command: ``[tool.np-torch-lint]`` in ``pyproject.toml``.

Found by walking up from the first path. The flake8 plugin keeps flake8's own
configuration (``select``, ``per-file-ignores`` ... in setup.cfg / .flake8).

    [tool.np-torch-lint]
    select = ["NTL1", "NTL2"]          # default: every rule
    extend-select = ["NTL301"]         # also turns on rules that are off by default
    ignore = ["NTL503"]
    per-file-ignores = { "tests/*" = ["NTL301", "NTL302"] }
    exclude = ["build/", "third_party/*", "!third_party/ours/"]  # gitignore-style
    respect-gitignore = true            # skip what .gitignore files exclude (the default)
    force-exclude = false               # exclude named files too (pre-commit names each file)
"""
from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from .ignore import PatternSet

SECTION = "np-torch-lint"
KEYS = ("select", "extend-select", "ignore", "extend-ignore", "per-file-ignores", "exclude",
        "respect-gitignore", "force-exclude")


class ConfigError(Exception):
    """A configuration problem, worded for the user (the message names the key)."""


@dataclass
class Settings:
    root: Path = field(default_factory=Path.cwd)
    select: Optional[List[str]] = None
    # Codes added to select; with no select, they turn on rules that are off by default.
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    exclude: List[str] = field(default_factory=list)
    respect_gitignore: bool = True
    force_exclude: bool = False

    def ignored_for(self, path: str) -> List[str]:
        if not self.per_file_ignores:
            return []
        relative = self._relative(path)
        codes: List[str] = []
        for pattern, ignored in self.per_file_ignores.items():
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern):
                codes.extend(ignored)
        return codes

    def exclude_patterns(self) -> PatternSet:
        """The ``exclude`` setting, gitignore-style, relative to the configuration's folder."""
        return PatternSet.from_lines(Path(os.path.abspath(self.root)), self.exclude)

    def _relative(self, path: str) -> str:
        try:
            return Path(os.path.abspath(path)).relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(path).as_posix()


def find_pyproject(start: str) -> Optional[Path]:
    current = Path(os.path.abspath(start))
    if not current.is_dir():
        current = current.parent
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(start: str) -> Settings:
    path = find_pyproject(start)
    if path is None:
        return Settings()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9/3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    table = document.get("tool", {}).get(SECTION)
    if table is None:
        return Settings(root=path.parent)
    return parse(table, path)


def parse(table: Dict[str, Any], path: Path) -> Settings:
    where = f"{path} [tool.{SECTION}]"
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
    settings = Settings(root=path.parent)
    select = _codes(table, "select", where)
    extend = _codes(table, "extend-select", where)
    if select is not None:
        settings.select = select + (extend or [])
    settings.extend_select = extend or []
    settings.ignore = (_codes(table, "ignore", where) or []) + (_codes(table, "extend-ignore", where) or [])
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
    for pattern, codes in per_file.items():
        settings.per_file_ignores[pattern] = _code_list(codes, f"per-file-ignores.{pattern}", where)
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(item, str) for item in exclude):
        raise ConfigError(f"{where}: 'exclude' must be a list of gitignore-style patterns")
    settings.exclude = exclude
    for key in ("respect-gitignore", "force-exclude"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"{where}: {key!r} must be true or false")
            setattr(settings, key.replace("-", "_"), table[key])
    return settings


def _codes(table: Dict[str, Any], key: str, where: str) -> Optional[List[str]]:
    if key not in table:
        return None
    return _code_list(table[key], key, where)


def _code_list(value: Any, key: str, where: str) -> List[str]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {key!r} must be a list of codes such as [\"NTL101\", \"NTL2\"]")
    codes = [item.strip().upper() for item in value]
    for code in codes:
        if not code.startswith("NTL") or not code[3:].isdigit() and code != "NTL":
            raise ConfigError(f"{where}: {key!r}: {code!r} is not an NTL code or prefix")
    return codes
