"""Call a torch function as if from its caller's line.

torch attributes a C-level warning to the innermost Python frame, which under
the op watcher is the watcher's own.  Calling through a one-line function
whose code carries the caller's file, line and globals gives the warning the
location, module filters and once-per-location registry it has without the
trace.  Tracebacks printed by the trace leave these frames out (their name).
"""
from __future__ import annotations

import types
from typing import Any, Callable, Dict, Tuple

TRAMPOLINE_NAME = "<runtime_check trace>"
_TEMPLATE = (lambda func, args, kwargs: func(*args, **kwargs)).__code__  # one line: every instruction on it
trampolines: Dict[Tuple[types.CodeType, int], Callable[..., Any]] = {}  # by (caller's code, line)


def call_as(frame: types.FrameType, func: Any, args: Any, kwargs: Any) -> Any:
    key = (frame.f_code, frame.f_lineno)
    trampoline = trampolines.get(key)
    if trampoline is None:
        changes: Dict[str, Any] = {"co_filename": frame.f_code.co_filename, "co_name": TRAMPOLINE_NAME,
                                   "co_firstlineno": frame.f_lineno or 1}
        if hasattr(_TEMPLATE, "co_qualname"):  # Python 3.11+
            changes["co_qualname"] = TRAMPOLINE_NAME
        code = _TEMPLATE.replace(**changes)
        trampoline = types.FunctionType(code, frame.f_globals, TRAMPOLINE_NAME)
        trampolines[key] = trampoline
    return trampoline(func, args, kwargs)
