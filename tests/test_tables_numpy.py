"""The NumPy facts of api.py's tables (and its grad-mode, in-place and conversion rows), row by row, checked twice.

Each case is an expression or a snippet with the fact it gives. One test asks the engine
(no NumPy, no torch: the linter's view); the other runs the same code with the installed
NumPy and torch and checks the fact holds there. A row removed from a table fails the first;
a row that stops being true (a new NumPy changes a dtype) fails the second.

The cases are written out, not generated from the tables, so that a lost row is noticed
(benchmarks/mutation/mutate.py runs this file too, without the ``installed`` tests, which
never read the tables). Tests whose name says ``installed`` run the code with NumPy and torch.
"""
from __future__ import annotations

import io
import textwrap
import warnings
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from np_torch_lint.engine import api
from np_torch_lint.engine.values import Kind, Tri
from tables_support import PRELUDE, dtype_name, engine_value, lint_codes, run_value

# --- dtypes ---------------------------------------------------------------------------------

DTYPES: List[Tuple[str, str]] = [
    # DTYPE_OBJECTS: NumPy scalar types, torch dtypes, builtins
    ("np.zeros(2, dtype=np.float64)", "float64"), ("np.zeros(2, dtype=np.double)", "float64"),
    ("np.zeros(2, dtype=np.float32)", "float32"), ("np.zeros(2, dtype=np.single)", "float32"),
    ("np.zeros(2, dtype=np.float16)", "float16"), ("np.zeros(2, dtype=np.half)", "float16"),
    ("np.zeros(2, dtype=np.int64)", "int64"), ("np.zeros(2, dtype=np.int_)", "int64"),
    ("np.zeros(2, dtype=np.intp)", "int64"), ("np.zeros(2, dtype=np.longlong)", "int64"),
    ("np.zeros(2, dtype=np.int32)", "int32"), ("np.zeros(2, dtype=np.intc)", "int32"),
    ("np.zeros(2, dtype=np.int16)", "int16"), ("np.zeros(2, dtype=np.short)", "int16"),
    ("np.zeros(2, dtype=np.int8)", "int8"), ("np.zeros(2, dtype=np.byte)", "int8"),
    ("np.zeros(2, dtype=np.uint8)", "uint8"), ("np.zeros(2, dtype=np.ubyte)", "uint8"),
    ("np.zeros(2, dtype=np.bool_)", "bool"), ("np.zeros(2, dtype=np.bool)", "bool"),
    ("np.zeros(2, dtype=float)", "float64"), ("np.zeros(2, dtype=int)", "int64"), ("np.zeros(2, dtype=bool)", "bool"),
    ("torch.zeros(2, dtype=torch.float64)", "float64"), ("torch.zeros(2, dtype=torch.double)", "float64"),
    ("torch.zeros(2, dtype=torch.float32)", "float32"), ("torch.zeros(2, dtype=torch.float)", "float32"),
    ("torch.zeros(2, dtype=torch.float16)", "float16"), ("torch.zeros(2, dtype=torch.half)", "float16"),
    ("torch.zeros(2, dtype=torch.bfloat16)", "bfloat16"),
    ("torch.zeros(2, dtype=torch.int64)", "int64"), ("torch.zeros(2, dtype=torch.long)", "int64"),
    ("torch.zeros(2, dtype=torch.int32)", "int32"), ("torch.zeros(2, dtype=torch.int)", "int32"),
    ("torch.zeros(2, dtype=torch.int16)", "int16"), ("torch.zeros(2, dtype=torch.short)", "int16"),
    ("torch.zeros(2, dtype=torch.int8)", "int8"), ("torch.zeros(2, dtype=torch.uint8)", "uint8"),
    ("torch.zeros(2, dtype=torch.bool)", "bool"),
    # DTYPE_STRINGS
    *[(f"np.zeros(2, dtype={text!r})", dtype) for text, dtype in (
        ("float64", "float64"), ("f8", "float64"), ("double", "float64"), ("float", "float64"), ("<f8", "float64"),
        ("d", "float64"), ("float32", "float32"), ("f4", "float32"), ("single", "float32"), ("<f4", "float32"),
        ("f", "float32"), ("float16", "float16"), ("f2", "float16"), ("half", "float16"), ("int64", "int64"),
        ("i8", "int64"), ("int", "int64"), ("long", "int64"), ("<i8", "int64"), ("int32", "int32"), ("i4", "int32"),
        ("<i4", "int32"), ("int16", "int16"), ("i2", "int16"), ("int8", "int8"), ("i1", "int8"), ("uint8", "uint8"),
        ("u1", "uint8"), ("bool", "bool"), ("?", "bool"))],
    # TENSOR_TYPES (the CPU ones; the CUDA ones are placement, below)
    *[(f"torch.zeros(2).type(torch.{name})", dtype) for name, dtype in (
        ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"),
        ("BFloat16Tensor", "bfloat16"), ("LongTensor", "int64"), ("IntTensor", "int32"), ("ShortTensor", "int16"),
        ("CharTensor", "int8"), ("ByteTensor", "uint8"), ("BoolTensor", "bool"))],
    ("torch.Tensor(np.zeros(2))", "float32"),
    # FLOAT_DTYPES and INT_DTYPES: float arrays keep their dtype with a Python float; integer
    # arrays divided give float64
    ("np.zeros(2, dtype=np.float16) * 2.0", "float16"), ("np.zeros(2, dtype=np.float32) * 2.0", "float32"),
    ("np.zeros(2) * 2.0", "float64"),
    *[(f"np.ones(2, dtype=np.{t}) / np.ones(2, dtype=np.{t})", "float64")
      for t in ("int64", "int32", "int16", "int8", "uint8", "bool_")],
    ("np.ones(2, dtype=np.int16) + 1", "int16"),
    # ARRAY_MAKERS
    ("np.zeros(3)", "float64"), ("np.ones(3)", "float64"), ("np.empty(3)", "float64"), ("np.identity(3)", "float64"),
    ("np.full(3, 0.5)", "float64"), ("np.full(3, 7)", "int64"), ("np.arange(4)", "int64"),
    ("np.arange(0.0, 1.0, 0.25)", "float64"), ("np.eye(3)", "float64"), ("np.linspace(0, 1, 5)", "float64"),
    ("np.logspace(0, 1, 5)", "float64"), ("np.geomspace(1, 8, 4)", "float64"), ("np.tri(3)", "float64"),
    ("np.hanning(8)", "float64"), ("np.hamming(8)", "float64"), ("np.blackman(8)", "float64"),
    ("np.bartlett(8)", "float64"), ("np.kaiser(8, 5.0)", "float64"),
    ("np.loadtxt(io.StringIO('1 2\\n3 4'))", "float64"), ("np.genfromtxt(io.StringIO('1 2\\n3 4'))", "float64"),
    ("np.fromfile('data.f64')", "float64"), ("np.fromfile('data.f32', dtype=np.float32)", "float32"),
    ("np.fromstring('1 2 3', sep=' ')", "float64"), ("np.memmap('data.f64')", "uint8"),
    ("np.random.randint(0, 5, 3)", "int64"), ("np.random.randint(0, 5, 3, np.int32)", "int32"),
    ("np.array(a32)", "int32"), ("np.array([1.5, 2.5])", "float64"), ("np.array([1, 2])", "int64"),
    ("np.asarray(a32)", "int32"), ("np.asanyarray(a32)", "int32"), ("np.ascontiguousarray(a32)", "int32"),
    ("np.copy(a32)", "int32"), ("np.zeros_like(a32)", "int32"), ("np.ones_like(a32)", "int32"),
    ("np.empty_like(a32)", "int32"), ("np.full_like(a32, 3)", "int32"), ("np.zeros_like(a32, np.float32)", "float32"),
    ("np.stack([a32, a32])", "int32"), ("np.concatenate([a32, a32])", "int32"), ("np.vstack([a32, a32])", "int32"),
    ("np.hstack([a32, a32])", "int32"), ("np.column_stack([a32, a32])", "int32"), ("np.dstack([a32, a32])", "int32"),
    ("np.column_stack([flat, flat])", "float64"), ("np.flip(a32)", "int32"), ("np.fliplr(a32)", "int32"),
    ("np.flipud(a32)", "int32"), ("np.rot90(a32)", "int32"),
    ("np.float64(1)", "float64"), ("np.double(1)", "float64"), ("np.float32(1)", "float32"),
    ("np.int64(1)", "int64"), ("np.int32(1)", "int32"),
    # bounds: float32 bounds give a float32 range
    ("np.linspace(np.float32(0), 1, 5)", "float32"), ("np.logspace(np.float32(0), np.float32(1), 3)", "float32"),
    # GENERATOR_FACTORIES, GENERATOR_METHODS (a dtype also by position)
    ("np.random.default_rng(0).random(3)", "float64"), ("np.random.RandomState(0).rand(3)", "float64"),
    ("np.random.Generator(np.random.PCG64(0)).random(3)", "float64"),
    ("rng.random(3, np.float32)", "float32"), ("rng.standard_normal(3, np.float32)", "float32"),
    ("rng.standard_exponential(3, np.float32)", "float32"), ("rng.standard_gamma(1.0, 3, np.float32)", "float32"),
    ("rng.integers(0, 5, 3)", "int64"), ("rng.integers(0, 5, 3, np.int32)", "int32"),
    ("np.random.RandomState(0).randint(0, 5, 3)", "int64"),
    # NUMPY_REDUCTIONS over int32 (functions and methods)
    *[(f"np.{name}(a32)", "float64") for name in (
        "mean", "std", "var", "average", "median", "nanmean", "nanstd", "nanvar", "nanmedian")],
    *[(f"np.{name}(a32)", "int32") for name in ("max", "min", "amax", "amin", "nanmax", "nanmin", "ptp")],
    ("a32.mean()", "float64"), ("a32.max()", "int32"), ("np.ones(3, dtype=bool).mean()", "float64"),
    # NUMPY_INT_ACCUMULATORS: int32 and bool accumulate in int64
    *[(f"np.{name}(a32)", "int64") for name in (
        "sum", "prod", "nansum", "nanprod", "cumsum", "cumprod", "nancumsum", "nancumprod")],
    ("a32.sum()", "int64"), ("a32.sum(axis=0)", "int64"), ("a32.cumsum()", "int64"), ("a32.cumprod()", "int64"),
    ("np.ones(3, dtype=bool).sum()", "int64"), ("f32.sum()", "float32"),
    # NUMPY_QUANTILES
    ("np.percentile(a32, 50)", "float64"), ("np.quantile(a32, 0.5)", "float64"),
    ("np.nanpercentile(a32, 50)", "float64"), ("np.nanquantile(a32, 0.5)", "float64"),
    ("np.quantile(f32, 0.5)", "float32"),
    # NUMPY_FLOAT_UFUNCS over int64 (and FLOAT_OF_INT by integer width)
    *[(f"np.{name}(np.arange(1, 4))", "float64") for name in (
        "sqrt", "exp", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "arctan", "arcsin", "arccos",
        "expm1", "exp2", "cbrt", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "degrees",
        "radians", "rint")],
    *[(f"np.sqrt(np.ones(2, dtype=np.{t}))", dtype) for t, dtype in (
        ("int64", "float64"), ("int32", "float64"), ("int16", "float32"), ("int8", "float16"),
        ("uint8", "float16"), ("bool_", "float16"))],
    ("np.sqrt(f32)", "float32"),
    # NUMPY_FLOAT_UFUNCS of a Python number: a NumPy float64 scalar, strong under NEP 50
    ("np.sqrt(64)", "float64"), ("np.exp(1.5)", "float64"), ("f32 / np.sqrt(64)", "float64"),
    ("f32 * np.log(2)", "float64"),
    # NUMPY_LINALG_RESULTS: the input's float dtype, float64 for integers
    ("np.linalg.qr(np.ones((3, 3)))[0]", "float64"), ("np.linalg.qr(f32.reshape(2, 3)).Q", "float32"),
    ("np.linalg.svd(f32.reshape(2, 3))[1]", "float32"), ("np.linalg.svd(np.ones((2, 2))).Vh", "float64"),
    ("np.linalg.eigh(np.eye(2, dtype=np.float32))[1]", "float32"), ("np.linalg.inv(np.eye(2, dtype=np.int64))", "float64"),
    ("np.linalg.pinv(f32.reshape(2, 3))", "float32"), ("np.linalg.cholesky(np.eye(2))", "float64"),
    ("np.linalg.eigvalsh(np.eye(2, dtype=np.float32))", "float32"),
    # NUMPY_LINALG_KEYWORDS: keywords that keep the result's shape of tuple
    ("np.linalg.svd(f32.reshape(2, 3), full_matrices=False).U", "float32"),
    ("np.linalg.eigh(np.eye(2), UPLO='U')[0]", "float64"), ("np.linalg.pinv(f32.reshape(2, 3), hermitian=False)", "float32"),
    # NUMPY_FFT_REAL: float32 from float32, float64 from float64 and integers
    ("np.fft.irfft(f32)", "float32"), ("np.fft.irfft(a32)", "float64"), ("np.fft.hfft(flat)", "float64"),
    ("np.fft.irfft2(f32)", "float32"), ("np.fft.irfftn(a32)", "float64"),
    # NUMPY_FFT_FREQUENCIES: float64 whatever the spacing
    ("np.fft.fftfreq(8)", "float64"), ("np.fft.rfftfreq(8, d=np.float32(0.1))", "float64"),
    # NUMPY_DTYPE_KEEPING's fft rows: a shift keeps the dtype
    ("np.fft.fftshift(f32)", "float32"), ("np.fft.ifftshift(a32)", "int32"),
    # NUMPY_FLOAT64_FUNCTIONS: float64 even for float32 data
    ("np.interp(f32[0], [0.0, 1.0], [0.0, 1.0])", "float64"), ("np.float_power(f32, 2)", "float64"),
    # NUMPY_PROMOTING: an int32 array with a Python float is float64
    *[(f"np.{name}(a32, 1.5)", "float64") for name in (
        "add", "subtract", "multiply", "power", "maximum", "minimum", "fmax", "fmin", "mod", "remainder",
        "floor_divide")],
    ("np.divide(a32, a32)", "float64"), ("np.true_divide(a32, a32)", "float64"), ("np.divide(f32, 2)", "float32"),
    ("np.where(a32 > 2, 1.0, 0.0)", "float64"), ("np.where(a32 > 2, 1, 0)", "int64"),
    ("np.where(a32 > 2, f32, 0.0)", "float32"), ("np.clip(a32, 0.0, 1.0)", "float64"), ("np.clip(a32, 0, 1)", "int32"),
    ("a32.clip(0.0, 1.0)", "float64"), ("f32.clip(0.0, 1.0)", "float32"),
    # NUMPY_DTYPE_KEEPING over int32
    *[(f"np.{call}", "int32") for call in (
        "abs(a32)", "absolute(a32)", "transpose(a32)", "squeeze(a32)", "expand_dims(a32, 0)", "reshape(a32, (-1,))",
        "ravel(a32)", "moveaxis(a32, 0, 1)", "swapaxes(a32, 0, 1)", "negative(a32)", "square(a32)", "round(a32)",
        "tile(a32, 2)", "repeat(a32, 2)", "roll(a32, 1)", "pad(a32, 1)", "sort(a32)", "atleast_1d(a32)",
        "atleast_2d(a32)", "atleast_3d(a32)", "permute_dims(a32)", "matrix_transpose(a32)", "rollaxis(a32, 1)",
        "diff(a32)", "nan_to_num(a32)", "triu(a32)", "tril(a32)", "positive(a32)", "delete(a32, 0)",
        "insert(a32, 0, 5)", "take(a32, [0])", "resize(a32, (2,))", "partition(a32, 0)", "trim_zeros(a32)",
        "ediff1d(a32)")],
    # ARRAY_LIKE_FLOAT64_REDUCTIONS: a float64 value of unknown kind (read back by pickle here)
    *[(f"pickle.loads(pickle.dumps(flat)).astype(np.float64).{call}", "float64") for call in (
        "mean(0)", "std(axis=0)", "var()", "sum()", "min()", "max()")],
    # NUMPY_PER_ARGUMENT_ARRAYS: the i-th array in the i-th argument's dtype
    ("np.meshgrid(f32, a32)[0]", "float32"), ("np.meshgrid(f32, a32)[1]", "int32"),
    ("np.meshgrid([1.0, 2.0], [0.5])[1]", "float64"), ("np.broadcast_arrays(a32, f32)[1]", "float32"),
    # NUMPY_ROUNDING_UFUNCS keep float dtypes
    *[(f"np.{name}(f32)", "float32") for name in ("floor", "ceil", "trunc", "fix")],
    # NDARRAY_SAME_DTYPE (methods)
    *[(f"a32.{call}", "int32") for call in ("reshape(-1)", "ravel()", "round()", "repeat(2)", "take([0, 1])")],
    # _INT_RANDOM
    *[(f"np.random.{call}", "int64") for call in (
        "binomial(5, 0.5, 3)", "poisson(2.0, 3)", "geometric(0.5, 3)", "hypergeometric(5, 5, 3, 3)",
        "negative_binomial(3, 0.5, 3)", "zipf(2.0, 3)", "logseries(0.5, 3)", "multinomial(5, [0.5, 0.5])")],
    ("rng.poisson(2.0, 3)", "int64"),
]

