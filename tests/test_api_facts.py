"""The engine knows each NumPy and torch fact its tables hold: one expectation per row.

engine/api.py holds every NumPy/torch fact as a row of a table. Each test here
states, independently of those tables, what the engine must conclude about a
call or a construct, so that removing any one row fails a test (the mutation
run, benchmarks/mutation/, checks that it does). The lists are the spec: a
row added to a table gets its line here.
"""
from __future__ import annotations

import textwrap
from typing import List, Optional

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import UNKNOWN, Device, Kind, Tri, Value
from np_torch_lint.lint import analyze

PRELUDE = """\
import io
import os
import sys
import unittest
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import Dataset
f64 = np.random.rand(4, 3)
f32 = np.zeros((4, 3), dtype=np.float32)
i64 = np.arange(12).reshape(4, 3)
t64 = torch.from_numpy(f64)
t32 = torch.zeros(4, 3)
"""


def value(expr: str, setup: str = "") -> Value:
    """What the engine knows of `expr`, after the prelude and `setup`.

    The last line reads `v` in a NumPy call: only statements that can matter
    are interpreted (engine/source.py), and that makes `v = ...` one of them.
    """
    env = module_values(PRELUDE + textwrap.dedent(setup) + f"\nv = {expr}\nseen = np.shape(v)\n")
    return env["v"]


def codes(source: str) -> List[str]:
    return [r.code for r in analyze(PRELUDE + textwrap.dedent(source))]


# --- dtypes ---------------------------------------------------------------------------

DTYPE_OBJECTS = [
    ("np.float64", "float64"), ("np.double", "float64"), ("np.float_", "float64"),
    ("np.float32", "float32"), ("np.single", "float32"), ("np.float16", "float16"), ("np.half", "float16"),
    ("np.int64", "int64"), ("np.int_", "int64"), ("np.intp", "int64"), ("np.longlong", "int64"),
    ("np.int32", "int32"), ("np.intc", "int32"), ("np.int16", "int16"), ("np.short", "int16"),
    ("np.int8", "int8"), ("np.byte", "int8"), ("np.uint8", "uint8"), ("np.ubyte", "uint8"),
    ("np.bool_", "bool"), ("np.bool", "bool"), ("float", "float64"), ("int", "int64"), ("bool", "bool"),
]
TORCH_DTYPE_OBJECTS = [
    ("torch.float64", "float64"), ("torch.double", "float64"), ("torch.float32", "float32"),
    ("torch.float", "float32"), ("torch.float16", "float16"), ("torch.half", "float16"),
    ("torch.bfloat16", "bfloat16"), ("torch.int64", "int64"), ("torch.long", "int64"),
    ("torch.int32", "int32"), ("torch.int", "int32"), ("torch.int16", "int16"), ("torch.short", "int16"),
    ("torch.int8", "int8"), ("torch.uint8", "uint8"), ("torch.bool", "bool"),
]
DTYPE_STRINGS = [
    ("float64", "float64"), ("f8", "float64"), ("double", "float64"), ("float", "float64"), ("<f8", "float64"),
    ("d", "float64"), ("float32", "float32"), ("f4", "float32"), ("single", "float32"), ("<f4", "float32"),
    ("f", "float32"), ("float16", "float16"), ("f2", "float16"), ("half", "float16"), ("int64", "int64"),
    ("i8", "int64"), ("int", "int64"), ("long", "int64"), ("<i8", "int64"), ("int32", "int32"), ("i4", "int32"),
    ("<i4", "int32"), ("int16", "int16"), ("i2", "int16"), ("int8", "int8"), ("i1", "int8"), ("uint8", "uint8"),
    ("u1", "uint8"), ("bool", "bool"), ("?", "bool"),
]


@pytest.mark.parametrize("expr, dtype", DTYPE_OBJECTS)
def test_numpy_and_builtin_dtype_objects(expr: str, dtype: str) -> None:
    assert value(f"np.zeros(3, dtype={expr})").dtype == dtype


@pytest.mark.parametrize("expr, dtype", TORCH_DTYPE_OBJECTS)
def test_torch_dtype_objects(expr: str, dtype: str) -> None:
    assert value(f"torch.zeros(3, dtype={expr})").dtype == dtype


@pytest.mark.parametrize("text, dtype", DTYPE_STRINGS)
def test_dtype_strings(text: str, dtype: str) -> None:
    assert value(f"np.zeros(3, dtype={text!r})").dtype == dtype


LEGACY_TYPES = [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"),
    ("BFloat16Tensor", "bfloat16"), ("LongTensor", "int64"), ("IntTensor", "int32"), ("ShortTensor", "int16"),
    ("CharTensor", "int8"), ("ByteTensor", "uint8"), ("BoolTensor", "bool"), ("Tensor", "float32"),
]
CUDA_TYPES = [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"), ("LongTensor", "int64"),
    ("IntTensor", "int32"), ("ByteTensor", "uint8"), ("BoolTensor", "bool"),
]


@pytest.mark.parametrize("name, dtype", LEGACY_TYPES)
def test_legacy_constructors_fix_the_dtype(name: str, dtype: str) -> None:
    made = value(f"torch.{name}(f64)")
    assert (made.kind, made.dtype) == (Kind.TENSOR, dtype)
    if name != "Tensor":
        assert value(f"t64.type(torch.{name})").dtype == dtype


@pytest.mark.parametrize("name, dtype", CUDA_TYPES)
def test_cuda_tensor_types_place_on_cuda(name: str, dtype: str) -> None:
    made = value(f"torch.cuda.{name}(3)")
    assert (made.dtype, made.device) == (dtype, Device.CUDA)
    assert value(f"t64.type(torch.cuda.{name})").device is Device.CUDA


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_float_dtypes_item_is_a_python_float(dtype: str) -> None:
    assert value(f"torch.zeros(3, dtype=torch.{dtype}).sum().item()").kind is Kind.PY_FLOAT


@pytest.mark.parametrize("dtype, result", [("int64", "float64"), ("int32", "float64"), ("int16", "float32"),
                                           ("int8", "float16"), ("uint8", "float16")])
def test_int_dtypes_take_the_smallest_safe_float_in_a_ufunc(dtype: str, result: str) -> None:
    # As NumPy does: np.sqrt of int16 is float32, of int8/uint8 float16 (observed with NumPy 2.4).
    assert value(f"np.sqrt(np.zeros(3, dtype=np.{dtype}))").dtype == result
    assert value(f"torch.zeros(3, dtype=torch.{dtype}).sum().item()").kind is Kind.PY_INT


# --- NumPy makers ----------------------------------------------------------------------

FLOAT_RANDOM = [
    "rand", "randn", "random", "random_sample", "ranf", "sample", "uniform", "normal", "standard_normal",
    "beta", "gamma", "exponential", "laplace", "lognormal", "logistic", "standard_exponential",
    "standard_gamma", "chisquare", "rayleigh", "weibull", "pareto", "power", "vonmises", "gumbel",
    "triangular", "wald", "standard_cauchy", "standard_t", "dirichlet", "multivariate_normal",
]


@pytest.mark.parametrize("name", FLOAT_RANDOM)
def test_float_random_functions_and_generator_methods(name: str) -> None:
    # size= makes an array whatever the parameters (given no size, most draw one Python float);
    # rand and randn take the shape itself
    shape = "3" if name in ("rand", "randn") else "size=3"
    assert value(f"np.random.{name}({shape})").dtype == "float64"
    assert value(f"np.random.default_rng(0).{name}({shape})").dtype == "float64"


