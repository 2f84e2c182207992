"""From source text to the statements worth analyzing.

The engine reads Python's ``ast`` tree, which flake8 has already built for every
plugin: no second parse. Measured on real PyTorch code, a LibCST parse of the
relevant statements alone cost more than all of flake8's own checks (see the
README's Performance section), so LibCST is kept for the fixes, which need a
concrete tree, and the analysis runs on ``ast``.

Only the top-level statements that can matter are interpreted: those with a
sink or source token (a conversion, ``.numpy()``, a CUDA token, a NumPy call),
plus, to a fixed point, the statements that read what they bind and the
statements that bind what they read. The others are "opaque": the interpreter
only learns which names they bind (and forgets what it knew about them).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import FrozenSet, Iterator, List, Sequence, Set, Tuple, Union


#: a file that mentions neither is never looked at again.
PREFILTER_WORDS = ("torch", "numpy")
#: what makes a top-level statement worth parsing: a conversion, a way back to
#: NumPy, a CUDA token or a checkpoint load (NumPy names are added per file).
SEED_PATTERN = r"\.numpy\(|from_numpy|as_tensor|asarray|\btensor\(|Tensor\(|cuda|\.load\(|\.save\(|set_default_dtype|set_grad_enabled|\bDataset\b"
#: torch names that, imported bare (`from torch import from_numpy as fn`), seed too.
SOURCE_WORDS = frozenset({"from_numpy", "as_tensor", "asarray", "tensor", "Tensor", "load"})


def mentions_torch_or_numpy(text: str) -> bool:
    return any(word in text for word in PREFILTER_WORDS)


@dataclass
class Opaque:
    """A top-level statement not parsed: only the names it binds are known."""

    binds: FrozenSet[str]


@dataclass
class ImportItem:
    """A top-level import, resolved from the ``ast`` tree without LibCST."""

    bindings: Tuple[Tuple[str, str], ...]  # (local name, qualified name)


Item = Union[ast.stmt, Opaque, ImportItem]


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


def _bound_names(stmt: ast.stmt, walrus: bool = True) -> FrozenSet[str]:
    """Module-level names a statement binds. Expressions bind nothing unless ``walrus`` (a ``:=`` in it)."""
    names: Set[str] = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return frozenset({stmt.name})
    stack: List[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # their locals are not the module's
        if not walrus and isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Tuple, ast.List, ast.Starred)):
            continue  # an expression binds nothing: only targets are walked
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(local for local, _ in import_bindings(node))
        elif isinstance(node, ast.alias) and node.name == "*":
            names.add("*")
    return frozenset(names)


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without walking into expressions (imports are statements)."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, field, ()))
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            stack.extend(case.body)


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno] + [d.lineno for d in decorators])


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words_pattern(words: Set[str]) -> "re.Pattern[str]":
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"\b(?:%s)\b" % "|".join(escaped))


def plan(tree: ast.Module, lines: Sequence[str]) -> Iterator[Item]:
    """The module body as statements to interpret, opaque statements and imports."""
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
    for stmt in _statements(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qual in import_bindings(stmt):
                root = qual.split(".")[0]
                if root == "numpy" or (root == "torch" and qual.rsplit(".", 1)[-1] in SOURCE_WORDS):
                    numpy_names.add(local)
    seed = re.compile(SEED_PATTERN + (r"|\b(?:%s)\b" % "|".join(map(re.escape, sorted(numpy_names))) if numpy_names else ""))
    relevant = [False] * len(body)
    bound = [_bound_names(s, ":=" in text) for s, text in zip(body, texts)]
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

    for i, stmt in enumerate(body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield ImportItem(import_bindings(stmt))
        elif relevant[i]:
            yield stmt
        else:
            yield Opaque(bound[i])