# _FLOAT_RANDOM: every legacy np.random function (the Generator methods share the rows)
DTYPES += [(f"np.random.{call}", "float64") for call in (
    "rand(3)", "randn(3)", "random(3)", "random_sample(3)", "ranf(3)", "sample(3)", "uniform(size=3)",
    "normal(size=3)", "standard_normal(3)", "beta(1.0, 2.0, 3)", "gamma(2.0, 1.0, 3)", "exponential(1.0, 3)",
    "laplace(size=3)", "lognormal(size=3)", "logistic(size=3)", "standard_exponential(3)", "standard_gamma(2.0, 3)",
    "chisquare(2.0, 3)", "rayleigh(size=3)", "weibull(2.0, 3)", "pareto(2.0, 3)", "power(2.0, 3)",
    "vonmises(0.0, 1.0, 3)", "gumbel(size=3)", "triangular(0.0, 0.5, 1.0, 3)", "wald(1.0, 1.0, 3)",
    "standard_cauchy(3)", "standard_t(3.0, 3)", "dirichlet([1.0, 1.0], 3)", "multivariate_normal([0.0], [[1.0]], 3)",
    "f(1.0, 2.0, 3)", "noncentral_chisquare(2.0, 1.0, 3)", "noncentral_f(2.0, 3.0, 1.0, 3)")]

