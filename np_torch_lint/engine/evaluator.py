"""The expression evaluator: what each expression evaluates to, and the events it raises.

It knows Python (names, constants, containers, operators, attributes, subscripts,
calls of this file's functions and classes) and routes everything else: calls by
qualified name through a handler table to the NumPy and torch models, methods by
receiver kind. Guards and dtype promotion live in their own modules. The
interpreter is reached only through the ``Walker`` protocol, so this module does
not import it.
"""
from __future__ import annotations

import ast
import weakref
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from . import api, conditions, containers, distributions, effects, guards
from .arguments import Arg, argument, bound_arguments, first, literal_false, negative_literal
from .events import ParameterUpdate, Snapshot
from .functions import constant_arguments
from .numpy_model import NumpyModel, loaded_array, named_file
from .premises import Premises
from .promotion import NUMBERS, SCALARS, grad_in_context, numpy_result_dtype
from .classes import POST_INIT, attributes_read, frozen_member, method_stored, registered_name
from .scope import ClassInfo, Frame, FunctionInfo, attribute_key, on_instance, storage_key
from .nodes import walk
from .torch_methods import TorchMethods
from .sklearn_model import SklearnModel
from .torch_model import ApiHandler, TorchModel, layer_parametric, tensor_dataset_item
from .functions import parameters_given
from .values import (UNKNOWN, UNKNOWN_CHOICE, Device, Kind, Origin, Site, Tri, Value, is_array_like, join, knows_nothing, moved_with,
                     sequence, stored_by_constructor)
from .walker import Walker

_BUILTINS = frozenset({"bytes", "getattr", "next", "iter", "float", "int", "bool", "list", "tuple", "dict", "map", "len", "range", "enumerate", "zip",
                       "exit", "quit", "open", "sum", "min", "max", "abs", "sorted", "reversed", "super", "slice"})