@pytest.mark.parametrize("expr, kind", [
    ("np.random.uniform(0.8, 1.2)", "float"), ("np.random.randn()", "float"), ("np.random.rand()", "float"),
    ("np.random.normal(0, 1)", "float"), ("np.random.randint(5)", "int"), ("np.random.poisson(3.0)", "int"),
    ("rng.normal()", "float"), ("rng.random(dtype=np.float32)", "float"), ("rng.integers(0, 5)", "int64"),
    ("np.random.uniform(0.8, 1.2, size=None)", "float"),
])
def test_a_random_draw_without_size_is_one_number(expr: str, kind: str) -> None:
    import numpy as np

    drawn = eval(expr, {"np": np, "rng": np.random.default_rng(0)})
    assert type(drawn).__name__ == kind  # what NumPy itself returns
    found = value(expr, "rng = np.random.default_rng(0)\n")
    expected = {"float": Kind.PY_FLOAT, "int": Kind.PY_INT, "int64": Kind.NP_SCALAR}[kind]
    assert found.kind is expected


@pytest.mark.parametrize("expr", [
    "np.random.default_rng(0).random(3)", "np.random.RandomState(0).random(3)",
    "np.random.Generator(np.random.PCG64()).random(3)",
])
def test_random_generators(expr: str) -> None:
    assert value(expr).dtype == "float64"


@pytest.mark.parametrize("expr", ["np.random.default_rng(0).integers(0, 5, 3)", "np.random.RandomState(0).randint(0, 5, 3)"])
def test_generator_integer_methods(expr: str) -> None:
    assert value(expr).dtype == "int64"


ARRAY_MAKERS = [
    ("np.zeros(3)", "float64"), ("np.ones(3)", "float64"), ("np.empty(3)", "float64"),
    ("np.identity(3)", "float64"), ("np.full(3, 1.5)", "float64"), ("np.arange(3)", "int64"),
    ("np.eye(3)", "float64"), ("np.linspace(0, 1, 5)", "float64"), ("np.logspace(0, 1, 5)", "float64"),
    ("np.geomspace(1, 8, 4)", "float64"), ("np.loadtxt('x.csv')", "float64"), ("np.genfromtxt('x.csv')", "float64"),
    ("np.random.randint(0, 5, 3)", "int64"), ("np.array(f32)", "float32"), ("np.asarray(f32)", "float32"),
    ("np.asanyarray(f32)", "float32"), ("np.ascontiguousarray(f32)", "float32"), ("np.copy(f32)", "float32"),
    ("np.zeros_like(f32)", "float32"), ("np.ones_like(f32)", "float32"), ("np.empty_like(f32)", "float32"),
    ("np.full_like(f32, 2)", "float32"), ("np.stack([f32, f32])", "float32"), ("np.concatenate([f32, f32])", "float32"),
    ("np.vstack([f32, f32])", "float32"), ("np.hstack([f32, f32])", "float32"),
]


@pytest.mark.parametrize("expr, dtype", ARRAY_MAKERS)
def test_array_makers(expr: str, dtype: str) -> None:
    made = value(expr)
    assert (made.kind, made.dtype) == (Kind.NDARRAY, dtype)


@pytest.mark.parametrize("expr", ["np.flip(f32)", "np.fliplr(f32)", "np.flipud(f32)", "np.rot90(f32)"])
def test_flipping_makers_give_negative_strides(expr: str) -> None:
    made = value(expr)
    assert (made.dtype, made.negative_strides) == ("float32", Tri.YES)


@pytest.mark.parametrize("expr, dtype", [
    ("np.float64(1.5)", "float64"), ("np.double(1.5)", "float64"), ("np.float32(1.5)", "float32"),
    ("np.int64(2)", "int64"), ("np.int32(2)", "int32"),
])
def test_numpy_scalar_constructors(expr: str, dtype: str) -> None:
    made = value(expr)
    assert (made.kind, made.dtype) == (Kind.NP_SCALAR, dtype)


@pytest.mark.parametrize("expr, ndim", [
    ("np.zeros((4, 3))", 2), ("np.ones((4, 3, 2))", 3), ("np.empty((4, 3))", 2), ("np.full((4, 3), 1.0)", 2),
    ("np.random.rand(4, 3)", 2), ("np.random.randn(4, 3, 2)", 3),
])
def test_shape_arguments_give_the_rank(expr: str, ndim: int) -> None:
    assert value(expr).ndim == ndim


@pytest.mark.parametrize("maker", ["np.empty(3)", "np.empty_like(load())"])
def test_uninitialized_buffers_are_not_shared_partners(maker: str) -> None:
    # A buffer meant to be filled through its tensor view: writing it is the point, not a bug.
    assert value("torch.from_numpy(buf)", f"buf = {maker}").shares_with is None
    assert value("torch.from_numpy(buf)", "buf = np.zeros(3)").shares_with == "buf"


# --- NumPy functions and methods --------------------------------------------------------

REDUCTIONS = [("mean", True), ("std", True), ("var", True), ("average", True), ("median", True), ("nanmean", True),
              ("sum", False), ("max", False), ("min", False), ("prod", False), ("amax", False), ("amin", False)]


@pytest.mark.parametrize("name, promotes", REDUCTIONS)
def test_numpy_reductions(name: str, promotes: bool) -> None:
    expected = "float64" if promotes else "int64"
    reduced = value(f"np.{name}(i64)")
    assert (reduced.kind, reduced.dtype) == (Kind.NP_SCALAR, expected)
    assert value(f"np.{name}(i64, axis=0)").kind is Kind.NDARRAY


@pytest.mark.parametrize("name", ["mean", "std", "var", "sum", "max", "min", "prod"])
def test_ndarray_reduction_methods(name: str) -> None:
    assert value(f"f32.{name}()").dtype == "float32"


@pytest.mark.parametrize("name", [
    "sqrt", "exp", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "arctan", "arcsin", "arccos",
    "expm1", "true_divide", "divide",
])
def test_numpy_float_ufuncs(name: str) -> None:
    assert value(f"np.{name}(i64, i64)" if "divide" in name else f"np.{name}(i64)").dtype == "float64"


@pytest.mark.parametrize("name", [
    "abs", "absolute", "clip", "transpose", "squeeze", "expand_dims", "reshape", "ravel", "moveaxis", "swapaxes",
    "negative", "square", "round", "floor", "ceil", "tile", "repeat", "roll", "pad", "cumsum", "sort",
    "atleast_1d", "atleast_2d", "atleast_3d",
])
def test_numpy_dtype_keeping_functions(name: str) -> None:
    kept = value(f"np.{name}(f32)")
    assert (kept.kind, kept.dtype) == (Kind.NDARRAY, "float32")


@pytest.mark.parametrize("name", ["transpose", "squeeze", "swapaxes", "expand_dims", "moveaxis"])
def test_numpy_view_functions_keep_negative_strides(name: str) -> None:
    assert value(f"np.{name}(np.flip(f32))").negative_strides is Tri.YES


@pytest.mark.parametrize("name", ["transpose", "swapaxes", "squeeze", "view"])
def test_ndarray_view_methods_keep_negative_strides(name: str) -> None:
    view = value(f"np.flip(f32).{name}()")
    assert (view.dtype, view.negative_strides) == ("float32", Tri.YES)


@pytest.mark.parametrize("name", ["reshape", "ravel", "clip", "round", "repeat", "cumsum", "take"])
def test_ndarray_same_dtype_methods(name: str) -> None:
    assert value(f"f32.{name}()").dtype == "float32"


