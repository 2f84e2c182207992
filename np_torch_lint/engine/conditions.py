"""Flags that decide a move to CUDA, so that a second test of the same flag is understood.

    if use_gpu:
        x = x.cuda()          # x is maybe on CUDA: on CUDA exactly when use_gpu holds
    out = net(x)
    if use_gpu:
        out = out.cpu()       # the other branch is where use_gpu is false: out never left the CPU
    out.numpy()               # fine on every path

A move made under ``if use_gpu:`` (or by ``"cuda" if use_gpu else "cpu"``) records the flag in
its origin's ``when``: the conditions that hold wherever the value is on CUDA. A later ``if``
on the same flag (the same expression, its root name still bound to the same value) knows, in
the branch where the flag is the other way, that such a value is on the CPU. Only that
direction is used: being on CUDA may need more than the flag.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Callable, FrozenSet, Optional, Tuple

from . import api

from .scope import Frame
from .values import UNKNOWN, Condition, Device, Kind, Origin, Tri, Value

#: the key of ``torch.cuda.is_available()`` and the other probes (the hardware does not change).
CUDA_PROBE_KEY = "<cuda available>"


def flag_condition(test: ast.expr, frame: Frame, cuda_test: Callable[[ast.expr, Frame], Optional[bool]]) -> Optional[Condition]:
    """The condition a test's then-branch holds under: (flag, identity of its value, polarity)."""
    positive = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, positive = test.operand, not positive
    if isinstance(test, ast.Call):
        probe = cuda_test(test, frame)
        return (CUDA_PROBE_KEY, 0, positive == probe) if probe is not None else None
    root = test
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or not isinstance(test, (ast.Name, ast.Attribute)):
        return None
    value = frame.lookup(root.id)
    if value is None:
        return None
    return (ast.unparse(test), id(value), positive)


def opposite(condition: Condition) -> Condition:
    key, identity, positive = condition
    return (key, identity, not positive)


def assume(frame: Frame, holds: Condition) -> None:
    """Enter a branch (of an ``if`` statement or an ``a if flag else b``) where ``holds``."""
    frame.context = replace(frame.context, conditions=frame.context.conditions | {holds})
    refine(frame, holds)


def refine(frame: Frame, holds: Condition) -> None:
    """In a branch where ``holds``: values on CUDA only under the opposite are on the CPU."""
    against = opposite(holds)
    for name, value in list(frame.env.items()):
        if needs(value, against):
            assert value.device_origin is not None
            # on CUDA only where `against` holds: here on the CPU, or unknown where the path that
            # moved it met one the analysis knows nothing of
            known = not value.device_origin.elsewhere_unknown
            frame.env[name] = value.with_(device=Device.CPU if known else None, device_origin=None)


def needs(value: Value, condition: Condition) -> bool:
    return (value.device is Device.MAYBE_CUDA and value.device_origin is not None
            and condition in value.device_origin.when)


def moved_under(origin: Origin, conditions: FrozenSet[Condition]) -> Origin:
    return replace(origin, when=origin.when | conditions) if conditions else origin


def narrow_isinstance(test: ast.expr, then_frame: Frame, else_frame: Frame,
                      qualname_of: Callable[[ast.expr, Frame], Optional[str]]) -> None:
    """``if isinstance(x, torch.Tensor):`` (or ``not isinstance``): in the branch a value of
    ``x`` cannot take (a tensor where the test fails, an array where it holds), ``x`` is unknown,
    so a finding there never rests on a value that does not reach it."""
    positive = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, positive = test.operand, not positive
    layer = _parametric_layer(test, then_frame, qualname_of)
    if layer is not None:
        name, module = layer
        (then_frame if positive else else_frame).env[name] = module
        return
    found = _isinstance_kinds(test, then_frame, qualname_of)
    if found is None:
        return
    name, kinds, exact = found
    holds, fails = (then_frame, else_frame) if positive else (else_frame, then_frame)
    value = then_frame.lookup(name)
    if value is None or value.kind is None:
        return
    if value.kind not in kinds:
        holds.env[name] = UNKNOWN
    elif exact:
        fails.env[name] = UNKNOWN


def _parametric_layer(test: ast.expr, frame: Frame, qualname_of: Callable[[ast.expr, Frame], Optional[str]]
                      ) -> Optional[Tuple[str, Value]]:
    """``isinstance(layer, nn.Linear)`` of a name bound to a value of unknown kind (a callback's
    ``for name, layer in model.named_children():``): where it holds, ``layer`` is that torch.nn
    layer, with its float parameters (``layer.weight`` needs grad unless the file freezes some);
    its device, dtype and mode are what they are, not known."""
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and len(test.args) == 2 and not test.keywords and isinstance(test.args[0], ast.Name)
            and not isinstance(test.args[1], ast.Tuple)):
        return None
    value = frame.lookup(test.args[0].id)
    if value is None or value.kind is not None:
        return None
    qual = qualname_of(test.args[1], frame) or ""
    module, _, short = qual.rpartition(".")
    if module not in api.TORCH_NN_NAMESPACES or short not in api.PARAMETRIC_MODULES:
        return None
    return test.args[0].id, value.with_(kind=Kind.MODULE, qualname=short, parametric=Tri.YES, training=Tri.UNKNOWN)


