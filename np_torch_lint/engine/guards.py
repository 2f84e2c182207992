"""CUDA-guard heuristics: which tests hold only where CUDA is usable, which handlers catch a missing GPU.

Pure functions of the syntax and the frame; the qualified name of a callee comes from
the evaluator through ``qualname_of``.
"""
from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, TypeVar

from . import api
from .nodes import walk
from .scope import Frame
from .values import Device, Kind

QualnameOf = Callable[[ast.expr, Frame], Optional[str]]
#: how deep a flag defined from other flags is followed (`a = b and c`, `b = ...`).
FLAG_DEPTH = 4


class GuardFlags:
    """What the file's own assignments say about the flags its guards test.

    A name bound exactly once in the whole file (no other assignment, parameter, loop
    target, import or ``global`` of that name anywhere) has one definition: its value is
    what a test of the name tests. ``use_cuda = True`` is a constant, and a constant
    guards nothing; ``use_gpu = args.gpu and torch.cuda.is_available()`` tests the probe.
    ``parser.add_argument("--accel", default=torch.cuda.is_available())`` makes
    ``args.accel`` a flag derived from the probe. Built on first use.
    """

    def __init__(self, tree: Optional[ast.AST], walrus: bool = True) -> None:
        self._tree = tree
        self._walrus = walrus  # the source may hold `:=`, which binds inside expressions
        self._definitions: Optional[Dict[str, ast.expr]] = None
        self._option_defaults: Dict[str, ast.expr] = {}
        self._counts: Dict[str, int] = {}
        # A flag imported from the project's own modules (`from .settings import USE_CUDA`, `cfg.USE_GPU`
        # with `from pkg import config as cfg`): ``imported`` answers its definition there (set by the
        # engine where the file has a project; see Project.flag_definition).
        self.imported: Optional[Callable[[str], Optional[ast.expr]]] = None
        self._imports: Optional[Tuple[Dict[str, str], Dict[str, str], Set[str]]] = None
        self._read_only: Dict[str, bool] = {}
        self._class_constants: Optional[Dict[str, ast.Constant]] = None

    def class_constant(self, attr: str) -> Optional[ast.Constant]:
        """The literal ``self.<attr>`` holds where one class body of the file binds ``attr`` to it
        (``use_gpu = True`` under ``class BaseTrainer:``) and nothing else binds it: no other
        class body, no attribute store anywhere (``self.use_gpu = flag``), no string naming it
        (``setattr(self, "use_gpu", v)``)."""
        if self._tree is None:
            return None
        if self._class_constants is None:
            tree = self._tree
            self._class_constants = _kept_on(tree, "_ntl_class_constants", lambda: _class_constants(tree))
        return self._class_constants.get(attr)

    def read_only_dict(self, name: str) -> Optional[ast.Dict]:
        """The dict literal a name is bound to once (``CONFIG = {"use_cuda": True, ...}``), where
        every use of the name in the file only reads it (``CONFIG["use_cuda"]``,
        ``CONFIG.get(...)``): no item stored, no method that changes it, never passed on."""
        definition = self.definition(name)
        if not isinstance(definition, ast.Dict) or self._tree is None:
            return None
        known = self._read_only.get(name)
        if known is None:
            known = self._read_only[name] = _only_read(self._tree, name)
        return definition if known else None

    def imported_constant(self, node: ast.expr) -> Optional[ast.Constant]:
        """The literal a project module binds a flag to, for a name this file imports from it (bound
        once here) or an attribute of a module alias (never assigned in this file): ``USE_GPU = True``
        in ``config.py`` is a constant where ``cfg.USE_GPU`` is tested."""
        if self.imported is None or self._tree is None:
            return None
        if self._definitions is None:
            self._build()
        if self._imports is None:
            tree = self._tree
            self._imports = _kept_on(tree, "_ntl_top_level_imports", lambda: _top_level_imports(tree))
        names, modules, stored = self._imports
        qualname: Optional[str] = None
        if isinstance(node, ast.Name) and self._counts.get(node.id) == 1:
            qualname = names.get(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and self._counts.get(node.value.id) == 1 and node.attr not in stored):
            module = modules.get(node.value.id)
            qualname = f"{module}.{node.attr}" if module is not None else None
        definition = self.imported(qualname) if qualname is not None else None
        return definition if isinstance(definition, ast.Constant) else None

    def definition(self, name: str) -> Optional[ast.expr]:
        if self._definitions is None:
            self._build()
        assert self._definitions is not None
        return self._definitions.get(name)

    def option_default(self, attr: str) -> Optional[ast.expr]:
        """The ``default=`` of the command-line option stored as ``args.<attr>``."""
        if self._definitions is None:
            self._build()
        return self._option_defaults.get(attr)

    def _build(self) -> None:
        counts, values, options = _cached_binding_facts(self._tree, self._walrus)
        self._counts = counts
        self._option_defaults.update(options)
        self._definitions = {name: values[name] for name, count in counts.items() if count == 1 and name in values}


