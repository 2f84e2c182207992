"""The typed fix a finding carries: what to edit, where, with which arguments, how safe.

A rule decides, once and from engine facts, that a fix applies and builds it with
one of the constructors below; the LibCST side (``transforms``) only finds the
target by its position and writes the edit. This module imports neither LibCST
nor anything that does: a cached run reads fixes back without loading them.

Safety classes as in ruff: a safe fix keeps what the code means wherever it
already worked and applies with ``--fix``; an unsafe one may change behaviour and
needs ``--unsafe-fixes`` as well.
"""
from __future__ import annotations

import enum
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

from ..engine.values import Site


class Safety(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


class FixKind(str, enum.Enum):
    """A fix by the name the command shows (JSON ``fix.name``)."""

    DETACH_CPU = "detach-cpu"  # t.numpy() -> t.detach().cpu().numpy()
    COPY_ARGUMENT = "copy-argument"  # torch.from_numpy(a[::-1]) -> torch.from_numpy(a[::-1].copy())
    DETACH_CLONE = "detach-clone"  # torch.tensor(t) -> t.detach().clone()
    STACK_ARRAYS = "stack-arrays"  # torch.tensor([a, b]) -> torch.from_numpy(np.stack([a, b]))
    # model(torch.tensor(a)) -> model(torch.tensor(a, dtype=torch.float32)): the float64 call raised,
    # so nothing that worked changes.
    FLOAT32_MODEL_INPUT = "float32-model-input"
    # loss(p, torch.tensor(a)) -> ...(a, dtype=torch.float32): float64 math that ran becomes float32 math.
    FLOAT32 = "float32"
    MAP_LOCATION = "map-location"  # torch.load(f) -> torch.load(f, map_location="cpu" or device)


class KindInfo(NamedTuple):
    codes: Tuple[str, ...]  # the rules that offer it
    safety: Safety


KINDS: Dict[FixKind, KindInfo] = {
    FixKind.DETACH_CPU: KindInfo(("NTL201", "NTL202"), Safety.SAFE),
    FixKind.COPY_ARGUMENT: KindInfo(("NTL403",), Safety.SAFE),
    FixKind.DETACH_CLONE: KindInfo(("NTL502",), Safety.SAFE),
    FixKind.STACK_ARRAYS: KindInfo(("NTL501",), Safety.SAFE),
    FixKind.FLOAT32_MODEL_INPUT: KindInfo(("NTL101",), Safety.SAFE),
    FixKind.FLOAT32: KindInfo(("NTL101",), Safety.UNSAFE),
    FixKind.MAP_LOCATION: KindInfo(("NTL302",), Safety.UNSAFE),
}

#: when two fixes target one call, the first of these applies (the other is offered again next run).
PRIORITY: Tuple[FixKind, ...] = (
    FixKind.DETACH_CPU, FixKind.COPY_ARGUMENT, FixKind.DETACH_CLONE, FixKind.MAP_LOCATION,
    FixKind.FLOAT32, FixKind.FLOAT32_MODEL_INPUT, FixKind.STACK_ARRAYS,
)


class Span(NamedTuple):
    """The node a fix edits, as ``ast`` places it: 1-based lines, 0-based UTF-8 byte columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def of(cls, site: Site) -> "Span":
        end_line, end_col = site.end
        return cls(site.line, site.col, end_line, end_col)


class Fix(NamedTuple):
    """One edit, decided by a rule. A tuple of plain values, so a cache stores it as JSON."""

    kind: FixKind
    target: Span  # a call; for DETACH_CPU the ``numpy`` name of ``t.numpy()``
    safety: Safety
    module: Optional[str] = None  # STACK_ARRAYS: the file's own name for NumPy (``np``)
    variable: Optional[str] = None  # MAP_LOCATION: the file's device variable; None: "cpu"
    dtype: Optional[str] = None  # FLOAT32*: the dtype the conversion makes
    cast_method: Optional[str] = None  # FLOAT32*: cast by this method after the call (from_numpy has no dtype=)
    replace_call: bool = False  # STACK_ARRAYS: the whole call becomes ``torch.from_numpy(np.stack(...))``

    @property
    def name(self) -> str:
        """As the command shows it: the kind, and the name it spells after a colon (``stack-arrays:np``)."""
        argument = self.module if self.kind is FixKind.STACK_ARRAYS else (
            self.variable if self.kind is FixKind.MAP_LOCATION else None)
        return f"{self.kind.value}:{argument}" if argument else self.kind.value

    @property
    def safe(self) -> bool:
        return self.safety is Safety.SAFE

    @classmethod
    def from_json(cls, data: Sequence[object]) -> "Fix":
        """Back from the cache's JSON lists (the inverse of ``json.dump`` of a Fix)."""
        kind, target, safety, *rest = data
        return cls(FixKind(kind), Span(*target), Safety(safety), *rest)  # type: ignore[arg-type, misc]


def _fix(kind: FixKind, site: Site, **arguments: object) -> Fix:
    return Fix(kind, Span.of(site), KINDS[kind].safety, **arguments)  # type: ignore[arg-type]


# -- constructors: one per kind, with the arguments it needs ------------------------------------

def detach_cpu(numpy_name: Site) -> Fix:
    """``t.numpy()`` -> ``t.detach().cpu().numpy()``; ``numpy_name`` is the method name's site."""
    return _fix(FixKind.DETACH_CPU, numpy_name)


def copy_argument(call: Site) -> Fix:
    """The first positional argument gets ``.copy()``."""
    return _fix(FixKind.COPY_ARGUMENT, call)


def detach_clone(call: Site) -> Fix:
    """``f(t)`` (one positional argument) -> ``t.detach().clone()``."""
    return _fix(FixKind.DETACH_CLONE, call)


def stack_arrays(call: Site, numpy: str, replace_call: bool) -> Fix:
    """The first positional argument becomes ``numpy.stack(...)``; with ``replace_call``, so does
    the whole call ``torch.from_numpy(numpy.stack(...))`` (the call is ``<module>.<function>(list)``)."""
    return _fix(FixKind.STACK_ARRAYS, call, module=numpy, replace_call=replace_call)


def cast(call: Site, dtype: str, safe: bool, method: Optional[str] = None) -> Fix:
    """Convert to ``dtype``: ``dtype=<module>.<dtype>`` appended to ``<module>.<function>(a)``, or, with
    ``method``, ``.<method>()`` after the call. Safe where the old dtype raised (a model input)."""
    kind = FixKind.FLOAT32_MODEL_INPUT if safe else FixKind.FLOAT32
    return _fix(kind, call, dtype=dtype, cast_method=method)


def map_location(call: Site, variable: Optional[str]) -> Fix:
    """``map_location=<variable>`` (or ``"cpu"``) appended to the call's arguments."""
    return _fix(FixKind.MAP_LOCATION, call, variable=variable)


def safety_of_rule(code: str) -> Optional[str]:
    """'safe', 'unsafe', 'safe/unsafe' (it depends on the site) or None: for `rules` and the docs."""
    kinds = {info.safety for info in KINDS.values() if code in info.codes}
    if not kinds:
        return None
    return "safe/unsafe" if len(kinds) == 2 else next(iter(kinds)).value
