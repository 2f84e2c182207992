"""Configuration for the command: flake8's own files, then ``[tool.np-torch-lint]`` in ``pyproject.toml``.

Both are found by walking up from the first path. flake8's configuration is the
first of ``setup.cfg``, ``tox.ini``, ``.flake8`` with a ``[flake8]`` section (the
order and the stop below the home folder are flake8's); the command reads its
``select``, ``extend-select``, ``ignore``, ``extend-ignore`` and
``per-file-ignores``, so flake8 in the editor and the command in pre-commit
report the same. A key set in ``[tool.np-torch-lint]`` replaces the flake8 key of
the same name; an option on the command line replaces both (flake8's rule too).

    [tool.np-torch-lint]
    select = ["NTL1", "NTL2"]          # default: every rule
    extend-select = ["NTL301"]         # also turns on rules that are off by default
    ignore = ["NTL503"]
    extend-ignore = ["NTL404"]
    per-file-ignores = { "tests/*" = ["NTL301", "NTL302"] }
    exclude = ["build/", "third_party/*", "!third_party/ours/"]  # gitignore-style
    respect-gitignore = true            # skip what .gitignore files exclude (the default)
    force-exclude = false               # exclude named files too (pre-commit names each file)

Codes are checked: an unknown code or prefix is a ``ConfigError`` that names it
and the nearest code. In flake8's files only codes that look like ours
(``NTL...``, any case: flake8 compares codes case-sensitively) are checked; the
other tools' codes (``E501``) are theirs.
"""
from __future__ import annotations

import configparser
import difflib
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .ignore import PatternSet
from .suppress import Selection

SECTION = "np-torch-lint"
KEYS = ("select", "extend-select", "ignore", "extend-ignore", "per-file-ignores", "exclude",
        "respect-gitignore", "force-exclude")
#: the keys of flake8's configuration that the command reads.
FLAKE8_KEYS = ("select", "extend-select", "ignore", "extend-ignore", "per-file-ignores")
FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")  # flake8's order of discovery
#: the code of the plugin's internal-error finding: a valid code to select or ignore in flake8.
INTERNAL_ERROR = "NTL000"

PerFileIgnores = List[Tuple[str, List[str]]]  # (pattern, codes) in the configuration's order


class ConfigError(Exception):
    """A configuration problem, worded for the user (the message names the key)."""


@dataclass
class Settings:
    root: Path = field(default_factory=Path.cwd)
    # None: not given (every rule that is on by default). As in flake8, select and ignore
    # replace the defaults, the extend- keys add to them.
    select: Optional[List[str]] = None
    extend_select: List[str] = field(default_factory=list)
    ignore: Optional[List[str]] = None
    extend_ignore: List[str] = field(default_factory=list)
    # flake8's per-file-ignores: patterns normalized as flake8 does (one with a slash made
    # absolute, from the folder of the file that set it); the longest pattern that matches applies.
    per_file_ignores: PerFileIgnores = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    respect_gitignore: bool = True
    force_exclude: bool = False
    #: the configuration files read, for messages.
    files: List[Path] = field(default_factory=list)

    def selection(self) -> Selection:
        return Selection(self.select, self.ignore, self.extend_select, self.extend_ignore)

    def selection_for(self, path: str) -> Selection:
        """The selection for one file: its per-file-ignores extend ``extend-ignore``, as in flake8."""
        return self.selection().with_ignored(self.ignored_for(path))

    def ignored_for(self, path: str) -> List[str]:
        """The codes per-file-ignores adds for ``path``: flake8's longest matching pattern (the first of equals)."""
        best: Optional[Tuple[int, List[str]]] = None
        for pattern, codes in self.per_file_ignores:
            if _matches_filename(path, pattern) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), codes)
        return best[1] if best is not None else []

    def exclude_patterns(self) -> PatternSet:
        """The ``exclude`` setting, gitignore-style, relative to the configuration's folder."""
        return PatternSet.from_lines(Path(os.path.abspath(self.root)), self.exclude)


