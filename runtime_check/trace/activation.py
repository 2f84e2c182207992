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

A mode stack is per thread: the mode is pushed in each thread that needs it,
when the thread starts (`threading.Thread._bootstrap_inner` is wrapped while
tracing), and wherever the thread calls in (a conversion, a module call, a
DataLoader batch) while something watched is alive.

A step of one of torch's own optimizers (without a closure) that holds no
watched tensor (no parameter, gradient, state or hyperparameter tensor born
from NumPy or over NumPy-shared memory) can write nothing the trace watches:
the mode steps aside for it (a step-pre hook pops it, the step-post hook
pushes it back), which saves most of a training step's cost.  A step that
raises leaves it popped until the thread next calls in.  The same holds for
their zero_grad() that sets gradients to None (the default): it reads and drops
each parameter's .grad, two dispatches a parameter, and writes no tensor; it
runs without the mode when no parameter or gradient is watched (torch's
Optimizer.zero_grad is wrapped while tracing; the mode is pushed back after it,
whatever it raises).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, List

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
        self._tensor_type = torch.Tensor
        self._local = threading.local()  # per thread: mode_on, suspended
        self._step_hooks: List[Any] = []
        self.always = False  # GPU host: watch every op for placements
        self.stopped = False

    @property
    def on(self) -> bool:
        """The mode runs in this thread, or the module hook runs."""
        return self.mode_on or self._hook is not None

    @property
    def mode_on(self) -> bool:
        return bool(getattr(self._local, "mode_on", False))

    def _watching(self) -> bool:
        state = self.state
        return bool(self.always or state.born or state.pairs)

    def start_with_hook(self) -> None:
        """A tensor was born from NumPy: module calls are watched too (a float32 module, a class loss)."""
        if self._hook is None and not self.stopped:
            self._hook = self._make_hook()
        self.start()

    def start(self) -> None:
        """Something watched was born: make sure the mode runs in this thread."""
        local = self._local
        if self.stopped or getattr(local, "mode_on", False) and not getattr(local, "suspended", False):
            return
        if getattr(local, "suspended", False):
            local.suspended = False
            local.mode_on = False
        if self._stack_len() == 0:
            self.mode.__enter__()
            local.mode_on = True
        else:
            self.state.recorder.note("another TorchFunctionMode was active when a NumPy tensor appeared: "
                                     "ops were not watched until it ended")

    def settle(self) -> None:
        """Stop both when nothing watched is alive, start the mode in this thread when something is
        (called where the program calls in: conversions, module calls, DataLoader batches)."""
        state = self.state
        if self._hook is not None and not state.born:
            self._hook.remove()
            self._hook = None
        local = self._local
        if self._watching():
            if not getattr(local, "mode_on", False) or getattr(local, "suspended", False):
                self.start()
            return
        if getattr(local, "mode_on", False) and self._stack_len() == 1 and self._stack_at(0) is self.mode:
            self.mode.__exit__(None, None, None)
            local.mode_on = False

    # --- threads ---------------------------------------------------------------------------

    def thread_started(self) -> None:
        """A thread started while tracing: watch its ops if something watched is alive."""
        if self._watching():
            self.start()

    def thread_ended(self) -> None:
        local = self._local
        if getattr(local, "mode_on", False) and not getattr(local, "suspended", False) and \
                self._stack_len() >= 1 and self._stack_at(self._stack_len() - 1) is self.mode:
            self.mode.__exit__(None, None, None)
        local.mode_on = False

    # --- optimizer steps -------------------------------------------------------------------

    def install_step_hooks(self) -> None:
        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

        self._step_hooks = [register_optimizer_step_pre_hook(self._before_step),
                            register_optimizer_step_post_hook(self._after_step)]

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if len(args) > 1 or kwargs:
            return None  # a closure: the program's own code runs inside the step
        self._step_aside(optimizer, with_state=True)
        return None

    def _step_aside(self, optimizer: Any, with_state: bool) -> bool:
        """Pop the mode for a step (or zero_grad) of one of torch's optimizers that holds nothing
        watched; True when it was popped (then `_after_step` pushes it back)."""
        local = self._local
        if self.always or not getattr(local, "mode_on", False) or getattr(local, "suspended", False) \
                or self.state.busy:
            return False
        if not type(optimizer).__module__.startswith("torch.optim"):
            return False  # a step of the program's own may touch anything
        if self._stack_len() != 1 or self._stack_at(0) is not self.mode:
            return False
        self.mode.__exit__(None, None, None)  # popped first: reading .grad under the mode costs a dispatch
        local.suspended = True
        try:
            watched = self._holds_watched(optimizer, with_state)
        except Exception:  # noqa: BLE001 - an odd optimizer: keep watching it
            watched = True
        if watched:
            local.suspended = False
            self.mode.__enter__()
            return False
        return True

    def install_zero_grad(self, patches: Any) -> None:
        """Wrap torch's Optimizer.zero_grad (see the module's docstring)."""
        from torch.optim.optimizer import Optimizer

        original = Optimizer.__dict__.get("zero_grad")
        if original is None:
            return
        activation = self

        def zero_grad(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                to_none = args[0] if len(args) == 1 and not kwargs else \
                    kwargs.get("set_to_none") if not args and len(kwargs) == 1 else None
                if to_none is not True:
                    return original(optimizer, *args, **kwargs)  # zeroes the gradients in place: watched
            if not activation._step_aside(optimizer, with_state=False):
                return original(optimizer, *args, **kwargs)
            try:
                return original(optimizer, *args, **kwargs)
            finally:
                activation._after_step(optimizer, args, kwargs)

        zero_grad.__name__ = getattr(original, "__name__", "zero_grad")
        zero_grad.__qualname__ = getattr(original, "__qualname__", "Optimizer.zero_grad")
        zero_grad.__doc__ = getattr(original, "__doc__", None)
        zero_grad.__wrapped__ = original  # type: ignore[attr-defined]
        patches.set(Optimizer, "zero_grad", zero_grad)

    def _after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        local = self._local
        if getattr(local, "suspended", False):
            local.suspended = False
            if self._stack_len() == 0 and self._watching() and not self.stopped:
                self.mode.__enter__()
            else:
                local.mode_on = False
        return None

    def _holds_watched(self, optimizer: Any, with_state: bool = True) -> bool:
        """A parameter, gradient, hyperparameter or (with_state) state tensor of the optimizer is
        born from NumPy or lies over NumPy-shared memory."""
        born, ranges = self.state.born.items, self.state.pairs.ranges
        if not born and not ranges:
            return False
        tensor_type = self._tensor_type
        values: List[Any] = []
        for group in optimizer.param_groups:
            for key, value in group.items():
                if key != "params":
                    values.append(value)
                    continue
                values.extend(value)
                values.extend([param.grad for param in value])
                if with_state:
                    state = optimizer.state
                    for param in value:
                        held = state.get(param)
                        if held:
                            values.extend(held.values())
        low, high = self.state.pairs.bounds
        for value in values:
            if not isinstance(value, tensor_type):
                continue
            if id(value) in born:
                return True
            if ranges:
                ptr = value.data_ptr()
                if low <= ptr < high and any(start <= ptr < end for start, end in ranges.items()):
                    return True
        return False

    # --- the end ---------------------------------------------------------------------------

    def stop(self) -> None:
        """The end of the trace: stop both, whatever is alive (the mode only if it is on top)."""
        self.stopped = True
        for handle in self._step_hooks:
            handle.remove()
        self._step_hooks = []
        local = self._local
        if getattr(local, "mode_on", False) and not getattr(local, "suspended", False):
            if self._stack_len() >= 1 and self._stack_at(self._stack_len() - 1) is self.mode:
                self.mode.__exit__(None, None, None)
            else:  # pragma: no cover - a program that left its own mode pushed
                self.state.recorder.note("the op watcher could not be popped: the program left a mode above it")
        local.mode_on = False
        local.suspended = False
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
