"""Re-analysis of an edited buffer: only the parts of the file an edit changed are walked again.

The engine walks a module's top-level statements in order, then the functions they
defined. A file is cut into *segments*, runs of consecutive top-level statements,
only where the cut is invisible to the engine:

1. a name that a statement before the cut may bind or change at module level, and
   that a statement after it mentions, is first mentioned after the cut by a plain
   assignment that rebinds it outright (``x = ...``, its only mention of ``x``; also
   inside a ``with`` block), or by loops binding it followed by such an assignment or
   by no other mention (a loop joins the old value with its own: it may not run);
2. no function, lambda or method body before the cut mentions a name (its parameters
   aside) that a statement after the cut may bind or change at module level: bodies
   are walked at the end, against the module's last values.

A statement "mentions" every name of its tree that may be looked up in the module's
names (parameters, and names a body assigns before anything else mentions them,
aside); a module-level lambda mentions "<lambda>", the name the engine keys them all
by. Imports keep their place around every segment. Each segment is walked by the
engine alone, with the whole file's plan, guard flags and checkpoint evidence, and its
reports are kept under a key: its statements' text, their lines relative to the
segment's first, which of them the plan walks, and the imports before and after it.
An edit parses again only the top-level statements it touched (``reparsed``) and walks
again the segments whose key changed; the others' reports move with their lines.

What a segment's walk reads or changes beyond it is checked after the walk, and any
doubt falls back to one analysis of the whole file (``lint.analyze``):
- guard flags (a name's single definition anywhere in the file) are recorded per
  segment and compared in each new version; a definition outside the segment: whole file;
- NTL302's checkpoint evidence (the file's and the project's saves and CUDA use): a
  segment that asked is walked again at every edit;
- global effects: a change of the module's context (``assert torch.cuda.is_available()``,
  ``torch.set_grad_enabled(False)``), an exit before other statements,
  ``set_default_dtype(torch.float64)``, a ``torch.load`` without ``map_location`` (its fix
  names a device variable of the whole module), a fix that names the module's NumPy alias,
  a checkpoint saved at module level and loaded in another segment, half of a per-file walk
  budget spent (a whole walk may spend a little more: a margin, not a proof), project files
  that import this one (their calls reach functions of several segments): whole file;
- the project modules a segment read: their stamps (size and mtime, or the editor's
  version of an open buffer) must be unchanged.

``tests/test_incremental.py`` compares the reports (and the tree) with a whole-file
analysis over random edits of the fixtures. Known gap: the engine keys a flag test's
condition by the ``id`` of the flag's value, which a later segment's value may reuse
once the first is freed; a whole walk could then move an earlier segment's values to
the CPU under that segment's test. No test has met it.
"""
from __future__ import annotations

import ast
import re
from typing import Callable, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Set, Tuple, TypeVar

from .engine import FREEZING, AnalysisError, installed_package, interpret, mentions_torch_or_numpy, parse
from .engine.callers import importing_files
from .engine.events import Context, Load
from .engine.evidence import CheckpointEvidence
from .engine.freezing import freeze_scopes
from .engine.functions import CALL_BUDGET
from .engine.guards import GuardFlags, binding_facts
from .engine.interpreter import LOOP_BUDGET, Interpreter
from .engine.project import Project, Stamp, stamp_is_current
from .engine.source import NOT_PROJECT, ImportItem, Item, Opaque, _bound_names, _first_line, plan
from .findings import Report
from .fixes.model import Span
from .lint import analyze

__all__ = ["IncrementalAnalysis", "AnalysisError"]