@pytest.mark.parametrize("attr", ["T", "real"])
def test_ndarray_view_attributes(attr: str) -> None:
    assert value(f"f32.{attr}").dtype == "float32"


@pytest.mark.parametrize("name", ["array", "asarray", "asanyarray", "ascontiguousarray"])
def test_numpy_consumers_of_a_tensor(name: str) -> None:
    assert codes(f"model = nn.Linear(3, 1)\nout = np.{name}(model(t32))\n") == ["NTL201"]


@pytest.mark.parametrize("name", ["stack", "concatenate", "vstack", "hstack"])
def test_numpy_consumers_of_a_list_of_tensors(name: str) -> None:
    source = """\
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = nn.Linear(3, 1).to(device)
        outs = []
        with torch.no_grad():
            for _ in range(2):
                outs.append(model(t32.to(device)))
        merged = np.NAME(outs)
        """
    assert codes(source.replace("NAME", name)) == ["NTL202"]


# --- read-only arrays --------------------------------------------------------------------


def test_readonly_makers() -> None:
    assert value("np.broadcast_to(f32, (2, 4, 3))").readonly is Tri.YES


@pytest.mark.parametrize("opener", ["Image.open('x.png')", "Image.fromarray(f32)", "Image.new('RGB', (4, 4))"])
def test_pil_openers_give_read_only_views(opener: str) -> None:
    assert value(f"np.asarray({opener})").readonly is Tri.YES
    assert value(f"np.asanyarray({opener})").readonly is Tri.YES


@pytest.mark.parametrize("method", ["convert", "resize", "crop", "rotate", "transpose", "copy", "filter"])
def test_pil_image_methods_keep_an_image(method: str) -> None:
    assert value(f"np.asarray(Image.open('x.png').{method}())").readonly is Tri.YES


# --- in-place writes (NTL401) ----------------------------------------------------------------

SHARED = """\
counts = torch.zeros(3)
view = counts.numpy()
{write}
print(counts.sum())
"""


@pytest.mark.parametrize("method", ["fill(0)", "sort()", "put(0, 1)", "itemset(0, 1)", "partition(1)",
                                    "setfield(0, np.float32)"])
def test_ndarray_in_place_methods(method: str) -> None:
    assert codes(SHARED.format(write=f"view.{method}")) == ["NTL401"]


@pytest.mark.parametrize("function", ["np.random.shuffle(view)", "np.copyto(view, 0)", "np.put(view, 0, 1)",
                                      "np.place(view, view > 0, 0)", "np.fill_diagonal(view, 0)",
                                      "np.putmask(view, view > 0, 0)"])
def test_numpy_in_place_functions(function: str) -> None:
    assert codes(SHARED.format(write=function)) == ["NTL401"]


@pytest.mark.parametrize("method", ["requires_grad_()", "share_memory_()", "detach_()", "unsqueeze_(0)"])
def test_underscore_methods_that_do_not_write(method: str) -> None:
    source = "data = np.zeros(3, dtype=np.float32)\nt = torch.from_numpy(data)\nt.{m}\nprint(data.sum())\n"
    assert codes(source.format(m=method)) == []
    assert codes(source.format(m="add_(1)")) == ["NTL401"]


@pytest.mark.parametrize("attr", ["shape", "dtype", "ndim", "device", "nbytes", "itemsize", "strides", "is_cuda"])
def test_metadata_is_not_a_read_of_the_data(attr: str) -> None:
    source = "data = np.zeros(3, dtype=np.float32)\nt = torch.from_numpy(data)\nt.add_(1)\nprint(data.{a})\n"
    assert codes(source.format(a=attr)) == []


# --- torch conversions and factories -------------------------------------------------------


@pytest.mark.parametrize("name, shares", [("from_numpy", True), ("as_tensor", True), ("asarray", True),
                                          ("tensor", False)])
def test_conversions(name: str, shares: bool) -> None:
    made = value(f"torch.{name}(f64)")
    assert (made.kind, made.dtype) == (Kind.TENSOR, "float64")
    assert made.shares_with == ("f64" if shares else None)


FACTORIES = [
    ("torch.zeros(3)", "float32"), ("torch.ones(3)", "float32"), ("torch.empty(3)", "float32"),
    ("torch.rand(3)", "float32"), ("torch.randn(3)", "float32"), ("torch.full((3,), 1.5)", "float32"),
    ("torch.eye(3)", "float32"), ("torch.linspace(0, 1, 5)", "float32"), ("torch.logspace(0, 1, 5)", "float32"),
    ("torch.arange(3)", "int64"), ("torch.randint(0, 5, (3,))", "int64"), ("torch.randperm(3)", "int64"),
    ("torch.zeros_like(t64)", "float64"), ("torch.ones_like(t64)", "float64"), ("torch.rand_like(t64)", "float64"),
    ("torch.randn_like(t64)", "float64"), ("torch.empty_like(t64)", "float64"), ("torch.full_like(t64, 2)", "float64"),
    ("torch.normal(t32, 1.0)", None),
]


@pytest.mark.parametrize("expr, dtype", FACTORIES)
def test_torch_factories(expr: str, dtype: Optional[str]) -> None:
    made = value(expr)
    assert (made.kind, made.dtype, made.device) == (Kind.TENSOR, dtype, Device.CPU)


# --- torch functions and tensor methods --------------------------------------------------------

PROPAGATING_METHODS = [
    "abs", "add", "addmm", "amax", "amin", "baddbmm", "bmm", "ceil", "clamp", "clip", "clone", "contiguous", "cos",
    "cumprod", "cumsum", "detach_", "diag", "dist", "div", "dot", "exp", "expand", "expand_as", "flatten", "flip",
    "floor", "gather", "index_select", "lerp", "log", "log1p", "log_softmax", "logsumexp", "masked_fill",
    "masked_select", "matmul", "mean", "mm", "movedim", "mul", "narrow", "neg", "norm", "outer", "permute",
    "pin_memory", "pow", "prod", "relu", "repeat", "reshape", "reshape_as", "roll", "round", "rsqrt", "select",
    "sigmoid", "sin", "softmax", "sqrt", "square", "squeeze", "squeeze_", "std", "sub", "sum", "t", "tanh", "trace",
    "transpose", "tril", "triu", "true_divide", "unflatten", "unsqueeze", "unsqueeze_", "var", "view", "view_as",
    "where",
]
PROPAGATING_FUNCTIONAL = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv1d", "conv2d", "conv3d", "cosine_similarity", "dropout",
    "elu", "embedding", "gelu", "hardtanh", "interpolate", "layer_norm", "leaky_relu", "linear", "max_pool2d",
    "normalize", "one_hot", "pad", "silu", "softplus",
]


@pytest.mark.parametrize("name", PROPAGATING_METHODS)
def test_tensor_methods_keep_dtype(name: str) -> None:
    kept = value(f"t64.{name}(t64)")
    assert (kept.kind, kept.dtype) == (Kind.TENSOR, "float64")


@pytest.mark.parametrize("name", PROPAGATING_FUNCTIONAL)
def test_functional_ops_keep_dtype(name: str) -> None:
    kept = value(f"F.{name}(t64)")
    assert (kept.kind, kept.dtype) == (Kind.TENSOR, "float64")


@pytest.mark.parametrize("expr", ["torch.cat([t64, t64])", "torch.stack([t64, t64])", "torch.concat([t64, t64])",
                                  "torch.concatenate([t64, t64])", "torch.einsum('ij->ji', t64)"])