#: permutations: a shuffled arange of an int, a shuffled copy of an array (its dtype)
DTYPES += [("np.random.permutation(5)", "int64"), ("np.random.default_rng(0).permutation(4)", "int64"),
           ("np.random.RandomState(0).permutation(f32)", "float32"), ("np.random.default_rng(1).permutation(a32)", "int32")]


@pytest.mark.parametrize("expression, dtype", DTYPES, ids=[e for e, _ in DTYPES])
def test_engine_knows_the_dtype(expression: str, dtype: str) -> None:
    assert engine_value(expression).dtype == dtype


@pytest.mark.parametrize("expression, dtype", DTYPES, ids=[e for e, _ in DTYPES])
def test_installed_numpy_and_torch_give_that_dtype(expression: str, dtype: str, tmp_path: Path) -> None:
    assert dtype_name(run_value(expression, tmp_path)) == dtype


#: where the result dtype depends on the NumPy version (or on data), the engine says nothing.
UNKNOWN_DTYPES: List[str] = [
    "np.floor(a32)", "np.ceil(a32)", "np.trunc(a32)", "np.fix(a32)",  # float before NumPy 2.1, int32 after
    "np.ones(3, dtype=np.uint8).sum()",  # uint64: not a dtype the tables model
    "np.linspace(np.float32(0), np.int64(1), 3)",  # a promotion the tables do not know
    "np.load('data.npy')",  # whatever was saved
    "np.where(a32 > 2)",  # a tuple of index arrays
    "np.atleast_2d(a32, f32)",  # a tuple of arrays
    "np.sqrt(True)",  # float16: a bool is no number the ufunc row covers
    "np.linalg.svd(f32.reshape(2, 3), compute_uv=False)",  # one array, not the named tuple
]


