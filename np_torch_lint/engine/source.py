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
import sys
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

from . import api


#: a file that mentions neither is never looked at again.
PREFILTER_WORDS = ("torch", "numpy")
def _last(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def _any_of(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, set(words))))


#: torch names that, imported bare (`from torch import from_numpy as fn`), seed too:
#: the conversions (legacy constructors included) and the checkpoint loaders.
SOURCE_WORDS: FrozenSet[str] = frozenset(_last(q) for q in (*api.CONVERSIONS, *api.LOADERS))
#: what makes a top-level statement worth parsing, derived from the tables (a row added
#: there seeds here): a conversion or loader call, a way back to NumPy, a CUDA token, a
#: checkpoint save, a live view of a module's state, a default-dtype or grad-mode switch, a Dataset. NumPy names (and
#: names from the project's own modules) are added per file.
_SHARING_CONVERSIONS = {_last(q) for q, conversion in api.CONVERSIONS.items() if conversion.shares_memory}
_FOREIGN_READERS = {*map(_last, api.FOREIGN_ARRAY_READERS), *api.FOREIGN_READER_METHODS}
_SWITCHES = {_last(q) for q in (*api.DEFAULT_DTYPE_SETTERS, *api.DEFAULT_DEVICE_SETTERS,
                                *api.GRAD_SET_CONTEXTS, *api.DATASET_BASES)}
#: each alternative of ``SEED_PATTERN`` with what it needs to match: a whole word run of the text
#: (``\b``, ``\.`` and ``\(`` delimit it) or a substring. Only the alternatives whose need a text
#: meets are searched (``_seeded``): the whole alternation scanned long class texts for nothing.
_WORD, _SUBSTRING = "word", "substring"
_SEED_ALTERNATIVES: Tuple[Tuple[str, str, str], ...] = tuple(sorted({
    *((_WORD, w, r"\b%s\(" % re.escape(w)) for w in SOURCE_WORDS),
    # A conversion that shares memory seeds even uncalled (`map(torch.from_numpy, arrays)`).
    *((_SUBSTRING, w, re.escape(w)) for w in _SHARING_CONVERSIONS),
    *((_WORD, w, r"\.%s\(" % re.escape(w)) for w in api.TO_NUMPY_METHODS),
    (_SUBSTRING, api.CUDA_DEVICE_PREFIX, re.escape(api.CUDA_DEVICE_PREFIX)),
    *((_SUBSTRING, w, r"%s\w*\(" % re.escape(w)) for w in api.SAVE_CALLEE_WORDS),  # save_checkpoint( too
    *((_WORD, w, r"\.%s\(" % re.escape(w)) for w in api.SAVE_METHODS),
    *((_WORD, w, r"\.%s\(" % re.escape(w)) for w in api.STATE_VIEW_METHODS),  # a live view of the weights (NTL402)
    # other libraries reading a tensor with np.asarray: plt.plot(t), accuracy_score(y, p), f.create_dataset(data=t)
    *((_WORD, w, r"\b%s\(" % re.escape(w)) for w in _FOREIGN_READERS),
    *((_WORD, w, r"\b%s\b" % re.escape(w)) for w in _SWITCHES),
}))
SEED_PATTERN = "|".join(alternative for _, _, alternative in _SEED_ALTERNATIVES)
#: a necessary condition for ``SEED_PATTERN``, tested first because a set lookup over the
#: statement's word runs costs a fraction of the pattern's search.
_SEED_WORDS: FrozenSet[str] = frozenset(need for kind, need, _ in _SEED_ALTERNATIVES if kind == _WORD)
_SEED_SUBSTRINGS: Tuple[str, ...] = tuple(sorted({need for kind, need, _ in _SEED_ALTERNATIVES if kind == _SUBSTRING}))
_BY_WORD: Dict[str, List[str]] = {}
for _kind, _need, _alternative in _SEED_ALTERNATIVES:
    if _kind == _WORD:
        _BY_WORD.setdefault(_need, []).append(_alternative)
_BY_SUBSTRING = tuple((need, alternative) for kind, need, alternative in _SEED_ALTERNATIVES if kind == _SUBSTRING)


#: import roots that are never the project's own: the libraries the tables describe,
#: common third-party packages and the standard library.
NOT_PROJECT: FrozenSet[str] = frozenset({
    "numpy", "torch", "torchvision", "torchaudio", "PIL", "scipy", "sklearn", "pandas", "cv2", "tensorflow",
    "jax", "matplotlib", "tqdm", "transformers", "datasets", "yaml", "h5py", "wandb", "tensorboardX",
}) | frozenset(getattr(sys, "stdlib_module_names", ()))