#: bound by a segment's walk right after its own statements: absent, the walk exited there.
SENTINEL = "<end of segment>"
#: the name the engine gives a lambda defined at module level (as it keys call sites and saves)
LAMBDA = "<lambda>"
_PLACEHOLDER = re.compile("\x00(-?[0-9]+)\x00")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class Facts(NamedTuple):
    """What the cut rules need of one top-level statement (a function of its text and columns)."""

    mentions: FrozenSet[str]  # names it may read or change in the module's names, now or when its bodies are walked
    binds: FrozenSet[str]  # module-level names it binds (as the plan counts them)
    touches: FrozenSet[str]  # names used at module level (outside function bodies): it may change them
    writes: Dict[str, str]  # names it binds without reading their old value: STRONG or WEAK (see _flow)
    deferred: FrozenSet[str]  # names function and lambda bodies use, their parameters aside
    imports: Tuple[Tuple[str, str], ...]  # an import's bindings (local name, qualified name); ("*", module): a star
    is_import: bool


class SegmentResult(NamedTuple):
    reports: Tuple[Report, ...]  # lines relative to the segment's first; cited lines as placeholders
    dependencies: Tuple[Stamp, ...]
    flags: Tuple[Tuple[Tuple[str, str], Optional[str]], ...]  # (("definition"|"option", name), ast.dump)
    volatile: bool  # read the whole file's checkpoint evidence, or cited a line outside itself: not kept
    effect: str  # why it reaches beyond itself ("": it does not)
    loops_used: int
    calls_used: int
    saves: FrozenSet[Optional[str]]  # functions (None: module level) that saved a checkpoint
    loads: FrozenSet[Optional[str]]  # functions (None: module level) that loaded one


class _Version:
    """One text of the buffer: its tree, plan and the whole file's facts."""

    def __init__(self, text: str, tree: ast.Module, lines: Sequence[str], filename: Optional[str],
                 memo: Dict[object, object]) -> None:
        self.text = text
        self.tree = tree
        self.lines = lines
        self.filename = filename
        self.memo = memo  # per statement text: the plan's facts, the cut rules' facts, guard flag facts
        self.items: List[Item] = list(plan(tree, lines, memo))
        body = tree.body
        self.first_lines = [_first_line(stmt) for stmt in body]
        self.end_lines = [stmt.end_lineno or stmt.lineno for stmt in body]
        self.texts = ["".join(lines[first - 1:end]) for first, end in zip(self.first_lines, self.end_lines)]
        self.keys = [(text, stmt.col_offset, stmt.end_col_offset or 0) for text, stmt in zip(self.texts, body)]
        self.walrus = ":=" in text
        self.flags = GuardFlags(tree, walrus=self.walrus)  # built when a walk first asks
        real_file = filename if filename and filename not in ("-", "stdin") else None
        self.checkpoints = CheckpointEvidence(text, tree, real_file)
        self._definitions: Optional[Dict[str, Optional[str]]] = None

    def statement_key(self, index: int) -> Tuple[str, int, int]:
        """What a statement's facts depend on: its text and columns (two statements may share a line)."""
        return self.keys[index]

    def definition_fingerprint(self, name: str) -> Optional[str]:
        """``ast.dump`` of ``GuardFlags.definition(name)``, from each statement's binding facts (kept per text)."""
        if self._definitions is None:
            counts: Dict[str, int] = {}
            values: Dict[str, str] = {}
            for index, stmt in enumerate(self.tree.body):
                key = ("flags", self.walrus, *self.statement_key(index))
                found = self.memo.get(key)
                if not isinstance(found, tuple):
                    own_counts, own_values, _ = binding_facts(stmt, self.walrus)
                    found = self.memo[key] = (own_counts, {n: ast.dump(v) for n, v in own_values.items()})
                for bound, count in found[0].items():
                    counts[bound] = counts.get(bound, 0) + count
                values.update(found[1])
            self._definitions = {n: values.get(n) for n, count in counts.items() if count == 1}
        return self._definitions.get(name)