@pytest.mark.parametrize("expression", UNKNOWN_DTYPES)
def test_version_or_data_dependent_dtypes_stay_unknown(expression: str) -> None:
    assert engine_value(expression).dtype is None


def test_kinds_of_scalar_results() -> None:
    """NumPy scalar constructors, reductions without an axis and quantiles of a scalar q are
    0-d scalars (torch's promotion ignores them); with an axis they are arrays."""
    for expression in ("np.float64(1)", "np.float32(1)", "np.mean(a32)", "a32.sum()", "np.percentile(a32, 50)"):
        assert engine_value(expression).kind is Kind.NP_SCALAR, expression
    for expression in ("a32.mean(axis=0)", "np.percentile(a32, [25, 75])", "np.interp(f32, [0.0, 1.0], [0.0, 1.0])"):
        assert engine_value(expression).kind is Kind.NDARRAY, expression


#: NUMPY_FFT_COMPLEX: an array (complex, no dtype the tables model) whatever the input
FFT_COMPLEX = ["np.fft.fft(f32)", "np.fft.ifft(a32)", "np.fft.rfft(flat)", "np.fft.ihfft(flat)", "np.fft.fft2(f32)",
               "np.fft.ifft2(a32)", "np.fft.rfft2(f32)", "np.fft.fftn(f32)", "np.fft.ifftn(a32)", "np.fft.rfftn(f32)"]


@pytest.mark.parametrize("expression", FFT_COMPLEX)
def test_engine_knows_forward_transforms_are_arrays(expression: str) -> None:
    value = engine_value(expression)
    assert (value.kind, value.dtype) == (Kind.NDARRAY, None)


