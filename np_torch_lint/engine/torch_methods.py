"""torch methods: what a tensor's or a module's method gives, through tables keyed by method name.

The handlers read the receiver and the arguments; what they share with torch functions
(placement, parameters, promotion, calling a module) they ask of the ``TorchModel``.
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, Iterable, Optional, Sequence

from . import api
from .arguments import Arg, argument, first, literal_bool_arg, literal_true, positional
from .events import StateUpdate, ToNumpy
from .guards import names_a_device
from .promotion import dtype_of, grad_in_context, python_number, python_values
from .scope import ClassInfo, Frame, storage_key
from .torch_model import TorchModel
from .values import UNKNOWN, Device, Kind, Tri, Value, moved_with, sequence
from .walker import Expressions, Walker

#: a tensor or module method: (receiver, name, callee, call, arguments, frame) -> value.
MethodHandler = Callable[[Value, str, ast.Attribute, ast.Call, Sequence[Arg], Frame], Value]


def _table(rows: Iterable[tuple]) -> Dict[str, MethodHandler]:
    """A handler table from (names, handler) rows; the first row naming a method wins."""
    table: Dict[str, MethodHandler] = {}
    for names, handler in rows:
        for name in names:
            table.setdefault(name, handler)
    return table


class TorchMethods:
    def __init__(self, walker: Walker, torch: TorchModel, expressions: Expressions) -> None:
        self.it = walker
        self.torch = torch
        self.ex = expressions
        self.tensor_methods = _table([
            (api.TO_NUMPY_METHODS, self._numpy),
            (api.TENSOR_CASTS, self._cast_method),
            (("to", "type"), self._to),
            (("cuda",), self._cuda),
            (("cpu",), self._cpu),
            (("detach", "detach_"), self._detach),
            (("requires_grad_",), self._requires_grad),
            (("item",), self._item),
            (api.PYTHON_LIST_METHODS, self._tolist),
            (api.INTEGER_RESULTS, self._integer_result),
            (api.VALUES_INDICES_RESULTS, self._values_indices),
            (api.TENSOR_PROPAGATING, self._propagating),
            (api.COMPARING_METHODS, self._compare),
            (("type_as",), self._type_as),
        ])
        self.module_methods = _table([
            (("forward",), self._forward),
            (api.MODULE_SELF_METHODS, self._self_method),
            (api.PARAMETER_ITERATORS, self._parameters),
            (api.STATE_VIEW_METHODS, self._state_dict),
            (api.STATE_LOADING_METHODS, self._load_state_dict),
        ])

    # --- tensor methods -----------------------------------------------------------------

    def tensor(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        handler = self.tensor_methods.get(name)
        if handler is not None:
            return handler(t, name, func, node, args, frame)
        if name.startswith(api.TENSOR_NEW_PREFIX):
            return Value(kind=Kind.TENSOR, dtype=t.dtype, device=t.device, requires_grad=Tri.NO)
        if name.endswith("_") and not name.startswith("_"):
            return t  # in place: the same tensor (see call_method for the write itself)
        return UNKNOWN

    def _numpy(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        force = argument(args, 0, "force")
        if force is not None and literal_true(force.node):
            # .numpy(force=True) detaches and copies to the CPU first (torch >= 1.13): no grad or
            # device error, and a copy wherever the tensor was not already a CPU one
            return Value(kind=Kind.NDARRAY, dtype=t.dtype, ndim=t.ndim, negative_strides=Tri.NO)
        site = self.it.site(func, attr=True)
        self.it.emit(frame, ToNumpy(site, t, ".numpy()", frame.context, by_method=True))
        partner = _storage_owner(func.value, frame)
        return Value(kind=Kind.NDARRAY, dtype=t.dtype, ndim=t.ndim, negative_strides=Tri.NO, param_view=t.param_view,
                     shares_with=partner, shared_at=site if partner else None, origin=t.origin if t.param_view else None)

    @staticmethod
    def _type_as(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``x.type_as(ref)``: x in ref's dtype, on ref's device (ref's type names both)."""
        ref = first(args)
        if ref.kind is not Kind.TENSOR:
            return UNKNOWN
        return t.with_(dtype=ref.dtype, device=ref.device, device_origin=ref.device_origin, shares_with=None,
                       param_view=False, grad_leaf=False, conversion=None, numpy_source=None)

    def _compare(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``before.equal(after)``, ``a.allclose(b)``: a comparison of tensors (see StateRead)."""
        self.torch.state_read([t] + [a.value for a in args if not a.starred], node, "comparison", frame)
        return UNKNOWN

    @staticmethod
    def _cast_method(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return cast(t, api.TENSOR_CASTS[name])

    def _to(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if name == "type" and not args:
            return Value(kind=Kind.PY_STR)
        result = t
        for arg in args:
            value = arg.value
            dtype = dtype_of(value)
            if dtype is not None and arg.keyword in (None, "dtype"):
                result = cast(result, dtype)
                if value.kind is Kind.API and api.TENSOR_TYPES.get(value.qualname or "", ("", False))[1]:
                    self.torch.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(func, attr=True),
                                     ".type(torch.cuda...)", frame, False, by_tensor_type=True)
                    result = result.with_(device=Device.CUDA)
            elif arg.keyword in (None, "device") and value.kind in (Kind.DEVICE, Kind.PY_STR):
                moved = value.device in (Device.CUDA, Device.MAYBE_CUDA)
                result = result.with_(device=value.device,
                                      device_origin=self.it.moved_origin(node, "moved by ", frame, value) if moved else None)
            elif value.kind is Kind.TENSOR:
                result = result.with_(dtype=value.dtype, device=value.device, conversion=None, numpy_source=None)
            elif arg.keyword == "device" or names_a_device(arg.node):
                result = result.with_(device=None)  # .to(device), .to(args.device): only the device changes
            elif arg.keyword in (None, "dtype") or arg.starred:
                # an unknown dtype or device: either may have changed
                result = result.with_(dtype=None, device=None, conversion=None, numpy_source=None)
        return t if result is t else result.with_(shares_with=None)

    def _cuda(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return t.with_(device=Device.CUDA, shares_with=None, param_view=False,
                       device_origin=self.it.moved_origin(node, "moved by ", frame))

    @staticmethod
    def _cpu(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return t.with_(device=Device.CPU, device_origin=None)

    @staticmethod
    def _detach(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        # a detached view of a live parameter still names it (NTL402 reads the view back as a state)
        return t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=t.origin if t.param_view else None)

    def _requires_grad(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if literal_bool_arg(args) is False:
            new = t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
        else:
            new = t.with_(requires_grad=Tri.YES, grad_leaf=True, origin=self.it.origin(node))
        if isinstance(func.value, ast.Name):
            frame.env[func.value.id] = new
        return new

    @staticmethod
    def _item(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return python_number(t.dtype)

    @staticmethod
    def _tolist(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return python_values(t.dtype, t.ndim)

    @staticmethod
    def _integer_result(t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO, device=t.device)

    def _values_indices(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg],
                        frame: Frame) -> Value:
        pair = self.torch.values_and_indices(name, t, args, frame)
        if pair is not None:
            return pair
        if name in api.TENSOR_PROPAGATING or (name in api.VALUES_INDICES_WITH_DIM and not args):
            # t.max(): the 0-d reduction, in t's dtype, on its device, with its grad
            return self._propagating(t, name, func, node, args, frame)
        return UNKNOWN

    def _propagating(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        operands = positional(args)
        if name in api.TENSOR_BINARY_METHODS and operands:
            return self.torch.binary(t, operands[0], node, frame)
        grad, origin = grad_in_context(t.requires_grad, t.origin, frame)
        if name in api.SHAPE_KEEPING_METHODS:
            ndim = t.ndim
        elif name in api.FULL_REDUCTION_METHODS and not args:
            ndim = 0  # loss.mean(): every element reduced (a dim or keepdim argument keeps dimensions)
        else:
            ndim = None
        return t.with_(ndim=ndim, grad_leaf=False, requires_grad=grad,
                       shares_with=None, origin=origin, param_view=t.param_view and name in api.TENSOR_VIEW_METHODS)

    # --- module methods -----------------------------------------------------------------

    def module(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        handler = self.module_methods.get(name)
        if handler is not None:
            return handler(m, name, func, node, args, frame)
        if m.qualname == "ModuleDict" and name in ("items", "values", "keys"):
            return _module_dict_view(m, name)
        cls = m.definition if isinstance(m.definition, ClassInfo) else None
        if cls is not None:
            method = cls.method(name)
            if method is not None:
                # walked with self where and as it is, as forward is (a half module's members take
                # its dtype: values.moved_with); a class that casts itself in its own methods is
                # left to the summary
                walked = not cls.casts_self
                return self.ex.call_function(method, frame, args, True, node if walked else None, receiver=m)
        elif m.definition is None and m.choices is not None:
            # `policy = A() if c else B()`: the method of whichever class it is on each path.
            return self.ex.each_choice(m, lambda one: self.module(one, name, func, node, args, frame))
        return UNKNOWN

    def _forward(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return self.torch.call_module(m, node, args, frame)

    def _self_method(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """model.double(), model.to(device), model.eval(): the module itself, changed in place."""
        result = m
        if name in api.MODULE_CASTS:
            result = m.with_(dtype=api.TENSOR_CASTS[name])
        elif name == "cuda":
            result = m.with_(device=Device.CUDA, device_origin=self.it.moved_origin(node, "model moved by ", frame))
        elif name == "cpu":
            result = m.with_(device=Device.CPU, device_origin=None)
        elif name in ("to", "type"):
            for arg in args:
                dtype = dtype_of(arg.value)
                if dtype is not None:
                    result = result.with_(dtype=dtype)
                elif arg.value.kind in (Kind.DEVICE, Kind.PY_STR) and arg.value.device is not None:
                    moved = arg.value.device in (Device.CUDA, Device.MAYBE_CUDA)
                    result = result.with_(device=arg.value.device,
                                          device_origin=self.it.moved_origin(node, "model moved by ", frame, arg.value) if moved else None)
                else:
                    result = result.with_(device=None, dtype=None)  # an unknown argument: anything may change
        elif name == "requires_grad_":
            result = m.with_(parametric=Tri.UNKNOWN if literal_bool_arg(args) is False else m.parametric)
        elif name == "eval":
            result = m.with_(training=Tri.NO)
        elif name == "train":
            # .train(flag) of a flag read at run time: in training mode on some path, as the flag says
            result = m.with_(training=Tri.NO if args and literal_bool_arg(args) is False else Tri.YES)
        if isinstance(func.value, ast.Name) and frame.lookup(func.value.id) is not None:
            frame.env[func.value.id] = result  # modules change in place: model.double()
        return result

    def _parameters(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        frozen = self.it.may_hold_frozen(m)  # a probe around a frozen encoder: some need no grad
        param = self.torch.parameter(m.dtype, m.device, node, "parameter from ",
                                     requires_grad=Tri.UNKNOWN if frozen else None, frozen=frozen)
        element = sequence((Value(kind=Kind.PY_STR), param)) if api.PARAMETER_ITERATORS[name] else param
        return Value(kind=Kind.SEQUENCE, element=element)

    def _state_dict(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``model.state_dict()``: the module's own tensors, detached but not copied (a snapshot of it
        taken before an optimizer step reads the weights after it). A class that defines its own
        ``state_dict`` returns what that method builds."""
        own = m.definition.method(name) if isinstance(m.definition, ClassInfo) else None
        if own is not None:
            return self.ex.call_function(own, frame, args, True, node, receiver=m)
        tensor = self.torch.parameter(m.dtype, m.device, node, api.STATE_VIEW_ORIGIN, requires_grad=Tri.NO)
        return Value(kind=Kind.DICT, element=tensor, param_view=tensor.param_view, origin=tensor.origin)

    def _load_state_dict(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg],
                         frame: Frame) -> Value:
        """``model.load_state_dict(state)``: the state's values are copied into the module's own tensors,
        in place (a state_dict() view of this module taken earlier reads them afterwards). A class that
        defines its own ``load_state_dict`` runs it."""
        own = m.definition.method(name) if isinstance(m.definition, ClassInfo) else None
        if own is not None:
            return self.ex.call_function(own, frame, args, True, node, receiver=m)
        self.torch.state_read([first(args)], node, "restore", frame)
        self.it.emit(frame, StateUpdate(self.it.site(node), "load_state_dict() copies other values into the module's "
                                                            "tensors", frame.context))
        return UNKNOWN