class IncrementalAnalysis:
    """The analysis of one document, version after version (the language server keeps one per buffer)."""

    def __init__(self) -> None:
        self._segments: Dict[Tuple[object, ...], SegmentResult] = {}
        self._facts: Dict[Tuple[str, int, int, bool], Facts] = {}
        self._memo: Dict[object, object] = {}
        self._previous: Optional[Tuple[List[str], ast.Module]] = None  # the last parsed version: lines, tree
        self._imports: Dict[Tuple[Tuple[str, int, int], ...], int] = {}
        self._imports_made = 0
        self.walked = 0  # segments walked by the last analysis (tests, the benchmark)
        self.reused = 0  # segments whose reports were reused
        self.fallback = ""  # why the last analysis was of the whole file ("": it was not)

    def analyze(self, text: str, lines: Sequence[str], filename: Optional[str] = None,
                dependencies: Optional[List[Stamp]] = None,
                cite_line: Optional[Callable[[int], str]] = None) -> List[Report]:
        """What ``lint.analyze(text, lines=lines, filename=filename, ...)`` reports, exactly."""
        self.walked = self.reused = 0
        self.fallback = ""
        if not mentions_torch_or_numpy(text):
            return []
        tree = self._parse(text, lines)
        if len(self._memo) > 8 * len(tree.body) + 64:
            self._memo = {}  # texts of versions long gone
        version = _Version(text, tree, lines, filename, self._memo)
        spans = self._segments_of(version)
        whole = self._whole_file_reason(version, spans)
        if whole:
            return self._whole(version, whole, dependencies, cite_line)
        results: List[Tuple[int, SegmentResult]] = []
        kept: Dict[Tuple[object, ...], SegmentResult] = {}
        # The import statements' texts (and columns): what the plan's ImportItems are made of.
        imports = tuple(key for key, item in zip(version.keys, version.items) if isinstance(item, ImportItem))
        if imports not in self._imports:
            self._imports = {imports: self._imports_made}  # one import sequence at a time, numbered
            self._imports_made += 1
        before = [0]  # import statements before each statement
        for item in version.items:
            before.append(before[-1] + isinstance(item, ImportItem))
        # a whole-file fact: parameters frozen anywhere, or only some classes' own (engine.freezing)
        frozen = freeze_scopes(version.tree) if FREEZING.search(text) is not None else None
        for start, end in spans:
            key = (filename, frozen, self._imports[imports], before[start],
                   _statements_key(version, start, end))
            result = self._segments.get(key)
            if result is not None and _still_valid(result, version):
                self.reused += 1
            else:
                result = _walk_segment(version, start, end)
                self.walked += 1
            if not result.volatile:
                kept[key] = result
            results.append((version.first_lines[start], result))
        self._segments = kept  # only this version's: memory stays the size of one file's results
        reason = _combined_effect([result for _, result in results])
        if reason:
            return self._whole(version, reason, dependencies, cite_line)
        cite = cite_line if cite_line is not None else (lambda line: f"line {line}")
        reports: List[Report] = []
        for base, result in results:
            reports.extend(_placed(report, base, cite) for report in result.reports)
            if dependencies is not None:
                dependencies.extend(result.dependencies)
        reports.sort(key=lambda r: (r.line, r.col, r.code))
        return reports

    def _parse(self, text: str, lines: Sequence[str]) -> ast.Module:
        """The text's tree: the last version's statements the edit did not touch, the rest parsed again."""
        previous, self._previous = self._previous, None
        tree = reparsed(previous[0], previous[1], lines) if previous is not None else None
        if tree is None:
            tree = parse(text)
        self._previous = (list(lines), tree)
        return tree

    def _whole(self, version: _Version, reason: str, dependencies: Optional[List[Stamp]],
               cite_line: Optional[Callable[[int], str]]) -> List[Report]:
        self.fallback = reason
        return analyze(version.text, version.tree, version.lines, filename=version.filename,
                       dependencies=dependencies, cite_line=cite_line)

    def _whole_file_reason(self, version: _Version, spans: List[Tuple[int, int]]) -> str:
        if len(spans) < 2:
            return "one segment"
        filename = version.filename
        if filename and filename not in ("-", "stdin") and not installed_package(filename):
            if importing_files(Project(filename)):
                return "project files import this one"
        return ""

    def _segments_of(self, version: _Version) -> List[Tuple[int, int]]:
        facts: List[Facts] = []
        fresh: Dict[Tuple[str, int, int, bool], Facts] = {}
        for index, stmt in enumerate(version.tree.body):
            is_import = isinstance(stmt, (ast.Import, ast.ImportFrom))
            key = (*version.statement_key(index), is_import)
            found = self._facts.get(key)
            if found is None:
                found = _facts(stmt)
            fresh[key] = found
            facts.append(found)
        self._facts = fresh
        return segments(facts)


