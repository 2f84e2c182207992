"""One trace: install every watcher before the user's program runs, remove them all at its end."""
from __future__ import annotations

import sys
import threading
import traceback
from types import TracebackType
from typing import Any, Iterable, Optional

from .findings import Recorder
from .patches import Patches
from .sites import Site
from .state import TraceState


def _nothing() -> None:
    return None


class TraceSession:
    def __init__(self, roots: Iterable[str], disabled: Iterable[str] = (), spool: bool = True) -> None:
        self.roots = [str(r) for r in roots]
        self.disabled = [str(c) for c in disabled]
        self.state = TraceState(self.roots, self.disabled)
        self._patches = Patches()
        self._activation: Any = None
        self._with_spool = spool  # False in a spawned DataLoader worker: the parent's spool is used
        self._spool: Optional[str] = None
        self._saved_env: Optional[str] = None
        self.installed = False

    @property
    def recorder(self) -> Recorder:
        return self.state.recorder

    def install(self) -> "TraceSession":
        import torch
        from torch.nn.modules.module import register_module_forward_pre_hook

        from . import checkpoints, conversions, loader, state_dicts
        from .activation import Activation
        from .ops import OpWatcher, install_profiler_ranges, module_pre_hook

        state = self.state
        state.cuda = torch.cuda.is_available() and state.on("NTL301")
        if not torch.cuda.is_available() and state.on("NTL301"):
            state.recorder.note("NTL301: skipped: no CUDA device (placements are grouped on a GPU host only; "
                                "here a placement that fails is reported, with the error torch raises)")
        try:
            conversions.install(state, self._patches)
            loader.install(state, self._patches)
            if state.on("NTL302"):
                checkpoints.install(state, self._patches)
            if state.on("NTL402"):
                state_dicts.install(state, self._patches)
            self._wrap_default_device(torch)
            hook = module_pre_hook(state)
            state.op_mode = OpWatcher(state)
            activation = Activation(state, state.op_mode, lambda: register_module_forward_pre_hook(hook))
            self._activation = activation
            state.born.on_add = activation.start_with_hook
            state.pairs.on_add = activation.start
            state.settle = activation.settle
            activation.install_step_hooks()
            activation.install_zero_grad(self._patches)
            install_profiler_ranges(state, self._patches)
            if self._with_spool:
                self._watch_workers()
            self._wrap_thread_start(activation)
            if state.cuda:
                activation.always = True
                activation.start()
        except BaseException:
            self.uninstall()
            raise
        self.installed = True
        return self

    def _watch_workers(self) -> None:
        """DataLoader worker processes spool their findings; the parent merges them at the end."""
        import os

        from torch.utils.data._utils import worker

        from . import workers

        self._spool = workers.make_spool(self.roots, self.disabled)
        self._saved_env = os.environ.get(workers.SPOOL_ENV)
        os.environ[workers.SPOOL_ENV] = self._spool
        workers.active_session = self
        workers.original_worker_loop = worker._worker_loop
        self._patches.set(worker, "_worker_loop", workers.traced_worker_loop)

    def _end_spool(self) -> None:
        import os
        import shutil

        from . import workers

        if workers.active_session is self:
            workers.active_session = workers.original_worker_loop = None
        if self._spool is None:
            return
        if self._saved_env is None:
            os.environ.pop(workers.SPOOL_ENV, None)
        else:
            os.environ[workers.SPOOL_ENV] = self._saved_env
        try:
            workers.merge(self._spool, self.recorder)
        finally:
            shutil.rmtree(self._spool, ignore_errors=True)
            self._spool = None

    def _wrap_thread_start(self, activation: Any) -> None:
        """A mode stack is per thread: a thread started while tracing gets the op watcher too."""
        original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

        def _bootstrap_inner(thread: threading.Thread) -> None:
            try:
                activation.thread_started()
            except Exception as exc:  # noqa: BLE001 - the thread runs whatever happens to the trace
                self.state.recorder.note(f"internal error starting the op watcher in a thread: {exc!r}")
            try:
                original(thread)
            finally:
                activation.thread_ended()

        self._patches.set(threading.Thread, "_bootstrap_inner", _bootstrap_inner)

    def _wrap_default_device(self, torch: Any) -> None:
        original = torch.set_default_device
        state = self.state

        def set_default_device(device: Any) -> Any:
            if device is not None and "cuda" in str(device) and not state.busy:
                site = state.files.innermost(sys._getframe(1))
                state.default_device_site = site
                if state.cuda:
                    state.report("NTL301", f"torch.set_default_device({str(device)!r}): every factory call after "
                                 "it places on CUDA (fails on a CPU-only host unless guarded)", site, site)
            else:
                state.default_device_site = None
            return original(device)

        set_default_device.__doc__ = original.__doc__
        self._patches.set(torch, "set_default_device", set_default_device)

    def uninstall(self) -> None:
        """Remove every watcher (idempotent)."""
        if self._activation is not None:
            try:
                self._activation.stop()
            finally:
                self._activation = None
        if self.state.op_mode is not None:
            self.state.op_mode.retire()  # a thread still running with it pushed now only calls through
        self.state.settle = self.state.born.on_add = self.state.pairs.on_add = _nothing
        self._patches.undo()
        self._end_spool()
        self.installed = False

    def program_failed(self, exc: BaseException, tb: Optional[TracebackType]) -> None:
        """The program ended with an exception: a CUDA placement that torch refused, raised outside
        any op the watcher sees (a legacy torch.cuda.FloatTensor, say), is still NTL301."""
        from .ops import NO_CUDA_TEXTS

        text = str(exc)
        if not any(t in text for t in NO_CUDA_TEXTS):
            return
        site: Optional[Site] = None
        for frame, line in traceback.walk_tb(tb):
            if self.state.files.is_user(frame.f_code.co_filename):
                site = Site(frame.f_code.co_filename, line, frame.f_code.co_name)
        if any(f.code == "NTL301" and f.failure == site for f in self.recorder.findings()):
            return  # the op watcher saw it fail already
        origin = self.state.default_device_site or site
        self.state.report("NTL301", f"CUDA placement on a host without CUDA (torch raises: {text.strip()})",
                          origin, site, raised=True)