def _cached_binding_facts(tree: Optional[ast.AST], walrus: bool) -> Tuple[Dict[str, int], Dict[str, ast.expr],
                                                                          Dict[str, ast.expr]]:
    """``binding_facts`` of a whole tree, kept on it."""
    if tree is None:
        return binding_facts(None, walrus)
    return _kept_on(tree, "_ntl_binding_facts_walrus" if walrus else "_ntl_binding_facts",
                    lambda: binding_facts(tree, walrus))


_Kept = TypeVar("_Kept")


def _kept_on(tree: ast.AST, key: str, compute: Callable[[], _Kept]) -> _Kept:
    """A fact of a whole tree, computed once and kept on it: a project module walked again (as a
    caller of each module it imports, for each linted file) reads its flags once."""
    found = getattr(tree, key, None)
    if found is None:
        found = compute()
        setattr(tree, key, found)
    return found


def binding_facts(tree: Optional[ast.AST], walrus: bool) -> Tuple[Dict[str, int], Dict[str, ast.expr],
                                                                  Dict[str, ast.expr]]:
    """How often each name is bound in ``tree``, the value of its plain assignment, and each command-line
    option's default: what ``GuardFlags`` is built from (a file's are the sums of its statements')."""
    counts: Dict[str, int] = {}
    values: Dict[str, ast.expr] = {}
    options: Dict[str, ast.expr] = {}
    if tree is not None:
        for node in (walk(tree) if walrus else _binding_nodes(tree)):
            for name in _names_bound_by(node):
                counts[name] = counts.get(name, 0) + 1
            target, value = _plain_assignment(node)
            if target is not None and value is not None:
                values[target] = value
            option = _option(node)
            if option is not None:
                options[option[0]] = option[1]
    return counts, values, options