# -- parsing what changed ----------------------------------------------------------------------------

def reparsed(old_lines: Sequence[str], old_tree: ast.Module, lines: Sequence[str]) -> Optional[ast.Module]:
    """The tree of ``lines`` made from ``old_tree`` (of ``old_lines``, moved in place: it is not valid after),
    or None when only a parse of the whole text can tell (``ast.parse`` of the text gives an equal tree).

    The top-level statements that lie wholly before the first changed line or wholly after the last
    are kept (those after moved by the change in line count); the lines between them are parsed alone.
    They start after a complete top-level statement and end before one, so their tokens are the same
    in the whole text: if they parse alone, the whole text parses into the kept statements around
    theirs. Anything else (a line that would continue a kept statement, a string left open) does not
    parse alone, and the whole text is parsed.
    """
    old_count, count = len(old_lines), len(lines)
    limit = min(old_count, count)
    same_start = 0
    while same_start < limit and old_lines[same_start] == lines[same_start]:
        same_start += 1
    same_end = 0
    while same_end < limit - same_start and old_lines[old_count - 1 - same_end] == lines[count - 1 - same_end]:
        same_end += 1
    first_changed, last_changed = same_start + 1, old_count - same_end  # 1-based, in the old lines
    body = old_tree.body
    before = [stmt for stmt in body if (stmt.end_lineno or stmt.lineno) < first_changed]
    after = [stmt for stmt in body if _first_line(stmt) > last_changed]
    start = (before[-1].end_lineno or before[-1].lineno) + 1 if before else 1  # first line parsed again
    shift = count - old_count
    end = (_first_line(after[0]) if after else old_count + 1) - 1 + shift  # last line parsed again (new lines)
    chunk = "".join(lines[start - 1:end])
    if "barry_as_FLUFL" in chunk or any("barry_as_FLUFL" in line for line in lines[:start - 1]):
        return None  # the one __future__ import that changes how the rest parses
    try:
        middle = ast.parse(chunk)
    except (SyntaxError, ValueError):
        return None
    if start > 1:
        ast.increment_lineno(middle, start - 1)
    if shift:
        for stmt in after:
            ast.increment_lineno(stmt, shift)
    return ast.Module(body=[*before, *middle.body, *after], type_ignores=[])


# -- the cut rules ----------------------------------------------------------------------------------

def segments(facts: Sequence[Facts]) -> List[Tuple[int, int]]:
    """The statements' runs ``[start, end)`` between the cuts the rules of the module docstring allow."""
    count = len(facts)
    if count == 0:
        return []
    changeable = _changeable(facts)
    mentions: Dict[str, List[int]] = {}
    writers: Dict[str, List[int]] = {}
    first_deferred: Dict[str, int] = {}
    for index, fact in enumerate(facts):
        for name in fact.mentions:
            mentions.setdefault(name, []).append(index)
        if not fact.is_import:
            for name in fact.binds | (fact.touches if changeable is None else fact.touches & changeable):
                writers.setdefault(name, []).append(index)
            for name in fact.deferred:
                first_deferred.setdefault(name, index)
    refused = [0] * (count + 2)  # difference array over the cuts: cut c lies before statement c

    def refuse(after: int, upto: int) -> None:
        """Refuse the cuts c with after < c <= upto."""
        if after < upto:
            refused[after + 1] += 1
            refused[upto + 1] -= 1

    for name, written in writers.items():
        mentioned = mentions[name]  # sorted; every writer mentions the name
        # independent[k]: from mention k on, nothing reads the value the name had before it
        # (an outright binding, or loops' bindings up to one, or to the end).
        independent = [False] * len(mentioned)
        for k in range(len(mentioned) - 1, -1, -1):
            effect = facts[mentioned[k]].writes.get(name)
            independent[k] = effect == STRONG or (effect == WEAK and (k + 1 == len(mentioned) or independent[k + 1]))
        for k in range(1, len(mentioned)):
            if mentioned[k - 1] >= written[0] and not independent[k]:
                refuse(mentioned[k - 1], mentioned[k])  # rule 1: read after the cut, written before it
        deferred = first_deferred.get(name)
        if deferred is not None and deferred < written[-1]:
            refuse(deferred, written[-1])  # rule 2: a body before the cut reads what a later statement writes
    spans: List[Tuple[int, int]] = []
    start = 0
    running = 0
    for cut in range(1, count):
        running += refused[cut]
        if running == 0:
            spans.append((start, cut))
            start = cut
    spans.append((start, count))
    return spans