def _matches_filename(path: str, pattern: str) -> bool:
    """flake8's ``utils.matches_filename``: the base name, or the absolute path, matches the pattern."""
    basename = os.path.basename(path)
    if basename not in {".", ".."} and fnmatch.fnmatch(basename, pattern):
        return True
    return fnmatch.fnmatch(os.path.abspath(path), pattern)


def normalize_pattern(pattern: str, parent: str) -> str:
    """flake8's ``utils.normalize_path``: a pattern with a slash (or ``.``) is made absolute from ``parent``."""
    if pattern == "." or os.sep in pattern or (os.altsep and os.altsep in pattern):
        pattern = os.path.abspath(os.path.join(parent, pattern))
    return pattern.rstrip(os.sep + (os.altsep or ""))


def per_file_ignores(value: str, parent: str, where: str, ours_only: bool) -> PerFileIgnores:
    """flake8's ``per-file-ignores`` syntax (``tests/*:NTL301,NTL302 setup.py:NTL3``), codes checked."""
    from flake8.exceptions import ExecutionError
    from flake8.utils import parse_files_to_codes_mapping

    try:
        mapping = parse_files_to_codes_mapping(value)
    except ExecutionError as error:
        # flake8 reads a mistyped code (NTL3O1) as a file name and gives up on the whole value:
        # name the code when one is to blame.
        for word in re.split(r"[\s,:]+", value):
            if word.upper().startswith("NTL") and not re.search(r"[/*?.\[]", word):
                check_codes([word], where)
        raise ConfigError(f"{where}: {error}") from None
    return [(normalize_pattern(pattern, parent), check_codes(codes, where, ours_only))
            for pattern, codes in mapping]


# -- codes ---------------------------------------------------------------------------------------

def known_codes() -> List[str]:
    from .rules import RULES_BY_CODE  # late: only a run that names codes needs the registry

    return sorted({*RULES_BY_CODE, INTERNAL_ERROR})


def check_codes(codes: Sequence[str], where: str, ours_only: bool = False) -> List[str]:
    """``codes`` if each is a code or a prefix of one; else ConfigError naming it and the nearest code.

    ``ours_only``: flake8's files hold other tools' codes too; only those that look like ours are checked.
    """
    known: Optional[List[str]] = None
    for code in codes:
        if ours_only and not code.upper().startswith("NTL"):
            continue
        known = known if known is not None else known_codes()
        if not any(k.startswith(code) for k in known):
            raise ConfigError(unknown_code_message(code, where, known))
    return list(codes)


def unknown_code_message(code: str, where: str, known: Optional[List[str]] = None) -> str:
    known = known if known is not None else known_codes()
    nearest = difflib.get_close_matches(code.upper(), known, n=1, cutoff=0.0)
    hint = f"did you mean {nearest[0]}?" if nearest else "`np-torch-lint rules` lists the codes"
    if code.upper() != code and any(k.startswith(code.upper()) for k in known):
        hint = f"codes are upper case, as flake8 compares them: {code.upper()}"
    return f"{where}: unknown code or prefix {code!r}; {hint}"


def _split(value: str) -> List[str]:
    """flake8's comma-separated list: commas and white space both separate."""
    from .suppress import codes as split_codes

    return split_codes(value)


# -- finding and reading the files ----------------------------------------------------------------

def _folders_up(start: str) -> List[Path]:
    current = Path(os.path.abspath(start))
    if not current.is_dir():
        current = current.parent
    return [current, *current.parents]


def find_pyproject(start: str) -> Optional[Path]:
    for folder in _folders_up(start):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def find_flake8_config(start: str) -> Optional[Path]:
    """flake8's ``_find_config_file``, from ``start`` up: stops below the home folder, as flake8 does."""
    home = Path(os.path.expanduser("~"))
    for folder in _folders_up(start):
        if folder == home:
            break
        for name in FLAKE8_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            parser = configparser.RawConfigParser()
            try:
                parser.read(candidate, encoding="UTF-8")
            except (UnicodeDecodeError, configparser.Error):
                continue  # flake8 skips an unparseable file too
            if "flake8" in parser or "flake8:local-plugins" in parser:
                return candidate
    return None


