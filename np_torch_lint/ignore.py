"""gitignore-style path patterns: ``exclude`` settings and the project's ``.gitignore`` files.

The semantics are git's (``gitignore(5)``), for the parts that matter to a linter:

- ``name`` (no slash, or only a trailing one) matches at any depth;
  a slash at the start or in the middle anchors the pattern to its base folder;
- ``*`` and ``?`` stop at ``/``; ``[a-z]`` classes; ``**/``, ``/**`` and ``/**/``
  span folders;
- a trailing ``/`` matches folders only; ``!pattern`` re-includes;
- the last matching pattern wins, and a deeper ``.gitignore`` wins over a
  shallower one; an excluded folder is not entered, so nothing under it can
  be re-included (as in git).

Not supported: ``.git/info/exclude`` and git's global excludes file.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Pattern:
    regex: "re.Pattern[str]"
    negated: bool
    directories_only: bool
    text: str


def compile_pattern(line: str) -> Optional[Pattern]:
    """One gitignore line as a pattern over POSIX paths relative to its base; None for blanks and comments."""
    text = line.rstrip("\n").rstrip("\r")
    if text.endswith(" ") and not text.endswith("\\ "):
        text = text.rstrip(" ")
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    if text.startswith("\\"):
        text = text[1:]  # \# and \! stand for the characters themselves
    directories_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    prefix = "" if anchored else "(?:.*/)?"
    return Pattern(re.compile(f"^{prefix}{body}$", re.DOTALL), negated, directories_only, line.strip())


def _translate(glob: str) -> str:
    out: List[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape("["))
                i += 1
                continue
            members = glob[i + 1:end]
            if members.startswith("!"):
                members = "^" + members[1:]
            out.append("[" + members.replace("\\", "\\\\") + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class PatternSet:
    """Patterns read against paths relative to ``base``."""

    base: Path
    patterns: Tuple[Pattern, ...]

    @classmethod
    def from_lines(cls, base: Path, lines: Iterable[str]) -> "PatternSet":
        return cls(base, tuple(p for p in (compile_pattern(line) for line in lines) if p is not None))

    def verdict(self, path: Path, is_dir: bool) -> Optional[bool]:
        """True: excluded; False: re-included by ``!``; None: no pattern matches."""
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        if relative in ("", "."):
            return None
        result: Optional[bool] = None
        for pattern in self.patterns:
            if pattern.directories_only and not is_dir:
                continue
            if pattern.regex.match(relative):
                result = not pattern.negated
        return result


def excluded(path: Path, is_dir: bool, sets: Sequence[PatternSet]) -> bool:
    """The last set with a verdict decides (pass the sets shallowest first)."""
    verdict: Optional[bool] = None
    for patterns in sets:
        found = patterns.verdict(path, is_dir)
        if found is not None:
            verdict = found
    return bool(verdict)


def read_gitignore(folder: Path) -> Optional[PatternSet]:
    try:
        with open(folder / ".gitignore", encoding="utf-8", errors="replace") as handle:
            found = PatternSet.from_lines(folder, handle)
    except OSError:
        return None
    return found if found.patterns else None


def enclosing_gitignores(folder: Path) -> List[PatternSet]:
    """The ``.gitignore`` files of ``folder``'s ancestors up to its git work tree's root, shallowest first."""
    folder = Path(os.path.abspath(folder))
    chain: List[Path] = []
    for current in (folder, *folder.parents):
        chain.append(current)
        if (current / ".git").exists():
            break
    else:
        return []  # not inside a git work tree: git would read no .gitignore here
    sets = [read_gitignore(current) for current in reversed(chain[1:])]
    return [s for s in sets if s is not None]