def _changeable(facts: Sequence[Facts]) -> Optional[Set[str]]:
    """Names whose value in the module's names a statement may change: those some statement binds, and
    those imported from the project (a project module's dict or list). A name bound nowhere (a builtin)
    or only by imports of libraries (NumPy, torch, the standard library: API names, whose calls are API
    calls) keeps its value whatever a statement does with it. None: any name may (a star import from
    the project binds names no statement spells)."""
    changeable: Set[str] = set()
    for fact in facts:
        if fact.is_import:
            for local, qualname in fact.imports:
                root = qualname.split(".")[0]
                if not root or root not in NOT_PROJECT:
                    if local == "*":
                        return None
                    changeable.add(local)
        else:
            changeable |= fact.binds
    return changeable


def _facts(stmt: ast.stmt) -> Facts:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        from .engine.source import import_bindings

        bindings = import_bindings(stmt)
        names = frozenset(local for local, _ in bindings)
        if isinstance(stmt, ast.ImportFrom) and any(alias.name == "*" for alias in stmt.names):
            bindings += (("*", "." * stmt.level + (stmt.module or "")),)  # binds names no statement spells
        return Facts(names, names, frozenset(), {}, frozenset(), bindings, True)
    touches: Set[str] = set()
    deferred: Set[str] = set()
    stack: List[Tuple[ast.AST, Optional[FrozenSet[str]]]] = [(stmt, None)]  # (node, parameters in scope; None: module)
    while stack:
        node, parameters = stack.pop()
        if isinstance(node, _FUNCTIONS):
            arguments = node.args
            own = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
            own |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
            body = node.body if isinstance(node.body, list) else [node.body]
            # Parameters, and names the body's own first mention assigns outright, are found in the
            # function's frame: never read from the module.
            inner = (parameters or frozenset()) | frozenset(own) | _local_first(body)
            # Decorators and defaults run where the function is defined; annotations and the body when it is walked.
            for outer in (*getattr(node, "decorator_list", ()), *arguments.defaults,
                          *(d for d in arguments.kw_defaults if d is not None)):
                stack.append((outer, parameters))
            annotations = [a.annotation for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                                  arguments.vararg, arguments.kwarg) if a is not None and a.annotation]
            returns = getattr(node, "returns", None)
            for inside in (*annotations, *([returns] if returns is not None else []), *body):
                stack.append((inside, inner))
            continue
        if isinstance(node, ast.Name):
            if parameters is None:
                touches.add(node.id)
            elif node.id not in parameters:
                deferred.add(node.id)
        stack.extend((child, parameters) for child in ast.iter_child_nodes(node))
    # Names bound without a Name node: `except E as e`, `global g`, a match pattern's captures.
    unnamed = {name for node in ast.walk(stmt) for name in _names_of(node)}
    binds = _bound_names(stmt, walrus=True) | unnamed
    if _module_lambda(stmt):
        # Its functions are all named "<lambda>" (call sites, checkpoint saves are kept by that name):
        # two statements with one are never cut apart.
        binds |= {LAMBDA}
    mentions = frozenset(binds | touches | deferred)
    writes = {name: effect for name, effect in _effect(stmt).items() if effect != READ}
    return Facts(mentions, binds, frozenset(touches), writes, frozenset(deferred), (), False)