def test_torch_functions_of_several_tensors_keep_dtype(expr: str) -> None:
    assert value(expr).dtype == "float64"


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "matmul", "mm", "bmm", "true_divide"])
def test_binary_methods_promote(name: str) -> None:
    # float32 combined with a float64 tensor of the same rank gives float64 (type promotion),
    # not the receiver's dtype.
    assert value(f"t32.{name}(t64)").dtype == "float64"


@pytest.mark.parametrize("name", ["torch.matmul", "torch.mm", "torch.bmm", "torch.mul", "torch.add", "torch.sub",
                                  "torch.div"])
def test_promoting_functions(name: str) -> None:
    assert value(f"{name}(t32, t64)").dtype == "float64"


INTEGER_RESULTS = [
    ("argmax", "int64"), ("argmin", "int64"), ("argsort", "int64"), ("nonzero", "int64"), ("eq", "bool"),
    ("ne", "bool"), ("lt", "bool"), ("gt", "bool"), ("le", "bool"), ("ge", "bool"), ("isnan", "bool"),
    ("isinf", "bool"), ("isfinite", "bool"), ("logical_not", "bool"), ("logical_and", "bool"),
    ("logical_or", "bool"), ("bucketize", "int64"), ("searchsorted", "int64"), ("multinomial", "int64"),
    ("count_nonzero", "int64"), ("argwhere", "int64"), ("isclose", "bool"), ("isin", "bool"), ("isneginf", "bool"),
    ("isposinf", "bool"), ("isreal", "bool"), ("signbit", "bool"), ("logical_xor", "bool"),
]


@pytest.mark.parametrize("name, dtype", INTEGER_RESULTS)
def test_integer_and_bool_results_need_no_grad(name: str, dtype: str) -> None:
    setup = "model = nn.Linear(3, 3)\nout = model(t32)\n"
    result = value(f"torch.{name}(out, out)", setup)
    assert (result.kind, result.dtype, result.requires_grad) == (Kind.TENSOR, dtype, Tri.NO)
    assert value(f"out.{name}(out)", setup).dtype == dtype


@pytest.mark.parametrize("name", ["pi", "e", "inf", "nan", "euler_gamma"])
def test_numpy_float_constants_are_python_floats(name: str) -> None:
    assert value(f"np.{name}").kind is Kind.PY_FLOAT


def test_sign_is_known_to_be_a_tensor() -> None:
    assert value("torch.sign(t64)").kind is Kind.TENSOR


@pytest.mark.parametrize("name, dtype", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"), ("long", "int64"),
    ("int", "int32"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool"),
])
def test_cast_methods(name: str, dtype: str) -> None:
    source = "t16" if name != "half" else "t64"
    assert value(f"{source}.{name}()", "t16 = torch.zeros(3, dtype=torch.float16)").dtype == dtype


@pytest.mark.parametrize("attr", ["T", "mT", "H", "mH", "real"])
def test_tensor_view_attributes(attr: str) -> None:
    assert value(f"t64.{attr}").dtype == "float64"


@pytest.mark.parametrize("name", [
    "view", "view_as", "reshape", "unsqueeze", "squeeze", "permute", "transpose", "t", "flatten", "detach_",
    "contiguous", "expand", "expand_as", "narrow", "select", "squeeze_", "unsqueeze_",
])
def test_views_of_a_parameter_stay_parameter_views(name: str) -> None:
    assert value(f"layer.weight.{name}()", "layer = nn.Linear(3, 3)").param_view is True


@pytest.mark.parametrize("name", ["clone", "contiguous"])
def test_shape_keeping_methods(name: str) -> None:
    assert value(f"t64.{name}()").ndim == 2


@pytest.mark.parametrize("name", ["squeeze_", "unsqueeze_"])
def test_in_place_reshapes_forget_the_rank(name: str) -> None:
    # t.unsqueeze_(0) is the same tensor with another rank: the old rank is no longer a fact.
    reshaped = value(f"t64.{name}(0)")
    assert (reshaped.dtype, reshaped.ndim) == ("float64", None)


# --- modules -----------------------------------------------------------------------------------

PARAMETRIC_MODULES = [
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "SyncBatchNorm", "LayerNorm", "GroupNorm", "RMSNorm", "Embedding", "EmbeddingBag", "RNN", "LSTM", "GRU",
    "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention", "Transformer", "TransformerEncoder",
    "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer", "PReLU",
]
PARAMETER_FREE_MODULES = [
    "ReLU", "ReLU6", "Dropout", "Dropout2d", "Identity", "Flatten", "Unflatten", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "GELU", "LeakyReLU", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "SiLU", "ELU", "Mish", "Hardswish",
    "Softplus",
]
TUPLE_OUTPUT = ["RNN", "LSTM", "GRU", "LSTMCell", "MultiheadAttention"]


@pytest.mark.parametrize("name", PARAMETRIC_MODULES)
def test_parametric_modules(name: str) -> None:
    module = value(f"nn.{name}(3, 3)")
    assert (module.kind, module.parametric) == (Kind.MODULE, Tri.YES)
    output = value("m(t32)", f"m = nn.{name}(3, 3)")
    if name in TUPLE_OUTPUT:
        assert output.kind is Kind.SEQUENCE  # a tuple: (output, state), see test_reach
    else:
        assert (output.kind, output.requires_grad) == (Kind.TENSOR, Tri.YES)


@pytest.mark.parametrize("name", PARAMETER_FREE_MODULES)
def test_parameter_free_modules(name: str) -> None:
    module = value(f"nn.{name}()")
    assert (module.kind, module.parametric) == (Kind.MODULE, Tri.NO)
    assert value("m(t64)", f"m = nn.{name}()").dtype == "float64"


@pytest.mark.parametrize("expr", ["nn.Sequential(nn.Linear(3, 3))", "nn.ModuleList([nn.Linear(3, 3)])"])
def test_containers_are_parametric_when_a_member_is(expr: str) -> None:
    assert value(expr).parametric is Tri.YES


@pytest.mark.parametrize("name", ["Module", "ParameterList", "ParameterDict"])
def test_nn_classes_that_are_not_layers(name: str) -> None:
    assert value(f"nn.{name}()").kind is None


@pytest.mark.parametrize("attr, module", [("weight", "Linear(3, 3)"), ("bias", "Linear(3, 3)"),
                                          ("weight_ih_l0", "LSTM(3, 3)"), ("weight_hh_l0", "LSTM(3, 3)"),
                                          ("in_proj_weight", "MultiheadAttention(4, 2)")])
def test_parameter_attributes(attr: str, module: str) -> None:
    param = value(f"m.{attr}", f"m = nn.{module}")
    assert (param.kind, param.requires_grad, param.param_view) == (Kind.TENSOR, Tri.YES, True)


@pytest.mark.parametrize("call, dtype", [
    ("to('cpu')", "float32"), ("cuda()", "float32"), ("cpu()", "float32"), ("double()", "float64"),
    ("float()", "float32"), ("half()", "float16"), ("bfloat16()", "bfloat16"), ("train()", "float32"),
    ("eval()", "float32"), ("requires_grad_()", "float32"), ("type(torch.float64)", "float64"),
    ("share_memory()", "float32"), ("to_empty(device='cpu')", "float32"),
])
def test_module_methods_return_the_module(call: str, dtype: str) -> None:
    changed = value(f"m.{call}", "m = nn.Linear(3, 3).double()" if call == "float()" else "m = nn.Linear(3, 3)")
    assert (changed.kind, changed.dtype) == (Kind.MODULE, dtype)