def mentions_torch_or_numpy(text: str) -> bool:
    """The file may concern NumPy or torch: it names one, or it imports a module that may be the
    project's own (a relative import, or a root that is no known library: a Dataset subclass of the
    project's base class never says "numpy", its base does). Any other file is never looked at."""
    if any(word in text for word in PREFILTER_WORDS):
        return True
    for match in _IMPORTED_ROOT.finditer(text):
        root = match.group(1) or match.group(2)
        if root.startswith(".") or root.split(".")[0] not in NOT_PROJECT:
            return True
    return False


#: the module an import statement reads (``from X import``, ``import X``), at the start of a line.
_IMPORTED_ROOT = re.compile(r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import\b|import[ \t]+([.\w]+))", re.MULTILINE)


@dataclass
class Opaque:
    """A top-level statement not parsed: only the names it binds are known."""

    binds: FrozenSet[str]


@dataclass
class ImportItem:
    """A top-level import, resolved from the ``ast`` tree without LibCST."""

    bindings: Tuple[Tuple[str, str], ...]  # (local name, qualified name)
    star: Optional[str] = None  # ``from pkg.mod import *``: the module ("pkg.mod", ".mod" relative)


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
    elif node.module or node.level:
        # A relative import keeps its dots (``.utils.helper``): the project resolver reads them.
        prefix = "." * node.level + (f"{node.module}." if node.module else "")
        for alias in node.names:
            if alias.name != "*":
                out.append((alias.asname or alias.name, prefix + alias.name))
    return tuple(out)


def star_import(node: ast.stmt) -> Optional[str]:
    """The module a ``from ... import *`` reads, relative dots kept; None for any other statement."""
    if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
        return "." * node.level + (node.module or "")
    return None


def import_item(node: Union[ast.Import, ast.ImportFrom]) -> ImportItem:
    return ImportItem(import_bindings(node), star_import(node))


def reads_project_star(tree: ast.Module) -> bool:
    """A top-level ``from mod import *`` of a module that may be the project's own: the names it
    binds are not known from this file's text, so no statement can be left out as unrelated."""
    for stmt in tree.body:
        module = star_import(stmt)
        if module is not None and (module.startswith(".") or module.split(".")[0] not in NOT_PROJECT):
            return True
    return False


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


def statements(body: Sequence[ast.stmt], enters: Optional[Callable[[ast.stmt], bool]] = None) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without walking into expressions (imports are
    statements); with ``enters``, only the blocks of the statements it accepts are walked into."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        if enters is not None and not enters(stmt):
            continue
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
#: maximal runs of word characters: ``\bname\b`` occurs in a text exactly when ``name``
#: (all word characters) is one of its runs.
WORD_RUN = re.compile(r"\w+")