def _module_lambda(stmt: ast.stmt) -> bool:
    """A lambda the module's walk defines (not inside a function: those are named after it)."""
    stack: List[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend([*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)])
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _names_of(node: ast.AST) -> Tuple[str, ...]:
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return tuple(node.names)
    if isinstance(node, ast.ExceptHandler) or type(node).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
        name = getattr(node, "rest" if type(node).__name__ == "MatchMapping" else "name", None)
        return (name,) if isinstance(name, str) else ()
    return ()


#: how a statement (or block) meets a name: it binds it without reading the old value, outright
#: (STRONG) or joined with the old value afterwards (WEAK: a loop's names, the loop may not run);
#: or it may read the old value (READ).
STRONG, WEAK, READ = "strong", "weak", "read"


def _flow(body: Sequence[ast.AST], first: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Each name a block mentions, and how the block as a whole meets its old value."""
    state: Dict[str, str] = dict(first or {})
    for stmt in body:
        for name, effect in _effect(stmt).items():
            before = state.get(name)
            if before is None:
                state[name] = effect
            elif before == WEAK:
                state[name] = effect  # STRONG: the old value is gone; WEAK: still joined; READ: reads the join
            # after STRONG the old value is gone for good; after READ the block depends on it
    return state


def _effect(stmt: ast.AST) -> Dict[str, str]:
    """How one statement meets each name it mentions (see ``_flow``)."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and getattr(stmt, "value", None) is not None:
        targets = list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]
        counts = _name_counts(stmt)
        effects = dict.fromkeys(counts, READ)
        for name in _direct_names(targets):
            if counts.get(name) == 1:
                effects[name] = STRONG
        return effects
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        # One branch, no join: the body's names replace the block's.
        effects = _flow(stmt.body)
        for item in stmt.items:
            effects.update(dict.fromkeys(_name_counts(item), READ))
        return effects
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        header: List[ast.AST] = [stmt.iter] if not isinstance(stmt, ast.While) else [stmt.test]
        bound = {} if isinstance(stmt, ast.While) else dict.fromkeys(_direct_names([stmt.target]), STRONG)
        inside = _flow(stmt.body, bound)
        effects = {name: (WEAK if effect != READ else READ) for name, effect in inside.items()}
        if not isinstance(stmt, ast.While):
            effects.update({name: READ for name in _name_counts(stmt.target) if name not in bound})
        for part in (*header, *stmt.orelse):
            effects.update(dict.fromkeys(_name_counts(part), READ))
        return effects
    return dict.fromkeys(_name_counts(stmt), READ)


def _direct_names(targets: Sequence[ast.expr]) -> List[str]:
    direct: List[str] = []
    stack = list(targets)
    while stack:
        target = stack.pop()
        if isinstance(target, ast.Name):
            direct.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            stack.extend(target.elts)
        elif isinstance(target, ast.Starred):
            stack.append(target.value)
    return direct


def _local_first(body: Sequence[ast.AST]) -> FrozenSet[str]:
    """Names a function body binds before it could read them: found in its own frame, never the module's."""
    return frozenset(name for name, effect in _flow(body).items() if effect != READ)


def _name_counts(stmt: ast.AST) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


# -- one segment -----------------------------------------------------------------------------------

def _statements_key(version: _Version, start: int, end: int) -> Tuple[object, ...]:
    """The segment's statements: lines relative to its first, columns, text, and how the plan walks each."""
    base = version.first_lines[start]
    body = version.tree.body
    return tuple((version.first_lines[i] - base, body[i].col_offset, body[i].end_col_offset, version.texts[i],
                  _kind(version.items[i])) for i in range(start, end))


def _kind(item: Item) -> str:
    return "import" if isinstance(item, ImportItem) else ("opaque" if isinstance(item, Opaque) else "walked")