def _binding_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes that can bind a name in the scope they are written in, without visiting every
    expression: statements, their targets, arguments, aliases, handlers and patterns, and the
    ``add_argument(...)`` calls of statements. Comprehension and lambda variables live in scopes
    of their own and are not visited (a file with ``:=`` is walked whole by the caller)."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                yield from _target_names(target)
            if isinstance(node.value, ast.Call):
                yield from _calls_in(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield from _calls_in(node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            yield from _target_names(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    yield from _target_names(item.optional_vars)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            yield from (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            yield from (extra for extra in (arguments.vararg, arguments.kwarg) if extra is not None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from node.names
        elif isinstance(node, ast.ExceptHandler) or type(node).__name__ == "match_case":
            if type(node).__name__ == "match_case":
                yield from walk(getattr(node, "pattern"))
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(children)


def _target_names(target: ast.expr) -> Iterator[ast.Name]:
    """The names an assignment target binds (``a``, ``a, (b, *c)``); an attribute or item
    stored binds none (a walk of the target, cached per node, cost more than the rest)."""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _calls_in(call: ast.Call) -> Iterator[ast.Call]:
    """A call and the calls it is chained on (``parser.add_argument(...).completer = ...``)."""
    current: ast.expr = call
    while isinstance(current, ast.Call):
        yield current
        current = current.func.value if isinstance(current.func, ast.Attribute) else current.func


#: dict methods that only read it.
_DICT_READS = frozenset({"get", "items", "keys", "values", "copy"})


def _only_read(tree: ast.AST, name: str) -> bool:
    """Every ``name`` read in ``tree`` is an item read (``name[k]``) or a reading method's receiver:
    as many reads of the name as reads in those two places."""
    reads = allowed = 0
    for node in walk(tree):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads += 1
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name) \
                and node.value.id == name and (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                                               or isinstance(node, ast.Attribute) and node.attr in _DICT_READS):
            allowed += 1
    return reads == allowed


def _class_constants(tree: ast.AST) -> Dict[str, ast.Constant]:
    """Class attributes bound once, in one class body, to a literal, and never set otherwise."""
    bound: Dict[str, List[ast.expr]] = {}
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                # a plain `name = value` (an annotated one may be a dataclass field its __init__ sets)
                target, value = _plain_assignment(statement) if isinstance(statement, ast.Assign) else (None, None)
                if target is not None and value is not None:
                    # (a decorated class may turn its attributes into constructor fields)
                    bound.setdefault(target, []).append(value if not node.decorator_list else ast.Name(id=target))
    if not bound:
        return {}
    stored: Set[str] = set()
    quoted: Set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Attribute) and (not isinstance(node.ctx, ast.Load) or node.attr == "__dict__"):
            stored.add(node.attr)  # (`self.__dict__.update(options)` may set any of them)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            quoted.add(node.value)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            quoted.add(node.arg)  # `Trainer(use_gpu=False)` to a constructor that sets it
    if "__dict__" in stored:
        return {}
    return {name: values[0] for name, values in bound.items()
            if len(values) == 1 and isinstance(values[0], ast.Constant) and name not in stored and name not in quoted}


def _dict_item(definition: ast.Dict, key: ast.expr) -> Optional[ast.expr]:
    """The value a dict literal holds under a constant key (None: not there, or not constant)."""
    if not isinstance(key, ast.Constant):
        return None
    found = [value for k, value in zip(definition.keys, definition.values)
             if isinstance(k, ast.Constant) and k.value == key.value]
    return found[0] if len(found) == 1 and all(k is not None for k in definition.keys) else None


def _top_level_imports(tree: ast.AST) -> Tuple[Dict[str, str], Dict[str, str], Set[str]]:
    """(name -> ``module.name`` of each top-level ``from module import name``; alias -> module of
    each top-level ``import a.b as alias`` and ``from a import b as alias``; the attribute names the
    file assigns anywhere, ``x.attr = ...``)."""
    names: Dict[str, str] = {}
    modules: Dict[str, str] = {}
    for statement in getattr(tree, "body", ()):
        if isinstance(statement, ast.ImportFrom):
            module = "." * statement.level + (statement.module or "")
            for alias in statement.names:
                if alias.name != "*":
                    joined = f"{module}.{alias.name}" if statement.module else f"{module}{alias.name}"
                    names[alias.asname or alias.name] = joined
                    modules[alias.asname or alias.name] = joined  # `from pkg import config as cfg`
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    modules[alias.asname] = alias.name
    stored = {node.attr for node in walk(tree) if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load)}
    return names, modules, stored


def _plain_assignment(node: ast.AST) -> Tuple[Optional[str], Optional[ast.expr]]:
    """``name = value`` (also annotated, or ``:=``): the name and the value."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _names_bound_by(node: ast.AST) -> List[str]:
    """The names one node binds (an assignment's targets are its Name nodes, counted on their own)."""
    if isinstance(node, ast.Name):
        return [] if isinstance(node.ctx, ast.Load) else [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.alias):
        return [(node.asname or node.name).split(".")[0]]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return list(node.names) * 2  # written from another scope: never a single binding
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    name = getattr(node, "name", None)  # match patterns: MatchAs, MatchStar
    if isinstance(name, str) and type(node).__name__.startswith("Match"):
        return [name]
    return []


def _option(node: ast.AST) -> Optional[Tuple[str, ast.expr]]:
    """``parser.add_argument("--accel", default=...)``: ("accel", the default)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
        return None
    default = next((k.value for k in node.keywords if k.arg == "default"), None)
    if default is None:
        return None
    dest = next((k.value.value for k in node.keywords if k.arg == "dest" and isinstance(k.value, ast.Constant)), None)
    if not isinstance(dest, str):
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        long = [f for f in flags if f.startswith("--")] or flags
        if not long:
            return None
        dest = long[0].lstrip("-").replace("-", "_")
    return dest, default


_COMPARE: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_UNKNOWN = (False, None)


def constant_truth(node: ast.expr, flags: Optional[GuardFlags]) -> Optional[bool]:
    """Whether a test always holds (True) or never does (False), from literals and constant flags."""
    known, value = _constant(node, flags, 0)
    return bool(value) if known else None


def _constant(node: ast.expr, flags: Optional[GuardFlags], depth: int) -> Tuple[bool, Any]:
    if depth > FLAG_DEPTH:
        return _UNKNOWN
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_constant(e, flags, depth + 1) for e in node.elts]
        return (True, tuple(v for _, v in items)) if all(k for k, _ in items) else _UNKNOWN
    if isinstance(node, ast.Name) and flags is not None:
        definition = flags.definition(node.id)
        if definition is None:
            definition = flags.imported_constant(node)
        return _constant(definition, flags, depth + 1) if definition is not None else _UNKNOWN
    if isinstance(node, ast.Attribute) and flags is not None:
        constant = flags.imported_constant(node)
        if constant is None and isinstance(node.value, ast.Name) and node.value.id == "self":
            constant = flags.class_constant(node.attr)  # `use_gpu = True` in the class body
        return (True, constant.value) if constant is not None else _UNKNOWN
    if flags is not None and isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        held = flags.read_only_dict(node.value.id)  # CONFIG["use_cuda"] of a dict literal nothing changes
        item = _dict_item(held, node.slice) if held is not None else None
        return _constant(item, flags, depth + 1) if item is not None else _UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        known, value = _constant(node.operand, flags, depth + 1)
        return (True, not value) if known else _UNKNOWN
    if isinstance(node, ast.BoolOp):
        results = [_constant(v, flags, depth + 1) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # `or` is decided by a true operand, `and` by a false one
        if any(known and bool(value) is decisive for known, value in results):
            return True, decisive
        if all(known for known, _ in results):
            return True, not decisive
        return _UNKNOWN
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _constant(node.left, flags, depth + 1), _constant(node.comparators[0], flags, depth + 1)
        if left[0] and right[0]:
            try:
                return True, _COMPARE[type(node.ops[0])](left[1], right[1])
            except TypeError:
                return _UNKNOWN
    return _UNKNOWN


def is_cuda_test(node: ast.expr, frame: Frame, qualname_of: QualnameOf, flags: Optional[GuardFlags] = None,
                 depth: int = 0) -> Optional[bool]:
    """True: the test holds only where CUDA is usable; False: only where it is not.

    A test of constants (`use_cuda = True` then `if use_cuda:`) holds everywhere or nowhere:
    one that always holds guards nothing (None); one that never holds guards code that never
    runs (True, vacuously). A flag with one definition in the file tests what it was set to.
    """
    truth = constant_truth(node, flags)
    if truth is not None:
        return None if truth else True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = is_cuda_test(node.operand, frame, qualname_of, flags, depth)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        results = [is_cuda_test(v, frame, qualname_of, flags, depth) for v in node.values]
        if isinstance(node.op, ast.And):
            return True if True in results else None
        if all(result is True for result in results):
            return True  # `device == "cuda" or device.type == "cuda"`: each way holds only with CUDA
        return False if False in results else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op, right = node.ops[0], node.comparators[0]
        inner = is_cuda_test(node.left, frame, qualname_of, flags, depth)
        if inner is not None and isinstance(right, ast.Constant) and right.value == 0:
            if isinstance(op, (ast.Gt, ast.NotEq)):
                return inner
            if isinstance(op, (ast.Eq, ast.LtE)):
                return not inner
        if inner is None and mentions_cuda(node, frame):
            if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                return True
            if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                return False
        if inner is None and mentions_cpu_string(node):
            # `device != "cpu"`, `device not in ["cpu"]`: holds where the chosen device is not the CPU.
            if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                return True
            if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                return False
        return inner
    if isinstance(node, ast.Call) and qualname_of(node.func, frame) in api.CUDA_PROBES:
        return True
    derived = _derived_test(node, frame, qualname_of, flags, depth)
    if derived is not None:
        return derived
    flag = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
    if any(word in flag.lower() for word in api.CPU_FLAG_WORDS) or flag.lower() in api.CPU_FLAG_NAMES:
        return False  # `if args.no_cuda:`, `if args.cpu:` hold where CUDA is *not* used
    if mentions_cuda(node, frame):
        return True
    return None


def _derived_test(node: ast.expr, frame: Frame, qualname_of: QualnameOf, flags: Optional[GuardFlags],
                  depth: int) -> Optional[bool]:
    """A flag with one definition in the file (`ok = args.gpu and torch.cuda.is_available()`), or a
    command-line option whose default is one (`default=torch.cuda.is_available()`): what it was set to."""
    if flags is None or depth >= FLAG_DEPTH:
        return None
    definition: Optional[ast.expr] = None
    if isinstance(node, ast.Name):
        definition = flags.definition(node.id)
    elif isinstance(node, ast.Attribute):
        definition = flags.option_default(node.attr)
        if definition is not None and constant_truth(definition, flags) is not None:
            return None  # `default=True`: the user sets it on the command line, its value is unknown
    if definition is None:
        return None
    return is_cuda_test(definition, frame, qualname_of, flags, depth + 1)


def catches_cuda_errors(handler_type: Optional[ast.expr]) -> bool:
    """An except clause that catches what a missing GPU raises (AssertionError, RuntimeError...)."""
    if handler_type is None:
        return True
    names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    for name in names:
        text = name.id if isinstance(name, ast.Name) else (name.attr if isinstance(name, ast.Attribute) else "")
        if text in api.CUDA_ERRORS_CAUGHT_BY:
            return True
    return False


def reports_failure(handlers: Sequence[ast.ExceptHandler], last: bool) -> bool:
    """The handlers that catch a missing GPU only report it (``print``, a logger, ``warnings.warn``,
    a traceback) and the job ends there: a handler that raises, exits or returns, or a ``try``
    with nothing after it in its block (``try: main() except RuntimeError as e: print(e)``).
    Such a ``try`` handles a placement written in its body (a fallback that says so), not one
    in the functions it calls: those fail, and the work they were called for is not done."""
    for handler in handlers:
        kinds = [_handler_statement(statement) for statement in handler.body]
        if None in kinds or not any(kind in ("report", "end") for kind in kinds):
            return False
        if not (last or kinds[-1] == "end"):
            return False
    return True


def _handler_statement(statement: ast.stmt) -> Optional[str]:
    """"report", "end", "pass" for what a reporting handler is made of; None for anything else."""
    if isinstance(statement, ast.Raise) or (isinstance(statement, ast.Return) and (
            statement.value is None or isinstance(statement.value, ast.Constant) and statement.value.value is None)):
        return "end"
    if isinstance(statement, ast.Pass):
        return "pass"
    call = statement.value if isinstance(statement, ast.Expr) else None
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    name = func.id if isinstance(func, ast.Name) else (func.attr if isinstance(func, ast.Attribute) else "")
    if name in api.FAILURE_REPORTERS:
        return "report"
    if name in api.JOB_ENDERS:
        return "end"
    return None


def mentions_cuda(node: ast.expr, frame: Frame) -> bool:
    """A flag named for CUDA/GPU (args.cuda, use_gpu, device.type == "cuda") or set from a probe."""
    named, names = _cuda_words(node)
    if named:
        return True
    for name in names:
        value = frame.lookup(name)
        if value is not None and value.kind is Kind.PY_BOOL and value.qualname in api.CUDA_PROBES:
            return True
    return False


def _cuda_words(node: ast.expr) -> Tuple[bool, Tuple[str, ...]]:
    """What ``mentions_cuda`` reads of a test's text, kept on its node (a guard is tested on every
    walk of its function): whether a name, attribute or string says CUDA/GPU, and the plain names
    whose values may hold a probe's result."""
    found = getattr(node, "_ntl_cuda_words", None)
    if found is not None:
        return found  # type: ignore[no-any-return,unused-ignore]
    names: List[str] = []
    named = False
    for current in walk(node):
        if isinstance(current, ast.Name):
            if any(word in current.id.lower() for word in api.CUDA_NAME_WORDS):
                named = True
                break
            names.append(current.id)
        elif isinstance(current, ast.Attribute) and any(word in current.attr.lower() for word in api.CUDA_NAME_WORDS):
            named = True
            break
        elif isinstance(current, ast.Constant) and isinstance(current.value, str) and (
                api.CUDA_DEVICE_PREFIX in current.value or current.value.lower() in api.GPU_CHOICE_STRINGS):
            named = True  # `device.type == "cuda"`, and `args.device == "gpu"` (a --device option of cpu/gpu)
            break
    found = (named, tuple(names))
    setattr(node, "_ntl_cuda_words", found)
    return found


def mentions_cpu_string(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == api.CPU_DEVICE for n in walk(node))


def device_variable(frame: Frame) -> Optional[str]:
    """The name in scope bound to a CPU-or-CUDA device choice; ``device`` first, then alphabetical."""
    seen: Set[str] = set()
    found: List[str] = []
    scope: Optional[Frame] = frame
    while scope is not None:
        for name, value in scope.env.items():
            if name not in seen:
                seen.add(name)
                if value.kind in (Kind.DEVICE, Kind.PY_STR) and value.device is Device.MAYBE_CUDA:
                    found.append(name)
        scope = scope.parent
    if not found:
        return None
    return "device" if "device" in found else sorted(found)[0]


def device_of_string(text: str) -> Optional[Device]:
    """The device a string names: "cuda", "cuda:1" or "cpu"."""
    if text.startswith(api.CUDA_DEVICE_PREFIX):
        return Device.CUDA
    if text == api.CPU_DEVICE:
        return Device.CPU
    return None


def names_a_device(node: ast.expr) -> bool:
    """``device``, ``args.device``, ``dev``, ``local_rank``: a name that holds a device choice."""
    name = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
    return api.DEVICE_NAME_WORD in name.lower() or name.lower() in api.DEVICE_NAMES