@pytest.mark.parametrize("built, call, fact, first_pass", [
    ("", "to(torch.float64)", "dtype", "float32"), ("", "double()", "dtype", "float32"),
    ("", "half()", "dtype", "float32"), ("", "bfloat16()", "dtype", "float32"),
    ("", "type(torch.float64)", "dtype", "float32"), (".double()", "float()", "dtype", "float64"),
    (".cpu()", "cuda()", "device", Device.CPU), (".cuda()", "cpu()", "device", Device.CUDA),
    ("", "requires_grad_(False)", "kind", Kind.TENSOR),
])
def test_rebinding_methods_change_the_module_for_later_iterations(built: str, call: str, fact: str,
                                                                   first_pass: object) -> None:
    # model.<call>() in a loop changes the model the next iteration calls: what the first
    # iteration saw is not what every iteration sees.
    source = f"""\
        model = nn.Linear(3, 3){built}
        out = model(t32)
        for step in range(3):
            out = model(t32)
            model.{call}
        """
    assert getattr(value("out", source), fact) != first_pass
    assert getattr(value("out", source.replace(f"model.{call}", "pass")), fact) == first_pass


@pytest.mark.parametrize("name, pairs", [("parameters", False), ("named_parameters", True)])
def test_parameter_iterators(name: str, pairs: bool) -> None:
    params = value(f"nn.Linear(3, 3).{name}()")
    assert params.kind is Kind.SEQUENCE and params.element is not None
    param = params.element.elements[1] if pairs else params.element  # type: ignore[index]
    assert (param.kind, param.param_view) == (Kind.TENSOR, True)


@pytest.mark.parametrize("base", ["nn.Module", "torch.nn.modules.module.Module"])
def test_module_bases(base: str) -> None:
    source = f"""\
        class Net({base}):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)

            def forward(self, x):
                return self.fc(x)
        net = Net()
        out = net(t64)
        """
    assert codes(source) == ["NTL101"]


@pytest.mark.parametrize("base", ["Dataset", "torch.utils.data.dataset.Dataset"])
def test_dataset_bases(base: str) -> None:
    source = f"""\
        class Rows({base}):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return np.random.rand(3)
        """
    assert codes(source) == ["NTL102"]


@pytest.mark.parametrize("annotation, kind", [
    ("np.ndarray", Kind.NDARRAY), ("np.typing.NDArray", Kind.NDARRAY), ("torch.Tensor", Kind.TENSOR),
    ("torch.FloatTensor", Kind.TENSOR), ("torch.LongTensor", Kind.TENSOR), ("nn.Module", Kind.MODULE),
    ("torch.nn.modules.module.Module", Kind.MODULE),
])
def test_annotations_give_the_kind(annotation: str, kind: Kind) -> None:
    assert value("make()", f"import numpy.typing\ndef make() -> {annotation}:\n    return load()\n").kind is kind


# --- losses ------------------------------------------------------------------------------------

LOSS_MODULES = [
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "MultiMarginLoss",
]
FUNCTIONAL_LOSSES = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "hinge_embedding_loss", "margin_ranking_loss", "cosine_embedding_loss",
    "triplet_margin_loss",
]


@pytest.mark.parametrize("name", LOSS_MODULES)
def test_loss_modules(name: str) -> None:
    assert value(f"nn.{name}()").kind is Kind.LOSS
    loss = value(f"nn.{name}()(t32, t32)")
    assert (loss.kind, loss.ndim) == (Kind.TENSOR, 0)


@pytest.mark.parametrize("name", FUNCTIONAL_LOSSES)
def test_functional_losses(name: str) -> None:
    loss = value(f"F.{name}(t32, t32)")
    assert (loss.kind, loss.ndim, loss.dtype) == (Kind.TENSOR, 0, "float32")


@pytest.mark.parametrize("loss", ["F.cross_entropy", "F.nll_loss", "nn.CrossEntropyLoss()", "nn.NLLLoss()"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "int8"])
def test_class_index_losses_reject_narrow_targets(loss: str, dtype: str) -> None:
    source = f"target = torch.from_numpy(np.zeros(4, dtype=np.{dtype}))\nloss = {loss}(t32, target)\n"
    assert codes(source) == ["NTL103"]
    assert codes(source.replace(dtype, "int64")) == []


def test_uint8_targets_are_rejected_with_two_dimensions_only() -> None:
    source = "target = torch.from_numpy(np.zeros({shape}, dtype=np.uint8))\nloss = F.cross_entropy(t32, target)\n"
    assert codes(source.format(shape="(4, 3)")) == ["NTL103"]
    assert codes(source.format(shape="4")) == []


# --- grad contexts -------------------------------------------------------------------------------


@pytest.mark.parametrize("context", ["torch.no_grad()", "torch.inference_mode()", "torch.autograd.no_grad()",
                                     "torch.autograd.grad_mode.no_grad()", "torch.set_grad_enabled(False)",
                                     "torch.autograd.set_grad_enabled(False)"])
def test_grad_off_contexts(context: str) -> None:
    source = f"model = nn.Linear(3, 1)\nwith {context}:\n    out = model(t32)\n"
    assert value("out", source).requires_grad is Tri.NO


@pytest.mark.parametrize("context", ["torch.enable_grad()", "torch.autograd.enable_grad()"])
def test_grad_on_contexts(context: str) -> None:
    source = f"model = nn.Linear(3, 1)\nwith torch.no_grad():\n    with {context}:\n        out = model(t32)\n"
    assert value("out", source).requires_grad is Tri.YES


@pytest.mark.parametrize("decorator", ["torch.no_grad()", "torch.inference_mode()", "torch.autograd.no_grad()",
                                       "torch.autograd.grad_mode.no_grad()"])
def test_grad_off_decorators(decorator: str) -> None:
    source = f"model = nn.Linear(3, 1)\n@{decorator}\ndef predict(x):\n    return model(x).numpy()\npredict(t32)\n"
    assert codes(source) == []


@pytest.mark.parametrize("setter", ["torch.set_grad_enabled(False)", "torch.autograd.set_grad_enabled(False)"])
def test_grad_set_calls(setter: str) -> None:
    source = f"model = nn.Linear(3, 1)\n{setter}\nout = model(t32).numpy()\n"
    assert codes(source) == []


# --- CUDA placement and its guards (NTL301, NTL302) -------------------------------------------------

PLACED = "weights = torch.zeros(3).cuda()\n"


def test_unguarded_placement_is_found() -> None:
    assert codes(PLACED) == ["NTL301"]


@pytest.mark.parametrize("probe", ["torch.cuda.is_available()", "torch.cuda.device_count() > 0",
                                   "torch.cuda.is_initialized()"])
def test_cuda_probes_guard(probe: str) -> None:
    assert codes(f"if {probe}:\n    {PLACED}") == []


@pytest.mark.parametrize("probe, test", [("torch.cuda.is_available()", "ready"),
                                         ("torch.cuda.device_count()", "ready > 0"),
                                         ("torch.cuda.is_initialized()", "ready")])
def test_flags_set_from_a_cuda_probe_guard(probe: str, test: str) -> None:
    # The flag's name says nothing of CUDA: only what it was set from makes it a guard.
    assert codes(f"ready = {probe}\nif {test}:\n    {PLACED}") == []
    assert codes(f"ready = len(sys.argv)\nif {test}:\n    {PLACED}") == ["NTL301"]


