"""NTL102/NTL103 (and NTL403) at run time: DataLoader batches.

`_BaseDataLoaderIter.__next__` is wrapped (the iterator keeps its type).  On
the first batch of each iterator fetched in this process (num_workers=0), a
profile function notes where the user's `__getitem__` returned and what; a
float64 tensor in a batch collated from NumPy float64 data or Python floats is
NTL102 at that `return`, and the batch's float64 / narrow-integer tensors are
marked as born there, so a float32 model or a class loss that receives them
later is reported against the `return` too.  With worker processes the
`__getitem__` runs elsewhere: the finding then names the method's first line.
A batch that default_collate refuses for a negative stride is NTL403 at that
`return` (the error is raised on, unchanged).
"""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, List, Optional, Tuple, cast

from .patches import Patches
from .registry import Birth
from .sites import Site
from .state import TraceState

_FLOAT_SOURCES = ("float64 ndarray", "Python float", "float64 tensor")


def _float_source(value: Any, depth: int = 0) -> Optional[str]:
    """What in a sample collates to float64: a float64 ndarray / NumPy float64, a Python float, or
    a float64 tensor (``torch.from_numpy(self.x[i])`` of float64 data)."""
    import numpy as np
    import torch

    if isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.float64:
        return _FLOAT_SOURCES[0]
    if isinstance(value, float):
        return _FLOAT_SOURCES[1]
    if isinstance(value, torch.Tensor) and value.dtype == torch.float64:
        return _FLOAT_SOURCES[2]
    if depth < 2 and isinstance(value, (list, tuple)):
        for item in value:
            found = _float_source(item, depth + 1)
            if found:
                return found
    if depth < 2 and isinstance(value, dict):
        for item in value.values():
            found = _float_source(item, depth + 1)
            if found:
                return found
    return None


def _flipped(value: Any, depth: int = 0) -> bool:
    """A sample holding an ndarray with a negative stride (default_collate refuses it)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return any(stride < 0 for stride in value.strides)
    if depth < 2 and isinstance(value, (list, tuple)):
        return any(_flipped(item, depth + 1) for item in value)
    if depth < 2 and isinstance(value, dict):
        return any(_flipped(item, depth + 1) for item in value.values())
    return False


def _batch_tensors(batch: Any, tensor_type: type, depth: int = 0) -> List[Any]:
    if isinstance(batch, tensor_type):
        return [batch]
    if depth >= 3:
        return []
    items = batch.values() if isinstance(batch, dict) else batch if isinstance(batch, (list, tuple)) else ()
    found: List[Any] = []
    for item in items:
        found.extend(_batch_tensors(item, tensor_type, depth + 1))
    return found


def install(state: TraceState, patches: Patches) -> None:
    import torch
    from torch.utils.data import dataloader

    iterator_class = dataloader._BaseDataLoaderIter
    original_next = iterator_class.__next__
    tensor_type = torch.Tensor

    def getitem_code(loader_iter: Any) -> Any:
        dataset = getattr(loader_iter, "_dataset", None)
        method = getattr(type(dataset), "__getitem__", None)
        return getattr(method, "__code__", None)

    def fetch_watching_returns(loader_iter: Any, code: Any, returns: List[Tuple[int, Any]]) -> Any:
        previous = sys.getprofile()

        def profile(frame: FrameType, event: str, arg: Any) -> None:
            if event == "return" and frame.f_code is code:
                returns.append((frame.f_lineno, arg))

        sys.setprofile(profile)
        try:
            return original_next(loader_iter)
        finally:
            sys.setprofile(previous)

    def watched_next(self: Any) -> Any:
        if state.busy or not (state.on("NTL102") or state.on("NTL103") or state.on("NTL101")):
            return original_next(self)
        state.settle()
        code = getitem_code(self)
        in_process = getattr(self, "_num_workers", 0) == 0
        first = not getattr(self, "_ntl_trace_seen", False)
        # only where no profiler runs: a C-level one (cProfile) could not be put back with sys.setprofile
        returns: List[Tuple[int, Any]] = []
        try:
            if first and in_process and code is not None and state.files.is_user(code.co_filename) \
                    and sys.getprofile() is None:
                batch = fetch_watching_returns(self, code, returns)
            else:
                batch = original_next(self)
        except ValueError as error:
            with state.guard("DataLoader"):
                _refused(self, error, returns, code)
            raise
        if first:
            try:
                self._ntl_trace_seen = True
            except AttributeError:
                pass
        with state.guard("DataLoader"):
            _inspect(self, batch, returns, code)
        return batch

    def _refused(loader_iter: Any, error: ValueError, returns: List[Tuple[int, Any]], code: Any) -> None:
        """default_collate raised on a sample with a negative stride (NTL403): reported at the
        user's ``__getitem__`` return that gave it (its first line where no return was seen)."""
        if not state.on("NTL403") or "negative" not in str(error) or code is None \
                or not state.files.is_user(code.co_filename):
            return
        line = next((line for line, value in returns if _flipped(value)), code.co_firstlineno)
        origin = Site(code.co_filename, line, code.co_name)
        state.report("NTL403", f"DataLoader batch refused: {type(loader_iter._dataset).__name__}.__getitem__ "
                     "returned an array with negative strides, which default_collate's torch.as_tensor "
                     "cannot take; return a copy", origin, state.files.innermost(sys._getframe(2)))

    def _inspect(loader_iter: Any, batch: Any, returns: List[Tuple[int, Any]], code: Any) -> None:
        if code is None or not state.files.is_user(code.co_filename):
            return  # a Dataset of torch's or a library's: not the user's __getitem__
        tensors = _batch_tensors(batch, tensor_type)
        f64 = [t for t in tensors if t.dtype == torch.float64]
        narrow = [t for t in tensors if str(t.dtype) in ("torch.int32", "torch.int16", "torch.int8", "torch.uint8")]
        if not f64 and not narrow:
            return
        returned = next(((line, value) for line, value in returns if _float_source(value)), None)
        known = getattr(loader_iter, "_ntl_trace_origin", None)
        if returned is not None:
            origin = Site(code.co_filename, returned[0], code.co_name)
            source = _float_source(returned[1])
            try:
                loader_iter._ntl_trace_origin = (origin, source)
            except AttributeError:
                pass
        elif known is not None:
            origin, source = known
        else:
            origin, source = Site(code.co_filename, code.co_firstlineno, code.co_name), "its samples"
        failure = state.files.innermost(sys._getframe(2))
        if f64 and source:
            state.report("NTL102", f"DataLoader batch is float64, collated from {source} returned by "
                         f"{type(loader_iter._dataset).__name__}.__getitem__; return float32 "
                         "(astype(np.float32), np.float32 values)", origin, failure)
        for tensor in f64:
            state.born.add(tensor, Birth("NTL102", origin, f"a float64 DataLoader batch ({source})"))
        for tensor in narrow:
            state.born.add(tensor, Birth("NTL103", origin, f"a {str(tensor.dtype)[6:]} DataLoader batch"))

    patches.set(iterator_class, "__next__", watched_next)
    _collate_arrays_directly(state, patches, torch)


