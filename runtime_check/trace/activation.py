"""The op watcher and the module hook run only while something they watch is alive.

A TorchFunctionMode costs every torch call a trip through Python, and a
global module hook sends every module call through torch's slower path.
Both are started when the first NumPy-born or NumPy-sharing tensor appears
and stopped when the last one is gone, so a run (or a stretch of one) with
nothing crossing the seam pays for neither.  The mode is pushed only on an
empty mode stack and popped only when it is alone there, so it never breaks
the stack discipline of modes the program itself uses (`with torch.device`);
when another mode is active it waits (the report says so) until it can start.
On a GPU host, where every CUDA placement is watched (NTL301), it stays on.
"""
from __future__ import annotations

from typing import Any, Callable

from .state import TraceState


class Activation:
    def __init__(self, state: TraceState, mode: Any, make_hook: Callable[[], Any]) -> None:
        import torch

        self.state = state
        self.mode = mode
        self._make_hook = make_hook
        self._hook: Any = None
        self._stack_len: Callable[[], int] = torch._C._len_torch_function_stack
        self._stack_at: Callable[[int], Any] = torch._C._get_function_stack_at
        self.mode_on = False
        self.always = False  # GPU host: watch every op for placements

    @property
    def on(self) -> bool:
        return self.mode_on or self._hook is not None

    def start_with_hook(self) -> None:
        """A tensor was born from NumPy: module calls are watched too (a float32 module, a class loss)."""
        if self._hook is None:
            self._hook = self._make_hook()
        self.start()

    def start(self) -> None:
        """Something watched was born: make sure the mode runs."""
        if not self.mode_on:
            if self._stack_len() == 0:
                self.mode.__enter__()
                self.mode_on = True
            else:
                self.state.recorder.note("another TorchFunctionMode was active when a NumPy tensor appeared: "
                                         "ops were not watched until it ended")

    def settle(self) -> None:
        """Stop both when nothing watched is alive (called where the program calls in: conversions,
        module calls, DataLoader batches)."""
        state = self.state
        if self._hook is not None and not state.born:
            self._hook.remove()
            self._hook = None
        if self.always or state.born or state.pairs:
            return
        if self.mode_on and self._stack_len() == 1 and self._stack_at(0) is self.mode:
            self.mode.__exit__(None, None, None)
            self.mode_on = False

    def stop(self) -> None:
        """The end of the trace: stop both, whatever is alive (the mode only if it is on top)."""
        if self.mode_on:
            if self._stack_len() >= 1 and self._stack_at(self._stack_len() - 1) is self.mode:
                self.mode.__exit__(None, None, None)
            else:  # pragma: no cover - a program that left its own mode pushed
                self.state.recorder.note("the op watcher could not be popped: the program left a mode above it")
            self.mode_on = False
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