def plan(tree: ast.Module, lines: Sequence[str], memo: Optional[Dict[object, object]] = None) -> Iterator[Item]:
    """The module body as statements to interpret, opaque statements and imports.

    ``memo``: what each top-level statement's text gives (the names it binds, its words, the
    seeds it holds), kept by the caller from one version of a buffer to the next.
    """
    body = tree.body
    if not body:
        return
    spans = [(_first_line(s), s.end_lineno or s.lineno) for s in body]
    texts = ["".join(lines[start - 1:end]) for start, end in spans]
    relevant, bound = _relevant(tree, texts, memo if memo is not None else {})
    if reads_project_star(tree):
        relevant = [True] * len(body)
    for i, stmt in enumerate(body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield import_item(stmt)
        elif relevant[i]:
            yield stmt
        else:
            yield Opaque(bound[i])


class _Text(NamedTuple):
    """What one top-level statement's text gives, whatever its place in the file."""

    bound: FrozenSet[str]  # the module-level names it binds
    words: FrozenSet[str]  # its maximal runs of word characters
    identifiers: FrozenSet[str]  # its identifiers
    seeding_imports: FrozenSet[str]  # names its imports (nested ones too) bind to NumPy or a project module


def _text_facts(stmt: ast.stmt, text: str, memo: Dict[object, object]) -> _Text:
    key = ("statement", text, stmt.col_offset, stmt.end_col_offset)
    found = memo.get(key)
    if isinstance(found, _Text):
        return found
    seeding: Set[str] = set()
    for inner in statements([stmt]):
        if isinstance(inner, (ast.Import, ast.ImportFrom)):
            for local, qual in import_bindings(inner):
                root = qual.split(".")[0]
                if root == "numpy" or (root == "torch" and qual.rsplit(".", 1)[-1] in SOURCE_WORDS):
                    seeding.add(local)
                elif not root or root not in NOT_PROJECT:
                    # A name that may come from the project's own modules (relative imports have
                    # no root): its helpers may make arrays or tensors, so statements using it seed.
                    seeding.add(local)
    bound = frozenset() if isinstance(stmt, (ast.Import, ast.ImportFrom)) else _bound_names(stmt, ":=" in text)
    words = frozenset(WORD_RUN.findall(text))
    facts = _Text(bound, words, _identifiers(text, words), frozenset(seeding))
    memo[key] = facts
    return facts


def _identifiers(text: str, words: FrozenSet[str]) -> FrozenSet[str]:
    """``IDENTIFIER.findall(text)`` as a set. In ASCII text each word run is ``[A-Za-z0-9_]+``, and
    its identifier is the run without its leading digits (``1e5`` holds ``e5``): one pass fewer."""
    if not text.isascii():
        return frozenset(IDENTIFIER.findall(text))
    return frozenset(stripped for stripped in (word.lstrip("0123456789") for word in words) if stripped)


def _relevant(tree: ast.Module, texts: Sequence[str],
              memo: Dict[object, object]) -> Tuple[List[bool], Dict[int, FrozenSet[str]]]:
    """Which top-level statements to interpret, and the names each non-import statement binds.

    Seeds: statements with a sink or source token (a conversion, `.numpy()`, a CUDA
    token, a NumPy call). Then, to a fixed point: statements that read a name a
    relevant statement binds (forward: a whole word of their text), and statements
    that bind a name a relevant statement reads (backward: an identifier of its
    text; the class of `model = Net()`, the `losses = []` before a loop). Imports
    are never interpreted as statements. One worklist pass over two indexes (name
    -> statements that bind it, word -> statements that contain it), each name
    followed once: linear in the size of the file.
    """
    body = tree.body
    facts = [_text_facts(stmt, texts[i], memo) for i, stmt in enumerate(body)]
    numpy_names: Set[str] = set()
    for fact in facts:
        numpy_names |= fact.seeding_imports
    # A NumPy or project name seeds as a whole word: one of the statement's word runs. Only a name
    # with a character outside \w (a combining mark) needs a pattern of its own.
    odd_names = sorted(name for name in numpy_names if not WORD_RUN.fullmatch(name))
    odd = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, odd_names))) if odd_names else None
    candidates = [i for i, stmt in enumerate(body) if not isinstance(stmt, (ast.Import, ast.ImportFrom))]
    bound: Dict[int, FrozenSet[str]] = {i: facts[i].bound for i in candidates}
    binders: Dict[str, List[int]] = {}  # name -> candidates that bind it
    readers: Dict[str, List[int]] = {}  # word -> candidates whose text holds it as a whole word
    for i in candidates:
        for name in bound[i]:
            binders.setdefault(name, []).append(i)
        for word in facts[i].words:
            readers.setdefault(word, []).append(i)

    relevant = [False] * len(body)
    worklist = [i for i in candidates
                if _seeded(texts[i], facts[i].words, memo) or not numpy_names.isdisjoint(facts[i].words)
                or (odd is not None and odd.search(texts[i]) is not None)]
    for i in worklist:
        relevant[i] = True
    followed_reads: Set[str] = set()  # identifiers read by relevant statements, already followed
    followed_binds: Set[str] = set()  # names bound by relevant statements, already followed

    def mark(found: Iterable[int]) -> None:
        for j in found:
            if not relevant[j]:
                relevant[j] = True
                worklist.append(j)

    while worklist:
        i = worklist.pop()
        for name in facts[i].identifiers:
            if name not in followed_reads:
                followed_reads.add(name)
                mark(binders.get(name, ()))
        for name in bound[i]:
            if name == "*" or name in followed_binds:
                continue
            followed_binds.add(name)
            if WORD_RUN.fullmatch(name):
                mark(readers.get(name, ()))
            else:  # a name with a character outside \w (a combining mark): search for it as before
                pattern = re.compile(r"\b%s\b" % re.escape(name))
                mark(j for j in candidates if pattern.search(texts[j]))
    return relevant, bound


#: the alternatives a text may match (a tuple of them) -> their pattern, compiled once
_SEED_SUBSETS: Dict[Tuple[str, ...], "re.Pattern[str]"] = {}


def _seeded(text: str, words: FrozenSet[str], memo: Dict[object, object]) -> bool:
    """The text (whose word runs are ``words``) holds a sink or source token of the tables (``SEED_PATTERN``)."""
    needed = [alternative for word in words.intersection(_SEED_WORDS) for alternative in _BY_WORD[word]]
    needed += [alternative for part, alternative in _BY_SUBSTRING if part in text]
    if not needed:
        return False
    key = ("seed", text)
    found = memo.get(key)
    if not isinstance(found, bool):
        subset = tuple(sorted(set(needed)))
        pattern = _SEED_SUBSETS.get(subset)
        if pattern is None:
            pattern = _SEED_SUBSETS[subset] = re.compile("|".join(subset))
        found = memo[key] = pattern.search(text) is not None
    return found