@pytest.mark.parametrize("word", ["no_cuda", "nocuda", "no_gpu", "disable_cuda", "cpu_only", "use_cpu", "force_cpu",
                                  "load_to_cpu"])
def test_cpu_flags_guard(word: str) -> None:
    assert codes(f"if args.{word}:\n    weights = torch.zeros(3)\nelse:\n    {PLACED}") == []


def test_cpu_switch_given_to_a_helper_guards_its_other_branch() -> None:
    # A real loader (a face detector's load_model) takes the --cpu switch as a parameter.
    source = ("def load(path, load_to_cpu):\n    if load_to_cpu:\n        return torch.load(path, map_location='cpu')\n"
              "    return torch.load(path, map_location=lambda s, loc: s.cuda())\n")
    assert codes(source) == []
    assert codes(source.replace("load_to_cpu", "fast")) == ["NTL301"]


@pytest.mark.parametrize("flag", ["args.cuda", "use_gpu"])
def test_cuda_flags_guard(flag: str) -> None:
    assert codes(f"if {flag}:\n    {PLACED}") == []


@pytest.mark.parametrize("choice", ["gpu", "GPU"])
def test_a_device_option_set_to_gpu_guards(choice: str) -> None:
    # A detector demo's --device takes "cpu" or "gpu": the branch is where the user picked the GPU.
    assert codes(f"if args.device == '{choice}':\n    {PLACED}") == []
    assert codes(f"if args.device != '{choice}':\n    weights = torch.zeros(3)\nelse:\n    {PLACED}") == []
    assert codes(f"if args.device == 'tpu':\n    {PLACED}") == ["NTL301"]


@pytest.mark.parametrize("caught", ["Exception", "BaseException", "RuntimeError", "AssertionError", "TypeError"])
def test_handlers_of_a_missing_gpu_guard(caught: str) -> None:
    assert codes(f"try:\n    {PLACED}except {caught}:\n    weights = torch.zeros(3)\n") == []
    assert codes(f"try:\n    {PLACED}except KeyError:\n    weights = torch.zeros(3)\n") == ["NTL301"]


@pytest.mark.parametrize("exit_call", ["sys.exit(1)", "exit(1)", "quit()", "os._exit(1)"])
def test_exits_guard_what_follows(exit_call: str) -> None:
    assert codes(f"if not torch.cuda.is_available():\n    {exit_call}\n{PLACED}") == []


@pytest.mark.parametrize("expecting", ["self.assertRaises(AssertionError)", "self.assertRaisesRegex(RuntimeError, 'x')",
                                       "self.assertRaisesRegexp(RuntimeError, 'x')", "pytest.raises(AssertionError)"])
def test_code_expected_to_raise_is_not_a_finding(expecting: str) -> None:
    source = f"import pytest\nclass T(unittest.TestCase):\n    def test(self):\n        with {expecting}:\n            torch.zeros(3).cuda()\n"
    assert codes(source) == []


@pytest.mark.parametrize("method", ["cuda", "to", "_apply", "to_device", "_to_device", "to_gpu", "to_cuda"])
def test_methods_that_implement_placement(method: str) -> None:
    source = f"class Holder:\n    def {method}(self):\n        self.t = torch.zeros(3).cuda()\n        return self\n"
    assert codes(source) == []


@pytest.mark.parametrize("setter", ['torch.set_default_device("cuda")',
                                    "torch.set_default_tensor_type(torch.cuda.FloatTensor)"])
def test_default_device_setters_place(setter: str) -> None:
    assert codes(setter + "\n") == ["NTL301"]


def test_default_dtype_setter_silences_float64_findings() -> None:
    source = "model = nn.Linear(3, 1)\nout = model(t64)\n"
    assert codes(source) == ["NTL101"]
    assert codes("torch.set_default_dtype(torch.float64)\n" + source) == []


@pytest.mark.parametrize("name", ["device", "dev", "gpu", "rank", "local_rank", "args.device"])
def test_names_that_hold_a_device(name: str) -> None:
    # .to(<a device choice>) changes the device only: the dtype stays known.
    assert value(f"t64.to({name})").dtype == "float64"


def test_device_constructor() -> None:
    assert value('torch.device("cuda")').kind is Kind.DEVICE


def test_loads_need_a_map_location() -> None:
    source = "model = nn.Linear(3, 1).cuda()\nstate = torch.load('m.pt')\n"
    assert "NTL302" in codes(source)


@pytest.mark.parametrize("writer", ["torch.save(model.state_dict(), 'm.pt')", "save_checkpoint(model)",
                                    "trainer.fit(model)"])
def test_a_load_after_this_function_saved_reads_its_own_checkpoint(writer: str) -> None:
    source = f"def run(model, trainer):\n    model.cuda()\n    {writer}\n    return torch.load('m.pt')\n"
    assert "NTL302" not in codes(source)
    assert "NTL302" in codes(source.replace(writer, "pass"))


def test_a_load_from_memory_is_not_a_checkpoint_from_elsewhere() -> None:
    source = "model = nn.Linear(3, 1).cuda()\nstate = torch.load(io.BytesIO(b'x'))\n"
    assert "NTL302" not in codes(source)


# --- what the fixes read ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["to('cpu')", "cuda()", "cpu()", "contiguous()", "unsqueeze(0)", "squeeze()",
                                    "reshape(4, 3)", "view(4, 3)", "permute(0, 1)", "transpose(0, 1)", "flatten()"])
def test_pass_through_methods_keep_the_float32_fix(method: str) -> None:
    # model(torch.from_numpy(a).<method>): the conversion is still the input's only use, so
    # the fix may convert it to float32 where it is written.
    source = f"model = nn.Linear(3, 1)\nout = model(torch.from_numpy(f64).{method})\n"
    found = [r for r in analyze(PRELUDE + source) if r.code == "NTL101"]
    assert len(found) == 1 and found[0].fix is not None, found
    kept = f"model = nn.Linear(3, 1)\nbatch = torch.from_numpy(f64).{method}\nout = model(batch)\n"
    assert [r.fix for r in analyze(PRELUDE + kept) if r.code == "NTL101"] == [None]  # used elsewhere too? unknown


# --- str and bytes methods that make new immutable bytes (api.BYTES_RESULT_METHODS) --------------
BYTES_RESULT_CALLS = {
    "bytes": {"join": 'b"".join([b"a", b"b"])', "replace": 'b"ab".replace(b"a", b"c")', "strip": 'b" a ".strip()',
              "lstrip": 'b" a".lstrip()', "rstrip": 'b"a ".rstrip()', "removeprefix": 'b"ab".removeprefix(b"a")',
              "removesuffix": 'b"ab".removesuffix(b"b")', "ljust": 'b"a".ljust(4)', "rjust": 'b"a".rjust(4)',
              "center": 'b"a".center(4)', "zfill": 'b"1".zfill(4)', "lower": 'b"A".lower()', "upper": 'b"a".upper()',
              "title": 'b"a b".title()', "capitalize": 'b"ab".capitalize()', "swapcase": 'b"aB".swapcase()',
              "expandtabs": 'b"a\\tb".expandtabs()', "translate": 'b"ab".translate(None, b"a")'},
    "str": {"encode": '"ab".encode()'},
}