def _isinstance_kinds(test: ast.expr, frame: Frame, qualname_of: Callable[[ast.expr, Frame], Optional[str]]
                      ) -> Optional[Tuple[str, FrozenSet[Kind], bool]]:
    """(name, kinds the types stand for, whether every value of those kinds passes) of
    ``isinstance(name, T)`` / ``isinstance(name, (T1, T2))``; None for any other test."""
    if isinstance(test, ast.Call) and len(test.args) == 1 and not test.keywords and isinstance(test.args[0], ast.Name):
        predicate = api.KIND_PREDICATES.get(qualname_of(test.func, frame) or "")
        if predicate is not None:  # torch.is_tensor(x): isinstance(x, torch.Tensor)
            return test.args[0].id, frozenset({Kind(predicate)}), True
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and len(test.args) == 2 and not test.keywords and isinstance(test.args[0], ast.Name)):
        return None
    types = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
    kinds = set()
    exact = True
    for node in types:
        qual = qualname_of(node, frame) or ""
        kind = api.ISINSTANCE_KINDS.get(qual)
        if kind is None:
            # torch.FloatTensor: a tensor, but not every tensor; list: a sequence, but not a tuple
            kind = api.ANNOTATION_KINDS.get(qual) or api.ISINSTANCE_SOME_KINDS.get(qual)
            exact = False
        if kind is None:
            return None  # a type of the program's own: nothing known
        kinds.add(Kind(kind))
    return test.args[0].id, frozenset(kinds), exact


def narrow_device(test: ast.expr, then_frame: Frame, else_frame: Frame) -> None:
    """``if t.is_cuda:`` / ``if t.device.type == "cuda":`` (``!= "cpu"``, ``not``, ...): in the
    branch where the test says the tensor is not on CUDA, a tensor that may be there is on the
    CPU (``if t.is_cuda: t = t.cpu()`` then ``t.numpy()`` is fine on every host).

    ``if device.type == "cuda":`` on the program's device (``device == "cuda"`` too): a device
    chosen by ``"cuda" if torch.cuda.is_available() else "cpu"`` is on CUDA exactly where CUDA
    is there, so the branch where it is not is where CUDA is not: every value on CUDA only where
    CUDA is there is on the CPU in it (``if device.type == "cuda": out = out.cpu()``)."""
    positive = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, positive = test.operand, not positive
    found = _device_test(test)
    if found is None:
        return
    name, on_cuda = found
    off = else_frame if on_cuda == positive else then_frame
    value = off.lookup(name)
    if value is None:
        return
    if value.kind is Kind.DEVICE:
        if value.device is Device.MAYBE_CUDA and _chosen_by_probe(value):
            off.env[name] = value.with_(device=Device.CPU, origin=None)
            refine(off, (CUDA_PROBE_KEY, 0, False))
    elif value.kind in (Kind.TENSOR, None) and value.device in (Device.CUDA, Device.MAYBE_CUDA):
        off.env[name] = value.with_(device=Device.CPU, device_origin=None)


def _chosen_by_probe(device: Value) -> bool:
    """A device on CUDA exactly where ``torch.cuda.is_available()`` holds (no configuration,
    no path the analysis knows nothing of, no other flag)."""
    origin = device.origin
    return (origin is not None and origin.when == {(CUDA_PROBE_KEY, 0, True)}
            and not origin.configured and not origin.elsewhere_unknown)


def _device_test(test: ast.expr) -> Optional[Tuple[str, bool]]:
    """(name, whether the test holds when it is on CUDA) of ``x.is_cuda``, ``x.device.type ==/!=
    "cuda"/"cpu"``, and of a device's ``device.type ==/!= ...`` and ``device ==/!= ...``."""
    if isinstance(test, ast.Attribute) and test.attr == "is_cuda" and isinstance(test.value, ast.Name):
        return test.value.id, True
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq))):
        return None
    left, right = test.left, test.comparators[0]
    if isinstance(left, ast.Constant):
        left, right = right, left
    if not (isinstance(right, ast.Constant) and right.value in ("cuda", "cpu")):
        return None
    if isinstance(left, ast.Attribute) and left.attr == "type":
        left = left.value.value if isinstance(left.value, ast.Attribute) and left.value.attr == "device" else left.value
    if not isinstance(left, ast.Name):
        return None
    equal = isinstance(test.ops[0], ast.Eq)
    return left.id, equal == (right.value == "cuda")