def cast(t: Value, dtype: str) -> Value:
    """``t.float()``, ``t.to(torch.int64)``: a cast to an integer type leaves the autograd graph."""
    if dtype not in api.FLOAT_DTYPES:
        return t.with_(dtype=dtype, requires_grad=Tri.NO, grad_leaf=False, origin=None, conversion=None,
                       numpy_source=None, shares_with=None, param_view=False)
    if dtype == t.dtype:
        return t
    return t.with_(dtype=dtype, conversion=None, numpy_source=None, shares_with=None, grad_leaf=False, param_view=False)


def _storage_owner(node: ast.expr, frame: Frame) -> Optional[str]:
    """The variable whose storage ``node`` is: ``x``, ``x.detach()``, ``x.view(-1)``, ``x[0]``, ``x.T``;
    and ``x.cpu()`` / ``x.to("cpu")`` where ``x`` is known to be a CPU tensor (they return it)."""
    through_cpu = False
    while True:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in api.TENSOR_SAME_STORAGE_METHODS):
            node = node.func.value
        elif isinstance(node, ast.Call) and _to_cpu(node):
            assert isinstance(node.func, ast.Attribute)
            node, through_cpu = node.func.value, True
        elif isinstance(node, ast.Attribute) and node.attr in api.TENSOR_VIEW_ATTRS:
            node = node.value
        elif isinstance(node, ast.Subscript) and _basic_index(node.slice):
            node = node.value  # x[0], x[:, 1:]: a view (an index tensor or list would copy)
        else:
            break
    key = storage_key(node)
    if key is None:
        return None
    if through_cpu:
        owner = frame.lookup(key)
        if owner is None or owner.kind is not Kind.TENSOR or owner.device is not Device.CPU:
            return None  # elsewhere .cpu() copies
    return key


