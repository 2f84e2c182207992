"""The op watcher (a TorchFunctionMode) and the global module forward pre-hook.

The mode sees every torch function and Tensor method the user's thread runs.
While no watched tensor is alive (nothing born from NumPy with a watched
dtype, no NumPy/tensor pair) it only calls through, so its cost stays low.
It carries a NumPy birth from inputs to outputs of the same dtype (a view, a
slice, arithmetic), reports float32 math promoted to float64 by such a tensor
(NTL101), a narrow-integer target reaching F.cross_entropy / F.nll_loss
(NTL103), in-place writes on shared memory (NTL401/402), and CUDA placements
(NTL301: the one that fails on a CPU-only host; every one, grouped by site, on
a GPU host).
"""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Dict, Iterable, List, Optional, Tuple

from torch.overrides import TorchFunctionMode

from . import sharing
from .registry import Birth
from .state import TraceState
from .trampoline import call_as, trampoline_for, trampolines

#: what torch says when a CUDA placement runs on a host without CUDA (the NTL301 probe's texts)
NO_CUDA_TEXTS = ("Torch not compiled with CUDA enabled", "Found no NVIDIA driver", "No CUDA GPUs are available")
_INPLACE_DUNDERS = {"__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
                    "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__imatmul__"}
#: in-place methods that change a tensor's shape or flags, never its data
_METADATA_ONLY = {"unsqueeze_", "squeeze_", "transpose_", "t_", "swapdims_", "swapaxes_", "as_strided_",
                  "resize_", "resize_as_", "requires_grad_", "share_memory_", "detach_", "rename_", "set_",
                  "retain_grad", "pin_memory_", "record_stream", "untyped_storage", "data_ptr"}
_FLOAT64 = "torch.float64"
_NARROW = {"torch.int32", "torch.int16", "torch.int8"}


def _storage(tensor: Any) -> int:
    try:
        return int(tensor.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError):
        return -1


def tensors_in(args: Iterable[Any], kwargs: Dict[str, Any], tensor_type: type) -> List[Any]:
    """The tensors among the arguments, one level into lists, tuples and dicts."""
    found = []
    for value in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(value, tensor_type):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(v for v in value if isinstance(v, tensor_type))
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, tensor_type))
    return found


def written_by(func: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any], tensor_type: type) -> List[Any]:
    """The tensors an op writes in place ([] for an op that writes nothing)."""
    out = kwargs.get("out")
    if out is not None:
        return tensors_in((out,), {}, tensor_type)
    name = getattr(func, "__name__", "")
    inplace = kwargs.get("inplace") is True or name in _INPLACE_DUNDERS or (
        name.endswith("_") and not name.endswith("__") and name not in _METADATA_ONLY)
    if not inplace:
        return []
    target = args[0] if args else next((kwargs[k] for k in ("tensor", "input", "self") if k in kwargs), None)
    return tensors_in((target,), {}, tensor_type)


def narrow_target_problem(target: Any) -> Optional[str]:
    """Why a class loss rejects this target dtype, or None."""
    dtype = str(target.dtype)
    if dtype in _NARROW:
        return f"{dtype.replace('torch.', '')} (torch expects Long)"
    if dtype == "torch.uint8" and target.dim() > 1:
        return "uint8 with more than one dimension (torch expects Long)"
    return None