@pytest.mark.parametrize("expression", FFT_COMPLEX)
def test_installed_forward_transforms_are_complex_arrays(expression: str, tmp_path: Path) -> None:
    import numpy as np

    value = run_value(expression, tmp_path)
    assert isinstance(value, np.ndarray) and np.iscomplexobj(value)


def test_installed_scalar_kinds(tmp_path: Path) -> None:
    import numpy as np

    for expression in ("np.float64(1)", "np.float32(1)", "np.mean(a32)", "a32.sum()", "np.percentile(a32, 50)"):
        assert isinstance(run_value(expression, tmp_path), np.generic), expression
    for expression in ("a32.mean(axis=0)", "np.percentile(a32, [25, 75])", "np.interp(f32, [0.0, 1.0], [0.0, 1.0])"):
        assert isinstance(run_value(expression, tmp_path), np.ndarray), expression


# --- negative strides ---------------------------------------------------------------------------

#: expressions whose result has a negative stride (ARRAY_MAKERS flips, views of a flipped array)
NEGATIVE_STRIDES: List[str] = [
    "np.flip(flat)", "np.fliplr(f32)", "np.flipud(f32)", "np.rot90(f32)", "flat[::-1]", "f32[..., ::-1]",
    "np.asarray(rev)", "np.asanyarray(rev)",  # the same array back
    # NUMPY_VIEW_FUNCTIONS
    "np.transpose(rev2)", "np.squeeze(np.expand_dims(rev2, 0))", "np.swapaxes(rev2, 0, 1)", "np.expand_dims(rev, 0)",
    "np.moveaxis(rev2, 0, 1)", "np.atleast_1d(rev)", "np.atleast_2d(rev)", "np.atleast_3d(rev)",
    "np.permute_dims(rev2)", "np.matrix_transpose(rev2)", "np.rollaxis(rev2, 1)",
    # NDARRAY_VIEWS and NDARRAY_VIEW_ATTRS
    "rev2.transpose()", "rev2.swapaxes(0, 1)", "np.expand_dims(rev2, 0).squeeze()", "rev.view()", "rev2.T", "rev2.mT",
    "rev2.real", "sliding_window_view(rev, 2)", "np.diagonal(rev2)", "rev2.diagonal()",
    # reshape of a reversed 1-d array: a view, every stride negative
    "rev.reshape(-1, 2)", "flat[::-1].reshape(2, 3)",
    "flat[slice(None, None, -1)]",  # a slice object with a negative step
]
#: copies: positive strides
POSITIVE_STRIDES: List[str] = [
    "np.array(rev)", "np.ascontiguousarray(rev)", "rev.copy()", "np.rot90(f32, k=4)", "rev * 2", "rev.flatten()",
    "rev.astype(np.float32)", "as_strided(rev, (3,), (8,), writeable=False)",
    "rev2.reshape(-1)",  # a flipped 2-d array reshaped to 1-d: a copy
]


@pytest.mark.parametrize("expression", NEGATIVE_STRIDES)
def test_engine_knows_negative_strides(expression: str) -> None:
    assert engine_value(expression).negative_strides is Tri.YES


@pytest.mark.parametrize("expression", NEGATIVE_STRIDES)
def test_installed_numpy_gives_negative_strides(expression: str, tmp_path: Path) -> None:
    assert min(run_value(expression, tmp_path).strides) < 0


@pytest.mark.parametrize("expression", POSITIVE_STRIDES)
def test_copies_have_no_negative_strides(expression: str, tmp_path: Path) -> None:
    assert engine_value(expression).negative_strides is not Tri.YES
    assert min(run_value(expression, tmp_path).strides) >= 0


# --- dimensions after fancy indexing ------------------------------------------------------------
#: an index array (or a flat list of ints, or a boolean mask) keeps the dimensions it does not
#: replace: NTL103 needs them to tell an N-d uint8 target (rejected) from a 1-d one (accepted).
FANCY_INDEXED = [
    "np.zeros((4, 8, 8), dtype=np.uint8)[np.arange(2)]",
    "np.zeros((4, 8, 8), dtype=np.uint8)[[0, 1]]",
    "np.zeros((6, 8, 8), dtype=np.uint8)[np.zeros((2, 3), dtype=np.int64)]",
    "np.zeros((4, 8), dtype=np.uint8)[np.ones(4, dtype=bool)]",
    "np.zeros((4, 8, 8), dtype=np.uint8)[np.ones((4, 8), dtype=bool)]",
    "np.ones((2, 3), dtype=np.int32)[np.array([1, 0])]",
    "np.zeros((5, 3), dtype=np.float32)[np.random.permutation(5)]",
    "np.random.default_rng(0).permutation(np.zeros((5, 3), dtype=np.float32))",
    # a slice object is a basic slice: a view that keeps its axis
    "np.zeros((6, 3, 3), dtype=np.uint8)[slice(0, 4)]",
    "np.zeros((6, 3, 3), dtype=np.uint8)[slice(1, 5), 0]",
]


@pytest.mark.parametrize("expression", FANCY_INDEXED)
def test_engine_knows_the_dimensions_a_fancy_index_leaves(expression: str, tmp_path: Path) -> None:
    value = engine_value(expression)
    installed = run_value(expression, tmp_path)
    assert (value.kind, value.dtype, value.ndim) == (Kind.NDARRAY, dtype_name(installed), installed.ndim)


# --- read-only arrays -------------------------------------------------------------------------