def load(start: str) -> Settings:
    settings = Settings()
    flake8_file = find_flake8_config(start)
    if flake8_file is not None:
        parse_flake8(flake8_file, settings)
    path = find_pyproject(start)
    if path is None:
        return settings
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
    settings.root = path.parent
    if table is None:
        return settings
    return parse(table, path, settings)


def parse_flake8(path: Path, settings: Settings) -> Settings:
    """The ``[flake8]`` keys the command shares with flake8, into ``settings``."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="UTF-8")
    except (UnicodeDecodeError, configparser.Error) as error:  # pragma: no cover - found readable above
        raise ConfigError(f"{path}: cannot read: {error}") from None
    if "flake8" not in parser:
        return settings
    section = parser["flake8"]
    settings.files.append(path)
    for key in FLAKE8_KEYS:
        # flake8 accepts both spellings of a key (extend-ignore, extend_ignore).
        spelled = next((k for k in (key, key.replace("-", "_")) if k in section), None)
        if spelled is None:
            continue
        value = section[spelled]
        where = f"{path} [flake8] {spelled}"
        if key == "per-file-ignores":
            settings.per_file_ignores = per_file_ignores(value, str(path.parent), where, ours_only=True)
        else:
            _set_codes(settings, key, check_codes(_split(value), where, ours_only=True))
    return settings


def _set_codes(settings: Settings, key: str, codes: List[str]) -> None:
    setattr(settings, key.replace("-", "_"), codes)


def parse(table: Dict[str, Any], path: Path, settings: Optional[Settings] = None) -> Settings:
    """``[tool.np-torch-lint]`` into ``settings`` (a fresh one by default): its keys replace flake8's."""
    where = f"{path} [tool.{SECTION}]"
    for key in table:
        if key not in KEYS:
            nearest = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {nearest[0]!r}? " if nearest else ""
            raise ConfigError(f"{where}: unknown key {key!r} ({hint}known: {', '.join(KEYS)})")
    settings = settings if settings is not None else Settings()
    settings.root = path.parent
    for key in ("select", "extend-select", "ignore", "extend-ignore"):
        if key in table:
            _set_codes(settings, key, _code_list(table[key], key, where))
    if "per-file-ignores" in table:
        per_file = table["per-file-ignores"]
        if not isinstance(per_file, dict):
            raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
        settings.per_file_ignores = [
            (normalize_pattern(pattern, str(path.parent)), _code_list(codes, f"per-file-ignores.{pattern}", where))
            for pattern, codes in per_file.items()]
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(item, str) for item in exclude):
        raise ConfigError(f"{where}: 'exclude' must be a list of gitignore-style patterns")
    settings.exclude = exclude
    for key in ("respect-gitignore", "force-exclude"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"{where}: {key!r} must be true or false")
            setattr(settings, key.replace("-", "_"), table[key])
    settings.files.append(path)
    return settings


def _code_list(value: Any, key: str, where: str) -> List[str]:
    if isinstance(value, str):
        value = _split(value)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {key!r} must be a list of codes such as [\"NTL101\", \"NTL2\"]")
    return check_codes([item.strip().upper() for item in value], f"{where} {key!r}")


def cli_codes(value: Optional[str], option: str) -> Optional[List[str]]:
    """A command-line list of codes (None when the option is not given), upper-cased and checked."""
    if value is None:
        return None
    return check_codes([code.upper() for code in _split(value)], option)


def cli_per_file_ignores(value: Optional[str]) -> Optional[PerFileIgnores]:
    """``--per-file-ignores`` in flake8's syntax; patterns from the working folder, as flake8 reads them."""
    if value is None:
        return None
    return per_file_ignores(value, os.curdir, "--per-file-ignores", ours_only=False)
