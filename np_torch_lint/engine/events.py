"""What the interpreter tells the rules: events at sinks, with the facts of their operands.

Rules consume events; they never walk the tree themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, FrozenSet, Optional, Tuple

from .values import Condition, Site, Tri, Value


@dataclass(frozen=True)
class Context:
    """Where in the program an event happens."""

    grad: Tri = Tri.YES  # YES: grad mode on (as far as this file shows), NO: off, UNKNOWN
    cuda_guarded: bool = False  # on a path where torch.cuda.is_available() was checked
    # In the body of a `try` whose handler reports a missing GPU and ends the job (guards.reports_failure):
    # a placement written there is handled; one in a function called from there is not.
    failure_reported: bool = False
    cuda_absent: bool = False  # on a path that runs only where CUDA is not used (`if not ...is_available():`)
    # On a path that runs only where torch.distributed's default process group is initialized
    # (`if not dist.is_initialized(): return` before it): CUDA is a premise where the project's
    # process groups are NCCL ones (premises.py; the rule asks the project).
    distributed: bool = False
    # Tests of the enclosing function's own parameters against constants on this path (`if mode == "cpu":`
    # holds ("mode", "'cpu'", True)): a call that passes another constant never reaches it.
    parameter_tests: FrozenSet[Tuple[str, str, bool]] = frozenset()
    function: Optional[str] = None  # qualified name of the enclosing function, if any
    # Inside `with self.assertRaises(...)` / `with pytest.raises(...)`: the error is the point.
    expects_error: bool = False
    # Enclosing loops, innermost last: (id of the loop node, names its body rebinds).
    loops: Tuple[Tuple[int, FrozenSet[str]], ...] = ()
    # Flag tests of the enclosing ifs and their outcome on this path (see conditions.py).
    conditions: FrozenSet[Condition] = frozenset()


def guarded_here(context: Context) -> bool:
    """A placement or load at this point does not fail unhandled on a host without CUDA: it is
    guarded, or written in the body of a ``try`` that reports the failure."""
    return context.cuda_guarded or context.failure_reported


@dataclass(frozen=True)
class ModelInput:
    """A tensor reaching a model, a loss or an operation with a float32 tensor."""

    sink: str  # "module", "loss" or "op"
    site: Site  # the call or operation
    value: Value
    direct: bool  # the argument itself (not an element of a container)
    others: Tuple[Value, ...]  # the other operands (loss, op)
    module: Optional[Value]  # the module called, for "module"
    context: Context
    # The conversion that made ``value`` is ``value.conversion``: its function and source are
    # fields of that conversion's own ``Conversion`` event, raised before this one.


@dataclass(frozen=True)
class ToNumpy:
    """A tensor converted to NumPy: ``.numpy()``, ``np.asarray(t)``, ``np.mean([t, ...])``."""

    site: Site  # where the finding goes: the ``numpy`` name, or the np.* call
    value: Value
    via: str  # ".numpy()" or "np.asarray" ... (display only)
    context: Context
    of_list: bool = False  # np.mean([t, ...]): every element of a list is converted
    # t.numpy(): the tensor's own method, whose receiver a fix can detach and move.
    by_method: bool = False


@dataclass(frozen=True)
class Placement:
    """A tensor, module or default placed on a device."""

    site: Site  # the placing call's method name, or the device= argument
    device: Value  # the device value used (with its origin)
    through_variable: bool  # the device came from a variable: report at its origin
    what: str  # ".cuda()", ".to(...)", "device=", "torch.cuda.FloatTensor", ... (display only)
    context: Context
    # Placed by a CUDA tensor type (torch.cuda.FloatTensor(...), .type(torch.cuda.FloatTensor)),
    # which fails with another error than "Torch not compiled with CUDA enabled".
    cuda_tensor_type: bool = False


@dataclass(frozen=True)
class Conversion:
    """NumPy (or Python) data turned into a tensor."""

    site: Site  # the conversion call
    function: str  # qualified name: torch.from_numpy, torch.tensor, ...
    source: Value
    result: Value
    context: Context
    # The conversion wraps the array's memory before anything else (from_numpy; as_tensor even
    # when it casts after), so NumPy's read-only flag reaches torch. False where it copies
    # outright: torch.asarray(a, copy=True), torch.asarray(a, dtype=...).
    wraps_source: bool = True


@dataclass(frozen=True)
class Load:
    """A checkpoint load: ``torch.load(...)``, ``torch.hub.load_state_dict_from_url(...)`` (``api.LOADERS``)."""

    site: Site  # the call
    map_location: bool  # given (keyword or second positional argument)
    context: Context
    # The same function saved a checkpoint before: a round trip on one host (a test, a resume
    # within one run) loads what that host wrote.
    saved_before: bool = False
    in_memory: bool = False  # torch.load(io.BytesIO(...)): bytes this process just received
    # A name in scope holding the file's own CPU-or-CUDA choice (`device = torch.device(
    # "cuda" if ... else "cpu")`): the map_location a fix should use.
    device_variable: Optional[str] = None
    # Weights downloaded from a URL or hub: the project's own save sites say nothing about them.
    from_url: bool = False


@dataclass(frozen=True)
class LossTarget:
    """The target argument of a classification loss (cross entropy, NLL)."""

    site: Site  # the loss call
    loss: str  # "CrossEntropyLoss", "cross_entropy", ...
    target: Value
    context: Context


@dataclass(frozen=True)
class DatasetItem:
    """A ``return`` of ``__getitem__`` in a ``torch.utils.data.Dataset`` subclass."""

    site: Site  # the return statement
    value: Value
    context: Context
    dataset: Any = field(default=None, compare=False)  # its scope.ClassInfo


@dataclass(frozen=True)
class SharedWrite:
    """An in-place write on one side of a NumPy/torch memory share, then a read of the other side."""

    site: Site  # the in-place write
    written: str  # the name written
    partner: str  # the name that shares its memory
    conversion: Optional[Site]  # where the sharing began
    read: Site  # the later read of the partner
    context: Context


@dataclass(frozen=True)
class Snapshot:
    """A view of live storage (a parameter's, or a variable's: ``value.shares_with``) stored into
    a list, dict or attribute."""

    site: Site  # the store (append call, item or attribute assignment)
    container: Optional[str]  # the list/dict variable, if a plain name
    value: Value
    context: Context


@dataclass(frozen=True)
class InPlaceWrite:
    """A variable's memory written in place: ``x += 1``, ``x.add_(1)``, ``a[0] = 0``, ``np.add(a, 1, out=a)``."""

    site: Site
    name: str
    context: Context


@dataclass(frozen=True)
class StateUpdate:
    """A module's state changes in place other than by an optimizer: a module with BatchNorm layers
    called in training mode (running statistics), ``model.load_state_dict(other)``."""

    site: Site
    how: str  # display: "the forward pass in training mode updates the BatchNorm running statistics"
    context: Context


@dataclass(frozen=True)
class StateRead:
    """A view of a module's tensors (``state_dict()``, a parameter's ``.numpy()``) read as a state:
    compared (``torch.equal(before[k], ...)``) or loaded back (``model.load_state_dict(before)``)."""

    site: Site
    value: Value  # the view read (its origin: where it was taken)
    others: Tuple[Value, ...]  # what it is compared with (empty when loaded back)
    how: str  # "comparison" or "restore"
    context: Context


@dataclass(frozen=True)
class ParameterUpdate:
    """Parameters change in place: ``optimizer.step()``, ``p.add_(...)``."""

    site: Site
    context: Context