class Evaluator:
    def __init__(self, walker: Walker) -> None:
        self.it = walker
        self.numpy = NumpyModel(walker)
        self.sklearn = SklearnModel(walker)
        self.torch = TorchModel(walker, self)
        self.torch_methods = TorchMethods(walker, self.torch, self)
        self.premises = Premises(self.qualname_of, walker.project_value)
        # Calls by exact qualified name; then by namespace, in order (the first match wins).
        self.api_calls: Dict[str, ApiHandler] = self.torch.api_calls()
        self._zero_grad_cache: Dict[int, FrozenSet[str]] = {}
        for name in api.PIL_OPENERS:
            self.api_calls.setdefault(name, self._pil_image)
        for name in api.OPENCV_READERS | api.OPENCV_SAME_DTYPE:
            self.api_calls.setdefault(name, self._opencv)
        for name in api.BINARY_READ_METHODS:
            self.api_calls.setdefault(f"{api.BINARY_FILE}.{name}", self._bytes)
        for name in api.BYTES_FUNCTIONS:
            self.api_calls.setdefault(name, self._bytes)
        for name in api.UNPICKLERS:
            self.api_calls.setdefault(name, self._unpickled)
        for name in api.TEXT_DATA_PARSERS:
            self.api_calls.setdefault(name, self._text_data)
        self.api_calls.setdefault("builtins.getattr", self._getattr)
        for name in api.DICT_CONSTRUCTORS:
            self.api_calls.setdefault(name, self._dict)
        for name in api.SKLEARN_SPLITTERS:
            self.api_calls.setdefault(name, self.sklearn.split)
        for name in api.SKLEARN_DATASET_MAKERS:
            self.api_calls.setdefault(name, self.sklearn.toy_data)
        for name in api.SKLEARN_BUNDLED_LOADERS:
            self.api_calls.setdefault(name, self.sklearn.bundled_data)
        for name in api.SKLEARN_SCALERS:
            self.api_calls.setdefault(name, self.sklearn.scaler)
        self.api_calls.setdefault(f"{api.SKLEARN_SCALER}.{api.SKLEARN_SCALER_FIT}", self.sklearn.scaler)
        for name in api.SKLEARN_SCALER_METHODS:
            self.api_calls.setdefault(f"{api.SKLEARN_SCALER}.{name}", self.sklearn.scaled)
        for name in api.FILE_OPENERS:
            self.api_calls.setdefault(name, self._opened)
        for name in api.DEEP_COPIES:
            self.api_calls.setdefault(name, self._deep_copy)
        for name in api.PARTIALS:
            self.api_calls.setdefault(name, self._partial)
        for name in api.RECORD_TYPE_MAKERS:
            self.api_calls.setdefault(name, self._record_type)
        self.api_calls.setdefault(api.RECORD_TYPE, self._record)
        for name in api.SAMPLERS | api.LIST_LIKE_CONTAINERS:
            self.api_calls.setdefault(name, self._items_of_first)
        self._property_calls: Dict[int, Tuple[ast.Attribute, ast.Call]] = {}  # see _property_call
        self._registered: Dict[int, Tuple[ast.Call, ast.Attribute]] = {}  # see _register_attribute
        self.api_namespaces: List[Tuple[Callable[[str], bool], ApiHandler]] = [
            (lambda q: q.startswith("numpy."), self.numpy.call),
            (lambda q: q.startswith(api.PIL_IMAGE + ".") and q.rsplit(".", 1)[-1] in api.PIL_IMAGE_METHODS, self._pil_image),
            (lambda q: q.startswith("torch.nn.functional."), self.torch.functional),
            (lambda q: q.startswith("torch.nn.") and q.count(".") == 2, self.torch.nn),
            (api.builds_zoo_model, self.torch.zoo_model),
            (lambda q: q in api.FOREIGN_ARRAY_READERS, self._foreign_reader),
            (lambda q: q.startswith("torch."), self.torch.function),
            (lambda q: q.startswith("builtins."), self._builtin),
        ]

    # --- the dispatcher -----------------------------------------------------------------

    def eval(self, node: ast.expr, frame: Frame) -> Value:
        if isinstance(node, ast.Name):
            if frame.pending_writes:
                self.it.read(node.id, node, frame)
            return self.name(node.id, frame)
        if isinstance(node, ast.Attribute):
            if frame.pending_writes and isinstance(node.value, ast.Name):
                self.it.read(attribute_key(node), node, frame)  # data.raw, self.raw
            return self.attribute(node, frame)
        if isinstance(node, ast.Call):
            return self.call(node, frame)
        if isinstance(node, ast.Constant):
            return self.constant(node, frame)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.eval(e, frame) for e in node.elts]
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return Value(kind=Kind.SEQUENCE)
            return sequence(tuple(items))
        if isinstance(node, ast.BinOp):
            left = self.eval(node.left, frame)
            right = self.eval(node.right, frame)
            return self.binary(node.op, left, right, node, frame)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, frame)
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(node.operand, frame)
            if isinstance(node.op, ast.Not):
                return Value(kind=Kind.PY_BOOL)
            if operand.kind in (Kind.PY_INT, Kind.PY_FLOAT):
                return Value(kind=operand.kind)
            return operand.with_(shares_with=None) if operand.kind in (Kind.TENSOR, Kind.NDARRAY) else UNKNOWN
        if isinstance(node, ast.Compare):
            values = [self.eval(node.left, frame)] + [self.eval(c, frame) for c in node.comparators]
            tensors = [v for v in values if v.kind is Kind.TENSOR]
            if tensors:
                return Value(kind=Kind.TENSOR, dtype=api.BOOL, requires_grad=Tri.NO, device=tensors[0].device,
                             device_origin=tensors[0].device_origin)
            arrays = [v for v in values if v.kind is Kind.NDARRAY]
            if arrays:
                # an array against Python or NumPy scalars keeps its shape (`probs > 0.5`)
                scalars = all(v.kind in SCALARS for v in values if v.kind is not Kind.NDARRAY)
                ndim = arrays[0].ndim if len(arrays) == 1 and scalars else None
                return Value(kind=Kind.NDARRAY, dtype=api.BOOL, negative_strides=Tri.NO, ndim=ndim)
            return Value(kind=Kind.PY_BOOL)
        if isinstance(node, ast.Dict):
            values = [self.eval(v, frame) for v in node.values]
            for key in node.keys:
                if key is not None:
                    self.eval(key, frame)
            return containers.literal(node.keys, values)
        if isinstance(node, ast.BoolOp):
            return short_circuit(node.op, [self.eval(value, frame) for value in node.values])
        if isinstance(node, ast.IfExp):
            self.eval(node.test, frame)
            decided = none_test(node.test, frame, self.name)
            if decided is not None:
                # `device if device is not None else default` with device None (a default the call
                # left): only one side runs
                return self.eval(node.body if decided else node.orelse, frame)
            always = guards.constant_truth(node.test, self.it.guard_flags)
            if always is not None:
                # "cuda" if USE_CUDA else "cpu" with USE_CUDA = True: the taken side is the value; the
                # other never runs (walked for its sinks as if guarded).
                taken, skipped = (node.body, node.orelse) if always else (node.orelse, node.body)
                self.eval(skipped, frame.fork(cuda_guarded=True))
                return self.eval(taken, frame)
            guard = self.is_cuda_test(node.test, frame)
            then_changes, else_changes = self.branch_premises(node.test, frame, guard)
            flag = conditions.flag_condition(node.test, frame, self.is_cuda_test)
            then_frame = frame.fork(**then_changes) if then_changes or flag else frame
            else_frame = frame.fork(**else_changes) if else_changes or flag else frame
            if flag is not None:
                # `a.numpy() if not use_gpu else a.cpu().numpy()`: each side knows the flag, as in an `if`.
                conditions.assume(then_frame, flag)
                conditions.assume(else_frame, conditions.opposite(flag))
            body = self.eval(node.body, then_frame)
            orelse = self.eval(node.orelse, else_frame)
            joined = join(body, orelse)
            if flag is not None and joined.device is Device.MAYBE_CUDA:
                # "cuda" if use_gpu else "cpu": on CUDA exactly where the flag says so.
                cuda_side, holds = (body, flag) if body.device is Device.CUDA else (orelse, conditions.opposite(flag))
                if cuda_side.device is Device.CUDA and cuda_side.origin is not None:
                    joined = joined.with_(origin=conditions.moved_under(cuda_side.origin, frozenset({holds})))
            elif flag is not None and joined.choices is not None and joined.kind is Kind.API:
                # torch.cuda.FloatTensor if use_gpu else torch.FloatTensor: a CUDA type exactly where the flag says so.
                cuda_side, holds = (body, flag) if _cuda_tensor_type(body.qualname) else (orelse, conditions.opposite(flag))
                if _cuda_tensor_type(cuda_side.qualname) and cuda_side.origin is not None:
                    joined = joined.with_(origin=conditions.moved_under(cuda_side.origin, frozenset({holds})))
            return joined
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            inner = frame.fork()
            self.comprehension(node.generators, inner)
            return containers.holding_views(Value(kind=Kind.SEQUENCE, element=self.eval(node.elt, inner)))
        if isinstance(node, ast.DictComp):
            inner = frame.fork()
            self.comprehension(node.generators, inner)
            self.eval(node.key, inner)
            return containers.holding_views(containers.built(self.eval(node.value, inner)))
        if isinstance(node, ast.NamedExpr):
            value = self.eval(node.value, frame)
            self.it.bind(node.target, value, frame)
            return value
        if isinstance(node, ast.Lambda):
            return self.it.define_lambda(node, frame)  # a function like any other: walked, and walked per call
        if isinstance(node, (ast.Yield, ast.YieldFrom)) and frame.function is not None:
            frame.function.generator = True  # seen while walking: calls return a generator
            if node.value is not None:
                # what a loop over the generator's calls gets (`yield batch`, `yield from batches`)
                given = self.eval(node.value, frame)
                frame.yields.append(self.element_of(given) if isinstance(node, ast.YieldFrom) else given)
            return UNKNOWN  # the value sent back in
        # Anything else (f-strings, await, starred, slices...): look inside for sinks.
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child, frame)
            elif isinstance(child, ast.keyword):
                self.eval(child.value, frame)
        return UNKNOWN

    def constant(self, node: ast.Constant, frame: Optional[Frame] = None) -> Value:
        value = node.value
        if isinstance(value, bool):
            return Value(kind=Kind.PY_BOOL)
        if isinstance(value, int):
            return Value(kind=Kind.PY_INT)
        if isinstance(value, float):
            return Value(kind=Kind.PY_FLOAT)
        if isinstance(value, bytes):
            return Value(kind=Kind.PY_BYTES)
        if isinstance(value, str):
            guarded = frame is not None and frame.context.cuda_guarded
            return Value(kind=Kind.PY_STR, qualname=value, device=guards.device_of_string(value),
                         origin=Origin("", Site(node), guarded=guarded))
        if value is None:
            return Value(kind=Kind.NONE)
        return UNKNOWN

    def comprehension(self, generators: Sequence[ast.comprehension], frame: Frame) -> None:
        for generator in generators:
            element = self.element_of(self.eval(generator.iter, frame), frame, generator.iter)
            self.it.bind(generator.target, element, frame)
            for condition in generator.ifs:
                self.eval(condition, frame)

    def name(self, name: str, frame: Frame) -> Value:
        value = frame.lookup(name)
        if value is not None:
            if frame.function is not None and name in self.it.rebound_globals and self._module_level(name, frame):
                return UNKNOWN  # `global name` rebinds it in some function: which value is there is not known
            return value
        if name in _BUILTINS:
            return Value(kind=Kind.API, qualname="builtins." + name)
        return UNKNOWN

    def _module_level(self, name: str, frame: Frame) -> bool:
        """Whether a read of ``name`` in ``frame`` finds the module's binding (no local one)."""
        scope: Optional[Frame] = frame
        while scope is not None and name not in scope.env:
            scope = scope.parent
        return scope is self.it.module_frame

    def qualname_of(self, node: ast.expr, frame: Frame) -> Optional[str]:
        """The qualified API name an expression stands for (``np.random.rand``), without events."""
        if isinstance(node, ast.Name):
            value = self.name(node.id, frame)
            return value.qualname if value.kind is Kind.API else None
        if isinstance(node, ast.Attribute):
            base = self.qualname_of(node.value, frame)
            return f"{base}.{node.attr}" if base is not None else None
        return None

    def element_of(self, value: Value, frame: Optional[Frame] = None, node: Optional[ast.expr] = None) -> Value:
        """What iterating ``value`` gives; an instance of a project class whose ``__iter__`` is a
        generator gives what that generator yields, walked on this instance (needs ``frame`` and
        the iterated ``node``)."""
        if value.kind is Kind.SEQUENCE:
            return value.element or UNKNOWN
        if value.kind is Kind.INSTANCE and isinstance(value.definition, ClassInfo) and frame is not None \
                and node is not None:
            method = value.definition.method("__iter__")
            if method is not None and _yields(method.node):
                made = self.call_function(method, frame, [], True, _iter_call(node), value)
                return made.element or UNKNOWN if made.kind is Kind.SEQUENCE else UNKNOWN
        if value.kind is Kind.JSON:
            return value  # for record in index["items"]
        rows = tensor_dataset_item(value)
        if rows is not None:
            return rows  # for x, y in dataset
        if value.kind is Kind.MODULE and value.qualname == "ModuleDict":
            return Value(kind=Kind.PY_STR)  # for name in self.heads: its keys
        if value.kind is Kind.MODULE and value.element is not None and value.element.kind is Kind.MODULE:
            return moved_with(value, value.element)  # for layer in model.layers
        if value.kind is Kind.TENSOR:
            return value.with_(ndim=None, grad_leaf=False, shares_with=None, param_view=False)
        if value.kind is Kind.NDARRAY and value.dtype is not None:
            # for row in arr: rows of a 2-d array, scalars of a 1-d one, the dtype either way.
            if value.ndim == 1:
                return Value(kind=Kind.NP_SCALAR, dtype=value.dtype, ndim=0, origin=value.origin)
            if value.ndim is not None and value.ndim > 1:
                return value.with_(ndim=value.ndim - 1, shares_with=None, param_view=False)
            return Value(dtype=value.dtype, origin=value.origin)
        return UNKNOWN

    # --- guards (see guards.py) ---------------------------------------------------------

    def is_cuda_test(self, node: ast.expr, frame: Frame) -> Optional[bool]:
        """True: the test holds only where CUDA is usable; False: only where it is not."""
        return guards.is_cuda_test(node, frame, self.qualname_of, self.it.guard_flags)

    def branch_premises(self, test: ast.expr, frame: Frame,
                        guard: Optional[bool]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """The context each branch of a test runs in: guarded by a CUDA test (``guard``) or where CUDA is
        not used, and a test that holds only where CUDA ran, or only where the default process group is
        initialized (premises.py)."""
        then_changes: Dict[str, Any] = {}
        else_changes: Dict[str, Any] = {}
        for field, holds in (("cuda_guarded", True if guard is True else self.premises.cuda(test, frame)),
                             ("distributed", self.premises.distributed(test, frame))):
            if holds is True:
                then_changes[field] = True
            elif holds is False:
                else_changes[field] = True
        if guard is False:
            else_changes["cuda_guarded"] = True
        # `if not torch.cuda.is_available():` / `a.numpy() if not use_gpu else ...`: CUDA is not used there.
        if guard is not None:
            (then_changes if guard is False else else_changes)["cuda_absent"] = True
        return then_changes, else_changes

    def catches_cuda_errors(self, handler_type: Optional[ast.expr], frame: Frame) -> bool:
        """An except clause that catches what a missing GPU raises (AssertionError, RuntimeError...)."""
        return guards.catches_cuda_errors(handler_type)

    # --- attributes and subscripts ------------------------------------------------------

    def attribute(self, node: ast.Attribute, frame: Frame) -> Value:
        if node.attr in api.METADATA_ATTRS and storage_key(node.value) is not None:
            # a.shape, t.dtype, self.raw.shape: metadata, not a read of the data (NTL401 waits for a real read)
            held = self.name(node.value.id, frame) if isinstance(node.value, ast.Name) else (
                self.attribute(node.value, frame) if isinstance(node.value, ast.Attribute) else UNKNOWN)
            if held.kind is Kind.TENSOR and node.attr == "device":
                return self.torch.attribute(held, "device")
            if held.kind in (Kind.NDARRAY, Kind.TENSOR):
                return UNKNOWN
        base = self.eval(node.value, frame)
        attr = node.attr
        if base.kind is None and base.qualname == api.NUMPY_LOADED and attr in api.NDARRAY_ONLY_MEMBERS:
            base = loaded_array(base)  # np.load(path).T: an archive has no .T, so it was an array
        kind = base.kind
        if kind is Kind.API:
            qualname = f"{base.qualname}.{attr}"
            if qualname in api.NUMPY_FLOAT_CONSTANTS:
                return Value(kind=Kind.PY_FLOAT)
            found = None if qualname.startswith(api.LIBRARY_PREFIXES) else self.it.project_value(qualname)
            if found is not None:
                return found
            if _cuda_tensor_type(qualname):
                # torch.cuda.FloatTensor named on a path (a branch under a flag): its tensors are on CUDA
                # where the flags of that path hold (see call_api_choices).
                return Value(kind=Kind.API, qualname=qualname, origin=self.it.moved_origin(node, "", frame))
            return Value(kind=Kind.API, qualname=qualname)
        if kind is Kind.TENSOR:
            return self.torch.attribute(base, attr)
        if kind is Kind.NDARRAY:
            return self.numpy.attribute(base, attr)
        if is_array_like(base) and attr in api.ARRAY_LIKE_SAME_DTYPE_ATTRS:
            return Value(dtype=base.dtype, origin=base.origin)  # frame.astype(np.float64).values
        if kind in (Kind.MODULE, Kind.INSTANCE):
            cls = base.definition if isinstance(base.definition, ClassInfo) else None
            if cls is not None:
                if self._reads_self(node, frame):
                    # set by this method on this path, or moved in place by a helper it called
                    # (_placed_through_parameters); set on another path only: the class's join
                    on_path = frame.lookup(attribute_key(node))
                    if on_path is not None:
                        return moved_with(base, on_path)
                value = self.it.class_attrs(cls).get(attr)
                given = stored_by_constructor(base, attr)
                if given is None:
                    given = value
                if given is not None and self.it.frozen_class(cls):
                    given = frozen_member(given)  # a class that freezes its own parameters (engine.freezing)
                if given is not None:
                    # what this instance's construction stored (Trainer(net).net), else the class's
                    # join; a share it keeps with another of its attributes, read through its holder
                    if given.shares_with is not None:
                        partner = on_instance(given.shares_with, node.value)
                        given = given.with_(shares_with=partner, shared_at=given.shared_at if partner else None)
                    return moved_with(base, given)
                method = cls.method(attr)
                if method is not None and _is_property(method.node):
                    # model.device where `device` is a @property: its getter, run on this instance
                    return self.call_function(method, frame, (), True, self._property_call(node), receiver=base)
                if method is not None:
                    return Value(kind=Kind.FUNCTION, qualname=method.qualname, definition=method)
                if kind is Kind.MODULE and attr == api.WRAPPED_MODULE_ATTR:
                    return base  # model.module: a wrapper's module (the engine keeps the wrapped one)
                return UNKNOWN
            if kind is Kind.MODULE:
                parameter = self.torch.module_attribute(base, attr, node)
                if parameter is not None:
                    return parameter
                if attr == api.WRAPPED_MODULE_ATTR:
                    return base
        if kind is Kind.SEQUENCE and base.keys and attr in base.keys and base.elements is not None:
            return base.elements[base.keys.index(attr)]  # torch.max(t, 1).indices: a named tuple's field
        if kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
            found = base.definition.class_attrs.get(attr)
            if found is not None:
                return found
            method = base.definition.method(attr)  # `Cls.helper`, e.g. passed as a callback
            return Value(kind=Kind.FUNCTION, qualname=method.qualname, definition=method) if method else UNKNOWN
        return UNKNOWN

    def _property_call(self, node: ast.Attribute) -> ast.Call:
        """The call a property read makes, as a node of its own (kept per read: walks are cached by node)."""
        found = self._property_calls.get(id(node))
        if found is None or found[0] is not node:
            call = ast.copy_location(ast.Call(func=node, args=[], keywords=[]), node)
            call.end_lineno, call.end_col_offset = node.end_lineno, node.end_col_offset
            found = self._property_calls[id(node)] = (node, call)
        return found[1]

    def _register_attribute(self, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> None:
        """``self.register_buffer("mean", t)``: stored as ``self.mean = t`` would be, the tensor
        marked a buffer (moved and cast with its module: see ``moved_with``)."""
        name = registered_name(node)
        if name is None or not name.isidentifier():
            return
        given = argument(args, 1, api.ATTRIBUTE_REGISTRARS[func.attr])
        value = given.value if given is not None and not given.starred else UNKNOWN
        if value.kind is Kind.TENSOR and func.attr == "register_buffer":
            value = value.with_(buffer=True)
        target = self._registered.get(id(node))
        if target is None or target[0] is not node:
            store = ast.copy_location(ast.Attribute(value=func.value, attr=name, ctx=ast.Store()), func)
            target = self._registered[id(node)] = (node, store)
        self.it.bind(target[1], value, frame)

    @staticmethod
    def _reads_self(node: ast.Attribute, frame: Frame) -> bool:
        return isinstance(node.value, ast.Name) and frame.self_name is not None and node.value.id == frame.self_name

    def subscript(self, node: ast.Subscript, frame: Frame) -> Value:
        base = self.eval(node.value, frame)
        index = node.slice
        parts: List[ast.expr] = list(index.elts) if isinstance(index, ast.Tuple) else [index]
        values = [self.eval(p, frame) for p in parts]
        if base.kind is Kind.API and base.qualname in api.MODEL_ZOO_REGISTRIES:
            return zoo_entry(index)  # models.__dict__[args.arch]
        if base.kind is Kind.TENSOR:
            if base.ndim == 0:
                # loss.data[0]: a Python number in torch before 0.4, an IndexError since: no tensor either way
                return UNKNOWN
            return base.with_(ndim=None, shares_with=None, param_view=False)
        if base.kind in (Kind.PY_BYTES, Kind.PY_STR):
            # payload[a:b] is bytes again (np.frombuffer over it is read-only); payload[i] an int
            return Value(kind=base.kind if isinstance(index, ast.Slice) else Kind.PY_INT if base.kind is Kind.PY_BYTES
                         else Kind.PY_STR)
        rows = tensor_dataset_item(base)
        if rows is not None:
            return rows  # ds[i], ds[a:b] of a TensorDataset: a row (or rows) of each of its tensors
        if base.kind in (Kind.DICT, Kind.OBJECT):
            return containers.item(base, containers.constant_key(index))
        if base.kind is Kind.JSON:
            return base  # record["age"], items[i]: parsed data again
        if base.kind is Kind.INSTANCE and isinstance(base.definition, ClassInfo):
            getitem = base.definition.method("__getitem__")
            if getitem is not None and isinstance(node.ctx, ast.Load):
                # reader[i] of a class of the project: its __getitem__ on this instance, with this index
                key = values[0] if len(parts) == 1 and not isinstance(index, ast.Slice) else UNKNOWN
                return self.call_function(getitem, frame, [Arg(None, key, index, False)], True, _getitem_call(node), base)
        if base.kind is Kind.MODULE and base.element is not None and not isinstance(index, ast.Slice):
            # model[0], layers[i], heads["cls"]: a member of a Sequential / ModuleList / ModuleDict,
            # moved with its container.
            member = base.element
            position = _int_literal(index)
            if base.keys is not None:
                member = containers.item(base.with_(kind=Kind.DICT), containers.constant_key(index))
            elif position is not None and base.elements is not None and -len(base.elements) <= position < len(base.elements):
                member = base.elements[position]
            return moved_with(base, member) if member.kind is Kind.MODULE else UNKNOWN
        if base.kind is Kind.SEQUENCE:
            position = _int_literal(index)
            if position is not None and base.elements is not None:
                if -len(base.elements) <= position < len(base.elements):
                    return base.elements[position]
            if len(parts) == 1 and not isinstance(index, ast.Slice):
                return base.element or UNKNOWN
            return Value(kind=Kind.SEQUENCE, element=base.element)
        return self.numpy.subscript(base, index, parts, values, node)

    # --- operators ----------------------------------------------------------------------

    def binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST, frame: Frame) -> Value:
        if isinstance(op, ast.Sub) and left.param_view and right.param_view:
            # `after - before` of two views of the live parameters: a comparison of states
            self.torch.state_read([left, right], node, "difference", frame)
        if left.kind is Kind.TENSOR or right.kind is Kind.TENSOR:
            return self.torch.binary(left, right, node, frame)
        widened = _float64_with_unknown(op, left, right)
        if widened is not None:
            return widened
        if is_array_like(left) or is_array_like(right):
            return self._array_like_binary(op, left, right, node)
        if left.kind in (Kind.NDARRAY, Kind.NP_SCALAR) or right.kind in (Kind.NDARRAY, Kind.NP_SCALAR):
            return self.numpy.binary(op, left, right, node)
        if isinstance(op, ast.Add) and left.kind is Kind.SEQUENCE and right.kind is Kind.SEQUENCE:
            return containers.concatenated(left, right)  # outputs += [step(x)]
        if Kind.PY_BYTES in (left.kind, right.kind) and {left.kind, right.kind} <= {Kind.PY_BYTES, Kind.PY_INT}:
            return Value(kind=Kind.PY_BYTES)  # b"\x00" * n, b"a" + b"b"
        if Kind.JSON in (left.kind, right.kind) and {left.kind, right.kind} <= {Kind.JSON, Kind.PY_INT, Kind.PY_FLOAT}:
            # rec["age"] / 100.0: a parsed number (anything else raises) divided, or combined with a
            # float, is a Python float; int arithmetic (or list * 2, str + str) is not known
            if left.kind is not right.kind and (isinstance(op, ast.Div) or isinstance(op, _FLOAT_KEEPING_OPERATORS)
                                                and Kind.PY_FLOAT in (left.kind, right.kind)):
                return Value(kind=Kind.PY_FLOAT)
            return UNKNOWN
        if left.kind in (Kind.PY_INT, Kind.PY_FLOAT) and right.kind in (Kind.PY_INT, Kind.PY_FLOAT):
            if isinstance(op, ast.Div) or Kind.PY_FLOAT in (left.kind, right.kind):
                return Value(kind=Kind.PY_FLOAT)
            return Value(kind=Kind.PY_INT)
        if isinstance(op, ast.Div) and left.kind is None and right.kind is Kind.PY_STR and isinstance(node, ast.BinOp):
            # CACHE / "feats.npy": a pathlib path that names its file (np.save, then np.load of it)
            return named_file(right, node) or UNKNOWN
        return UNKNOWN

    def _array_like_binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        """An operator on an array-like of known dtype and unknown kind (``x.astype(np.float64)``:
        an ndarray, a NumPy scalar or a pandas object) and a number or array: NumPy's promotion
        gives the dtype; the kind stays unknown (a pandas object stays one)."""
        operands = [v.with_(kind=Kind.NDARRAY) if is_array_like(v) else v for v in (left, right)]
        if not all(v.kind in NUMBERS or v.kind in (Kind.NDARRAY, Kind.NP_SCALAR) for v in operands):
            return UNKNOWN
        dtype = numpy_result_dtype(operands[0], operands[1], op)
        if dtype is None:
            return UNKNOWN
        source = left if is_array_like(left) else right
        return Value(dtype=dtype, origin=source.origin if dtype == source.dtype else self.it.origin(node))

    # --- calls --------------------------------------------------------------------------

    def args(self, node: ast.Call, frame: Frame) -> List[Arg]:
        out: List[Arg] = []
        for a in node.args:
            if not isinstance(a, ast.Starred):
                out.append(Arg(None, self.eval(a, frame), a, False))
                continue
            spread = self.eval(a.value, frame)
            if spread.kind is Kind.SEQUENCE and spread.elements is not None:
                # model(*inputs) with inputs a tuple of known length: its items, one argument each
                out += [Arg(None, item, a.value, False) for item in spread.elements]
            else:
                out.append(Arg(None, spread, a, True))
        for k in node.keywords:
            given = self.eval(k.value, frame)
            if k.arg is None and given.kind is Kind.DICT and given.keys is not None and given.elements is not None \
                    and all(isinstance(key, str) for key in given.keys):
                # model(*args, **kwargs) with kwargs a dict of known keys: one keyword argument each
                out += [Arg(key, item, k.value, False) for key, item in zip(given.keys, given.elements)]
            else:
                out.append(Arg(k.arg, given, k.value, k.arg is None))
        for arg in out:
            # A function of this file passed as a callback (`run(fn)`, `Thread(target=fn)`) runs where
            # it is passed: for the guard and grad-mode checks that is one of its call sites.
            if arg.value.kind is Kind.FUNCTION and isinstance(arg.value.definition, FunctionInfo):
                self.it.record_call(arg.value.definition.qualname, frame)
        return out

    def call(self, node: ast.Call, frame: Frame) -> Value:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
        if api.saves_checkpoint(name):
            self.it.saving_functions.add(frame.context.function)  # torch.save, save_checkpoint, trainer.fit
        if isinstance(func, ast.Attribute) and func.attr == "__init__" and frame.attr_sink is not None:
            self._base_init(func, node, frame)
        if name in api.MAPPING_CALLS and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args):
            mapped = self._mapped(node, name, frame)
            if mapped is not None:
                return mapped
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value, frame)
            if receiver.kind is Kind.API and receiver.qualname == api.DISTRIBUTION:
                return distributions.method(receiver, func.attr, self.args(node, frame), frame)
            if receiver.kind is Kind.API:
                return self.call_api(f"{receiver.qualname}.{func.attr}", node, frame)
            if self._stored_attribute(receiver, func.attr, frame):
                # self.fc(x), self.loss_fn(a, b): a value stored on the object, then called.
                return self.call_value(self.attribute(func, frame), node, frame)
            return self.call_method(receiver, func, node, frame)
        callee = self.eval(func, frame)
        if callee.kind is Kind.API and callee.qualname is not None:
            return self.call_api(callee.qualname, node, frame)
        if callee.kind is Kind.API and callee.choices is not None:
            return self.call_api_choices(callee, node, frame)
        if callee.choices is not None and callee.definition is None:
            return self.each_choice(callee, lambda one: self.call_value(one, node, frame))
        return self.call_value(callee, node, frame)

    def _mapped(self, node: ast.Call, name: str, frame: Frame) -> Optional[Value]:
        """``map(f, items)``, ``pool.map(worker, items)``, ``executor.map(f, items)``: ``f`` of this
        project (a function, an object with ``__call__``, a module) called on an item, as a loop
        over ``items`` would call it (``starmap`` unpacks each item). A list of what it returns."""
        func = node.func
        if isinstance(func, ast.Name) and self.qualname_of(func, frame) != "builtins.map":
            return None
        callee = self.eval(node.args[0], frame)
        callable_here = (callee.kind is Kind.FUNCTION and isinstance(callee.definition, FunctionInfo)
                         and callee.definition.owner is None) or callee.kind is Kind.MODULE or (
            callee.kind is Kind.INSTANCE and isinstance(callee.definition, ClassInfo)
            and callee.definition.method("__call__") is not None)
        if not callable_here:
            return None
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value, frame)
            if receiver.kind is not None and receiver.kind is not Kind.OBJECT:
                return None  # a list's or a tensor's own method of that name
        items = self.eval(node.args[1], frame)
        item = items.element if items.kind is Kind.SEQUENCE else None
        if item is None:
            return None
        if name == "starmap":
            if item.kind is not Kind.SEQUENCE or item.elements is None:
                return None
            args = [Arg(None, one, node.args[1], False) for one in item.elements]
        else:
            args = [Arg(None, item, node.args[1], False)]
        if callee.kind is Kind.MODULE:
            result = self.torch.call_module(callee, node, args, frame)
        elif callee.kind is Kind.INSTANCE:
            assert isinstance(callee.definition, ClassInfo)
            method = callee.definition.method("__call__")
            assert method is not None
            result = self.call_function(method, frame, args, True, node, callee)
        else:
            assert isinstance(callee.definition, FunctionInfo)
            result = self.call_function(callee.definition, frame, args, False, node)
        return Value(kind=Kind.SEQUENCE, element=result)

    def _record_built(self, instance: Value, cls: ClassInfo, args: Sequence[Arg], frame: Frame) -> Value:
        """A record class built (``ProbeConfig(lo=0.0)``): its fields hold the arguments, or their
        literal defaults; a dataclass's ``__post_init__`` then runs on that instance, and what it
        stores (``self.grid = np.linspace(self.lo, self.hi, self.points)``) is on it too."""
        built = _with_record_fields(instance, cls, args, self._factory_defaults(cls, args, frame))
        post_init = cls.method(POST_INIT)
        if built.attrs is None or post_init is None or post_init.owner is not cls:
            return built
        walked = self.it.walked_on(post_init, built, frame)
        if walked is None:
            return built
        fields = dict(built.attrs)
        fields.update((name, value) for name, value in walked.items() if not knows_nothing(value))
        return built.with_(attrs=tuple(sorted(fields.items(), key=lambda item: item[0])))

    def _factory_defaults(self, cls: ClassInfo, args: Sequence[Arg], frame: Frame) -> Dict[str, Value]:
        """The dataclass fields a construction leaves to ``field(default_factory=f)`` with ``f`` a
        function of the project (or a lambda): what a call of ``f`` with no arguments returns
        (``device: torch.device = field(default_factory=pick_device)``)."""
        fields = record_fields(cls)
        if not fields:
            return {}
        given = {arg.keyword for arg in args if arg.keyword} | set(fields[:len([a for a in args if a.keyword is None])])
        found: Dict[str, Value] = {}
        for stmt in cls.node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and stmt.target.id in fields and stmt.target.id not in given
                    and isinstance(stmt.value, ast.Call) and _named(stmt.value.func) == "field"):
                continue
            factory = next((k.value for k in stmt.value.keywords if k.arg == "default_factory"), None)
            if factory is None:
                continue
            made = self.eval(factory, frame.root)
            if made.kind is Kind.FUNCTION and isinstance(made.definition, FunctionInfo):
                found[stmt.target.id] = self.call_function(made.definition, frame, [], False, _factory_call(stmt.value))
        return found

    def _base_init(self, func: ast.Attribute, node: ast.Call, frame: Frame) -> None:
        """``super().__init__(extractor, head)`` (or ``Base.__init__(self, ...)``) in a constructor:
        the modules the base's ``__init__`` stores on self from its parameters are these arguments."""
        function = frame.function
        owner = function.owner if function is not None else None
        if owner is None or frame.self_name is None or not owner.bases:
            return
        target = func.value
        explicit = False
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "super":
            base: Optional[ClassInfo] = owner.bases[0]
        else:
            named = self.eval(target, frame)
            base = named.definition if named.kind is Kind.CLASS and isinstance(named.definition, ClassInfo) else None
            explicit = True
        init = base.method("__init__") if base is not None else None
        if init is None or init.owner is None:
            return
        args = self.args(node, frame)
        if explicit:  # Base.__init__(self, a, b): the first argument is the instance
            if not args or not isinstance(args[0].node, ast.Name) or args[0].node.id != frame.self_name:
                return
            args = args[1:]
        built = self.it.constructed(init, self.it.instance_value(init.owner), args, frame)
        # What this call's walk could not tell (its arguments unknown: the generic walk of a
        # subclass's __init__) is what the base stores on self in any of its methods (their join).
        stored = {attr: value for attr, value in self.it.class_attrs(init.owner).items()
                  if not knows_nothing(value)}
        stored.update(built.attrs or ())
        for attr, value in stored.items():
            assert frame.attr_sink is not None
            frame.attr_sink[attr] = value
            frame.env[f"{frame.self_name}.{attr}"] = value  # as scope.attribute_key names it

    def each_choice(self, value: Value, call: Callable[[Value], Value]) -> Value:
        """A call of a value joined over paths that hold different callables (``value.choices``):
        each one called as the value it is on its paths, and what they return joined (one unknown
        result leaves the call unknown, as a join does)."""
        result: Optional[Value] = None
        for choice in value.choices or ():
            got = UNKNOWN if choice is UNKNOWN_CHOICE else call(self._chosen(value, choice))
            result = got if result is None else join(result, got)
        return result if result is not None else UNKNOWN

    @staticmethod
    def _chosen(value: Value, choice: Any) -> Value:
        """``value`` as it is on the paths that hold ``choice``."""
        if value.kind is Kind.API:
            return value.with_(choices=None, qualname=choice)
        if value.kind is Kind.FUNCTION and isinstance(choice, str):
            return Value(kind=Kind.API, qualname=choice)  # a library function among the project's (values.join)
        if isinstance(choice, str):  # a torch.nn layer among a container's members
            return value.with_(choices=None, qualname=choice, definition=None, parametric=layer_parametric(choice))
        name = choice.name if isinstance(choice, ClassInfo) else choice.qualname
        return value.with_(choices=None, definition=choice, qualname=name)

    def call_api_choices(self, callee: Value, node: ast.Call, frame: Frame) -> Value:
        """``T(x)`` where ``T = torch.cuda.FloatTensor if use_gpu else torch.FloatTensor``: on CUDA where
        the CUDA type was chosen (under the flag that chose it).

        Only the events every choice raises alike stand (those of the arguments): what one choice
        does (the CPU type's conversion sharing memory or casting, the CUDA type's placement) holds
        on its paths only, and the placement is the choice itself, made where ``T`` is assigned."""
        when = callee.origin.when if callee.origin is not None else frozenset()
        raised: List[List[object]] = []

        def call(one: Value) -> Value:
            events: List[object] = []
            with self.it.events_into(events):
                result = self.call_api(one.qualname or "", node, frame)
            raised.append(events)
            if result.kind is Kind.TENSOR and result.device is Device.CUDA and result.device_origin is None:
                result = result.with_(device_origin=Origin("made by ", Site(node), when=when))
            return result

        value = self.each_choice(callee, call)
        for event in raised[0] if raised else ():
            if all(any(event == other for other in events) for events in raised[1:]):
                self.it.emit(frame, event)
        return value

    def _stored_attribute(self, receiver: Value, attr: str, frame: Frame) -> bool:
        if receiver.kind not in (Kind.MODULE, Kind.INSTANCE) or not isinstance(receiver.definition, ClassInfo):
            return False
        if frame.attr_sink is not None and attr in frame.attr_sink:
            return True
        return attr in self.it.class_attrs(receiver.definition)

    def call_value(self, callee: Value, node: ast.Call, frame: Frame) -> Value:
        args = self.args(node, frame)
        self._forget_passed_dicts(args, frame)
        if callee.kind not in (Kind.MODULE, Kind.LOSS):
            self._mode_after_passing(node, args, frame)
        if callee.kind is Kind.FUNCTION and isinstance(callee.definition, FunctionInfo):
            args = bound_arguments(callee, args, node)
            result = self.call_function(callee.definition, frame, args, False, node)
            self._placed_through_parameters(callee.definition, args, frame)
            return result
        if callee.kind is Kind.CLASS and isinstance(callee.definition, ClassInfo):
            instance = self.it.instance_value(callee.definition)
            init = callee.definition.method("__init__")
            if init is None:
                return self._record_built(instance, callee.definition, args, frame)
            self.it.record_call(init.qualname, frame)
            built = self.it.constructed(init, instance, args, frame)
            getitem = callee.definition.method("__getitem__") if callee.definition.is_dataset else None
            if getitem is not None:
                # Windowed(np.sin(t), 10): this dataset's items, from what its construction stored (NTL102)
                self.torch.dataset_item(getitem, built, node, frame)
            return built
        if callee.kind is Kind.MODULE:
            return self.torch.call_module(callee, node, args, frame)
        if callee.kind is Kind.INSTANCE and isinstance(callee.definition, ClassInfo):
            # predictor(image): an object of a plain class of the project, called through its __call__
            method = callee.definition.method("__call__")
            return self.call_function(method, frame, args, True, node, callee) if method is not None else UNKNOWN
        if callee.kind is Kind.LOSS:
            return self.torch.call_loss(node, args, frame, callee.qualname or "", callee.elements or ())
        if callee.kind is None and callee.device in (Device.CUDA, Device.MAYBE_CUDA):
            # `model = model.to(device)` on a parameter, then called: a tensor is never called, so it is
            # a module (or a callable holding one) computing where it was placed
            return self.torch.computed_where_module_is(callee, args)
        return UNKNOWN

    def call_function(self, info: FunctionInfo, frame: Frame, args: Sequence[Arg] = (), bound_self: bool = False,
                      node: Optional[ast.Call] = None, receiver: Optional[Value] = None) -> Value:
        """A call of a function of this file (or of a project module): walked for its arguments' facts
        (and, for a method, its instance's device)."""
        self.it.record_call(info.qualname, frame, constant_arguments(info, args, bound_self) if node is not None else None)
        result = (self.it.call_with(info, args, frame, bound_self, node, receiver) if node is not None
                  else self.it.summary(info))
        if node is not None:
            self._writes_through_parameters(info, args, bound_self, node, frame)
        if result.kind is Kind.TENSOR and result.requires_grad is Tri.YES and not result.grad_leaf:
            grad, origin = grad_in_context(Tri.YES, result.origin, frame)
            result = result.with_(requires_grad=grad, origin=origin)
        return result

    def _writes_through_parameters(self, info: FunctionInfo, args: Sequence[Arg], bound_self: bool,
                                   node: ast.Call, frame: Frame) -> None:
        """``normalize(frames)`` where the helper does ``batch -= batch.mean()``: an in-place write
        of ``frames`` (effects.py), reported where the helper writes it when the helper is this
        file's (NTL401 is reported at the write), else at the call. An argument that is no name
        (``standardize_(store.as_tensor())``, a view made on the spot) writes what it shares with."""
        written = effects.written_parameters(info)
        if not written:
            return
        for parameter, arg in parameters_given(info, args, bound_self):
            kinds = written.get(parameter)
            if not kinds or not effects.writes_argument(kinds, arg.value):
                continue
            at: ast.AST = node
            if info.home is None or info.home is self.it:
                at = effects.first_write(info, parameter, arg.value) or node
            name = storage_key(arg.node)
            if name is not None:
                self.it.in_place(name, at, frame, arg.value, overwrite=effects.fills_only(kinds))
            elif arg.value.shares_with is not None and not effects.fills_only(kinds):
                self.it.temporary_write(arg.value, _text(arg.node), at, frame)

    def call_api(self, qual: str, node: ast.Call, frame: Frame) -> Value:
        """A call of NumPy, torch, PIL or a builtin by qualified name, through the handler tables."""
        if not qual.startswith(api.LIBRARY_PREFIXES):
            found = self.it.project_value(qual)  # `utils.make_batch(...)`: a project module's function
            if found is not None:
                return self.call_value(found, node, frame)
        args = self.args(node, frame)
        if not qual.startswith(api.LIBRARY_PREFIXES):
            self._mode_after_passing(node, args, frame)  # adjust_status(model, training=False) of a library
        for arg in args:
            if arg.keyword == "out" and isinstance(arg.node, ast.Name):
                self.it.in_place(arg.node.id, node, frame)
        if qual in api.NUMPY_INPLACE_FUNCTIONS and node.args and isinstance(node.args[0], ast.Name):
            self.it.in_place(node.args[0].id, node, frame)
        if api.is_optimizer_class(qual):
            return Value(kind=Kind.API, qualname=api.OPTIMIZER)
        if qual in api.COMPARING_FUNCTIONS:
            self.torch.state_read([a.value for a in args if not a.starred], node, "comparison", frame)
        handler = self.api_calls.get(qual)
        if handler is not None:
            return handler(qual, node, args, frame)
        if qual in api.PATH_JOINS and node.args:
            return named_file(UNKNOWN, node) or UNKNOWN  # os.path.join(root, "feats.npy") names its file
        for matches, namespace_handler in self.api_namespaces:
            if matches(qual):
                return namespace_handler(qual, node, args, frame)
        return UNKNOWN

    def _foreign_reader(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """plt.plot(t), accuracy_score(y, pred): another library reads tensors with np.asarray."""
        for position in api.FOREIGN_ARRAY_READERS[qual]:
            given = argument(args, position, "")
            if given is not None:
                self.numpy.to_numpy_sink(given.value, node, qual, frame)
        return UNKNOWN

    @staticmethod
    def _pil_image(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(kind=Kind.API, qualname=api.PIL_IMAGE)

    @staticmethod
    def _opencv(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """cv2.imread (default flag: uint8, 3-d) and the image functions that keep their source's dtype."""
        if qual in api.OPENCV_READERS:
            if len(node.args) > 1 or node.keywords:
                return UNKNOWN  # a flag: grayscale, unchanged (16-bit, alpha), ...
            return Value(kind=Kind.NDARRAY, dtype="uint8", ndim=3, negative_strides=Tri.NO, readonly=Tri.NO,
                         origin=Origin("", Site(node.func)))
        source = first(args)
        if source.kind is not Kind.NDARRAY:
            return UNKNOWN
        return Value(kind=Kind.NDARRAY, dtype=source.dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     origin=source.origin)

    @staticmethod
    def _unpickled(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(qualname=api.UNPICKLED)

    def _getattr(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``getattr(model, self.layer_name)`` with a name known to be a string: that attribute."""
        name = args[1].value if len(args) == 2 and len(node.args) == 2 else None
        if (name is not None and name.kind is Kind.PY_STR and isinstance(name.qualname, str)
                and name.qualname.isidentifier() and not any(arg.starred or arg.keyword for arg in args)):
            return self.attribute(_getattr_node(node, name.qualname), frame)
        return self._builtin(qual, node, args, frame)

    @staticmethod
    def _text_data(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(kind=Kind.JSON)

    @staticmethod
    def _dict(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``dict(d)``, ``OrderedDict(pairs)``: a new dict of the same values (by key where ``d``'s
        keys are known); from (key, value) pairs, only the join of the values is known."""
        positional = [a for a in args if a.keyword is None]
        if len(positional) != 1 or positional[0].starred or len(args) != 1:
            return Value(kind=Kind.DICT, elements=(), keys=()) if not args else UNKNOWN  # dict(): as {}
        data = positional[0].value
        if data.kind is Kind.DICT:
            return Value(kind=Kind.DICT, keys=data.keys, elements=data.elements, element=data.element)
        pair = data.element if data.kind is Kind.SEQUENCE else None
        if pair is not None and pair.kind is Kind.SEQUENCE and pair.elements is not None and len(pair.elements) == 2:
            return Value(kind=Kind.DICT, element=pair.elements[1])
        return UNKNOWN

    @staticmethod
    def _opened(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``open(path, "rb")``, ``gzip.open(path)``: a file whose ``read()`` gives bytes."""
        mode = argument(args, 1, "mode")
        if mode is None:
            literal: object = api.FILE_OPENERS[qual]
        else:
            literal = mode.node.value if isinstance(mode.node, ast.Constant) else None
        binary = isinstance(literal, str) and "b" in literal
        return Value(kind=Kind.API, qualname=api.BINARY_FILE) if binary else UNKNOWN

    @staticmethod
    def _partial(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``partial(to_numpy, squeeze=True)``: the function with those arguments bound (kept as its
        ``elements``, each keyword in ``keys``; "" for a positional one); see ``arguments.bound_arguments``.
        A functional loss with keywords bound (other than its weights) is that loss."""
        function = first(args)
        bound = list(args[1:])
        if (function.kind is Kind.API and function.qualname is not None and args and args[0].keyword is None
                and function.qualname.rsplit(".", 1)[-1] in api.FUNCTIONAL_LOSSES
                and all(arg.keyword is not None and arg.keyword not in api.LOSS_WEIGHT_KEYWORDS and not arg.starred
                        for arg in bound)):
            # partial(F.cross_entropy, label_smoothing=0.1): a loss whose call passes its own input and
            # target, as to the loss itself (the bound keywords change no dtype it checks)
            return function
        if (function.kind is not Kind.FUNCTION or function.elements is not None or not args or args[0].keyword
                or any(arg.starred for arg in bound)):
            return UNKNOWN
        return function.with_(elements=tuple(arg.value for arg in bound), keys=tuple(arg.keyword or "" for arg in bound))

    @staticmethod
    def _record_type(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``namedtuple("Step", ["loss", "logits"])``: a tuple type whose fields are known by name."""
        keyword = api.RECORD_TYPE_MAKERS[qual]
        given = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == keyword), None)
        fields = _field_names(given)
        return Value(kind=Kind.API, qualname=api.RECORD_TYPE, keys=fields) if fields else UNKNOWN

    def _record(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``Step(loss, logits)`` of a named-tuple type: the tuple of its arguments, read by field
        name or position. A field left to a default, or any argument not known, is unknown."""
        fields = self.eval(node.func, frame).keys
        if not fields:
            return UNKNOWN
        items = [UNKNOWN] * len(fields)
        positional: List[Value] = []
        for arg in args:
            if arg.starred and (arg.keyword is not None or arg.value.elements is None):
                return UNKNOWN  # **kwargs, or *args of a length not known
            if arg.keyword is None:
                positional.extend(arg.value.elements if arg.starred and arg.value.elements else (arg.value,))
        for position, value in enumerate(positional[:len(fields)]):
            items[position] = value
        for arg in args:
            if arg.keyword in fields:
                items[fields.index(arg.keyword)] = arg.value
        return sequence(tuple(items)).with_(keys=fields)

    @staticmethod
    def _deep_copy(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``copy.deepcopy(model)``: the same facts (device, dtype, grad), in memory of its own."""
        data = first(args)
        if data.kind not in (Kind.MODULE, Kind.TENSOR, Kind.NDARRAY, Kind.SEQUENCE, Kind.DICT):
            return UNKNOWN
        return _deep_copied(data)

    @staticmethod
    def _items_of_first(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``random.sample(memory, 32)``, ``deque(maxlen=n)``: a list of the first argument's items."""
        given = argument(args, 0, "iterable" if qual in api.LIST_LIKE_CONTAINERS else "population")
        if given is None:
            # `deque(maxlen=k)`: empty, as `[]` is (a private one grows by its owner's appends)
            return Value(kind=Kind.SEQUENCE, elements=()) if qual in api.LIST_LIKE_CONTAINERS else UNKNOWN
        if given.value.kind is not Kind.SEQUENCE:
            return UNKNOWN
        return Value(kind=Kind.SEQUENCE, element=given.value.element)

    @staticmethod
    def _bytes(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(kind=Kind.PY_BYTES)

    @staticmethod
    def _builtin(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        name = qual[len("builtins."):]
        data = first(args)
        if name == "float":
            return Value(kind=Kind.PY_FLOAT)
        if name in ("int", "len"):
            return Value(kind=Kind.PY_INT)
        if name in ("list", "tuple", "sorted", "reversed") and data.kind is Kind.SEQUENCE:
            # list(items), tuple(items): the same items in the same order; reversed: in reverse
            ordered = data.elements if name in ("list", "tuple") and len(args) == 1 else (
                tuple(reversed(data.elements)) if name == "reversed" and data.elements is not None else None)
            return Value(kind=Kind.SEQUENCE, element=data.element, elements=ordered)
        if name == "range":
            return Value(kind=Kind.SEQUENCE, element=Value(kind=Kind.PY_INT))
        if name == "slice" and 1 <= len(args) <= 3 and not any(a.starred or a.keyword for a in args):
            # sl = slice(i, j): a[sl] is a basic slice, a view; a negative literal step flips it
            step = args[2].node if len(args) == 3 else None
            flips = (Tri.NO if step is None or isinstance(step, ast.Constant) and step.value is None
                     else Tri.YES if negative_literal(step) else Tri.NO if literal_number(step) else Tri.UNKNOWN)
            return Value(qualname=api.SLICE_OBJECT, negative_strides=flips)
        if name == "bytes":
            return Value(kind=Kind.PY_BYTES)
        if name in ("next", "iter") and data.kind is Kind.SEQUENCE and len(args) == 1:
            # next(model.parameters()), next(iter(items)): an element (iter() keeps the sequence)
            return (data.element or UNKNOWN) if name == "next" else data
        if name == "getattr" and data.kind is Kind.API and data.qualname in api.MODEL_ZOO_REGISTRIES and len(args) == 2:
            return zoo_entry(args[1].node)  # getattr(torchvision.models, name)
        if name == "enumerate" and data.kind is Kind.SEQUENCE and data.element is not None:
            return Value(kind=Kind.SEQUENCE, element=sequence((Value(kind=Kind.PY_INT), data.element)))
        if name == "zip" and len(args) == 1 and args[0].starred:
            # windows, labels = zip(*batch): the items' fields, one tuple per field
            items = args[0].value
            item = items.element if items.kind is Kind.SEQUENCE else None
            if item is None or item.kind is not Kind.SEQUENCE or not item.elements:
                return UNKNOWN
            return sequence(tuple(Value(kind=Kind.SEQUENCE, element=field) for field in item.elements))
        if name == "zip" and args and all(a.keyword in (None, "strict") and not a.starred for a in args):
            given = [a.value for a in args if a.keyword is None]
            lengths = {len(g.elements) if g.kind is Kind.SEQUENCE and g.elements is not None else -1 for g in given}
            if len(lengths) == 1 and min(lengths) > 0:
                # zip(*batch) of a batch of known items, spread: the i-th tuple holds each one's i-th
                return sequence(tuple(sequence(tuple(g.elements[i] for g in given if g.elements is not None))
                                      for i in range(min(lengths))))
            # zip(model.parameters(), anchors): tuples of one element of each
            each = tuple(g.element if g.kind is Kind.SEQUENCE and g.element is not None else UNKNOWN for g in given)
            if all(one == UNKNOWN for one in each):
                return UNKNOWN
            return Value(kind=Kind.SEQUENCE, element=sequence(each))
        return UNKNOWN

    def _unknown_trainer_call(self, receiver: Value, name: str, func: ast.Attribute, node: ast.Call,
                              args: Sequence[Arg], frame: Frame) -> Optional[Value]:
        """An object of unknown type (``self.model``, ``self.optimizer`` set in a subclass or from a
        factory) used the way only torch's objects are:

        - ``obj.state_dict()`` returns live views of its tensors, as a module's or an optimizer's
          does (a snapshot of it taken in a training loop ends up the same as the last state);
        - ``obj.step()`` (no positional argument) on an object whose ``zero_grad()`` the same
          function also calls is an optimizer step: the parameters change in place."""
        if name in api.STATE_VIEW_METHODS:
            return None if args else Value(kind=Kind.DICT, element=UNKNOWN, param_view=True,
                                           origin=self.it.origin(node, api.STATE_VIEW_ORIGIN))
        if (name in api.OPTIMIZER_STEP_METHODS and all(a.keyword is not None for a in args)
                and ast.dump(func.value) in self._zero_grad_receivers(frame)):
            self.it.emit(frame, ParameterUpdate(self.it.site(node), frame.context))
            return UNKNOWN
        return None

    def _zero_grad_receivers(self, frame: Frame) -> FrozenSet[str]:
        """The objects (as written, by ``ast.dump``) whose ``zero_grad()`` the function being walked
        (or the module body) calls; memoized per scope."""
        scope = frame.function.node if frame.function is not None else self.it.module_tree
        if scope is None:
            return frozenset()
        found = self._zero_grad_cache.get(id(scope))
        if found is None:
            found = frozenset(ast.dump(current.func.value) for current in walk(scope)
                              if isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
                              and current.func.attr == api.OPTIMIZER_ONLY_METHOD)
            self._zero_grad_cache[id(scope)] = found
        return found

    def _placed_unknown(self, receiver: Value, name: str, node: ast.Call, args: Sequence[Arg],
                        frame: Frame) -> Optional[Value]:
        """An object of unknown kind moved by ``.to(device)`` / ``.cuda()`` (a batch from a loader, a
        parameter of a helper) is on that device, whatever it is; ``.numpy()`` exists only on tensors,
        so called on such an object it is a tensor's. Its other facts stay unknown."""
        if name == "cuda":
            return Value(device=Device.CUDA, device_origin=self.it.moved_origin(node, "moved by ", frame))
        if name == "to":
            for arg in args:
                value = arg.value
                if arg.keyword in (None, "device") and value.kind in (Kind.DEVICE, Kind.PY_STR) and value.device:
                    moved = value.device in (Device.CUDA, Device.MAYBE_CUDA)
                    return Value(device=value.device,
                                 device_origin=self.it.moved_origin(node, "moved by ", frame, value) if moved else None)
            return None
        if receiver.device in (Device.CUDA, Device.MAYBE_CUDA) and name in api.TO_NUMPY_METHODS:
            func = node.func
            assert isinstance(func, ast.Attribute)
            return self.torch_methods.tensor(receiver.with_(kind=Kind.TENSOR), name, func, node, args, frame)
        if receiver.device is not None and name in ("detach", "cpu"):
            return Value(device=Device.CPU if name == "cpu" else receiver.device,
                         device_origin=None if name == "cpu" else receiver.device_origin)
        if receiver.device is not None and (name in api.TENSOR_VIEW_METHODS or name in api.TENSOR_CASTS
                                            or name in api.TENSOR_PROPAGATING or name in api.INTEGER_RESULTS):
            # x.to(device).permute(...), .float(): a tensor's (or a module's, for the casts) on the same device
            return Value(device=receiver.device, device_origin=receiver.device_origin)
        return None

    @staticmethod
    def _mode_after_passing(node: ast.Call, args: Sequence[Arg], frame: Frame) -> None:
        """A module given to a function of the project or of an unknown library (``freeze(model)``,
        ``with adjust_status(model, training=flag):``) may leave it in either mode: its mode is
        unknown after the call, unless the call names it (``training=False`` sets eval mode; any
        other value, training mode on some path)."""
        named = next((k.value for k in node.keywords if k.arg in api.MODE_KEYWORDS), None)
        mode = Tri.UNKNOWN if named is None else Tri.NO if literal_false(named) else Tri.YES
        for arg in args:
            if arg.value.kind is not Kind.MODULE:
                continue
            root = arg.node
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value  # freeze(model[1]), freeze(model.backbone): the whole is in no known mode
            if not isinstance(root, ast.Name):
                continue
            held = frame.lookup(root.id)
            whole = mode if root is arg.node else Tri.UNKNOWN if mode is not Tri.YES else mode
            if held is not None and held.kind is Kind.MODULE and held.training is not whole:
                frame.env[root.id] = held.with_(training=whole)

    @staticmethod
    def _placed_through_parameters(info: FunctionInfo, args: Sequence[Arg], frame: Frame) -> None:
        """``to_device(torch.device("cpu"), policy)`` where the helper runs ``x.to(device)`` on its
        arguments: a module given there is moved in place, to where the walk may not tell; the
        caller's name (or ``self.<attr>``) no longer knows its device. A helper that casts them
        (``as_double(model)``: ``model.double()``) leaves their dtype unknown alike."""
        placed, cast = effects.placed_parameters(info), effects.cast_parameters(info)
        if not placed and not cast:
            return
        for parameter, arg in parameters_given(info, args, False):
            if arg.value.kind not in (Kind.MODULE, None):
                continue
            moved = parameter in placed and arg.value.device is not None
            recast = parameter in cast and arg.value.kind is Kind.MODULE and arg.value.dtype is not None
            if not moved and not recast:
                continue
            if isinstance(arg.node, ast.Name):
                key = arg.node.id
            elif isinstance(arg.node, ast.Attribute) and isinstance(arg.node.value, ast.Name):
                key = attribute_key(arg.node)
            else:
                continue
            changed = arg.value.with_(device=None, device_origin=None) if moved else arg.value
            frame.env[key] = changed.with_(dtype=None) if recast else changed

    @staticmethod
    def _forget_passed_dicts(args: Sequence[Arg], frame: Frame) -> None:
        """A dict passed to code the engine does not model may be changed there (``fill(batch)``);
        so may an instance's attributes that its methods store (``fit(scaler)`` may call
        ``scaler.fit``): what a method call left on it (FunctionWalks._receiver_after) is forgotten."""
        for arg in args:
            if arg.value.kind is Kind.DICT and isinstance(arg.node, ast.Name) and arg.value.element != UNKNOWN:
                frame.env[arg.node.id] = containers.contents_unknown()
            elif arg.value.kind is Kind.OBJECT and isinstance(arg.node, ast.Name):
                frame.env[arg.node.id] = UNKNOWN
            elif arg.value.attrs and isinstance(arg.node, ast.Name) and isinstance(arg.value.definition, ClassInfo):
                settable = method_stored(arg.value.definition)
                kept = tuple(item for item in arg.value.attrs if item[0] not in settable)
                if len(kept) != len(arg.value.attrs):
                    frame.env[arg.node.id] = arg.value.with_(attrs=kept or None)

    # --- method calls -------------------------------------------------------------------

    def call_method(self, receiver: Value, func: ast.Attribute, node: ast.Call, frame: Frame) -> Value:
        name = func.attr
        args = self.args(node, frame)
        if receiver.kind is None and receiver.qualname == api.NUMPY_LOADED and name in api.NDARRAY_ONLY_MEMBERS:
            receiver = loaded_array(receiver)  # np.load(path).astype(...): an archive has no astype
        # Placement is checked whatever the receiver: `.cuda()` and `.to("cuda")` are torch's,
        # unless the receiver is an object of a plain class of this file that defines the method
        # itself (a remote handle, a wrapper): that body is analyzed on its own. (A Module's own
        # cuda() override still places it: overrides delegate to super().cuda().)
        runs_own_method = (receiver.kind is Kind.INSTANCE and isinstance(receiver.definition, ClassInfo)
                           and receiver.definition.method(name) is not None)
        if frame.pending_writes and isinstance(func.value, ast.Name) and isinstance(receiver.definition, ClassInfo):
            for attr in sorted(attributes_read(receiver.definition, name)):  # data.summary() reads data.raw
                self.it.read(f"{func.value.id}.{attr}", node, frame)
        if not runs_own_method:
            self.torch.method_placement(name, func, args, frame, receiver)
        kind = receiver.kind
        written = func.value.id if isinstance(func.value, ast.Name) else None
        if name in api.ATTRIBUTE_REGISTRARS and self._reads_self(func, frame):
            self._register_attribute(func, node, args, frame)
        if kind is Kind.OBJECT:
            # batch.pin_memory(), batch.update(...): an object the engine only knows items of.
            if written is not None:
                frame.env[written] = UNKNOWN
            receiver, kind = UNKNOWN, None
        elif kind is Kind.NONE:
            # self.optimizer = None in __init__, set by a subclass or a setup method this file does
            # not show: a method called on it runs on whatever was set (on None it would raise).
            receiver, kind = UNKNOWN, None
        storage = storage_key(func.value)  # `x.sub_(m)`, `data.x.sub_(m)`
        clears = name in api.CLEARING_METHODS and all(literal_number(arg.node) for arg in args)  # x.fill(0.0), t.zero_()
        if kind is Kind.TENSOR and name.endswith("_") and not name.startswith("_") and name not in api.NOT_WRITES:
            if storage is not None:
                self.it.in_place(storage, node, frame, receiver, overwrite=name in api.FILLING_METHODS, clears=clears)
            if receiver.param_view:
                self.it.emit(frame, ParameterUpdate(self.it.site(node), frame.context))
        elif kind is Kind.NDARRAY and name in api.NDARRAY_INPLACE and storage is not None:
            self.it.in_place(storage, node, frame, receiver, overwrite=name in api.FILLING_METHODS, clears=clears)
        if name in ("append", "insert") and args and (args[-1].value.param_view or (
                args[-1].value.shares_with is not None and frame.context.loops)):
            # the list a method grows on its own instance (`self.history.append(v)`) is named by its
            # attribute key: a caller's loop that calls the method on one instance keeps every store
            holder = attribute_key(func.value) if (isinstance(func.value, ast.Attribute)
                                                   and self._reads_self(func.value, frame)) else written
            self.it.emit(frame, Snapshot(self.it.site(node), holder, args[-1].value, frame.context))
        if name in containers.GROWING_METHODS and (
                kind is Kind.MODULE and receiver.qualname in containers.GROWING_MODULES
                or kind is None and isinstance(func.value, ast.Attribute) and self._reads_self(func.value, frame)):
            # a ModuleList grows like a list; self.<attr>.append(v) on a value not known to be a
            # list (a deque, set elsewhere) leaves the class's join of that attribute unknown
            self._grow(receiver, func, args, frame)
            if kind is Kind.MODULE:
                return Value(kind=Kind.NONE)
        if name in api.FOREIGN_READER_METHODS and kind not in (Kind.TENSOR, Kind.NDARRAY, Kind.MODULE):
            stored = argument(args, None, api.FOREIGN_READER_METHODS[name])
            if stored is not None:
                self.numpy.to_numpy_sink(stored.value, node, name, frame)  # f.create_dataset(name, data=t)
        if kind is None and not runs_own_method:
            opened = _path_opened(name, args)
            if opened is not None:
                return opened
            placed = self._placed_unknown(receiver, name, node, args, frame)
            if placed is not None:
                return placed
            trained = self._unknown_trainer_call(receiver, name, func, node, args, frame)
            if trained is not None:
                return trained
            if receiver.negative_strides is Tri.YES and name in api.NDARRAY_VIEWS:
                # only an array has negative strides (a flipped value of unknown kind): a view keeps them
                return receiver
            array_like = self.numpy.unknown_kind_method(receiver, name, node, args)
            if array_like is not None:
                return array_like
        if kind is Kind.TENSOR:
            return self.torch_methods.tensor(receiver, name, func, node, args, frame)
        if kind in (Kind.NDARRAY, Kind.NP_SCALAR):
            return self.numpy.method(receiver, name, func, node, args, frame)
        if kind is Kind.MODULE:
            return self.torch_methods.module(receiver, name, func, node, args, frame)
        if kind is Kind.LOSS and name == "forward":
            return self.torch.call_loss(node, args, frame, receiver.qualname or "", receiver.elements or ())
        if kind is Kind.DICT:
            if name in containers.READING_METHODS:
                return containers.method(receiver, name, args)
            if written is not None:
                frame.env[written] = containers.contents_unknown()  # update(), pop(), setdefault(): not followed
            return UNKNOWN
        if kind is not Kind.SEQUENCE:
            self._forget_passed_dicts(args, frame)
            self._mode_after_passing(node, args, frame)
        if kind is Kind.CLASS and isinstance(receiver.definition, ClassInfo):
            method = receiver.definition.method(name)  # Cls.load_model(path): a class or static method
            return self.call_function(method, frame, args, False, node) if method is not None else UNKNOWN
        if kind is Kind.INSTANCE and isinstance(receiver.definition, ClassInfo):
            method = receiver.definition.method(name)
            return self.call_function(method, frame, args, True, node, receiver) if method is not None else UNKNOWN
        if kind is Kind.INSTANCE and receiver.definition is None and receiver.choices is not None:
            return self.each_choice(receiver, lambda one: self.call_method(one, func, node, frame))
        if kind is Kind.SEQUENCE and name in containers.GROWING_METHODS:
            self._grow(receiver, func, args, frame)
            return Value(kind=Kind.NONE)
        if kind is Kind.SEQUENCE and name in containers.REMOVING_METHODS and written is not None \
                and receiver.parametric is Tri.YES:
            frame.env[written] = receiver.with_(parametric=Tri.UNKNOWN)  # layers.pop(): the Linear may be gone
        if kind in (Kind.PY_BYTES, Kind.PY_STR) and name in api.BYTES_RESULT_METHODS[kind.value]:
            return Value(kind=Kind.PY_BYTES)
        return UNKNOWN

    def _grow(self, receiver: Value, func: ast.Attribute, args: Sequence[Arg], frame: Frame) -> None:
        """``items.append(v)`` on a name, on ``self.<attr>`` or on a dict's item (``hist["g"]``):
        the list now holds ``v`` too.

        On ``self`` the walk's attribute sink takes the grown list, joined with what this walk
        stored before, so the class's join (classes.class_attrs) sees every method's appends."""
        added = containers.grown(receiver, func.attr, args[-1].value if args else UNKNOWN)
        holder = func.value
        if isinstance(holder, ast.Name):
            frame.env[holder.id] = added
        elif isinstance(holder, ast.Attribute) and self._reads_self(holder, frame) and frame.attr_sink is not None:
            old = frame.attr_sink.get(holder.attr)
            frame.attr_sink[holder.attr] = added if old is None else join(old, added)
            frame.env[attribute_key(holder)] = added
        elif isinstance(holder, ast.Subscript) and isinstance(holder.value, ast.Name):
            # history["loss"].append(v): the list the dict holds at that key grows
            container = frame.lookup(holder.value.id)
            key = containers.constant_key(holder.slice)
            if container is not None and container.kind is Kind.DICT:
                frame.env[holder.value.id] = containers.stored(container, key, added)


def literal_number(node: ast.expr) -> bool:
    """A literal number (``0``, ``0.0``, ``-1``): what a whole-array clear writes."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, bool)


#: operators that give a Python float for a float and a number (``**`` may give a complex).
_FLOAT_KEEPING_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
#: operators whose result is float64 when one operand is a float64 array, whatever the other is.
_WIDENING_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def _float64_with_unknown(op: ast.operator, left: Value, right: Value) -> Optional[Value]:
    """``(vol - lo) / (hi - lo)`` with ``lo`` unknown: a float64 array (not 0-d) combined by
    arithmetic with anything (a number, an array of any real dtype, a tensor, which takes the
    array's float64 too) is float64. What kind the result is stays unknown (a tensor operand
    makes it a tensor)."""
    if not isinstance(op, _WIDENING_OPERATORS):
        return None
    for known, other in ((left, right), (right, left)):
        if (known.dtype == api.FLOAT64 and known.ndim != 0 and known.device is None
                and (known.kind is Kind.NDARRAY or is_array_like(known)) and knows_nothing(other)):
            return Value(dtype=api.FLOAT64, origin=known.origin)
    return None


def _cuda_tensor_type(qualname: Optional[str]) -> bool:
    """``torch.cuda.FloatTensor`` and the other legacy CUDA tensor types."""
    return api.TENSOR_TYPES.get(qualname or "", ("", False))[1]


def _int_literal(node: ast.expr) -> Optional[int]:
    """``3`` or ``-1`` written as a literal index."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_literal(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


def zoo_entry(key: ast.expr) -> Value:
    """What a model zoo's registry holds under ``key``: the builder it names, or, for a name read at
    run time, any of its builders (api.MODEL_ZOO_BY_NAME)."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier():
        return Value(kind=Kind.API, qualname=api.MODEL_ZOO_NAMESPACE + key.value)
    return Value(kind=Kind.API, qualname=api.MODEL_ZOO_BY_NAME)



def _is_property(node: ast.AST) -> bool:
    """A method decorated ``@property`` (or ``functools.cached_property``): read, not called."""
    decorators = getattr(node, "decorator_list", ())
    return any((isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
               or (isinstance(d, ast.Attribute) and d.attr == "cached_property") for d in decorators)


def record_fields(cls: ClassInfo) -> Optional[List[str]]:
    """The fields of a record class, in order: a ``@dataclass`` or a ``typing.NamedTuple``
    subclass, whose generated constructor stores its arguments on them; None for another class."""
    node = cls.node
    decorated = any(_named(d.func if isinstance(d, ast.Call) else d) == "dataclass" for d in node.decorator_list)
    if not decorated and not any(_named(base) == "NamedTuple" for base in node.bases):
        return None
    return [stmt.target.id for stmt in node.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            and _named(stmt.annotation.value if isinstance(stmt.annotation, ast.Subscript) else stmt.annotation)
            != "ClassVar"]


def _path_opened(name: str, args: Sequence[Arg]) -> Optional[Value]:
    """``path.open("rb")``, ``path.read_bytes()`` on an object of unknown kind (a ``pathlib.Path``):
    a binary file, whose ``read()`` gives bytes, and bytes. Only a literal mode decides (a first
    argument of mode characters only: no file name looks like "rb")."""
    if name in api.PATH_BYTES_METHODS and not args:
        return Value(kind=Kind.PY_BYTES)
    if name not in api.PATH_OPEN_METHODS:
        return None
    mode = argument(args, api.PATH_OPEN_METHODS[name], "mode")
    literal = mode.node.value if mode is not None and isinstance(mode.node, ast.Constant) else None
    if isinstance(literal, str) and literal and set(literal) <= api.FILE_MODE_CHARACTERS and "b" in literal:
        return Value(kind=Kind.API, qualname=api.BINARY_FILE)
    return None


def _named(node: ast.expr) -> Optional[str]:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


#: nodes the engine makes for what the source does implicitly (``obj[i]`` as ``obj.__getitem__(i)``, a
#: loop's ``iter(x)``, ...): one per source node and role, since a site's identity is its node and walks
#: are cached by node.
_SYNTHETIC: "weakref.WeakKeyDictionary[ast.AST, Dict[str, Any]]" = weakref.WeakKeyDictionary()


def _yields(node: ast.AST) -> bool:
    """A function's own body has a ``yield`` (a nested function's or lambda's does not count). Kept on the node."""
    known = getattr(node, "_ntl_yields", None)
    if known is None:
        known = False
        pending = list(ast.iter_child_nodes(node))
        while pending and not known:
            current = pending.pop()
            known = isinstance(current, (ast.Yield, ast.YieldFrom))
            if not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                pending.extend(ast.iter_child_nodes(current))
        setattr(node, "_ntl_yields", known)
    return bool(known)


def _text(node: ast.expr, limit: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _synthetic(node: ast.AST, role: str, build: Callable[[], Any]) -> Any:
    """The node ``build`` makes for ``node`` in this role, made once and kept while ``node`` lives."""
    by_role = _SYNTHETIC.setdefault(node, {})
    made = by_role.get(role)
    if made is None:
        made = by_role[role] = ast.copy_location(build(), node)
    return made


def _method_call(receiver: ast.expr, method: str, args: List[ast.expr]) -> ast.Call:
    func = ast.copy_location(ast.Attribute(value=receiver, attr=method, ctx=ast.Load()), receiver)
    return ast.Call(func=func, args=args, keywords=[])


def _getattr_node(node: ast.Call, name: str) -> ast.Attribute:
    """``getattr(obj, "fc")`` as the attribute read ``obj.fc``."""
    return _synthetic(node, "." + name, lambda: ast.Attribute(value=node.args[0], attr=name, ctx=ast.Load()))


def _factory_call(node: ast.Call) -> ast.Call:
    """The call of a default factory a dataclass construction makes."""
    factory = next(k.value for k in node.keywords if k.arg == "default_factory")
    return _synthetic(node, "default_factory", lambda: ast.Call(func=factory, args=[], keywords=[]))


def _iter_call(node: ast.expr) -> ast.Call:
    """The ``iter(x)`` a loop over ``x`` makes."""
    return _synthetic(node, "__iter__", lambda: _method_call(node, "__iter__", []))


def _getitem_call(node: ast.Subscript) -> ast.Call:
    """``obj[i]`` as the call it makes, ``obj.__getitem__(i)``."""
    return _synthetic(node, "__getitem__", lambda: _method_call(node.value, "__getitem__", [node.slice]))


def _literal_default(cls: ClassInfo, name: str) -> bool:
    """The class body gives field ``name`` a literal default (``lo: float = -3.0``)."""
    for stmt in cls.node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            value = stmt.value.operand if isinstance(stmt.value, ast.UnaryOp) else stmt.value
            return name in cls.class_attrs and isinstance(value, ast.Constant)
    return False


def _with_record_fields(instance: Value, cls: ClassInfo, args: Sequence[Arg],
                        made: Optional[Dict[str, Value]] = None) -> Value:
    """``Batch(obs=t)`` of a record class (``record_fields``): each argument stored on its field,
    read back as ``batch.obs`` (what a hand-written ``__init__`` storing it would give); the
    fields left to a default factory hold what it ``made``."""
    fields = record_fields(cls)
    if not fields or any(arg.starred for arg in args):
        return instance
    stored: Dict[str, Value] = dict(made or {})
    # fields left to a literal default (`lo: float = -3.0`): that value (a `field(...)` is no literal)
    stored.update((name, cls.class_attrs[name]) for name in fields if _literal_default(cls, name))
    positional = [arg for arg in args if arg.keyword is None]
    for name, arg in zip(fields, positional):
        stored[name] = arg.value
    for arg in args:
        if arg.keyword in fields:
            stored[arg.keyword] = arg.value
    # a field a method stores again (`self.obs = self.obs.float()`) is the class's join, as for __init__
    elsewhere = set().union(*cls.scan.storing.values()) if cls.scan is not None else set()
    kept = tuple(sorted((name, value) for name, value in stored.items()
                        if not knows_nothing(value) and name not in elsewhere))
    return instance.with_(attrs=kept) if kept else instance


def _field_names(node: Optional[ast.expr]) -> Optional[Tuple[str, ...]]:
    """The field names of a named-tuple maker: ``["a", "b"]``, ``"a b"``, ``"a, b"``, or
    ``[("a", T), ("b", T)]``; None where they are not written out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return tuple(node.value.replace(",", " ").split()) or None
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    names = []
    for item in node.elts:
        if isinstance(item, ast.Tuple) and item.elts:
            item = item.elts[0]
        if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
            return None
        names.append(item.value)
    return tuple(names) or None


def _deep_copied(value: Value) -> Value:
    """A value as ``copy.deepcopy`` makes it: no memory shared, no view of live storage (its origin
    named the view: ``state_dict()``, a parameter), its items copied alike."""
    if value.kind in (Kind.SEQUENCE, Kind.DICT):
        return value.with_(param_view=False, origin=None if value.param_view else value.origin,
                           element=_deep_copied(value.element) if value.element is not None else None,
                           elements=tuple(map(_deep_copied, value.elements)) if value.elements is not None else None)
    if value.kind not in (Kind.MODULE, Kind.TENSOR, Kind.NDARRAY):
        return value
    return value.with_(shares_with=None, shared_at=None, param_view=False,
                       origin=None if value.param_view else value.origin)


#: kinds a value joined with None never has (values.join keeps a module, tensor or array over a
#: None path, so only these tell that a name is not None).
_NEVER_NONE = frozenset({Kind.DEVICE, Kind.PY_STR, Kind.PY_INT, Kind.PY_FLOAT, Kind.PY_BOOL})
#: kinds whose every value is true in a test (``device or default`` with a device given: the device).
_ALWAYS_TRUE = frozenset({Kind.DEVICE, Kind.FUNCTION, Kind.CLASS})


def short_circuit(op: ast.boolop, values: Sequence[Value]) -> Value:
    """``a or b`` / ``a and b``: the operand that decides, where some operand's truth is known
    (``None`` is false; a device, function or class true), or the join of those that may decide
    (``device or torch.device(...)`` with ``device=None`` left to its default is the fallback
    device); unknown where no operand's truth is known."""
    deciding: List[Value] = []
    for position, value in enumerate(values):
        last = position == len(values) - 1
        falsy, truthy = value.kind is Kind.NONE, value.kind in _ALWAYS_TRUE
        if last:
            deciding.append(value)
        elif isinstance(op, ast.Or):
            if falsy:
                continue
            deciding.append(value)
            if truthy:
                break
        else:
            if truthy:
                continue
            deciding.append(value)
            if falsy:
                break
    if len(deciding) == len(values):
        # no operand's truth is known (`not args.no_cuda and torch.cuda.is_available()`): which one
        # is the value is a run-time matter, and a flag built so is left to the guard analysis
        return UNKNOWN
    result = deciding[0]
    for value in deciding[1:]:
        result = join(result, value)
    return result


def none_test(test: ast.expr, frame: Frame, lookup: Callable[[str, Frame], Value]) -> Optional[bool]:
    """Whether ``x is None`` / ``x is not None`` / ``not x`` / ``x`` holds, for a parameter the call
    being walked left to its ``None`` default (and not rebound), and whether ``x is None`` holds for
    a name known to be a device, string or number (a call that gave it); None where not known."""
    negate = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negate = test.operand, not negate
    if isinstance(test, ast.Name):
        name, holds_if_none = test, False  # `if device:` is false for None
    elif (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot))
          and isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Constant)
          and test.comparators[0].value is None):
        name, holds_if_none = test.left, isinstance(test.ops[0], ast.Is)
    else:
        return None
    value = lookup(name.id, frame)  # as a read sees it (a global some function rebinds is unknown)
    if value.kind is Kind.NONE and frame.defaults.get(name.id) is value:
        # only a parameter the call left to its None default: a None passed on from elsewhere may
        # stand for a value the analysis does not follow
        return holds_if_none != negate
    if value.kind in _NEVER_NONE and isinstance(test, ast.Compare):
        return (not holds_if_none) != negate  # a device or string given: `is None` fails
    return None