class OpWatcher(TorchFunctionMode):
    def __init__(self, state: TraceState) -> None:
        super().__init__()
        import torch
        import torch.nn.functional as F

        self.state = state
        self.tensor_type = torch.Tensor
        self.class_losses = (F.cross_entropy, F.nll_loss)
        # the registries' own dicts, read directly on the hot path
        self.born_items = state.born.items
        self.ranges = state.pairs.ranges
        self.bounds = state.pairs.bounds
        self.by_storage = state.pairs.by_storage
        self.cuda = state.cuda

    def retire(self) -> None:
        """The trace ended: a thread that still has this mode pushed only calls through."""
        self.born_items, self.ranges, self.by_storage, self.cuda = {}, {}, {}, False

    def __torch_function__(self, func: Any, types: Any, args: Tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        # the hot path: every torch call while the watcher runs.  An op that touches no watched tensor
        # costs a type check and a dict lookup per tensor argument and a cached trampoline; the frame
        # walks and the registries' work happen only for ops on watched tensors
        if kwargs is None:
            kwargs = {}
        if self.cuda or ((self.born_items or self.ranges) and self._concerns(args, kwargs)):
            if not self.state.busy:
                return self._watched(func, args, kwargs)
        frame = sys._getframe(1)
        code = frame.f_code
        entry = trampolines.get((id(code), frame.f_lasti))
        trampoline = entry[1] if entry is not None and entry[0] is code else trampoline_for(frame)
        try:
            return trampoline(func, args, kwargs)
        except (AssertionError, RuntimeError) as exc:
            with self.state.guard("op"):
                self._no_cuda(exc)
            raise

    def _concerns(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> bool:
        """Whether this op touches a watched tensor: born from NumPy, or over a NumPy-shared storage
        (a tensor's data_ptr inside a shared storage's byte range: no storage object is made; the
        bounds of all the ranges are tested first)."""
        born, ranges = self.born_items, self.ranges
        tensor_type = self.tensor_type
        low, high = self.bounds
        for value in (*args, *kwargs.values()) if kwargs else args:
            if isinstance(value, tensor_type):
                if id(value) in born:
                    return True
                if ranges:
                    ptr = value.data_ptr()
                    if low <= ptr < high and self._shared(ptr):
                        return True
            elif type(value) in (list, tuple):
                for item in value:
                    if isinstance(item, tensor_type):
                        if id(item) in born:
                            return True
                        if ranges:
                            ptr = item.data_ptr()
                            if low <= ptr < high and self._shared(ptr):
                                return True
        return False

    def _shared(self, ptr: int) -> bool:
        for start, end in self.ranges.items():
            if start <= ptr < end:
                return True
        return False

    def _watched(self, func: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        state = self.state
        frame = sys._getframe(2)
        inputs: List[Any] = []
        written: List[Any] = []
        births: List[Tuple[Any, Birth]] = []
        with state.guard("op"):
            inputs = tensors_in(args, kwargs, self.tensor_type)
            if self.by_storage and inputs:
                written = written_by(func, args, kwargs, self.tensor_type)
                sharing.on_read(state, inputs, frame)
                if written:
                    sharing.on_write(state, written, frame, func)
            if self.born_items:
                born = state.born
                births = [(t, b) for t in inputs for b in (born.get(t),) if b is not None]
                if births and func in self.class_losses:
                    self._class_target(args, kwargs, frame)
        try:
            result = call_as(frame, func, args, kwargs)
        except (AssertionError, RuntimeError) as exc:
            with state.guard("op"):
                self._no_cuda(exc)
                if births:
                    self._promotion(func, inputs, births, frame, raised=True)
            raise
        with state.guard("op"):
            if written:
                sharing.resync(written, state)
            if births:
                self._carry(func, result, inputs, births, frame)
            if state.cuda:
                self._placement(result, inputs, frame)
        return result

    def _class_target(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], frame: FrameType) -> None:
        target = args[1] if len(args) > 1 else kwargs.get("target")
        birth = self.state.born.get(target) if isinstance(target, self.tensor_type) else None
        if birth is None or birth.code not in ("NTL103", "NTL102"):
            return
        problem = narrow_target_problem(target)
        if problem:
            self.state.report("NTL103", f"class-loss target of dtype {problem}, from {birth.what}",
                              birth.site, self.state.files.innermost(frame), raised=True)

    def _carry(self, func: Any, result: Any, inputs: List[Any], births: List[Tuple[Any, Birth]],
               frame: FrameType) -> None:
        outs = [result] if isinstance(result, self.tensor_type) else \
            [r for r in result if isinstance(r, self.tensor_type)] if isinstance(result, (tuple, list)) else []
        for out in outs:
            dtype = str(out.dtype)
            for tensor, birth in births:
                if str(tensor.dtype) == dtype:
                    self.state.born.add(out, birth)
                    break
            if dtype == _FLOAT64:
                self._promotion(func, inputs, births, frame, raised=False)

    def _promotion(self, func: Any, inputs: List[Any], births: List[Tuple[Any, Birth]], frame: FrameType,
                   raised: bool) -> None:
        """A float64 NumPy-born tensor met float32 data (not a 0-d scalar): the float32 math is promoted
        (or torch refuses the mix)."""
        f64 = [b for t, b in births if str(t.dtype) == _FLOAT64 and b.code in ("NTL101", "NTL102")]
        if not f64 or not any(str(t.dtype) == "torch.float32" and t.dim() > 0 for t in inputs):
            return
        name = getattr(func, "__name__", str(func))
        birth = f64[0]
        site = self.state.files.innermost(frame)
        if raised and self.state.recorder.has(birth.code, birth.site, site):
            return  # the module hook saw this call already; torch's refusal is the same event
        what = "refuses to mix it with float32 data" if raised else "promotes float32 math to float64"
        self.state.report(birth.code, f"float64 tensor ({birth.what}) {what} in {name}; "
                          "convert with dtype=torch.float32 or .float()", birth.site, site,
                          raised=raised)

    def _no_cuda(self, exc: BaseException) -> None:
        text = str(exc)
        if any(t in text for t in NO_CUDA_TEXTS) and not self.state.busy:
            site = self.state.files.innermost(sys._getframe(2))
            origin = self.state.default_device_site or site
            self.state.report("NTL301", f"CUDA placement on a host without CUDA (torch raises: {text.strip()}); "
                              "choose the device once: torch.device('cuda' if torch.cuda.is_available() else 'cpu')",
                              origin, site, raised=True)

    def _placement(self, result: Any, inputs: List[Any], frame: FrameType) -> None:
        if not isinstance(result, self.tensor_type) or result.device.type != "cuda":
            return
        if any(t.device.type == "cuda" for t in inputs):
            return  # already there: not a placement
        site = self.state.files.innermost(frame)
        self.state.report("NTL301", f"placement on {result.device} (works here; fails on a CPU-only host "
                          "unless guarded by torch.cuda.is_available(), which a run cannot see)", site, site)


def install_profiler_ranges(state: TraceState, patches: Any) -> None:
    """torch.autograd.profiler.record_function's enter and exit are an op each, on a name and a
    handle (no tensor): torch marks every DataLoader batch, optimizer step and zero_grad with one.
    Where the trace's op watcher is the only mode they go to torch directly (the watcher would
    only call them through; a mode of the program's own still sees them)."""
    import torch
    from torch.autograd.profiler import record_function

    stack_len, stack_at = torch._C._len_torch_function_stack, torch._C._get_function_stack_at
    no_torch_function = torch._C.DisableTorchFunction

    def bypassing(original: Any) -> Any:
        def method(self: Any, *args: Any) -> Any:
            if stack_len() == 1 and stack_at(0) is state.op_mode:
                with no_torch_function():
                    return original(self, *args)
            return original(self, *args)

        method.__name__ = getattr(original, "__name__", "method")
        method.__qualname__ = getattr(original, "__qualname__", "method")
        method.__doc__ = getattr(original, "__doc__", None)
        method.__wrapped__ = original  # type: ignore[attr-defined]
        return method

    for name in ("__enter__", "__exit__"):
        original = record_function.__dict__.get(name)
        if original is not None:
            patches.set(record_function, name, bypassing(original))


def module_pre_hook(state: TraceState) -> Any:
    import torch
    from torch.nn.modules.loss import CrossEntropyLoss, NLLLoss

    tensor_type = torch.Tensor

    def nested(frame: Optional[FrameType]) -> bool:
        """Called by another module's forward, not by the user's code: the outer call was seen."""
        calls = 0
        while frame is not None and not state.files.is_user(frame.f_code.co_filename):
            calls += frame.f_code.co_name == "_call_impl"
            frame = frame.f_back
        return calls > 1

    def user_forward(module: Any) -> bool:
        """The module's forward is the user's own code (its layers' calls are checked one by one,
        so a forward that casts its input, ``self.fc(x.float())``, is not a float32 sink itself)."""
        code = getattr(getattr(type(module), "forward", None), "__code__", None)
        return code is not None and state.files.is_user(code.co_filename)

    def hook(module: Any, args: Tuple[Any, ...]) -> None:
        if state.busy:
            return None
        state.settle()  # also starts the op watcher in a thread that calls a module while a watched tensor lives
        if not state.born:
            return None
        with state.guard("module call"):
            check(module, args)
        return None

    def check(module: Any, args: Tuple[Any, ...]) -> None:
        if nested(sys._getframe(2)):
            return
        for position, tensor in enumerate(tensors_in(args, {}, tensor_type)):
            birth = state.born.get(tensor)
            if birth is None:
                continue
            if str(tensor.dtype) == _FLOAT64 and birth.code in ("NTL101", "NTL102") and not user_forward(module):
                param = next((p for p in module.parameters() if p.is_floating_point()), None)
                if param is not None and param.dtype == torch.float32:
                    site = state.files.innermost(sys._getframe(1))
                    state.report(birth.code, f"float64 tensor ({birth.what}) reaches {type(module).__name__} "
                                 "whose parameters are float32; convert with dtype=torch.float32 or .float()",
                                 birth.site, site)
            elif position == 1 and isinstance(module, (CrossEntropyLoss, NLLLoss)):
                problem = narrow_target_problem(tensor)
                if problem:
                    site = state.files.innermost(sys._getframe(1))
                    state.report("NTL103", f"{type(module).__name__} target of dtype {problem}, from {birth.what}",
                                 birth.site, site, raised=True)

    return hook
