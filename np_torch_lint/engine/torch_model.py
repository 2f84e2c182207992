"""The torch model: conversions, factories, nn modules and losses, operators, parameters, placement.

Tensor and module methods are in ``torch_methods.py``.

Every torch name is looked up in ``api.py``; this module reads the arguments and
combines the facts (dtype, device, requires_grad, memory shared with an array).
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import api, distributions
from .arguments import Arg, argument, bound_arguments, callee_text, first, grad_mode_of, literal_true, positional
from .effects import casts_dtype
from .events import Conversion, Load, LossTarget, ModelInput, ParameterUpdate, Placement, StateRead, StateUpdate
from .guards import device_variable
from .nodes import parameter_names, walk
from .numpy_model import uninitialized
from .promotion import data_dtype, dtype_of, grad_in_context, grad_union, scalar_literal_dtype, torch_result_dtype
from .scope import ClassInfo, Frame, FunctionInfo, storage_key
from .values import (UNKNOWN, Device, Kind, Origin, Site, Tri, Value, holds_parameters, join, knows_nothing, moved_with,
                     on_device_where_unknown, sequence)
from .walker import Expressions, Walker

#: a call by qualified name: (qualified name, call, arguments, frame) -> value.
ApiHandler = Callable[[str, ast.Call, Sequence[Arg], Frame], Value]


class TorchModel:
    def __init__(self, walker: Walker, expressions: Expressions) -> None:
        self.it = walker
        self.ex = expressions

    # --- calls by qualified name --------------------------------------------------------

    def api_calls(self) -> Dict[str, ApiHandler]:
        """Handlers of torch calls by exact qualified name, for the evaluator's call table."""
        rows: List[tuple] = [
            ((api.OPTIMIZER + ".step",), self.optimizer_step),
            (api.CONVERSIONS, self.conversion),
            (api.TORCH_FACTORIES, self.factory),
            (api.LOADERS, self.load),
            (api.MODULE_WRAPPERS, self.wrapper),
            (api.MODULE_LOADERS, self.loaded_module),
            (api.DEVICE_CONSTRUCTORS, self.device),
            (api.CUDA_PROBES, self.cuda_probe),
            (api.GRAD_MODES, self.grad_context),
            (api.DEFAULT_DTYPE_SETTERS, self.set_default_dtype),
            (api.DEFAULT_DEVICE_SETTERS, self.set_default_device),
            (api.DISTRIBUTION_SAMPLES, self.distribution),
            (api.LEGACY_VARIABLE, self.legacy_variable),
            (api.DATA_LOADERS, self.data_loader),
            (api.TENSOR_DATASETS, self.tensor_dataset),
            (api.SEQUENCE_PACKERS, self.pack),
            (api.SEQUENCE_UNPACKERS, self.unpack),
            (api.ARRAY_ARGUMENT_CONVERTERS, self.converts_argument),
            ((q for q, (_, cuda) in api.TENSOR_TYPES.items() if cuda), self.cuda_tensor_type),
        ]
        table: Dict[str, ApiHandler] = {}
        for names, handler in rows:
            for name in names:
                table.setdefault(name, handler)
        return table

    def legacy_variable(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``Variable(t)`` is ``t``; with ``requires_grad=True``, a leaf that needs grad."""
        data = first(args)
        if data.kind is not Kind.TENSOR and data.device is None:
            return UNKNOWN
        wanted = argument(args, 1, "requires_grad")
        if wanted is not None and literal_true(wanted.node):
            return data.with_(requires_grad=Tri.YES, grad_leaf=True, origin=self.it.origin(node))
        if wanted is not None:
            return data.with_(requires_grad=Tri.UNKNOWN)
        return data

    def _default_batches(self, cls: Optional[ClassInfo], args: Sequence[Arg], node: ast.Call, frame: Frame) -> Value:
        """``DataLoader(ds)`` over a Dataset class of the project, default collate: iterated, it
        yields its ``__getitem__``'s value collated (``for x, y in loader``). A sampler-made batch
        (``batch_size=None``, ``batch_sampler=``) is not followed."""
        if cls is None or not cls.is_dataset or argument(args, None, "batch_sampler") is not None:
            return UNKNOWN
        size = argument(args, 1, "batch_size")
        if size is not None and size.value.kind is Kind.NONE:
            return UNKNOWN
        getitem = cls.method("__getitem__")
        if getitem is None:
            return UNKNOWN
        dataset = argument(args, 0, "dataset")
        batch = default_collated(self.dataset_item(getitem, dataset.value if dataset is not None else UNKNOWN, node, frame))
        return Value(kind=Kind.SEQUENCE, element=batch) if batch != UNKNOWN else UNKNOWN

    def dataset_item(self, getitem: FunctionInfo, dataset: Value, node: ast.Call, frame: Frame) -> Value:
        """What ``dataset[i]`` is: ``__getitem__`` walked on this instance, with what its construction
        stored on self (``Windowed(np.sin(t), 10)``: its series is float64), so the item's facts (and
        NTL102's) are this dataset's, and with an int index, as a DataLoader's sampler gives (a row
        of a read-only map is then a read-only view); otherwise the class's summary."""
        if dataset.kind is Kind.INSTANCE and isinstance(dataset.definition, ClassInfo):
            index = Arg(None, Value(kind=Kind.PY_INT), node, False)
            return self.ex.call_function(getitem, frame, [index], True, node, dataset)
        return self.it.summary(getitem)

    @staticmethod
    def tensor_dataset(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``TensorDataset(x, y)``: an object whose items are the tuple of a row of each tensor."""
        if not args or any(arg.starred or arg.keyword is not None for arg in args):
            return UNKNOWN
        return Value(kind=Kind.OBJECT, qualname=api.TENSOR_DATASET, elements=tuple(tensor_row(a.value) for a in args))

    def data_loader(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``DataLoader(dataset, collate_fn=fn)``: ``fn`` of the file is called with a list of the
        dataset's items (its ``__getitem__``'s value, walked on this instance), the loader yields
        what it returns (a float64 batch it converts reaches the model: NTL101 at its conversion),
        and the dataset's items no longer go through default_collate (NTL102 has nothing to say
        about them). Over a TensorDataset with the default collate, each batch is a row of each of
        its tensors, stacked (their facts)."""
        dataset = argument(args, 0, "dataset")
        collate = argument(args, None, "collate_fn")
        rows = tensor_dataset_item(dataset.value) if dataset is not None else None
        if rows is not None:
            default = collate is None or collate.value.kind is Kind.NONE
            size = argument(args, 1, "batch_size")
            batched = (default and argument(args, None, "batch_sampler") is None
                       and (size is None or size.value.kind is not Kind.NONE))
            return Value(kind=Kind.SEQUENCE, element=rows) if batched else UNKNOWN
        cls = dataset.value.definition if dataset is not None and isinstance(dataset.value.definition, ClassInfo) else None
        if collate is None or collate.value.kind is Kind.NONE:
            return self._default_batches(cls, args, node, frame)
        function = collate.value.definition
        if collate.value.kind is not Kind.FUNCTION or not isinstance(function, FunctionInfo):
            return UNKNOWN
        if cls is not None and cls.is_dataset:
            cls.custom_collate = True
            getitem = cls.method("__getitem__")
            if getitem is None:
                return UNKNOWN
            item = self.dataset_item(getitem, dataset.value if dataset is not None else UNKNOWN, node, frame)
        else:
            # any other sized, indexable data (a list of records): its items as far as known
            item = self.ex.element_of(dataset.value) if dataset is not None else UNKNOWN
        batch = Value(kind=Kind.SEQUENCE, element=item if item != UNKNOWN else None)
        batch_arg = [Arg(None, batch, collate.node, False)]
        made = self.ex.call_function(function, frame, bound_arguments(collate.value, batch_arg, collate.node),
                                     False, node)
        if cls is not None and cls.is_dataset:
            cls.collated_float64 = cls.collated_float64 or _holds_float64(made)
        if not knows_nothing(made) and argument(args, None, "batch_sampler") is None:
            return Value(kind=Kind.SEQUENCE, element=made)  # each batch is what collate_fn made
        return UNKNOWN

    @staticmethod
    def distribution(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return distributions.built(qual, args)

    def wrapper(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``nn.DataParallel(model)``: calling it runs ``model`` (its forward, its device)."""
        wrapped = argument(args, 0, "module")
        return wrapped.value if wrapped is not None and wrapped.value.kind is Kind.MODULE else UNKNOWN

    def pack(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``pack_padded_sequence(x, lengths)``, ``pack_sequence([a, b])``: a PackedSequence of the
        input's data (its dtype, device and grad)."""
        if qual in api.ARRAY_ARGUMENT_CONVERTERS:
            self.converts_argument(qual, node, args, frame)
        data = first(args)
        if data.kind is Kind.SEQUENCE and data.element is not None:
            data = data.element  # pack_sequence([a, b, c]): the join of the sequences
        if data.kind is not Kind.TENSOR:
            return UNKNOWN
        return packed(data)

    @staticmethod
    def unpack(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``pad_packed_sequence(packed)``: (the padded data, where the packed data was; the lengths,
        an int64 tensor on the CPU)."""
        data = first(args)
        lengths = Value(kind=Kind.TENSOR, dtype=api.INT64, device=Device.CPU, requires_grad=Tri.NO)
        if is_packed(data):
            return sequence((data.with_(kind=Kind.TENSOR, qualname=None, ndim=None), lengths))
        if data.kind is None and data.device is not None:
            # only a PackedSequence gets through: the padded data is a tensor where it was
            return sequence((Value(kind=Kind.TENSOR, device=data.device, device_origin=data.device_origin), lengths))
        return UNKNOWN

    def converts_argument(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``pack_padded_sequence(x, lengths)``: torch turns the ``lengths`` array into a tensor with
        ``torch.as_tensor`` (an ARRAY_ARGUMENT_CONVERTERS row), a conversion like any other."""
        position, keyword = api.ARRAY_ARGUMENT_CONVERTERS[qual]
        given = argument(args, position, keyword)
        if given is not None and given.value.kind is Kind.NDARRAY:
            self.it.emit(frame, Conversion(self.it.site(node), qual, given.value, UNKNOWN, frame.context))
        return UNKNOWN

    def optimizer_step(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        self.it.emit(frame, ParameterUpdate(self.it.site(node), frame.context))
        return UNKNOWN

    def conversion(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        spec = api.CONVERSIONS[qual]
        source = first(args)
        explicit = argument(args, spec.dtype_pos, "dtype") if spec.dtype_pos is not None else None
        device = argument(args, spec.device_pos, "device") if spec.device_pos is not None else None
        requires = argument(args, None, "requires_grad")
        site = self.it.site(node)
        if device is not None:
            self.place_argument(device, frame)
        inner, kind = data_dtype(source)
        numpy_data = kind in (Kind.NDARRAY, Kind.NP_SCALAR, None) and inner is not None and source.kind is not Kind.TENSOR
        list_of_scalars = kind is Kind.SEQUENCE and source.element is not None and source.element.kind is Kind.NP_SCALAR
        if spec.legacy_dtype is not None:
            dtype: Optional[str] = spec.legacy_dtype
        elif explicit is not None:
            dtype = dtype_of(explicit.value)
        else:
            # Python floats become the default float dtype; Python ints int64.
            dtype = {"pyfloat": api.FLOAT32, "pyint": api.INT64}.get(inner or "", inner)
        if qual in api.ARRAY_ONLY_CONVERSIONS and kind is None:
            kind = Kind.NDARRAY  # from_numpy accepts only arrays: if it ran, it was one (of some dtype)
        ndim = 0 if source.kind is Kind.NP_SCALAR else (source.ndim if kind is Kind.NDARRAY else None)
        copy = argument(args, None, spec.copy_keyword) if spec.copy_keyword is not None else None
        copies = copy is not None and not (isinstance(copy.node, ast.Constant) and copy.node.value in (False, None))
        # A dtype the array already has and the CPU change nothing: torch.as_tensor(a, dtype=torch.float32)
        # of a float32 array, or with device="cpu", is a view of it.
        same_dtype = explicit is None or (dtype is not None and dtype == inner and spec.legacy_dtype is None)
        on_cpu = device is None or device.value.device is Device.CPU
        shares = spec.shares_memory and same_dtype and on_cpu and kind is Kind.NDARRAY and not copies
        wraps = spec.shares_memory and not copies and (explicit is None or spec.dtype_change_wraps)
        source_node = node.args[0] if node.args else None
        partner = storage_key(source_node) if shares and not uninitialized(source) else None
        if partner is None and shares:
            partner = self._container_of_loop_item(source_node, frame)
        leaf = requires is not None and literal_true(requires.node)
        numpy_source: Optional[Origin] = None
        if list_of_scalars and source.element is not None:
            numpy_source = _scalars(source.element.origin)
        elif numpy_data:
            numpy_source = source.origin
        result = Value(
            kind=Kind.TENSOR, dtype=dtype, device=device.value.device if device is not None else Device.CPU,
            device_origin=self.it.moved_origin(device.node, "device=", frame, device.value) if device is not None and device.value.device in (Device.CUDA, Device.MAYBE_CUDA) else None,
            requires_grad=Tri.YES if leaf else Tri.NO, grad_leaf=leaf, ndim=ndim,
            shares_with=partner, shared_at=site if partner else None,
            origin=self.it.origin(requires.node, "requires_grad=") if leaf and requires is not None else None,
            numpy_source=numpy_source,
            conversion=site if numpy_data or list_of_scalars else None,
        )
        self.it.emit(frame, Conversion(site, qual, source, result, frame.context, wraps_source=wraps))
        return result

    def factory(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        explicit = argument(args, None, "dtype")
        device = argument(args, None, "device")
        requires = argument(args, None, "requires_grad")
        if device is not None:
            self.place_argument(device, frame)
        dtype = api.TORCH_FACTORIES[qual]
        data = first(args)
        if explicit is not None:
            dtype = dtype_of(explicit.value)
        elif qual.endswith("_like"):
            dtype = data.dtype if data.kind is Kind.TENSOR else None
        elif qual in ("torch.arange", "torch.full"):
            values = positional(args) if qual == "torch.arange" else positional(args)[1:2]
            dtype = scalar_literal_dtype([v.kind for v in values], api.FLOAT32)
        leaf = requires is not None and literal_true(requires.node)
        made_on, device_origin = (device.value.device if device is not None else Device.CPU), None
        if device is not None and made_on in (Device.CUDA, Device.MAYBE_CUDA):
            device_origin = self.it.moved_origin(device.node, "device=", frame, device.value)
        placed_like = next((a.value for a in args if a.keyword in (None, "input", "mean", "std") and not a.starred
                            and a.value.kind is Kind.TENSOR), None)
        if device is None and qual in api.FACTORIES_ON_ARGUMENT_DEVICE and placed_like is not None:
            made_on, device_origin = placed_like.device, placed_like.device_origin
        return Value(kind=Kind.TENSOR, dtype=dtype, device=made_on, device_origin=device_origin,
                     requires_grad=Tri.YES if leaf else Tri.NO, grad_leaf=leaf,
                     origin=self.it.origin(requires.node, "requires_grad=") if leaf and requires is not None else None)

    def load(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        loader = api.LOADERS[qual]
        location = argument(args, loader.map_location_pos, "map_location")
        given = (location is not None and location.value.kind is not Kind.NONE) or any(a.starred for a in args)
        source = node.args[0] if node.args else None
        in_memory = isinstance(source, ast.Call) and api.is_in_memory_buffer(callee_text(source))
        saved = frame.context.function in self.it.saving_functions
        self.it.emit(frame, Load(self.it.site(node), given, frame.context, saved, in_memory,
                                 device_variable(frame) if not given else None, loader.from_url))
        if qual not in api.UNPICKLERS:
            return UNKNOWN
        # torch.load(path, map_location=device): whatever it holds, its tensors are on that device
        # (a model unpickled whole, then called with an input there, computes there)
        return Value(qualname=api.UNPICKLED, **self._mapped_to(location, node, frame))

    def loaded_module(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``torch.jit.load(path, map_location=device)``: a TorchScript module, on that device when one is
        given (as saved otherwise); its forward is not read, nor whether it has parameters."""
        location = argument(args, 1, "map_location")
        return Value(kind=Kind.MODULE, qualname=qual, **self._mapped_to(location, node, frame))

    def _mapped_to(self, location: Optional[Arg], node: ast.Call, frame: Frame) -> Dict[str, Any]:
        if location is None or location.value.kind not in (Kind.DEVICE, Kind.PY_STR) or location.value.device is None:
            return {}
        device = location.value.device
        if device is Device.CPU:
            return {"device": device}
        return {"device": device, "device_origin": self.it.moved_origin(node, "loaded onto the device by ", frame,
                                                                         location.value)}

    def device(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        data = first(args)
        device = data.device if data.kind in (Kind.PY_STR, Kind.DEVICE) else None
        origin = data.origin if data.kind in (Kind.PY_STR, Kind.DEVICE) and data.origin else self.it.origin(node)
        if frame.context.cuda_guarded and not origin.guarded:
            origin = replace(origin, guarded=True)
        if device is None and node.args and not isinstance(node.args[0], ast.Constant) and data.kind in (
                None, Kind.PY_STR, Kind.PY_INT) and not _with_fallback(node.args[0]) \
                and not _unknown_parameter(node.args[0], data, frame):
            # torch.device(cfg.device), torch.device(args.device): a configured device may be CUDA
            # (what the configuration is for); the user chose it, so it is no unguarded placement
            device, origin = Device.MAYBE_CUDA, replace(origin, guarded=True, configured=True)
        return Value(kind=Kind.DEVICE, device=device, origin=origin)

    @staticmethod
    def cuda_probe(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        return Value(kind=Kind.PY_BOOL, qualname=qual)

    @staticmethod
    def grad_context(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``ctx = torch.inference_mode(False)``: the object a later ``with ctx:`` enters."""
        mode = grad_mode_of(qual, node)
        objects = {Tri.NO: api.GRAD_OFF_OBJECT, Tri.YES: api.GRAD_ON_OBJECT}
        return Value(kind=Kind.API, qualname=objects.get(mode or Tri.UNKNOWN, api.GRAD_UNKNOWN_OBJECT))

    def set_default_dtype(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if dtype_of(first(args)) == api.FLOAT64:
            self.it.default_float64 = True
        return UNKNOWN

    def set_default_device(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        data = first(args)
        cuda_type = data.kind is Kind.API and api.TENSOR_TYPES.get(data.qualname or "", ("", False))[1]
        if data.device is Device.CUDA or cuda_type:
            device = data if data.device is Device.CUDA else Value(kind=Kind.DEVICE, device=Device.CUDA)
            variable = bool(node.args) and isinstance(node.args[0], (ast.Name, ast.Attribute)) and not cuda_type
            self.place(device, self.it.site(node), f"{callee_text(node)}(...)", frame, variable)
        return UNKNOWN

    def cuda_tensor_type(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        dtype, _ = api.TENSOR_TYPES[qual]
        self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(node), qual, frame, False,
                   by_tensor_type=True)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=Device.CUDA, requires_grad=Tri.NO)

    def functional(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """torch.nn.functional.<name>: a loss, or a function of tensors."""
        name = qual[len("torch.nn.functional."):]
        inplace = argument(args, None, "inplace")
        self.write_first_argument(qual, node, args, frame, inplace is not None and literal_true(inplace.node))
        if name in api.FUNCTIONAL_LOSSES:
            return self.call_loss(node, args, frame, name)
        promoted = self.promoting(qual, node, args, frame)  # F.linear(x, w): x and w meet
        return promoted if promoted is not None else self.propagate(name, args, frame)

    def nn(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """torch.nn.<Name>(...): a module, a loss or a parameter."""
        name = qual[len("torch.nn."):]
        if name == "Parameter":
            # nn.Parameter(t) needs grad unless told otherwise or frozen later in the file (parameter()).
            data, wanted = first(args), argument(args, 1, "requires_grad")
            needs = None if wanted is None else Tri.YES if literal_true(wanted.node) else Tri.UNKNOWN
            return self.parameter(data.dtype if data.kind is Kind.TENSOR else None, None, node, api.PARAMETER_ORIGIN,
                                  requires_grad=needs)
        if name in api.LOSS_MODULES:
            # a loss holds tensors only when given some (weight=, pos_weight=): without, .cuda() moves nothing
            holds = any(a.starred or a.value.kind not in _SCALAR_KINDS for a in args)
            weights = tuple(a.value for a in args if a.keyword in api.LOSS_WEIGHT_KEYWORDS and a.value.kind is Kind.TENSOR)
            return Value(kind=Kind.LOSS, qualname=name, parametric=Tri.UNKNOWN if holds else Tri.NO,
                         elements=weights or None)
        if not name[:1].isupper() or name in api.NON_MODULE_CLASSES:
            return UNKNOWN
        explicit = argument(args, None, "dtype")
        dtype = dtype_of(explicit.value) if explicit is not None else api.FLOAT32
        if name in api.CONTAINER_MODULES:
            members = [a.value for a in args if a.keyword is None]  # nn.Sequential(*layers): the list too
            members += [m.element for m in members if m.kind in (Kind.SEQUENCE, Kind.DICT) and m.element is not None]
            parametric = Tri.YES if any(holds_parameters(m) for m in members) else Tri.UNKNOWN
            held = _held_modules(name, args)
            return Value(kind=Kind.MODULE, qualname=name, dtype=dtype, parametric=parametric, device=_made_on(args),
                         keys=held.keys, elements=held.elements, element=held.element, training=Tri.YES)
        return Value(kind=Kind.MODULE, qualname=name, dtype=dtype, parametric=layer_parametric(name),
                     device=_made_on(args), training=Tri.YES)

    def _container_of_loop_item(self, node: Optional[ast.expr], frame: Frame) -> Optional[str]:
        """``feats`` for ``feats[key]`` of a dict or list, ``key`` the target of an enclosing ``for``
        loop: the loop visits the arrays the container holds (not copies), so a write through each
        conversion changes what the container holds for every later read of it."""
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name)):
            return None
        held = frame.lookup(node.value.id)
        if held is None or held.kind not in (Kind.DICT, Kind.SEQUENCE):
            return None
        for loop_id, _ in frame.context.loops:
            loop = self.it.loop_node(loop_id)
            if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name) \
                    and loop.target.id == node.slice.id:
                return node.value.id
        return None

    def zoo_model(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """A model of a zoo (api.builds_zoo_model): torchvision.models.resnet18(pretrained=True),
        timm.create_model(name), models.__dict__[arch](): an nn.Module with parameters, built on
        the CPU in float32 (pretrained weights load there too)."""
        return Value(kind=Kind.MODULE, qualname=qual, dtype=api.FLOAT32, device=Device.CPU, parametric=Tri.YES,
                     training=Tri.YES)

    def function(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """torch.<name>(...): promotion for the promoting functions, else propagation."""
        self.write_first_argument(qual, node, args, frame)
        promoted = self.promoting(qual, node, args, frame)
        return promoted if promoted is not None else self.propagate(qual[len("torch."):], args, frame)

    def write_first_argument(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame,
                             inplace: bool = False) -> None:
        """torch.relu_(t), torch.nn.init.zeros_(t), F.relu(t, inplace=True): t is written in place."""
        name = qual.rsplit(".", 1)[-1]
        named_inplace = name.endswith("_") and not name.startswith("_") and name not in api.NOT_WRITING_INPLACE_FUNCTIONS
        if (named_inplace or inplace) and first(args).kind is Kind.TENSOR and node.args and isinstance(node.args[0], ast.Name):
            self.it.in_place(node.args[0].id, node, frame)

    def promoting(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Optional[Value]:
        """A PROMOTING_FUNCTIONS row: its two operands meet as in ``a * b``."""
        operands = positional(args)
        if qual in api.PROMOTING_FUNCTIONS and len(operands) >= 2:
            return self.ex.binary(ast.Mult(), operands[0], operands[1], node, frame)
        return None

    def values_and_indices(self, name: str, t: Value, rest: Sequence[Arg], frame: Frame) -> Optional[Value]:
        """``torch.max(t, 1)``, ``t.topk(k)``, ``t.sort()``: the (values, indices) named tuple, both
        on ``t``'s device; the values in its dtype and grad, the indices int64 without grad.
        None where the call returns something else (``t.max()``, ``torch.max(a, b)``)."""
        if t.kind is not Kind.TENSOR or name not in api.VALUES_INDICES_RESULTS:
            return None
        if name in api.VALUES_INDICES_WITH_DIM:
            dim = argument(rest, 0, "dim")
            if dim is None or dim.value.kind is not Kind.PY_INT:
                return None
        grad, origin = grad_in_context(t.requires_grad, t.origin, frame)
        values = t.with_(ndim=None, grad_leaf=False, requires_grad=grad, shares_with=None, origin=origin,
                         param_view=False)
        indices = Value(kind=Kind.TENSOR, dtype=api.INT64, device=t.device, device_origin=t.device_origin,
                        requires_grad=Tri.NO)
        return sequence((values, indices)).with_(keys=api.VALUES_INDICES_FIELDS)

    def propagate(self, name: str, args: Sequence[Arg], frame: Frame) -> Value:
        """A torch function of tensors: keeps dtype/grad/device of its tensor operands."""
        pair = self.values_and_indices(name, first(args), args[1:] if args and args[0].keyword is None else args, frame)
        if pair is not None:
            return pair
        if name in api.INTEGER_RESULTS:
            # torch.argmax(x), torch.multinomial(p, 1): indices made where their input is (as the methods).
            data = first(args)
            placed = data if data.kind is Kind.TENSOR else UNKNOWN
            return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO,
                         device=placed.device, device_origin=placed.device_origin)
        if name not in api.TENSOR_PROPAGATING:
            return UNKNOWN
        operands: List[Value] = []
        for arg in args:
            if arg.starred:
                continue
            if arg.keyword is None and arg.value.kind is Kind.SEQUENCE and arg.value.element is not None:
                operands.append(arg.value.element)
            elif arg.keyword in (None, "input"):
                operands.append(arg.value)
        tensors = [v for v in operands if v.kind is Kind.TENSOR]
        if not tensors:
            return UNKNOWN
        lead = tensors[0]
        dtype = lead.dtype if all(t.dtype == lead.dtype for t in tensors) else None
        explicit = argument(args, None, "dtype")
        if explicit is not None:
            dtype = dtype_of(explicit.value)
        grad, origin = grad_in_context(*grad_union(tensors), frame)
        keep = dtype == api.FLOAT64 and all(t.conversion is lead.conversion for t in tensors)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=lead.device if all(t.device is lead.device for t in tensors) else None,
                     requires_grad=grad, origin=origin, device_origin=lead.device_origin,
                     conversion=lead.conversion if keep else None, numpy_source=lead.numpy_source if keep else None)

    # --- modules and losses called ------------------------------------------------------

    def call_module(self, module: Value, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        site = self.it.site(node)
        casts = forward_casts_inputs(module)
        for arg in args:
            if not arg.starred and not casts:
                self.it.emit(frame, ModelInput("module", site, arg.value, True, (), module, frame.context))
        if module.training is Tri.YES and self.has_running_stats(module):
            self.it.emit(frame, StateUpdate(site, "the forward pass in training mode updates the BatchNorm running "
                                                  "statistics", frame.context))
        if module.definition is None and module.choices is not None:
            # `net = A() if c else B()`: the forward of whichever class it is on each path.
            return self.ex.each_choice(module, lambda one: self.module_output(one, node, args, frame))
        return self.module_output(module, node, args, frame)

    def module_output(self, module: Value, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """What a call of ``module`` returns (its inputs already reported as model inputs)."""
        chained = self.sequential_output(module, node, args, frame)
        if chained is not None:
            return chained
        cls = module.definition if isinstance(module.definition, ClassInfo) else None
        if cls is not None:
            forward = cls.method("forward")
            if forward is None:
                return UNKNOWN
            # forward is walked with self where this module is and in its dtype (model.half()).
            result = self.ex.call_function(forward, frame, args, True, node, receiver=module)
            if result.kind is Kind.TENSOR and result.dtype == api.FLOAT32 and module.dtype != api.FLOAT32:
                # a walk that fell back to the summary (recursion, budget) saw self as built.
                result = result.with_(dtype=module.dtype)
            if module.device is not None:
                result = on_device_where_unknown(result, module)
            if knows_nothing(result):
                return self.computed_where_module_is(module, args)  # a forward too deep to follow
            if module.parametric is not Tri.YES and self.it.instance_value(cls).parametric is Tri.YES:
                return _grad_unknown(result)  # frozen by its holder (model.requires_grad_(False)) where it was built
            return result
        if (module.qualname or "").startswith(api.STRUCTURED_OUTPUT_MODELS):
            return self.computed_where_module_is(module, args)  # detections, maps: only their device is known
        if module.parametric is Tri.YES:
            needs = Tri.UNKNOWN if self.it.parameters_may_be_frozen() else Tri.YES
            grad, origin = grad_in_context(needs, self.it.origin(node, "output of "), frame)
            device, device_origin = module.device, module.device_origin
            if device is None:
                # The output is on its input's device: a module given a CUDA input is on CUDA too (or it raises).
                moved = next((a.value for a in args if not a.starred and (a.value.kind is Kind.TENSOR or is_packed(a.value))
                              and a.value.device in (Device.CUDA, Device.MAYBE_CUDA)), None)
                if moved is not None:
                    device, device_origin = moved.device, moved.device_origin
            output = Value(kind=Kind.TENSOR, dtype=module.dtype, device=device, requires_grad=grad, origin=origin,
                           device_origin=device_origin)
            shape = api.TUPLE_OUTPUT_MODULES.get(module.qualname or "")
            if shape is not None:
                given = first(args)
                # an RNN given a PackedSequence returns one (unpacked by pad_packed_sequence)
                main = packed(output) if is_packed(given) else output if given.kind is Kind.TENSOR else \
                    Value(device=output.device, device_origin=output.device_origin)  # a tensor or a packed one, there
                return _tuple_output(shape, output, main)
            return output
        if (module.qualname or "") in api.TUPLE_OUTPUT_MODULES:
            return UNKNOWN
        if module.parametric is Tri.UNKNOWN:
            return self.computed_where_module_is(module, args)
        if module.parametric is Tri.NO:
            data = first(args)
            return data.with_(shares_with=None, grad_leaf=False) if data.kind is Kind.TENSOR else UNKNOWN
        return UNKNOWN

    def has_running_stats(self, module: Value) -> bool:
        """A BatchNorm layer (api.RUNNING_STATS_MODULES), a container holding one, or a module of the
        project's own class whose body (or a base's) builds one."""
        if module.qualname in api.RUNNING_STATS_MODULES:
            return True
        members = (module.elements or ()) + ((module.element,) if module.element is not None else ())
        if any(member.kind is Kind.MODULE and self.has_running_stats(member) for member in members):
            return True
        cls = module.definition if isinstance(module.definition, ClassInfo) else None
        return cls is not None and _builds_running_stats(cls, set())

    def state_read(self, values: Sequence[Value], node: ast.AST, how: str, frame: Frame) -> None:
        """Views of a module's tensors read as a state (compared, loaded back): see events.StateRead."""
        for i, value in enumerate(values):
            if value.param_view and value.origin is not None:
                others = tuple(v for j, v in enumerate(values) if j != i)
                self.it.emit(frame, StateRead(self.it.site(node), value, others, how, frame.context))

    def sequential_output(self, module: Value, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Optional[Value]:
        """``nn.Sequential(a, b, c)(x)`` is ``c(b(a(x)))``: each member's output feeds the next, so a
        member of the project's own class (whose forward is walked) or an input on CUDA carries
        through. Each member is where the container is (``seq.to(device)`` moved them all). None
        when the members are not known one by one, or some member's output is left unknown."""
        if module.qualname != "Sequential" or not module.elements or len(args) != 1 or args[0].starred \
                or args[0].keyword is not None:
            return None
        if not all(member.kind is Kind.MODULE for member in module.elements):
            return None
        value = args[0].value
        for member in module.elements:
            value = self.module_output(moved_with(module, member), node, [args[0]._replace(value=value)], frame)
            if knows_nothing(value):
                return None
        return value

    @staticmethod
    def computed_where_module_is(module: Value, args: Sequence[Arg]) -> Value:
        """A module whose forward is not followed (its class is not read: a parameter ``model:
        nn.Module``, a third-party model; or its forward is too deep to walk) that is on CUDA and
        is given an input on CUDA computes there: what it returns is on that device, whatever it
        is (a tensor, or a structure whose items stay unknown: a length it passes through may
        still be on the CPU)."""
        if module.device not in (Device.CUDA, Device.MAYBE_CUDA):
            return UNKNOWN
        given = [a.value.element if a.value.kind is Kind.SEQUENCE and a.value.element is not None else a.value
                 for a in args if not a.starred]  # a detector takes a list of images
        if any(value.kind in (Kind.TENSOR, None) and value.device is module.device for value in given):
            return Value(device=module.device, device_origin=module.device_origin)
        return UNKNOWN

    def call_loss(self, node: ast.Call, args: Sequence[Arg], frame: Frame, loss: str = "",
                  held: Sequence[Value] = ()) -> Value:
        """A loss called on ``args`` (a loss module's ``held`` weights too: ``CrossEntropyLoss(weight=w)``):
        each tensor it computes with meets the others (a float64 one among float32 raises)."""
        site = self.it.site(node)
        if loss in api.CLASS_INDEX_LOSSES:
            target = argument(args, 1, "target")
            if target is not None:
                self.it.emit(frame, LossTarget(site, loss, target.value, frame.context))
        values = [a.value for a in args if not a.starred and a.keyword in (None, "input", "target")]
        weights = [a.value for a in args if not a.starred and a.keyword in api.LOSS_WEIGHT_KEYWORDS] + list(held)
        met = values + weights
        for i, value in enumerate(met):
            others = tuple(v for j, v in enumerate(met) if j != i)
            self.it.emit(frame, ModelInput("loss", site, value, True, others, None, frame.context))
        grad, _ = grad_union(values)
        grad, origin = grad_in_context(grad, self.it.origin(node, "loss "), frame)
        dtype = None
        if any(v.kind is Kind.TENSOR and v.dtype == api.FLOAT64 and v.ndim != 0 for v in values):
            dtype = api.FLOAT64
        elif values and all(v.kind is Kind.TENSOR and v.dtype == api.FLOAT32 for v in values):
            dtype = api.FLOAT32
        tensors = [v for v in values if v.kind is Kind.TENSOR]
        device = tensors[0].device if tensors and all(t.device is tensors[0].device for t in tensors) else None
        return Value(kind=Kind.TENSOR, dtype=dtype, ndim=0, requires_grad=grad, origin=origin, device=device,
                     device_origin=next((t.device_origin for t in tensors if t.device_origin), None))

    # --- operators and attributes -------------------------------------------------------

    def binary(self, left: Value, right: Value, node: ast.AST, frame: Frame) -> Value:
        """An operator with a tensor operand: torch promotion, grad, device."""
        if left.kind is Kind.TENSOR and right.kind is Kind.TENSOR:
            site = self.it.site(node)
            self.it.emit(frame, ModelInput("op", site, left, True, (right,), None, frame.context))
            self.it.emit(frame, ModelInput("op", site, right, True, (left,), None, frame.context))
        dtype, source = torch_result_dtype(left, right)
        grad, grad_origin = grad_in_context(*grad_union([left, right]), frame)
        tensor = left if left.kind is Kind.TENSOR else right
        both = left.kind is right.kind
        kept = source if source is not None and dtype == api.FLOAT64 else None
        return Value(
            kind=Kind.TENSOR, dtype=dtype, device=join(left, right).device if both else tensor.device,
            device_origin=left.device_origin or right.device_origin,
            requires_grad=grad, origin=grad_origin, ndim=None if both else tensor.ndim,
            conversion=kept.conversion if kept is not None else None,
            numpy_source=kept.numpy_source if kept is not None else None,
        )

    def attribute(self, base: Value, attr: str) -> Value:
        if attr == "data":
            # a parameter's .data is its storage: a view that keeps the parameter's origin (NTL402)
            return base.with_(requires_grad=Tri.NO, grad_leaf=False, origin=base.origin if base.param_view else None)
        if attr == "grad":
            return Value(kind=Kind.TENSOR, dtype=base.dtype, device=base.device, requires_grad=Tri.NO)
        if attr in api.TENSOR_VIEW_ATTRS:
            return base.with_(ndim=None)
        if attr == "device" and base.device is not None:
            # x.to(ref.device), torch.zeros(n, device=ref.device): where ref is (api.TENSOR_DEVICE)
            return Value(kind=Kind.DEVICE, device=base.device, device_origin=base.device_origin,
                         origin=base.device_origin, qualname=api.TENSOR_DEVICE)
        return UNKNOWN

    def module_attribute(self, base: Value, attr: str, node: ast.Attribute) -> Optional[Value]:
        """``linear.weight``: a parameter of a torch.nn module (None: not one we know)."""
        if attr in api.PARAMETER_ATTRS and base.qualname in api.PARAMETRIC_MODULES:
            # where the module was moved is where the parameter is: the finding names that move
            # (a layer of a class that freezes its own parameters: its grad is not known)
            frozen = base.parametric is not Tri.YES
            return self.parameter(base.dtype, base.device, node, api.PARAMETER_ORIGIN,
                                  requires_grad=Tri.UNKNOWN if frozen else None, frozen=frozen).with_(
                device_origin=base.device_origin, ndim=api.PARAMETER_NDIM.get((base.qualname or "", attr)))
        if attr in api.RUNNING_STATS_BUFFERS and base.qualname in api.RUNNING_STATS_MODULES:
            # a buffer: where the module is, in its dtype, no grad; BatchNorm's forward rewrites it in place
            return Value(kind=Kind.TENSOR, dtype=base.dtype or api.FLOAT32, device=base.device,
                         device_origin=base.device_origin, requires_grad=Tri.NO)
        return None

    def parameter(self, dtype: Optional[str], device: Optional[Device], node: ast.AST, label: str,
                  requires_grad: Optional[Tri] = None, frozen: bool = False) -> Value:
        """A module parameter: a leaf that needs grad and whose storage the optimizer updates in place.

        Where the file freezes parameters (`requires_grad_(False)`), neither fact is known: which
        parameters still need grad, and which the optimizer still updates, is decided at run time.
        """
        frozen = frozen or self.it.parameters_may_be_frozen()
        needs = requires_grad if requires_grad is not None else (Tri.UNKNOWN if frozen else Tri.YES)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=device, requires_grad=needs, grad_leaf=True,
                     param_view=not frozen, origin=self.it.origin(node, label))

    # --- placement ----------------------------------------------------------------------

    def place_argument(self, device: Arg, frame: Frame) -> None:
        """A ``device=`` argument of a factory or conversion."""
        variable = isinstance(device.node, (ast.Name, ast.Attribute))
        self.place(device.value, self.it.site(device.node), "device=", frame, variable)

    def place(self, device: Value, site: Site, what: str, frame: Frame, through_variable: bool,
              by_tensor_type: bool = False) -> None:
        if device.qualname == api.TENSOR_DEVICE:
            return  # onto a tensor's own device: it is there already, so this placement never fails first
        if device.device is Device.CUDA:
            context = frame.context
            if device.origin is not None and device.origin.guarded:
                context = replace(context, cuda_guarded=True)  # chosen where CUDA was checked (a get_device())
            self.it.emit(frame, Placement(site, device, through_variable, what, context, by_tensor_type))

    def method_placement(self, name: str, func: ast.Attribute, args: Sequence[Arg], frame: Frame,
                         receiver: Optional[Value] = None) -> None:
        """``x.cuda()``, ``x.to("cuda")`` on any receiver: torch's placement. A torch.nn layer or
        loss that holds no tensor (``nn.NLLLoss().cuda()``, ``nn.ReLU().to(device)``) moves nothing
        and raises nowhere."""
        if receiver is not None and receiver.kind in (Kind.LOSS, Kind.MODULE) and receiver.definition is None \
                and receiver.parametric is Tri.NO and receiver.elements is None and receiver.element is None:
            return
        if name == "cuda":
            self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(func, attr=True), ".cuda()", frame, False)
        elif name == "to":
            for arg in args:
                if arg.keyword in (None, "device") and arg.value.kind in (Kind.DEVICE, Kind.PY_STR):
                    variable = isinstance(arg.node, (ast.Name, ast.Attribute))
                    report = self.it.site(arg.node) if arg.keyword == "device" else self.it.site(func, attr=True)
                    self.place(arg.value, report, ".to(...)", frame, variable)


#: argument kinds that are no tensor a module could hold (reduction="mean", ignore_index=-100)
_SCALAR_KINDS = frozenset({Kind.PY_STR, Kind.PY_INT, Kind.PY_FLOAT, Kind.PY_BOOL, Kind.NONE})


def _scalars(origin: Optional[Origin]) -> Optional[Origin]:
    return Origin(api.SCALARS_LABEL, origin.site) if origin is not None else None


def _made_on(args: Sequence[Arg]) -> Optional[Device]:
    """Where a torch.nn module's parameters are made: CPU, unless a ``device=`` says otherwise
    (a module built on CPU is what a join with a CUDA branch makes *maybe* on CUDA)."""
    device = argument(args, None, "device")
    if device is None:
        return Device.CPU
    return device.value.device


def default_collated(item: Value) -> Value:
    """What ``default_collate`` makes of a list of items like ``item``: tensors of the same dtype
    (an ndarray's, int64 for Python ints, float64 for Python floats), tuples and dicts member by
    member, anything else unknown. A tensor item keeps the conversion that made it (an int32 class
    target is still that conversion's finding); float64 data is NTL102's at the item, so the batch
    no longer names its NumPy source."""
    if item.kind in (Kind.TENSOR, Kind.NDARRAY, Kind.NP_SCALAR) and item.dtype is not None:
        kept = item.kind is Kind.TENSOR and item.dtype in api.INT_DTYPES
        return Value(kind=Kind.TENSOR, dtype=item.dtype, device=item.device if item.kind is Kind.TENSOR else Device.CPU,
                     device_origin=item.device_origin if item.kind is Kind.TENSOR else None, requires_grad=Tri.NO,
                     conversion=item.conversion if kept else None, origin=item.origin if kept else None)
    if item.kind in (Kind.PY_FLOAT, Kind.PY_INT):
        return Value(kind=Kind.TENSOR, dtype=api.FLOAT64 if item.kind is Kind.PY_FLOAT else api.INT64,
                     device=Device.CPU, requires_grad=Tri.NO)
    if item.kind in (Kind.SEQUENCE, Kind.DICT) and item.elements is not None:
        members = tuple(default_collated(member) for member in item.elements)
        joined = sequence(members).element
        return Value(kind=item.kind, elements=members, keys=item.keys, element=joined)
    return UNKNOWN


def _holds_float64(value: Value) -> bool:
    """A batch (a tensor or array, or a tuple/list/dict of them) with float64 data in it."""
    if value.kind in (Kind.TENSOR, Kind.NDARRAY) and value.dtype == api.FLOAT64:
        return True
    parts = value.elements if value.kind in (Kind.SEQUENCE, Kind.DICT) and value.elements is not None else ()
    return any(_holds_float64(part) for part in parts)


def _tuple_output(shape: Tuple[Any, ...], output: Value, main: Value) -> Value:
    """``out, (h, c) = lstm(x)``: the tuple a recurrent or attention module returns (``main``: its
    output sequence, a tensor or a PackedSequence as its input was)."""
    parts = []
    for part in shape:
        if isinstance(part, tuple):
            parts.append(_tuple_output(part, output, main))
        elif part == "state":
            parts.append(output)
        else:
            parts.append(main if part == "tensor" else UNKNOWN)
    return sequence(tuple(parts))


def packed(data: Value) -> Value:
    """A PackedSequence of ``data``: an object (no ``.numpy()``) with the data's dtype, device and grad."""
    return Value(kind=Kind.OBJECT, qualname=api.PACKED_SEQUENCE, dtype=data.dtype, device=data.device,
                 device_origin=data.device_origin, requires_grad=data.requires_grad, origin=data.origin)


def is_packed(value: Value) -> bool:
    return value.kind is Kind.OBJECT and value.qualname == api.PACKED_SEQUENCE


def layer_parametric(name: str) -> Tri:
    """Whether a torch.nn layer built by its class name alone has parameters (the tables)."""
    if name in api.PARAMETRIC_MODULES:
        return Tri.YES
    return Tri.NO if name in api.PARAMETER_FREE_MODULES else Tri.UNKNOWN


def _held_modules(container: str, args: Sequence[Arg]) -> Value:
    """The members ``model[i]`` reads: Sequential's positional modules, a ModuleList's list, a
    ModuleDict's dict (by key). Built empty, the container holds nothing yet (``elements`` is
    empty; appended members join in, see containers.grown). A starred or unknown argument leaves
    the positions unknown (only their join is kept)."""
    values = [a for a in args if a.keyword is None]
    if container in ("Sequential", "ModuleList") and not args:
        return sequence(())
    if container == "Sequential" and len(values) == 1 and not values[0].starred and values[0].value.kind is Kind.DICT:
        held = values[0].value  # Sequential(OrderedDict([...])): the members are the dict's values, in order
        return Value(kind=Kind.SEQUENCE, elements=held.elements, element=held.element)
    if container == "Sequential" and values and not any(a.starred for a in values):
        return sequence(tuple(a.value for a in values))
    if container == "ModuleList" and len(values) == 1 and not values[0].starred and values[0].value.kind is Kind.SEQUENCE:
        return Value(kind=Kind.SEQUENCE, elements=values[0].value.elements, element=values[0].value.element)
    if container == "ModuleDict" and len(values) == 1 and not values[0].starred and values[0].value.kind is Kind.DICT:
        held = values[0].value
        return Value(kind=Kind.DICT, keys=held.keys, elements=held.elements, element=held.element)
    return UNKNOWN


def _grad_unknown(value: Value) -> Value:
    """A module's outputs (a tensor, or tensors in a tuple or dict) with their need for grad unknown."""
    if value.kind is Kind.TENSOR:
        return value.with_(requires_grad=Tri.UNKNOWN, grad_leaf=False)
    if value.kind in (Kind.SEQUENCE, Kind.DICT) and (value.elements is not None or value.element is not None):
        return value.with_(elements=tuple(_grad_unknown(e) for e in value.elements) if value.elements else None,
                           element=_grad_unknown(value.element) if value.element is not None else None)
    return value


def _builds_running_stats(cls: ClassInfo, seen: set) -> bool:
    """Whether the class's body (or a base's) calls a running-statistics layer by name (nn.BatchNorm2d(...))."""
    if id(cls) in seen:
        return False
    seen.add(id(cls))
    return _body_builds_running_stats(cls.node) or any(
        _builds_running_stats(base, seen) for base in cls.bases if isinstance(base, ClassInfo))


def _body_builds_running_stats(node: ast.AST) -> bool:
    """The class body's own answer, kept on its node: a module's every call in training mode asks."""
    found = getattr(node, "_ntl_running_stats", None)
    if found is None:
        found = any(isinstance(current, ast.Call) and _callee_name(current.func) in api.RUNNING_STATS_MODULES
                    for current in walk(node))
        setattr(node, "_ntl_running_stats", found)
    return bool(found)


def _callee_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def tensor_row(value: Value) -> Value:
    """A row (or rows) of a tensor: its dtype, device and grad; a view, but not of the name it came from."""
    if value.kind is not Kind.TENSOR:
        return UNKNOWN
    return value.with_(ndim=None, shares_with=None, shared_at=None, param_view=False, grad_leaf=False)


def tensor_dataset_item(dataset: Value) -> Optional[Value]:
    """``ds[i]`` (or a batch of a DataLoader) of a TensorDataset: the tuple of its tensors' rows."""
    if dataset.kind is not Kind.OBJECT or dataset.qualname != api.TENSOR_DATASET or dataset.elements is None:
        return None
    return sequence(dataset.elements)


def forward_casts_inputs(module: Value) -> bool:
    """A module of the project whose ``forward`` casts one of its inputs (``self.fc(x.float())``,
    ``x = x.to(self.dtype)``): what it is given reaches its layers through that cast, so the call
    itself is no float32 sink; the walk of ``forward`` reports what reaches its layers uncast."""
    cls = module.definition if isinstance(module.definition, ClassInfo) else None
    forward = cls.method("forward") if cls is not None else None
    if forward is None:
        return False
    cached = getattr(forward.node, "_ntl_casts_inputs", None)
    if cached is None:
        names = {a.arg for a in forward.node.args.args[1:] + forward.node.args.posonlyargs}
        cached = any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                     and isinstance(call.func.value, ast.Name) and call.func.value.id in names and casts_dtype(call)
                     for call in walk(forward.node))
        setattr(forward.node, "_ntl_casts_inputs", cached)
    return bool(cached)


def _with_fallback(expr: ast.expr) -> bool:
    """``device or "cpu"``: a value with a written CPU fallback, not a configuration's device name
    (the CPU is what runs where nothing was given; a "cuda" fallback still may be the GPU)."""
    last = expr.values[-1] if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or) else None
    return isinstance(last, ast.Constant) and isinstance(last.value, str) and last.value.startswith("cpu")


def _unknown_parameter(node: ast.expr, value: Value, frame: Frame) -> bool:
    """``torch.device(device)`` on a parameter of the function being walked that holds nothing
    known (no call gave it, or a caller gave what is not followed): a helper's argument, not a
    configuration the program reads, so no configured device either way."""
    info = frame.function
    return (isinstance(node, ast.Name) and value.kind is None and info is not None
            and node.id in parameter_names(info.node.args))