def _walk_segment(version: _Version, start: int, end: int) -> SegmentResult:
    base = version.first_lines[start]
    last = version.end_lines[end - 1]
    items: List[Item] = [item for item in version.items[:start] if isinstance(item, ImportItem)]
    items += version.items[start:end]
    items.append(Opaque(frozenset({SENTINEL})))
    items += [item for item in version.items[end:] if isinstance(item, ImportItem)]
    flags = _RecordingFlags(version.flags)
    checkpoints = _WatchedCheckpoints(version.checkpoints)
    walked: List[Interpreter] = []
    loads: Set[Optional[str]] = set()
    effects: List[str] = []

    def engine(emit: Callable[[object], None]) -> Interpreter:
        def record(event: object) -> None:
            if isinstance(event, Load):
                loads.add(event.context.function)
                if not event.map_location:
                    effects.append("a torch.load without map_location (its fix names a module-level device)")
            emit(event)

        interpreter = interpret(version.text, version.tree, version.lines, record, version.filename, items=items,
                                guard_flags=flags, checkpoints=checkpoints, callers=False)
        walked.append(interpreter)
        return interpreter

    cited: List[int] = []

    def cite(line: int) -> str:
        cited.append(line)
        return f"\x00{line - base}\x00"

    dependencies: List[Stamp] = []
    reports = analyze(version.text, version.tree, version.lines, filename=version.filename,
                      dependencies=dependencies, cite_line=cite, engine=engine)
    interpreter = walked[0]
    module = interpreter.module_frame
    if SENTINEL not in module.env and end < len(version.tree.body):
        effects.append("an exit at module level")
    if module.context != Context():
        effects.append("a change of the module's context")
    if interpreter.default_float64:
        effects.append("torch.set_default_dtype(torch.float64)")
    if any(r.fix is not None and (r.fix.module is not None or r.fix.variable is not None) for r in reports):
        effects.append("a fix naming a module-level name")
    for node in flags.read.values():
        if node is not None and not base <= getattr(node, "lineno", 0) <= last:
            effects.append("a guard flag defined in another segment")
    fingerprints = tuple((key, ast.dump(node) if node is not None else None) for key, node in flags.read.items())
    volatile = checkpoints.touched or flags.asked_imported or any(not base <= line <= last for line in cited)
    return SegmentResult(
        reports=tuple(_relative(report, -base) for report in reports), dependencies=tuple(dependencies),
        flags=fingerprints, volatile=volatile, effect="; ".join(dict.fromkeys(effects)),
        loops_used=LOOP_BUDGET - interpreter._loop_budget, calls_used=CALL_BUDGET - interpreter.functions._call_budget,
        saves=frozenset(interpreter.saving_functions), loads=frozenset(loads))


def _still_valid(result: SegmentResult, version: _Version) -> bool:
    """A kept result holds for this version: the flags it read and the files it rests on are unchanged."""
    for (kind, name), fingerprint in result.flags:
        if kind == "definition":
            now = version.definition_fingerprint(name)
        else:
            node: Optional[ast.expr]
            if kind == "option":
                node = version.flags.option_default(name)
            elif kind == "class constant":
                node = version.flags.class_constant(name)
            else:
                node = version.flags.read_only_dict(name)
            now = ast.dump(node) if node is not None else None
        if now != fingerprint:
            return False
    return all(stamp_is_current(stamp) for stamp in result.dependencies)


def _combined_effect(results: Sequence[SegmentResult]) -> str:
    """Why the segments' walks may differ from one walk of the whole file ("": they do not)."""
    for result in results:
        if result.effect:
            return result.effect
    # A walk of the whole file spends them too; a loop binding a name an earlier segment bound may take
    # another pass there (its head joins the old value), so half of each budget is the margin.
    if 2 * sum(r.loops_used for r in results) >= LOOP_BUDGET or 2 * sum(r.calls_used for r in results) >= CALL_BUDGET:
        return "the file's walk budgets"
    savers: Dict[Optional[str], int] = {}  # function -> segments that saved in it
    for result in results:
        for function in result.saves:
            savers[function] = savers.get(function, 0) + 1
    for result in results:
        if any(savers.get(function, 0) > (function in result.saves) for function in result.loads):
            return "a checkpoint saved in one segment and loaded in another"
    return ""