READ_ONLY: List[str] = [
    "np.broadcast_to(flat, (2, 6))", "np.diagonal(f32)", "f32.diagonal()", "sliding_window_view(flat, 3)",
    "sliding_window_view(flat, 3, writeable=False)", "as_strided(flat, (3,), (8,), writeable=False)",
    "np.memmap('data.f64', mode='r')", "np.memmap('data.f64', mode='readonly')", "np.load('data.npy', mmap_mode='r')",
    "np.frombuffer(b'abcdefgh')", "np.frombuffer(b'abcdefgh12345678'[0:8])", "np.asarray(Image.new('L', (4, 4)))", "np.asanyarray(Image.new('L', (4, 4)))",
    # BINARY_READ_METHODS: what a file opened in binary mode reads is bytes
    "np.frombuffer(open('data.f64', 'rb').read())", "np.frombuffer(open('data.f64', 'rb').read1())",
    "np.frombuffer(open('data.f64', 'rb', buffering=0).readall())",
    # BYTES_FUNCTIONS: the standard library's bytes
    "np.frombuffer(struct.pack('<2f', 1.0, 2.0), dtype=np.float32)", "np.frombuffer(zlib.compress(b'abcd'), dtype=np.uint8)",
    "np.frombuffer(zlib.decompress(zlib.compress(b'abcdefgh')))", "np.frombuffer(gzip.compress(b'ab'), dtype=np.uint8)",
    "np.frombuffer(gzip.decompress(gzip.compress(b'abcdefgh')))", "np.frombuffer(bz2.compress(b'ab'), dtype=np.uint8)",
    "np.frombuffer(bz2.decompress(bz2.compress(b'abcdefgh')))", "np.frombuffer(lzma.compress(b'ab'), dtype=np.uint8)",
    "np.frombuffer(lzma.decompress(lzma.compress(b'abcdefgh')))", "np.frombuffer(base64.b64decode('AAAAAAAA8D8='))",
    "np.frombuffer(base64.b64encode(b'abcdef'), dtype=np.uint8)", "np.frombuffer(base64.urlsafe_b64decode('AAAAAAAA8D8='))",
    "np.frombuffer(base64.decodebytes(b'AAAAAAAA8D8='))", "np.frombuffer(base64.b85decode(base64.b85encode(b'abcdefgh')))",
    "np.frombuffer(binascii.unhexlify('000000000000f03f'))", "np.frombuffer(binascii.a2b_base64('AAAAAAAA8D8='))",
    "np.frombuffer(pickle.dumps(1), dtype=np.uint8)", "np.frombuffer(os.urandom(8))",
    # PIL_OPENERS and PIL_IMAGE_METHODS keep the image read-only through np.asarray
    "np.asarray(Image.fromarray(np.zeros((4, 4), dtype=np.uint8)))",
    *[f"np.asarray(Image.new('RGB', (4, 4)).{call})" for call in (
        "convert('L')", "resize((2, 2))", "crop((0, 0, 2, 2))", "rotate(90)", "transpose(Image.Transpose.FLIP_LEFT_RIGHT)",
        "copy()", "filter(__import__('PIL.ImageFilter').ImageFilter.BLUR)")],
]
WRITABLE: List[str] = [
    "sliding_window_view(flat, 3, writeable=True)", "as_strided(flat, (3,), (8,))", "np.memmap('data.f64', mode='r+')",
    "np.frombuffer(bytearray(b'abcdefgh'))", "np.asarray(Image.new('L', (4, 4)), dtype=np.float32)",
    "np.array(Image.new('L', (4, 4)))", "np.diagonal(f32).copy()",
]


@pytest.mark.parametrize("expression", READ_ONLY)
def test_engine_knows_read_only(expression: str) -> None:
    assert engine_value(expression).readonly is Tri.YES


@pytest.mark.parametrize("expression", READ_ONLY)
def test_installed_numpy_gives_read_only(expression: str, tmp_path: Path) -> None:
    assert not run_value(expression, tmp_path).flags.writeable


@pytest.mark.parametrize("expression", WRITABLE)
def test_writable_look_alikes(expression: str, tmp_path: Path) -> None:
    assert engine_value(expression).readonly is not Tri.YES
    assert run_value(expression, tmp_path).flags.writeable


# --- snippets: findings and what running them shows ---------------------------------------------

