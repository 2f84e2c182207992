"""Where something happened in the user's code: the innermost frame of the user's own files.

A finding names two places in the user's files: where the value was born (the
conversion) and where it went wrong (the module call, the in-place write).
Frames of torch, NumPy, the standard library, installed packages and
runtime_check itself are never the user's, so the place named is always a
line the user can open and fix.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from types import FrameType
from typing import Dict, Iterable, List, Optional, Tuple

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # runtime_check/
_LINTER_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "np_torch_lint")


@dataclass(frozen=True, order=True)
class Site:
    file: str  # absolute path
    line: int
    function: str = ""

    def shown(self, base: Optional[str] = None) -> str:
        return f"{shown_path(self.file, base)}:{self.line}"

    def to_json(self, base: Optional[str] = None) -> Dict[str, object]:
        return {"file": shown_path(self.file, base), "line": self.line, "function": self.function}


def shown_path(path: str, base: Optional[str] = None) -> str:
    """Relative to `base` (default: the working directory) when inside it."""
    base = base or os.getcwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _library_dirs() -> List[str]:
    """Folders that hold code which is never the user's: the interpreter's and installed packages'."""
    dirs = {_PACKAGE_DIR, _LINTER_DIR}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        dirs.add(os.path.join(os.path.abspath(prefix), "lib"))
    for module_name in ("torch", "numpy"):
        module = sys.modules.get(module_name)
        path = getattr(module, "__file__", None)
        if path:  # an editable or vendored install outside site-packages
            dirs.add(os.path.dirname(os.path.abspath(path)))
    return sorted(dirs)


class UserFiles:
    """Decides, once per file name, whether a frame belongs to the user's code."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = [os.path.join(os.path.abspath(r), "") for r in roots]
        self._libraries = [os.path.join(d, "") for d in _library_dirs()]
        self._known: Dict[str, bool] = {}
        self._paths: Dict[str, str] = {}  # user files named by an absolute path (os.path.abspath is slow)
        self.touched: Dict[str, None] = {}  # user files seen at a finding or a conversion, in order

    def is_user(self, filename: str) -> bool:
        known = self._known.get(filename)
        if known is None:
            known = self._decide(filename)
            self._known[filename] = known
        return known

    def _decide(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        path = os.path.abspath(filename)
        if "site-packages" in path or "dist-packages" in path:
            return False
        if any(path.startswith(lib) for lib in self._libraries):
            return False
        return any(path.startswith(root) for root in self.roots)

    def innermost(self, frame: Optional[FrameType]) -> Optional[Site]:
        """The innermost user frame at or above `frame`, as a Site (None: no user code on the stack)."""
        while frame is not None:
            code = frame.f_code
            if self.is_user(code.co_filename):
                path = self._paths.get(code.co_filename)
                if path is None:
                    path = os.path.abspath(code.co_filename)
                    if path == code.co_filename:  # absolute already: the same whatever the working directory
                        self._paths[path] = path
                self.touched.setdefault(path, None)
                return Site(path, frame.f_lineno or code.co_firstlineno, code.co_name)
            frame = frame.f_back
        return None

    def callers(self, frame: Optional[FrameType], limit: int = 8) -> Tuple[Site, ...]:
        """The user call sites around the innermost user frame, nearest first: a write inside a
        helper is also the caller's doing (the linter reports it at the call)."""
        user = self.user_frames(frame)[1:limit + 1]
        return tuple(Site(os.path.abspath(f.f_code.co_filename), f.f_lineno or f.f_code.co_firstlineno,
                          f.f_code.co_name) for f in user)

    def user_frames(self, frame: Optional[FrameType]) -> List[FrameType]:
        """Every user frame on the stack, innermost first."""
        frames = []
        while frame is not None:
            if self.is_user(frame.f_code.co_filename):
                frames.append(frame)
            frame = frame.f_back
        return frames
