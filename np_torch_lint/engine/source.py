"""From source text to the parts worth parsing.

LibCST's parse costs about as much as all of flake8's own checks, so the
engine never parses a whole file. It uses Python's ``ast`` tree (which flake8
already built) to find the top-level statements that can matter: those that
mention a NumPy/torch name, a CUDA token, or a definition that does. Only
those are parsed with LibCST, in "chunks" of consecutive statements. The other
statements are "opaque": the interpreter only learns which names they bind
(and forgets what it knew about those names).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

#: a file that mentions neither is never looked at again.
PREFILTER_WORDS = ("torch", "numpy")
#: what makes a top-level statement worth parsing: a conversion, a way back to
#: NumPy, a CUDA token or a checkpoint load (NumPy names are added per file).
SEED_PATTERN = r"\.numpy\(|from_numpy|as_tensor|asarray|\btensor\(|Tensor\(|cuda|\.load\(|set_default_dtype|set_grad_enabled"
#: torch names that, imported bare (`from torch import from_numpy as fn`), seed too.
SOURCE_WORDS = frozenset({"from_numpy", "as_tensor", "asarray", "tensor", "Tensor", "load"})


def mentions_torch_or_numpy(text: str) -> bool:
    return any(word in text for word in PREFILTER_WORDS)


@dataclass
class Chunk:
    """Consecutive top-level statements parsed together with LibCST."""

    module: cst.Module
    first_line: int  # 1-based line of the chunk's first line in the file
    _positions: Optional[Dict[cst.CSTNode, CodeRange]] = field(default=None, repr=False)

    def position(self, node: cst.CSTNode) -> Optional[CodeRange]:
        # Positions are computed for a chunk only when one of its nodes is reported.
        if self._positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = dict(wrapper.resolve(PositionProvider))
        return self._positions.get(node)


@dataclass
class Opaque:
    """A top-level statement not parsed: only the names it binds are known."""

    binds: FrozenSet[str]


@dataclass
class ImportItem:
    """A top-level import, resolved from the ``ast`` tree without LibCST."""

    bindings: Tuple[Tuple[str, str], ...]  # (local name, qualified name)


Item = Union[Tuple[Chunk, Sequence[cst.BaseStatement]], Opaque, ImportItem]


def import_bindings(node: Union[ast.Import, ast.ImportFrom]) -> Tuple[Tuple[str, str], ...]:
    """Local names and the qualified names they stand for."""
    out: List[Tuple[str, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:
                # ``import torch.nn`` binds ``torch`` to the package torch.
                top = alias.name.split(".")[0]
                out.append((top, top))
    elif node.level == 0 and node.module:
        for alias in node.names:
            if alias.name != "*":
                out.append((alias.asname or alias.name, f"{node.module}.{alias.name}"))
    return tuple(out)


def _bound_names(stmt: ast.stmt) -> FrozenSet[str]:
    names: Set[str] = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return frozenset({stmt.name})
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(local for local, _ in import_bindings(node))
        elif isinstance(node, ast.alias) and node.name == "*":
            names.add("*")
    return frozenset(names)


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno] + [d.lineno for d in decorators])


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words_pattern(words: Set[str]) -> "re.Pattern[str]":
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"\b(?:%s)\b" % "|".join(escaped))


def plan(tree: ast.Module, lines: Sequence[str]) -> Iterator[Item]:
    """Split the file into chunks to parse, opaque statements and imports."""
    body = tree.body
    if not body:
        return
    spans = [(_first_line(s), s.end_lineno or s.lineno) for s in body]
    texts = ["".join(lines[start - 1:end]) for start, end in spans]

    # Seeds: statements with a sink or source token (a conversion, `.numpy()`, a
    # CUDA token, a NumPy call). Then, to a fixed point: statements that read a
    # name a relevant statement binds (forward), and statements that bind a name
    # a relevant statement reads (backward: the class of `model = Net()`, the
    # `losses = []` before a loop). Everything else stays unparsed.
    numpy_names: Set[str] = set()
    for stmt in ast.walk(tree):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qual in import_bindings(stmt):
                root = qual.split(".")[0]
                if root == "numpy" or (root == "torch" and qual.rsplit(".", 1)[-1] in SOURCE_WORDS):
                    numpy_names.add(local)
    seed = re.compile(SEED_PATTERN + (r"|\b(?:%s)\b" % "|".join(map(re.escape, sorted(numpy_names))) if numpy_names else ""))
    relevant = [False] * len(body)
    bound = [_bound_names(s) for s in body]
    words: Set[str] = set()  # names bound by relevant statements
    used: Set[str] = set()  # identifiers read by relevant statements
    pending = []
    for i, stmt in enumerate(body):
        if not isinstance(stmt, (ast.Import, ast.ImportFrom)) and seed.search(texts[i]):
            pending.append(i)
    while pending:
        for i in pending:
            relevant[i] = True
            words.update(name for name in bound[i] if name != "*")
            used.update(IDENTIFIER.findall(texts[i]))
        pattern = _words_pattern(words) if words else None
        pending = [
            i for i, stmt in enumerate(body)
            if not relevant[i] and not isinstance(stmt, (ast.Import, ast.ImportFrom))
            and (not bound[i].isdisjoint(used) or (pattern is not None and pattern.search(texts[i])))
        ]

    # Statements that share a line must be parsed together.
    for i in range(1, len(body)):
        if spans[i][0] <= spans[i - 1][1] and (relevant[i] or relevant[i - 1]):
            relevant[i] = relevant[i - 1] = True

    i = 0
    while i < len(body):
        stmt = body[i]
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and not relevant[i]:
            yield ImportItem(import_bindings(stmt))
            i += 1
        elif not relevant[i]:
            yield Opaque(_bound_names(stmt))
            i += 1
        else:
            j = i
            while j + 1 < len(body) and relevant[j + 1]:
                j += 1
            start, end = spans[i][0], spans[j][1]
            chunk_text = "".join(lines[start - 1:end])
            module = cst.parse_module(chunk_text)
            yield (Chunk(module, start), module.body)
            i = j + 1
