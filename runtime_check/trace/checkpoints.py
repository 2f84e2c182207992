"""NTL302 at run time: torch.load without map_location of a checkpoint holding CUDA-tagged storages.

Observable on any host: while a `torch.load` the user called without
`map_location` runs, `torch.serialization.default_restore_location` (which
torch calls for every storage when no map_location is given) is wrapped to
note each storage's location tag and then restore it exactly as before.  No
map_location is passed in (a callable one would change how torch loads
safetensors and TorchScript files), so loading behaves as without the trace.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, List, Optional

from .patches import Patches
from .state import TraceState
from .trampoline import call_as


def install(state: TraceState, patches: Patches) -> None:
    import torch
    import torch.serialization as serialization

    original_load = torch.load
    original_restore = serialization.default_restore_location
    local = threading.local()

    def restore(storage: Any, location: Any) -> Any:
        seen: Optional[List[str]] = getattr(local, "seen", None)
        if seen is not None:
            seen.append(str(location))
        return original_restore(storage, location)

    def load(*args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("map_location", args[1] if len(args) > 1 else None) is not None
        if state.busy or given:
            return original_load(*args, **kwargs)
        site = state.files.innermost(sys._getframe(1))
        outer = getattr(local, "seen", None)
        local.seen = []
        raised = True
        try:
            result = call_as(sys._getframe(1), original_load, args, kwargs)
            raised = False
            return result
        finally:
            seen, local.seen = local.seen, outer
            with state.guard("torch.load"):
                _report(seen, site, raised)

    def _report(seen: List[str], site: Any, raised: bool) -> None:
        cuda = sorted({loc for loc in seen if loc.startswith("cuda")})
        if cuda:
            tagged = sum(1 for loc in seen if loc.startswith("cuda"))
            state.report("NTL302", f"torch.load without map_location of a checkpoint with {tagged} "
                         f"storage(s) tagged {', '.join(cuda)}: it fails on a CPU-only host; "
                         "pass map_location", site, site, raised=raised)

    load.__doc__ = original_load.__doc__
    load.__wrapped__ = original_load  # type: ignore[attr-defined]
    patches.set(torch, "load", load)
    patches.set(serialization, "load", load)
    patches.set(serialization, "default_restore_location", restore)