def _relative(report: Report, shift: int, message: Optional[str] = None) -> Report:
    fix = report.fix
    if fix is not None:
        target = fix.target
        fix = fix._replace(target=Span(target.line + shift, target.col, target.end_line + shift, target.end_col))
    return Report(line=report.line + shift, col=report.col, code=report.code,
                  message=report.message if message is None else message,
                  end_line=report.end_line + shift, end_col=report.end_col, fix=fix)


def _placed(report: Report, base: int, cite: Callable[[int], str]) -> Report:
    message = report.message
    if "\x00" in message:
        message = _PLACEHOLDER.sub(lambda match: cite(int(match.group(1)) + base), message)
    return _relative(report, base, message)


_Answer = TypeVar("_Answer", bound=Optional[ast.expr])


class _RecordingFlags(GuardFlags):
    """The whole file's guard flags, recording what one segment's walk asked of them.

    Every question whose answer rests on the whole file is passed on to the shared flags and
    recorded, so that a kept result is re-checked against the next version (``_still_valid``);
    an unanswered one (the base class's, with no tree) would make a segment's walk see less
    than a walk of the whole file. A flag imported from a project module rests on another
    file and on this file's imports: the segment is then walked again at every version."""

    def __init__(self, shared: GuardFlags) -> None:
        super().__init__(None)
        self._shared = shared
        self.read: Dict[Tuple[str, str], Optional[ast.expr]] = {}
        self.asked_imported = False

    def definition(self, name: str) -> Optional[ast.expr]:
        return self._recorded("definition", name, self._shared.definition(name))

    def option_default(self, attr: str) -> Optional[ast.expr]:
        return self._recorded("option", attr, self._shared.option_default(attr))

    def class_constant(self, attr: str) -> Optional[ast.Constant]:
        return self._recorded("class constant", attr, self._shared.class_constant(attr))

    def read_only_dict(self, name: str) -> Optional[ast.Dict]:
        return self._recorded("read-only dict", name, self._shared.read_only_dict(name))

    def imported_constant(self, node: ast.expr) -> Optional[ast.Constant]:
        self.asked_imported = True
        self._shared.imported = self.imported
        return self._shared.imported_constant(node)

    def _recorded(self, kind: str, name: str, found: _Answer) -> _Answer:
        self.read[(kind, name)] = found
        return found


class _WatchedCheckpoints(CheckpointEvidence):
    """The whole file's checkpoint evidence, noting that a segment's walk asked (``WATCHED`` is every question)."""

    WATCHED = ("file_uses_cuda", "project_uses_cuda", "saves_read_by", "saves_on_cpu", "loads_weights",
               "loads_tensorless_state", "process_groups_need_cuda")

    def __init__(self, shared: CheckpointEvidence) -> None:  # noqa: D107 - the shared one holds the state
        self._shared = shared
        self.touched = False
        self.dependencies: List[Stamp] = []

    def _ask(self, question: str, *arguments: object) -> object:
        self.touched = True
        before = len(self._shared.dependencies)
        answer = getattr(self._shared, question)(*arguments)
        self.dependencies.extend(self._shared.dependencies[before:])
        return answer

    def file_uses_cuda(self) -> bool:
        return bool(self._ask("file_uses_cuda"))

    def project_uses_cuda(self) -> bool:
        return bool(self._ask("project_uses_cuda"))

    def saves_read_by(self, load: ast.AST) -> Optional[bool]:
        answer = self._ask("saves_read_by", load)
        return None if answer is None else bool(answer)

    def saves_on_cpu(self) -> bool:
        return bool(self._ask("saves_on_cpu"))

    def loads_weights(self, load: ast.AST) -> bool:
        return bool(self._ask("loads_weights", load))

    def loads_tensorless_state(self, load: ast.AST) -> bool:
        return bool(self._ask("loads_tensorless_state", load))

    def process_groups_need_cuda(self) -> bool:
        return bool(self._ask("process_groups_need_cuda"))