def _collate_arrays_directly(state: TraceState, patches: Patches, torch: Any) -> None:
    """default_collate turns each NumPy sample into a tensor with torch.as_tensor: one call of the
    conversion watcher per sample, which has nothing to watch there (the loader watcher looks at the
    batch).  Its ndarray entry is replaced, while tracing, by the same steps calling the original
    as_tensor, and past the trace's op watcher where it is the only mode (an ndarray holds no tensor:
    no mode of the trace's could see anything in the call).  Where torch's collate module is not
    laid out as expected, nothing is replaced (the conversion watcher then steps aside per call)."""
    import numpy as np
    from torch.utils.data._utils import collate as collate_module

    table = getattr(collate_module, "default_collate_fn_map", None)
    original_fn: Any = getattr(collate_module, "collate_numpy_array_fn", None)
    pattern: Any = getattr(collate_module, "np_str_obj_array_pattern", None)
    collate: Any = getattr(collate_module, "collate", None)
    if not isinstance(table, dict) or original_fn is None or table.get(np.ndarray) is not original_fn \
            or pattern is None or collate is None:
        return
    torch_fn = cast(Callable[..., Any], original_fn)
    as_tensor = getattr(torch.as_tensor, "__wrapped__", torch.as_tensor)
    stack_len, stack_at = torch._C._len_torch_function_stack, torch._C._get_function_stack_at
    no_torch_function: Any = torch._C.DisableTorchFunction

    tensor_fn: Any = getattr(collate_module, "collate_tensor_fn", None)

    def collate_numpy_array_fn(batch: Any, *, collate_fn_map: Any = None) -> Any:
        if pattern.search(batch[0].dtype.str) is not None:
            return torch_fn(batch, collate_fn_map=collate_fn_map)  # torch's own TypeError
        if stack_len() == 1 and stack_at(0) is state.op_mode:
            with no_torch_function():
                tensors = [as_tensor(b) for b in batch]
                # torch's collate_tensor_fn stacks them: nothing for the op watcher to see unless one
                # of them lies over NumPy-shared memory (a view of an array paired with a tensor)
                if tensor_fn is not None and collate_fn_map is not None and \
                        collate_fn_map.get(torch.Tensor) is tensor_fn and not state.cuda and \
                        not state.op_mode._concerns((tensors,), {}):
                    return collate(tensors, collate_fn_map=collate_fn_map)
        else:
            tensors = [as_tensor(b) for b in batch]
        return collate(tensors, collate_fn_map=collate_fn_map)

    patches.set_item(table, np.ndarray, collate_numpy_array_fn)