#: (snippet, the codes the linter reports, what running it does: "ok", "grad" (the numpy() error),
#: or "changed" (the snippet leaves `changed` True: a write went through shared memory))
SNIPPETS: List[Tuple[str, List[str], str]] = [
    # GRAD_MODES: every spelling, as a block, a decorator, an object
    *[(f"with {ctx}:\n    y = net(x).numpy()\n", [], "ok") for ctx in (
        "torch.no_grad()", "torch.autograd.no_grad()", "grad_mode.no_grad()", "torch.inference_mode()",
        "torch.autograd.inference_mode()", "grad_mode.inference_mode()", "torch.inference_mode(True)",
        "torch.set_grad_enabled(False)", "torch.autograd.set_grad_enabled(False)", "grad_mode.set_grad_enabled(False)",
        "torch.set_grad_enabled(mode=False)")],
    *[(f"with torch.no_grad():\n    with {ctx}:\n        y = net(x).numpy()\n", ["NTL201"], "grad") for ctx in (
        "torch.enable_grad()", "torch.autograd.enable_grad()", "grad_mode.enable_grad()", "torch.inference_mode(False)",
        "torch.inference_mode(mode=False)", "torch.set_grad_enabled(True)")],
    *[(f"@{deco}\ndef f():\n    return net(x).numpy()\ny = f()\n", [], "ok") for deco in (
        "torch.no_grad()", "torch.no_grad", "torch.inference_mode()", "torch.set_grad_enabled(False)",
        "grad_mode.no_grad()")],
    ("@torch.inference_mode(False)\ndef f():\n    return net(x).numpy()\ny = f()\n", ["NTL201"], "grad"),
    ("torch.set_grad_enabled(False)\ny = net(x).numpy()\ntorch.set_grad_enabled(True)\n", [], "ok"),
    # GRAD_CONTEXT_OBJECTS
    ("ctx = torch.no_grad()\nwith ctx:\n    y = net(x).numpy()\n", [], "ok"),
    ("ctx = torch.inference_mode(False)\nwith torch.no_grad():\n    with ctx:\n        y = net(x).numpy()\n",
     ["NTL201"], "grad"),
    # NUMPY_CONSUMERS: the way back to NumPy (one tensor, or a list of them)
    *[(f"y = np.{name}(net(x))\n", ["NTL201"], "grad") for name in ("array", "asarray", "asanyarray", "ascontiguousarray")],
    *[(f"y = np.{name}([net(x), net(x)])\n", ["NTL201"], "grad") for name in ("stack", "concatenate", "vstack", "hstack")],
    ("y = np.mean([net(x), net(x)])\n", ["NTL201"], "grad"), ("y = np.sqrt(net(x))\n", ["NTL201"], "grad"),
    ("y = np.percentile(net(x), 50)\n", ["NTL201"], "grad"),
    *[(f"y = np.{name}(net(x))\n", ["NTL201"], "grad") for name in sorted(api.NUMPY_ARRAY_READERS)],
    # NUMPY_TENSOR_METHOD_FUNCTIONS: one tensor goes to its own method (a tensor back, or a TypeError)
    ("y = np.squeeze(net(x))\n", [], "ok"), ("y = np.swapaxes(net(x), 0, 1)\n", [], "ok"),
    # NDARRAY_INPLACE and NUMPY_INPLACE_FUNCTIONS write an array shared with a tensor
    *[(f"np.random.seed(0)\na = np.array([3.0, 1.0, 2.0, 7.0, 5.0, 4.0, 6.0, 0.0])\nt = torch.from_numpy(a)\n"
       f"before = t.clone()\n{call}\nchanged = not torch.equal(t, before)\n", ["NTL401"], "changed") for call in (
        "a.fill(0.0)", "a.sort()", "a.put([0], 9.0)", "a.partition(1)", "a.setfield(7.0, np.float64)",
        "np.random.seed(0) or np.random.shuffle(a)", "np.copyto(a, 0.0)", "np.put(a, [0], 9.0)", "np.place(a, a > 1, 0.0)",
        "np.putmask(a, a > 1, 0.0)", "np.put_along_axis(a, np.array([0]), 9.0, axis=0)",
        "np.random.default_rng(0).shuffle(a) if False else rng.shuffle(a)", "np.add.at(a, [0], 1.0)",
        "np.subtract.at(a, [0], 1.0)", "np.multiply.at(a, [0], 2.0)", "np.divide.at(a, [0], 2.0)",
        "np.maximum.at(a, [1], 9.0)", "np.minimum.at(a, [0], -1.0)", "np.negative.at(a, [0])")],
    ("a = np.eye(3)\nt = torch.from_numpy(a)\nbefore = t.clone()\nnp.fill_diagonal(a, 5.0)\n"
     "changed = not torch.equal(t, before)\n", ["NTL401"], "changed"),
    ("a = np.array([3.0, 1.0, 2.0])\nt = torch.from_numpy(a)\nbefore = t.clone()\nstate = np.random.RandomState(0)\n"
     "state.shuffle(a)\nchanged = not torch.equal(t, before)\n", ["NTL401"], "changed"),
    # torch functions named like in-place methods, and inplace=True, write their first argument
    *[(f"a = np.linspace(-1.0, 1.0, 6)\nt = torch.from_numpy(a)\nbefore = a.copy()\n{call}\n"
       "changed = not np.array_equal(a, before)\n", ["NTL401"], "changed") for call in (
        "torch.relu_(t)", "torch.clamp_(t, 0.0, 0.5)", "torch.nn.init.zeros_(t)", "F.relu_(t)",
        "F.relu(t, inplace=True)", "F.dropout(t, p=0.5, inplace=True)", "torch.Tensor.add_(t, 1.0)")],
    ("a = np.ones(3)\nt = torch.from_numpy(a)\nt.grad = torch.ones(3, dtype=torch.float64)\ntorch.nn.utils.clip_grad_norm_([t], 0.1)\n"
     "torch.nn.utils.clip_grad_norm_(t, 0.1)\nchanged = not np.array_equal(a, np.ones(3))\n", [], "ok"),
    ("a = np.ones(3)\nt = torch.from_numpy(a)\nt.grad = torch.ones(3, dtype=torch.float64)\n"
     "torch.nn.utils.clip_grad_value_([t], 0.1)\ntorch.nn.utils.clip_grad_value_(t, 0.1)\n"
     "changed = not np.array_equal(a, np.ones(3))\n", [], "ok"),
    # TENSOR_SAME_STORAGE_METHODS: .numpy() of a view shares the tensor's storage
    *[(f"t = torch.zeros(2, 3)\na = t.{view}.numpy()\nbefore = a.copy()\nt.add_(1.0)\n"
       "changed = not np.array_equal(a, before)\n", ["NTL401"], "changed") for view in (
        "detach()", "view(-1)", "view_as(t)", "unsqueeze(0)", "squeeze()", "permute(1, 0)", "transpose(0, 1)", "t()",
        "narrow(0, 0, 1)", "select(0, 0)", "expand(2, 3)", "expand_as(t)")],
    # NOT_WRITES: in-place methods that change no data
    *[(f"a = np.arange(6.0).reshape(2, 3)\nt = torch.from_numpy(a)\nkept = a.copy()\nt.{call}\n"
       "changed = not np.array_equal(a, kept)\n", [], "ok") for call in (
        "requires_grad_()", "share_memory_()", "detach_()", "squeeze_()", "unsqueeze_(0)", "t_()", "transpose_(0, 1)",
        "swapdims_(0, 1)", "swapaxes_(0, 1)", "as_strided_((3, 2), (1, 3))", "resize_(2, 3)",
        "resize_as_(torch.zeros(2, 3))")],
    # CONVERSIONS: torch.asarray shares like as_tensor, unless it copies
    ("a = np.zeros(3)\nt = torch.asarray(a)\nt += 1\nchanged = a.sum() > 0\n", ["NTL401"], "changed"),
    ("a = np.zeros(3)\nt = torch.asarray(a, copy=True)\nt += 1\nchanged = a.sum() > 0\n", [], "ok"),
]


