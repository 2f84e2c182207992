"""The state one trace shares between its watchers."""
from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .findings import WATCHED, Recorder, TraceFinding
from .registry import BornTensors, SharedPairs
from .sites import Site, UserFiles


def _nothing() -> None:
    return None


class Guard:
    """`with guard:` runs the watcher's own work with torch functions undispatched (its reads of a
    tensor's device or storage are no op of the program's: no mode, the trace's or the program's,
    should see them, and each would cost a dispatch), and notes an exception of the watcher's own
    and swallows it."""

    __slots__ = ("recorder", "watcher", "_quiet")

    def __init__(self, recorder: Recorder, watcher: str, quiet: Any) -> None:
        self.recorder = recorder
        self.watcher = watcher
        self._quiet = quiet

    def __enter__(self) -> None:
        self._quiet.__enter__()
        return None

    def __exit__(self, kind: Optional[type], exc: Optional[BaseException], tb: Optional[TracebackType]) -> bool:
        self._quiet.__exit__(None, None, None)
        if exc is None or not isinstance(exc, Exception):
            return False
        self.recorder.note(f"internal error in the {self.watcher} watcher, which skipped that call: "
                           f"{type(exc).__name__}: {exc}")
        return True


class TraceState:
    def __init__(self, roots: Iterable[str], disabled: Iterable[str] = ()) -> None:
        self.files = UserFiles(roots)
        self.recorder = Recorder()
        self.disabled = {c.upper() for c in disabled}
        self.born = BornTensors()
        self.pairs = SharedPairs()
        self._local = threading.local()
        self.cuda = False  # a CUDA device is present (NTL301 groups placements only then)
        self.default_device_site: Optional[Site] = None  # torch.set_default_device("cuda") call
        self._quiet: Any = None  # torch._C.DisableTorchFunction, once torch is imported
        self.settle: Callable[[], None] = _nothing  # stops the op watcher when nothing watched is alive
        self.op_mode: Any = None  # the op watcher (a TorchFunctionMode), once made

    def on(self, code: str) -> bool:
        return code not in self.disabled

    @property
    def busy(self) -> bool:
        """True while a watcher itself is running (its own torch calls are not the user's)."""
        return bool(getattr(self._local, "depth", 0))

    def enter(self) -> None:
        self._local.depth = getattr(self._local, "depth", 0) + 1

    def leave(self) -> None:
        self._local.depth -= 1

    def guard(self, watcher: str) -> "Guard":
        """A watcher's own work never breaks the program: its error is noted in the report (never
        silent) and the user's call goes on as without the trace."""
        if self._quiet is None:
            import torch

            self._quiet = torch._C.DisableTorchFunction
        return Guard(self.recorder, watcher, self._quiet())

    def report(self, code: str, message: str, origin: Optional[Site], failure: Optional[Site],
               raised: bool = False, seconds: float = 0.0,
               called_from: Tuple[Site, ...] = ()) -> Optional[TraceFinding]:
        if code not in WATCHED or not self.on(code):
            return None
        if origin is None and failure is None:
            return None  # no user code on the stack: nothing the user could fix
        return self.recorder.add(TraceFinding(code, message, origin, failure, raised=raised, seconds=seconds,
                                                 called_from=called_from))
