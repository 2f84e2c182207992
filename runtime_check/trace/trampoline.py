"""Call a torch function as if from its caller's line.

torch attributes a C-level warning to the innermost Python frame, which under
the op watcher is the watcher's own.  Calling through a one-line function
whose code carries the caller's file, line and globals gives the warning the
location, module filters and once-per-location registry it has without the
trace.  Tracebacks printed by the trace leave these frames out (their name).

Trampolines are kept by the caller's code object's id and instruction offset:
hashing a code object walks its constants every time (a module's code costs
about a microsecond), and computing a frame's line number costs more than
reading its offset.  Each entry keeps its code object, so the id is not reused
while the entry exists.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Dict, Tuple

TRAMPOLINE_NAME = "<runtime_check trace>"
_TEMPLATE = (lambda func, args, kwargs: func(*args, **kwargs)).__code__  # one line: every instruction on it
#: (id(caller's code), caller's instruction offset) -> (that code, its trampoline)
trampolines: Dict[Tuple[int, int], Tuple[types.CodeType, Callable[..., Any]]] = {}


def trampoline_for(frame: types.FrameType) -> Callable[..., Any]:
    """The trampoline for the instruction `frame` is running (made on first use)."""
    code = frame.f_code
    key = (id(code), frame.f_lasti)
    entry = trampolines.get(key)
    if entry is not None and entry[0] is code:
        return entry[1]
    changes: Dict[str, Any] = {"co_filename": code.co_filename, "co_name": TRAMPOLINE_NAME,
                               "co_firstlineno": frame.f_lineno or 1}
    if hasattr(_TEMPLATE, "co_qualname"):  # Python 3.11+
        changes["co_qualname"] = TRAMPOLINE_NAME
    trampoline = types.FunctionType(_TEMPLATE.replace(**changes), frame.f_globals, TRAMPOLINE_NAME)
    trampolines[key] = (code, trampoline)
    return trampoline


def call_as(frame: types.FrameType, func: Any, args: Any, kwargs: Any) -> Any:
    return trampoline_for(frame)(func, args, kwargs)