@pytest.mark.parametrize("code, codes, outcome", SNIPPETS, ids=[c.replace("\n", " ")[:70] for c, _, _ in SNIPPETS])
def test_engine_findings(code: str, codes: List[str], outcome: str) -> None:
    assert lint_codes(code) == codes


@pytest.mark.parametrize("code, codes, outcome", SNIPPETS, ids=[c.replace("\n", " ")[:70] for c, _, _ in SNIPPETS])
def test_installed_snippets_do_what_the_findings_say(code: str, codes: List[str], outcome: str, tmp_path: Path) -> None:
    import torch

    namespace: Dict[str, Any] = {}
    exec(PRELUDE, namespace)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(textwrap.dedent(code), namespace)
    except RuntimeError as error:
        assert outcome == "grad" and "Can't call numpy() on Tensor that requires grad" in str(error)
        return
    finally:
        torch.set_grad_enabled(True)
    assert outcome != "grad", "expected the numpy() error"
    assert bool(namespace.get("changed", False)) is (outcome == "changed")


def test_np_mean_of_one_tensor_is_no_conversion() -> None:
    """np.mean(t) calls t.mean(axis=None, ...): a TypeError, not the numpy() error NTL201 quotes."""
    import torch

    import numpy as np

    for name in ("sum", "prod", "max", "min", "amax", "amin", "mean", "std", "var", "moveaxis", "rollaxis",
                 "concatenate"):
        args = {"moveaxis": (0, 1), "rollaxis": (1,)}.get(name, ())
        assert lint_codes(f"y = np.{name}(net(x){''.join(', ' + str(a) for a in args)})\n") == [], name
        with pytest.raises(TypeError):
            getattr(np, name)(torch.randn(3, 2, requires_grad=True), *args)


def test_a_float_cast_keeps_the_graph_and_an_integer_cast_leaves_it() -> None:
    """FLOAT_DTYPES: a cast to any float dtype (bfloat16 too) keeps requires_grad."""
    import torch

    out = torch.nn.Linear(3, 2)(torch.randn(4, 3))
    for cast in ("half", "bfloat16", "double", "float"):
        assert engine_value(f"net(x).{cast}()").requires_grad is Tri.YES, cast
        assert getattr(out, cast)().requires_grad, cast
    assert engine_value("net(x).long()").requires_grad is Tri.NO
    assert not out.long().requires_grad


def test_numpy_1_rows_are_absent_from_numpy_2() -> None:
    """Rows kept for NumPy 1 code: ndarray.itemset and np.float_ are gone from NumPy 2."""
    import numpy as np

    assert engine_value("np.zeros(2, dtype=np.float_)").dtype == "float64"
    assert lint_codes("a = np.zeros(3)\nt = torch.from_numpy(a)\na.itemset(0, 1.0)\nprint(t)\n") == ["NTL401"]
    if int(np.__version__.split(".")[0]) >= 2:
        assert not hasattr(np.ndarray, "itemset") and not hasattr(np, "float_")


def test_text_readers(tmp_path: Path) -> None:
    """loadtxt/genfromtxt take their dtype by position too."""
    for expression, dtype in (("np.loadtxt(io.StringIO('1 2'), np.float32)", "float32"),
                              ("np.genfromtxt(io.StringIO('1 2'), np.float32)", "float32")):
        assert engine_value(expression).dtype == dtype
        assert dtype_name(run_value(expression, tmp_path)) == dtype
    assert io  # the readers read from io.StringIO


# --- ranks -------------------------------------------------------------------------------------

#: NUMPY_BATCHING_MAKERS: a list of arrays of one rank stacked along a new axis (NTL103 needs the
#: rank of a target); concatenation keeps the rank, so it is not one of them.
RANKS: List[Tuple[str, int]] = [
    ("np.stack([np.zeros((2, 3)), np.ones((2, 3))])", 3),
    ("np.array([np.zeros(3), np.ones(3)])", 2),
    ("np.asarray([np.zeros((2, 2), dtype=np.uint8), np.zeros((2, 2), dtype=np.uint8)])", 3),
    ("np.array([1.0, 2.0])", 1),
]


@pytest.mark.parametrize("expression, rank", RANKS, ids=[e for e, _ in RANKS])
def test_engine_knows_the_rank(expression: str, rank: int) -> None:
    assert engine_value(expression).ndim == rank


@pytest.mark.parametrize("expression, rank", RANKS, ids=[e for e, _ in RANKS])
def test_installed_numpy_gives_that_rank(expression: str, rank: int, tmp_path: Path) -> None:
    assert run_value(expression, tmp_path).ndim == rank


def test_concatenation_rank_stays_unknown() -> None:
    assert engine_value("np.concatenate([np.zeros((2, 3)), np.ones((2, 3))])").ndim is None