def test_bytes_result_rows_are_spelled_out_here() -> None:
    from np_torch_lint.engine import api

    assert {kind: set(calls) for kind, calls in BYTES_RESULT_CALLS.items()} == \
        {kind: set(methods) for kind, methods in api.BYTES_RESULT_METHODS.items()}


@pytest.mark.parametrize("expr", [call for calls in BYTES_RESULT_CALLS.values() for call in calls.values()])
def test_bytes_result_methods_give_immutable_bytes(expr: str) -> None:
    assert type(eval(expr)) is bytes  # what Python itself returns (the row's premise)
    assert value(expr).kind is Kind.PY_BYTES


# --- standard-library rows: file openers, deep copies, samplers, list-like containers ------------
@pytest.mark.parametrize("opener", ["gzip.open(path)", "bz2.open(path)", "lzma.open(path)", 'open(path, "rb")',
                                    'gzip.open(path, "rb")'])
def test_binary_openers_read_bytes(opener: str) -> None:
    from np_torch_lint.engine import api

    setup = "import gzip, bz2, lzma\npath = 'x'\n"
    assert value(f"{opener}.read()", setup).kind is Kind.PY_BYTES
    assert {q.split(".")[0] for q in api.FILE_OPENERS} == {"builtins", "gzip", "bz2", "lzma"}


@pytest.mark.parametrize("opener", ["open(path)", 'gzip.open(path, "rt")', 'open(path, "r")'])
def test_text_openers_do_not_read_bytes(opener: str) -> None:
    assert value(f"{opener}.read()", "import gzip\npath = 'x'\n").kind is not Kind.PY_BYTES


def test_deepcopy_keeps_a_module_s_device_and_shares_nothing() -> None:
    moved = value("copy.deepcopy(nn.Linear(2, 1).cuda())", "import copy\n")
    assert moved.kind is Kind.MODULE and moved.device is Device.CUDA
    copied = value("copy.deepcopy(w)", "import copy\nw = nn.Linear(2, 1).weight.detach().numpy()\n")
    assert copied.kind is Kind.NDARRAY and not copied.param_view and copied.shares_with is None


@pytest.mark.parametrize("expr", ["random.sample(memory, 2)", "random.choices(memory, k=2)",
                                  "list(collections.deque(memory, maxlen=5))"])
def test_samplers_and_deques_keep_their_items(expr: str) -> None:
    found = value(expr, "import random, collections\nmemory = [np.zeros(3), np.ones(3)]\n")
    assert found.kind is Kind.SEQUENCE and found.element is not None and found.element.kind is Kind.NDARRAY


def test_a_deque_grows_like_a_list() -> None:
    found = value("list(buffer)", "import collections\nbuffer = collections.deque(maxlen=4)\nbuffer.append(np.zeros(3))\n")
    assert found.kind is Kind.SEQUENCE and found.element is not None and found.element.kind is Kind.NDARRAY


# --- NumPy samplers' positional size (api.SIZE_POSITIONS) ------------------------------------------
SIZE_LEADING_ARGUMENTS = {
    "randint": "0, 2", "integers": "0, 2", "normal": "0.0, 1.0", "uniform": "0.0, 1.0", "binomial": "5, 0.5",
    "lognormal": "0.0, 1.0", "laplace": "0.0, 1.0", "logistic": "0.0, 1.0", "gumbel": "0.0, 1.0",
    "beta": "1.0, 1.0", "gamma": "1.0, 1.0", "poisson": "1.0", "exponential": "1.0",
    "standard_normal": "", "random": "", "random_sample": "",
}


def test_size_position_rows_are_spelled_out_here() -> None:
    from np_torch_lint.engine import api

    assert set(SIZE_LEADING_ARGUMENTS) == set(api.SIZE_POSITIONS)


@pytest.mark.parametrize("name", sorted(SIZE_LEADING_ARGUMENTS))
def test_a_positional_size_gives_the_rank(name: str) -> None:
    import numpy as np

    from np_torch_lint.engine import api

    leading = SIZE_LEADING_ARGUMENTS[name]
    assert len([a for a in leading.split(",") if a.strip()]) == api.SIZE_POSITIONS[name]
    owner = "rng" if name == "integers" else "np.random"
    call = f"{owner}.{name}({leading + ', ' if leading else ''}(3, 4, 2))"
    rng = np.random.default_rng(0)
    assert np.ndim(eval(call, {"np": np, "rng": rng})) == 3  # NumPy's own signature
    assert value(call, "rng = np.random.default_rng(0)\n").ndim == 3


def test_an_array_compared_with_a_scalar_keeps_its_rank() -> None:
    found = value("np.random.rand(8, 4, 4) > 0.5")
    assert found.kind is Kind.NDARRAY and found.dtype == "bool" and found.ndim == 3


# --- TensorDataset (api.TENSOR_DATASETS) ----------------------------------------------------------
@pytest.mark.parametrize("expr", ["ds[0]", "ds[2:6]", "next(iter(DataLoader(ds, batch_size=4)))", "item"])
def test_tensor_dataset_items_are_rows_of_its_tensors(expr: str) -> None:
    setup = ("from torch.utils.data import DataLoader, TensorDataset\n"
             "ds = TensorDataset(torch.zeros(8, 3, dtype=torch.float64), torch.arange(8))\n"
             "for item in ds:\n    break\n")
    found = value(expr, setup)
    assert found.kind is Kind.SEQUENCE and found.elements is not None
    assert [item.dtype for item in found.elements] == ["float64", "int64"]


def test_a_custom_collate_or_a_batch_sampler_leaves_tensor_dataset_batches_unknown() -> None:
    setup = ("from torch.utils.data import DataLoader, TensorDataset\n"
             "ds = TensorDataset(torch.zeros(8, 3, dtype=torch.float64))\n")
    assert value("next(iter(DataLoader(ds, collate_fn=lambda b: b)))", setup).kind is not Kind.SEQUENCE
    assert value("next(iter(DataLoader(ds, batch_size=None)))", setup).kind is not Kind.SEQUENCE


def test_bincount_counts_in_int64_and_sums_weights_in_float64() -> None:
    import numpy as np

    labels = "np.array([0, 1, 1])"
    assert str(np.bincount(np.array([0, 1, 1])).dtype) == value(f"np.bincount({labels})").dtype == "int64"
    weighted = f"np.bincount({labels}, weights=np.ones(3, dtype=np.float32))"
    assert str(eval(weighted, {"np": np}).dtype) == value(weighted).dtype == "float64"


@pytest.mark.parametrize("call", ["nn.CrossEntropyLoss(weight=w)(logits, labels)",
                                  "F.cross_entropy(logits, labels, weight=w)",
                                  "nn.BCEWithLogitsLoss(pos_weight=w3)(logits, targets)"])
def test_a_float64_loss_weight_meets_float32_logits(call: str) -> None:
    from np_torch_lint.engine import api

    assert api.LOSS_WEIGHT_KEYWORDS == {"weight", "pos_weight"}
    source = f"""
        w = torch.from_numpy(np.array([0.5, 2.0, 1.0]))
        w3 = torch.from_numpy(np.ones(3))
        logits = nn.Linear(4, 3)(torch.randn(2, 4))
        labels = torch.tensor([0, 2])
        targets = torch.rand(2, 3)
        loss = {call}
    """
    assert "NTL101" in codes(source)