def _to_cpu(call: ast.Call) -> bool:
    """``.cpu()`` or ``.to("cpu")``, nothing else given."""
    if not isinstance(call.func, ast.Attribute) or call.keywords:
        return False
    if call.func.attr == "cpu":
        return not call.args
    return (call.func.attr == "to" and len(call.args) == 1 and isinstance(call.args[0], ast.Constant)
            and call.args[0].value == "cpu")


def _basic_index(index: ast.expr) -> bool:
    """Integers, slices, ``...`` and ``None`` only: indexing that returns a view."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for part in parts:
        if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub):
            part = part.operand
        if isinstance(part, ast.Slice):
            continue
        if isinstance(part, ast.Constant) and (part.value is None or part.value is Ellipsis
                                               or (isinstance(part.value, int) and not isinstance(part.value, bool))):
            continue
        return False
    return True


def _module_dict_view(m: Value, name: str) -> Value:
    """``heads.items()`` / ``.values()`` / ``.keys()`` of a ModuleDict: string keys, and members
    that moved with the container (unknown where its members are)."""
    key = Value(kind=Kind.PY_STR)
    member = moved_with(m, m.element) if m.element is not None and m.element.kind is Kind.MODULE else UNKNOWN
    if name == "keys":
        return Value(kind=Kind.SEQUENCE, element=key)
    if name == "values":
        return Value(kind=Kind.SEQUENCE, element=member)
    return Value(kind=Kind.SEQUENCE, element=sequence((key, member)))
