"""Watchers at the conversion calls: torch.from_numpy / as_tensor / asarray / tensor, Tensor.numpy, torch.Tensor(...).

Each wrapper calls the original with the same arguments and returns its
result unchanged.  Around the call it records what crossed the seam (a
float64 or narrow-integer tensor born from NumPy, a pair sharing memory) and
the conditions torch itself errors or warns on (NTL201/202/403/404/501/502/503),
at the user's line.  The original is called as if from the caller's line
(trampoline.py), so a warning torch gives reads exactly as without the trace.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable

from .patches import Patches
from .registry import Birth
from .state import TraceState
from .trampoline import call_as

NARROW_INTS = ("int32", "int16", "int8", "uint8")


def install(state: TraceState, patches: Patches) -> None:
    import numpy as np
    import torch
    from torch.utils.data._utils import collate

    collate_file = collate.__file__
    stack_len, stack_at = torch._C._len_torch_function_stack, torch._C._get_function_stack_at
    no_torch_function = torch._C.DisableTorchFunction

    def conversion(name: str, original: Callable[..., Any], data_kw: str, dtype_pos: int) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            data: Any = args[0] if args else kwargs.get(data_kw)
            caller = sys._getframe(1)
            if caller.f_code.co_filename == collate_file:
                # default_collate's own conversions, one per sample: the loader watcher's part.  An ndarray
                # or NumPy scalar holds no tensor, so no op watcher has anything to see in the call: where
                # the trace's is the only mode, it is bypassed (a mode's dispatch is most of the cost)
                if stack_len() == 1 and stack_at(0) is state.op_mode and (
                        isinstance(data, (np.ndarray, np.generic)) or type(data) in (list, tuple)
                        and all(isinstance(v, np.generic) for v in data)):  # collate_numpy_scalar_fn's
                    with no_torch_function():
                        return original(*args, **kwargs)
                return original(*args, **kwargs)
            is_array = isinstance(data, np.ndarray)
            is_seq = isinstance(data, (list, tuple)) and len(data) > 0
            is_tensor = isinstance(data, torch.Tensor)
            is_scalar = isinstance(data, np.generic)
            if state.busy or not (is_array or is_seq or is_scalar or (is_tensor and name == "tensor")):
                return original(*args, **kwargs)  # the common case, untouched
            state.settle()
            site = None
            list_of_arrays = False
            with state.guard(f"torch.{name}"):
                site, list_of_arrays = _before(name, data, is_array, is_seq, is_tensor, site)
            started = time.perf_counter()
            state.enter()
            try:
                # called as if from the caller's line: a warning torch gives names that line, as without the trace
                result = call_as(caller, original, args, kwargs)
            finally:
                state.leave()
            spent = time.perf_counter() - started
            if list_of_arrays:
                state.report("NTL501", f"torch.{name} of a list of {len(data)} ndarrays (torch warns it is "
                             "extremely slow): np.stack them first", site, site, raised=True, seconds=spent)
            if not isinstance(result, torch.Tensor):
                return result
            given_dtype = kwargs["dtype"] if "dtype" in kwargs else args[dtype_pos] if len(args) > dtype_pos else None
            first = data[0] if is_seq else None
            from_numpy_data = is_array or is_scalar or isinstance(first, (np.ndarray, np.generic))
            state.enter()
            try:
                with state.guard(f"torch.{name}"):
                    _after(name, data, is_array, from_numpy_data, given_dtype, result, site)
            finally:
                state.leave()
            return result

        def _before(name: str, data: Any, is_array: bool, is_seq: bool, is_tensor: bool, site: Any) -> Any:
            site = state.files.innermost(sys._getframe(2))
            call = f"torch.{name}"
            if is_array and any(st < 0 for st in data.strides):
                state.report("NTL403", f"{call} of an array with negative strides {data.strides}; "
                             "copy it first (np.ascontiguousarray or .copy())", site, site, raised=True)
            first = data[0] if is_seq else None
            list_of_arrays = is_seq and isinstance(first, np.ndarray) and name in ("tensor", "as_tensor")
            if is_tensor:
                state.report("NTL502", "torch.tensor of a tensor copy-constructs it (torch warns); "
                             "use t.detach().clone()", site, site, raised=True)
            return site, list_of_arrays

        wrapper.__name__ = getattr(original, "__name__", name)
        wrapper.__doc__ = getattr(original, "__doc__", None)
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        return wrapper

    def _after(name: str, data: Any, is_array: bool, from_numpy_data: bool, given_dtype: Any,
               result: Any, site: Any) -> None:
        call = f"torch.{name}"
        depth = stack_len()
        if name == "from_numpy" and (depth == 0 or depth == 1 and stack_at(0) is state.op_mode):
            # torch's own from_numpy (no mode of the program's could return something else) is
            # always over the array's memory, on the CPU (the address costs NumPy a dict)
            shares = is_array and data.size > 0
        else:
            shares = is_array and data.size > 0 and result.device.type == "cpu" and \
                result.data_ptr() == data.__array_interface__["data"][0]
        if is_array and shares and not data.flags.writeable:
            state.report("NTL404", f"{call} of a read-only array: the tensor shares its memory and writing it "
                         "is undefined behaviour (torch warns); copy it first", site, site, raised=True)
        if shares and (state.on("NTL401") or state.on("NTL402")):
            state.pairs.add(result.untyped_storage().data_ptr(), result, data, site, call, to_numpy=False)
        if not from_numpy_data or given_dtype is not None:
            return
        dtype = str(result.dtype).replace("torch.", "")
        if dtype != "float64" and dtype not in NARROW_INTS:
            return  # the common case: nothing born (a NumPy dtype's name is slow to spell)
        source = f"{data.dtype} array" if is_array else f"NumPy {data.dtype} scalar" \
            if hasattr(data, "dtype") else "list of NumPy values"
        if dtype == "float64":
            state.born.add(result, Birth("NTL101", site, f"{call} of a {source}"))
        else:
            state.born.add(result, Birth("NTL103", site, f"{call} of a {source}"))

    for name, data_kw, dtype_pos in (("from_numpy", "ndarray", 99), ("as_tensor", "data", 1),
                                     ("asarray", "obj", 99), ("tensor", "data", 99)):
        original = getattr(torch, name)
        patches.set(torch, name, conversion(name, original, data_kw, dtype_pos))

    original_numpy = torch.Tensor.numpy
    tensor_type = torch.Tensor

    def numpy(self: Any, *args: Any, **kwargs: Any) -> Any:
        if state.busy:
            return original_numpy(self, *args, **kwargs)
        force = bool(kwargs.get("force", args[0] if args else False))
        state.settle()
        site = None
        with state.guard(".numpy()"):
            site = state.files.innermost(sys._getframe(1))
            if not force:
                if self.requires_grad and torch.is_grad_enabled():  # under no_grad torch lets it through
                    state.report("NTL201", ".numpy() of a tensor that requires grad (torch raises); "
                                 "use .detach().cpu().numpy()", site, site, raised=True)
                if self.device.type == "cuda":
                    state.report("NTL202", f".numpy() of a tensor on {self.device} (torch raises); "
                                 "use .cpu().numpy()", site, site, raised=True)
        state.enter()
        try:
            if type(self) is tensor_type and stack_len() == 1 and stack_at(0) is state.op_mode:
                # torch would send this call to the trace's own op watcher, which has nothing to do
                # while the trace is busy: a plain tensor under no other mode goes to torch directly
                with no_torch_function():
                    result = original_numpy(self, *args, **kwargs)
            else:
                result = original_numpy(self, *args, **kwargs)
            with state.guard(".numpy()"):
                if self.device.type == "cpu" and (state.on("NTL401") or state.on("NTL402")) and result.size > 0:
                    # the array holds its own alias of the tensor (its .base): it lives as long as the view
                    holder = result.base if isinstance(result.base, torch.Tensor) else self
                    state.pairs.add(self.untyped_storage().data_ptr(), holder, result, site, ".numpy()",
                                    to_numpy=True)
        finally:
            state.leave()
        return result

    numpy.__doc__ = original_numpy.__doc__
    patches.set(torch.Tensor, "numpy", numpy)

    base_new = torch._C.TensorBase.__new__

    # (*args, **kwargs): torch._dynamo accepts a wildcard signature where it substitutes Tensor.__new__
    def legacy_new(*args: Any, **kwargs: Any) -> Any:
        if len(args) > 1 and args[0] is torch.Tensor and isinstance(args[1], np.ndarray) and not state.busy:
            with state.guard("torch.Tensor()"):
                site = state.files.innermost(sys._getframe(1))
                state.report("NTL503", f"legacy constructor torch.Tensor of a {args[1].dtype} array: a silent "
                             "copy and cast to float32; use torch.from_numpy / torch.as_tensor with a dtype",
                             site, site)
        return base_new(*args, **kwargs)

    patches.set(torch.Tensor, "__new__", legacy_new)

    empty_arrays = state.pairs.empty_arrays
    for name in ("empty", "empty_like"):
        original_empty = getattr(np, name)

        def empty(*args: Any, __original: Callable[..., Any] = original_empty, **kwargs: Any) -> Any:
            result = __original(*args, **kwargs)
            empty_arrays.add(result)
            return result

        empty.__name__ = name
        empty.__doc__ = original_empty.__doc__
        patches.set(np, name, empty)