# --- text parsers (api.TEXT_DATA_PARSERS): plain Python data ------------------------------------
@pytest.mark.parametrize("expression, kind", [
    ("json.loads(text)['items'][0]['age'] / 100.0", Kind.PY_FLOAT),
    ("json.loads(text)['items'][0]['age'] / 4", Kind.PY_FLOAT),
    ("1.0 - json.loads(text)['items'][0]['age']", Kind.PY_FLOAT),
    ("json.loads(text)['items'][0]['age'] * 2", None),  # an int stays an int (or a list repeats)
    ("json.loads(text)['items'][0]['age'] ** 0.5", None),  # a negative base gives a complex
    ("json.loads(text)['items'][0]['age'] + json.loads(text)['items'][0]['age']", None),  # str + str
])
def test_parsed_numbers_divided_or_combined_with_a_float_are_python_floats(expression: str, kind: object) -> None:
    import json

    from np_torch_lint.engine import api

    assert api.TEXT_DATA_PARSERS >= {"json.load", "json.loads"}
    text = '{"items": [{"age": 42}]}'
    if kind is Kind.PY_FLOAT:
        assert isinstance(eval(expression, {"json": json, "text": text}), float)
    else:  # not a float for every parsed value: 42 * 2 is an int, (-4) ** 0.5 a complex, "a" + "b" a str
        assert not all(isinstance(eval(expression.replace("json.loads(text)['items'][0]['age']", f"({parsed!r})"),
                                       {}), float) for parsed in (42, -4, "ab"))
    assert value(expression, f"import json\ntext = {text!r}\n").kind is kind


# --- scikit-learn rows (api.SKLEARN_*): checked against the installed library --------------------
def test_sklearn_toy_data_makers_give_float64_features_and_their_target_dtype() -> None:
    import importlib

    from np_torch_lint.engine import api

    for qual, target in api.SKLEARN_DATASET_MAKERS.items():
        module, name = qual.rsplit(".", 1)
        X, y = getattr(importlib.import_module(module), name)(n_samples=20, random_state=0)[:2]
        assert (str(X.dtype), X.ndim, str(y.dtype), y.ndim) == ("float64", 2, target, 1), qual
        found = value(f"{name}(n_samples=20)", f"from {module} import {name}\n")
        assert [(item.dtype, item.ndim) for item in (found.elements or ())] == [("float64", 2), (target, 1)]


def test_sklearn_bundled_loaders_give_float64_features_and_their_target_dtype_with_return_x_y() -> None:
    import importlib

    from np_torch_lint.engine import api

    for qual, target in api.SKLEARN_BUNDLED_LOADERS.items():
        module, name = qual.rsplit(".", 1)
        X, y = getattr(importlib.import_module(module), name)(return_X_y=True)
        assert (str(X.dtype), X.ndim, str(y.dtype), y.ndim) == ("float64", 2, target, 1), qual
        found = value(f"{name}(return_X_y=True)", f"from {module} import {name}\n")
        assert [(item.dtype, item.ndim) for item in (found.elements or ())] == [("float64", 2), (target, 1)]
        # a Bunch, or pandas objects, are not followed
        assert value(f"{name}()", f"from {module} import {name}\n") == UNKNOWN
        assert value(f"{name}(return_X_y=True, as_frame=True)", f"from {module} import {name}\n") == UNKNOWN


def test_a_fitted_scaler_is_the_scaler_itself() -> None:
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    assert scaler.fit(np.ones((3, 2))) is scaler
    setup = "from sklearn.preprocessing import StandardScaler\nX = np.arange(12).reshape(6, 2)\n"
    assert value("StandardScaler().fit(X).transform(X)", setup).dtype == "float64"


@pytest.mark.parametrize("dtype, expected", [("np.float32", "float32"), ("np.float64", "float64"),
                                             ("np.int64", "float64"), ("np.int32", "float64")])
def test_sklearn_scalers_keep_float32_and_give_float64_otherwise(dtype: str, expected: str) -> None:
    import importlib

    import numpy as np

    from np_torch_lint.engine import api

    for qual in sorted(api.SKLEARN_SCALERS):
        module, name = qual.rsplit(".", 1)
        data = np.arange(12).reshape(6, 2).astype(eval(dtype, {"np": np}))
        assert str(getattr(importlib.import_module(module), name)().fit_transform(data).dtype) == expected, qual
        setup = f"from {module} import {name}\nscaler = {name}()\nX = np.arange(12).reshape(6, 2).astype({dtype})\n"
        assert value("scaler.fit_transform(X)", setup).dtype == expected


def test_train_test_split_keeps_each_array_s_dtype() -> None:
    import numpy as np
    from sklearn.model_selection import train_test_split

    parts = train_test_split(np.zeros((10, 3)), np.arange(10, dtype=np.int32), random_state=0)
    assert [str(p.dtype) for p in parts] == ["float64", "float64", "int32", "int32"]
    setup = "from sklearn.model_selection import train_test_split\n"
    found = value("train_test_split(np.zeros((10, 3)), np.arange(10, dtype=np.int32), test_size=0.2)", setup)
    assert [item.dtype for item in (found.elements or ())] == ["float64", "float64", "int32", "int32"]


@pytest.mark.parametrize("buffer", ["running_mean", "running_var"])
def test_running_statistics_buffers_are_where_their_module_is(buffer: str) -> None:
    import torch

    from np_torch_lint.engine import api

    assert buffer in api.RUNNING_STATS_BUFFERS and buffer in dict(torch.nn.BatchNorm1d(2).named_buffers())
    found = value(f"norm.{buffer}", "norm = nn.BatchNorm1d(4).cuda()\n")
    assert found.kind is Kind.TENSOR and found.device is Device.CUDA and found.requires_grad is Tri.NO


@pytest.mark.parametrize("call, dtype", [
    ("functools.partial(pick, np.zeros(3, np.float32))(np.ones(3))", "float64"),  # bound first, given second
    ("functools.partial(pick, second=np.zeros(3, np.float32))(np.ones(3))", "float32"),  # a bound keyword
    ("functools.partial(pick, second=np.zeros(3, np.float32))(np.ones(3), second=np.ones(2))", "float64"),
])
def test_partial_passes_its_bound_arguments_first(call: str, dtype: str) -> None:
    from np_torch_lint.engine import api

    assert api.PARTIALS == {"functools.partial"}
    setup = "import functools\n\ndef pick(first, second=None):\n    return second\n"
    assert value(call, setup).dtype == dtype


@pytest.mark.parametrize("expr", ["np.bincount(np.array([0, 2, 2]))", "np.arange(5)", "np.arange(0.0, 1.0, 0.25)",
                                  "np.hanning(8)", "np.hamming(8)", "np.blackman(8)", "np.bartlett(8)", "np.kaiser(8, 5.0)"])
def test_one_dimensional_makers(expr: str) -> None:
    import numpy as np

    from np_torch_lint.engine import api

    assert "numpy." + expr.split("(")[0][3:] in api.ONE_DIMENSIONAL_MAKERS
    assert np.ndim(eval(expr, {"np": np})) == 1 and value(expr).ndim == 1


@pytest.mark.parametrize("expr, ndim", [("np.zeros((3, 4)) * 2.0", 2), ("np.zeros(3).sum() / np.ones(3)", 1),
                                         ("np.zeros((3, 4)) + np.ones((3, 4))", 2), ("np.zeros(3) + np.ones((2, 3))", None)])
def test_an_operator_over_an_array_keeps_its_rank_where_no_broadcast_can_add_one(expr: str, ndim: Optional[int]) -> None:
    import numpy as np

    found = value(expr)
    assert found.ndim == ndim
    if ndim is not None:
        assert np.ndim(eval(expr, {"np": np})) == ndim
