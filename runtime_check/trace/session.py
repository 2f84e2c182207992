"""One trace: install every watcher before the user's program runs, remove them all at its end."""
from __future__ import annotations

import sys
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
    def __init__(self, roots: Iterable[str], disabled: Iterable[str] = ()) -> None:
        self.state = TraceState(roots, disabled)
        self._patches = Patches()
        self._activation: Any = None
        self.installed = False

    @property
    def recorder(self) -> Recorder:
        return self.state.recorder

    def install(self) -> "TraceSession":
        import torch
        from torch.nn.modules.module import register_module_forward_pre_hook

        from . import checkpoints, conversions, loader
        from .activation import Activation
        from .ops import OpWatcher, module_pre_hook

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
            self._wrap_default_device(torch)
            hook = module_pre_hook(state)
            activation = Activation(state, OpWatcher(state), lambda: register_module_forward_pre_hook(hook))
            self._activation = activation
            state.born.on_add = activation.start_with_hook
            state.pairs.on_add = activation.start
            state.settle = activation.settle
            if state.cuda:
                activation.always = True
                activation.start()
        except BaseException:
            self.uninstall()
            raise
        self.installed = True
        return self

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
        self.state.settle = self.state.born.on_add = self.state.pairs.on_add = _nothing
        self._patches.undo()
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
