"""The project's own modules: imports of them are read, walked and their names bound.

``from .utils import make_batch`` or ``from mypkg.models import Net`` in the file
being linted resolves to a file of the same project (relative to the file, to the
project root: the nearest folder above it holding ``pyproject.toml``,
``setup.py``, ``setup.cfg`` or ``.git``, and to a ``src/`` layout under it). That
file is walked once by its own interpreter, with its events dropped (its
findings are its own), and the names it defines are bound in the importing
file, so a helper's summary, a class's attributes and a module constant travel
across the import. Modules are read lazily, only when a name is used,
transitively up to ``MAX_DEPTH`` imports deep, and kept per process by path,
size and modification time (an editor's open buffer of a module: by its text, see
``overlay.py``). Third-party and standard-library modules are never
read: only files inside the importing file's folder or its project root.
"""
from __future__ import annotations

import ast
import io
import os
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from . import overlay
from .nodes import walk
from .source import NOT_PROJECT
from .values import Value

if TYPE_CHECKING:
    from .interpreter import Interpreter
    from .scope import FunctionInfo

#: imports followed from one file into the project (a module importing a module ...).
MAX_DEPTH = 3
#: files above this size are not summarized (a generated module is no helper).
MAX_BYTES = 1_000_000
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
Stamp = Tuple[str, int, int]  # path, size, mtime_ns: what a cached result depends on


class ModuleSummary:
    """A project module walked by its own interpreter."""

    def __init__(self, path: str, interpreter: "Interpreter", tree: ast.Module, stamp: Stamp) -> None:
        self.path = path
        self.interpreter = interpreter
        self.stamp = stamp
        self._node_ids: Optional[Set[int]] = None
        self.tree = tree  # keeps the node ids valid

    @property
    def node_ids(self) -> Set[int]:
        """Ids of every node of the module (built when a finding first cites a site)."""
        if self._node_ids is None:
            self._node_ids = {id(node) for node in walk(self.tree)}
        return self._node_ids

    def name(self, attr: str) -> Optional[Value]:
        return self.interpreter.module_frame.env.get(attr)


_SUMMARIES: Dict[str, ModuleSummary] = {}  # per process: path -> summary (checked against its stamp and depth)
_LOADING: Set[str] = set()
_ROOTS: Dict[str, Optional[str]] = {}


def _depth(summary: ModuleSummary) -> int:
    """How deep in an import chain the summary's module was walked (its own imports reach
    MAX_DEPTH less that)."""
    project = summary.interpreter.project
    return project.depth if project is not None else 0


def installed_package(path: str) -> bool:
    """A file of an installed package: linted alone, its imports and its "project" never read
    (above site-packages lies the environment, or whatever project holds a virtualenv)."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return "site-packages" in parts or "dist-packages" in parts


def project_root(folder: str) -> Optional[str]:
    """The nearest folder at or above ``folder`` with a project marker."""
    if folder in _ROOTS:
        return _ROOTS[folder]
    current = folder
    found: Optional[str] = None
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            found = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    _ROOTS[folder] = found
    return found


def _stamp(path: str) -> Optional[Stamp]:
    """(path, size, mtime) of a file, or its open buffer's stamp in the editor (``overlay.py``)."""
    buffered = overlay.stamp_of(path)
    if buffered is not None:
        return buffered
    try:
        status = os.stat(path)
    except OSError:
        return None
    return path, status.st_size, status.st_mtime_ns


def stamp_is_current(stamp: Stamp) -> bool:
    return _stamp(stamp[0]) == tuple(stamp)


#: __init__.py path -> (its stamp, (sets the default dtype to float64, turns grad mode off))
_PACKAGE_SETTINGS: Dict[str, Tuple[Stamp, Tuple[bool, bool]]] = {}
#: how the default float dtype is made float64 at a package's top level (the call's argument, as written)
_FLOAT64_DEFAULTS = {"set_default_dtype": ("torch.float64", "torch.double", "float64", "double"),
                     "set_default_tensor_type": ("torch.DoubleTensor", "DoubleTensor", "'torch.DoubleTensor'")}


def package_settings(filename: str, limit: str, read: List[Stamp]) -> Tuple[bool, bool]:
    """What the ``__init__.py`` of each package that holds ``filename`` sets for the whole process
    when the package is imported, before the file's own code runs: the default float dtype made
    float64 (``torch.set_default_dtype(torch.float64)``: float32 models are float64 too), grad mode
    turned off (``torch.set_grad_enabled(False)``). A file run as a script skips its package's
    ``__init__.py``, so the grad mode is then not known (the caller takes it as unknown, not off).
    The stamps of the ``__init__.py`` files read are added to ``read`` (a cached result depends on them)."""
    float64 = grad_off = False
    path = os.path.abspath(filename)
    folder = os.path.dirname(path)
    while folder == limit or folder.startswith(limit + os.sep):
        init = os.path.join(folder, "__init__.py")
        stamp = _stamp(init)
        if stamp is None:
            break
        read.append(stamp)
        if init != path:
            sets_float64, turns_off = _init_settings(init, stamp)
            float64, grad_off = float64 or sets_float64, grad_off or turns_off
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return float64, grad_off


def _init_settings(init: str, stamp: Stamp) -> Tuple[bool, bool]:
    if stamp[1] > MAX_BYTES:
        return False, False
    known = _PACKAGE_SETTINGS.get(init)
    if known is not None and known[0] == stamp:
        return known[1]
    text = overlay.text_of(init)
    if text is None:
        try:
            with open(init, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except OSError:  # unreadable: it sets nothing we can know
            return False, False
    float64 = grad_off = False
    if "set_default" in text or "set_grad_enabled" in text:
        try:
            statements = ast.parse(text).body
        except (SyntaxError, ValueError):
            statements = []  # a broken __init__ sets nothing we can know
        for statement in statements:
            call = statement.value if isinstance(statement, ast.Expr) else None
            if not isinstance(call, ast.Call) or len(call.args) != 1:
                continue
            name = ast.unparse(call.func).rsplit(".", 1)[-1]
            argument = ast.unparse(call.args[0])
            float64 = float64 or argument in _FLOAT64_DEFAULTS.get(name, ())
            grad_off = grad_off or (name == "set_grad_enabled" and isinstance(call.args[0], ast.Constant)
                                    and call.args[0].value is False)
    found = (float64, grad_off)
    _PACKAGE_SETTINGS[init] = (stamp, found)
    return found


class Project:
    """What one linted file can import from its project."""

    def __init__(self, filename: str, depth: int = 0, overrides: Optional[Dict[str, ModuleSummary]] = None,
                 for_callee: bool = False) -> None:
        self.filename = os.path.abspath(filename)
        self.folder = os.path.dirname(self.filename)
        root = project_root(self.folder)
        self.root = root
        # Modules already walked by another interpreter (the linted file, when its callers are walked).
        self.overrides = overrides or {}
        self.search = [self.folder] + ([root, os.path.join(root, "src")] if root else [])
        self.limit = root or self.folder  # nothing outside this folder is read
        self.depth = depth
        # A caller of the linted file (engine/callers.py): its imports reach as deep as the linted
        # file's own (depth 0), but its own callers are never walked.
        self.for_callee = for_callee
        self.used: List[ModuleSummary] = []  # the modules this file's analysis read
        self.callers: List[ModuleSummary] = []  # those of them that import this file (engine/callers.py)
        self._package_walks: Dict[str, Optional[ModuleSummary]] = {}
        self._misses: Set[str] = set()
        self._inits_read: List[Stamp] = []  # the package __init__ files package_settings() read

    def package_settings(self) -> Tuple[bool, bool]:
        """(float64 default dtype, grad mode off) set by the packages that hold this file."""
        return package_settings(self.filename, self.limit, self._inits_read)

    def value(self, qualname: str) -> Optional[Value]:
        """The value of ``pkg.module.name`` (``.module.name`` relative) if a project module defines it."""
        if qualname in self._misses or self.depth >= MAX_DEPTH:
            return None
        level = len(qualname) - len(qualname.lstrip("."))
        parts = qualname[level:].split(".")
        if not parts or not parts[0] or (level == 0 and parts[0] in NOT_PROJECT):
            self._misses.add(qualname)
            return None
        for split in range(len(parts) - 1, 0, -1):
            path = self._module_file(level, parts[:split])
            if path is None:
                continue
            summary = self._summary(path)
            if summary is None or split != len(parts) - 1:
                break  # a name inside a name (a class attribute): not followed
            found = summary.name(parts[-1])
            if found is not None:
                return found
            break
        self._misses.add(qualname)
        return None

    def flag_definition(self, qualname: str) -> Optional[ast.expr]:
        """What a project module binds ``name`` to at ``pkg.module.name`` (``.module.name``
        relative), where it binds it once and no project file assigns it from outside
        (``cfg.USE_GPU = args.gpu``) or names it in a string (``setattr(cfg, "USE_GPU", ...)``,
        a config loader's key): a flag a guard tests (guards.GuardFlags.imported_constant)."""
        if self.depth >= MAX_DEPTH:
            return None
        level = len(qualname) - len(qualname.lstrip("."))
        parts = qualname[level:].split(".")
        if len(parts) < 2 or (level == 0 and parts[0] in NOT_PROJECT):
            return None
        path = self._module_file(level, parts[:-1])
        summary = self._summary(path) if path is not None else None
        if path is None or summary is None:
            return None
        definition = summary.interpreter.guard_flags.definition(parts[-1])
        if definition is None:
            return None
        from .evidence import project_scan  # evidence reads this module's stamps

        return None if project_scan(self.filename).rebound_elsewhere(parts[-1], path) else definition

    def star_names(self, module: str) -> Dict[str, Value]:
        """The names ``from module import *`` binds, if ``module`` is one of the project's: its
        ``__all__`` when it lists them literally, else every name not starting with ``_``."""
        if self.depth >= MAX_DEPTH:
            return {}
        level = len(module) - len(module.lstrip("."))
        parts = [part for part in module[level:].split(".") if part]
        if not parts and not level or (level == 0 and parts[0] in NOT_PROJECT):
            return {}
        path = self._module_file(level, parts) if parts else None
        summary = self._summary(path) if path is not None else None
        if summary is None:
            return {}
        env = summary.interpreter.module_frame.env
        exported = _literal_all(summary.tree)
        names = exported if exported is not None else [name for name in env if not name.startswith("_")]
        return {name: env[name] for name in names if name in env}

    def _reexports_override(self, path: str) -> bool:
        """A package's ``__init__.py`` above a module this walk overrides (the linted file), or a
        module that imports it too: a caller's ``Trainer`` whose method calls the linted helper
        (its calls there, with the facts this caller gives, are the linted file's findings)."""
        if not self.overrides:
            return False
        if os.path.basename(path) == "__init__.py":
            folder = os.path.dirname(path) + os.sep
            if any(other.startswith(folder) for other in self.overrides):
                return True
        from .callers import imports_module_of  # callers.py imports this module

        return any(imports_module_of(path, other) for other in self.overrides)

    def home_of(self, node: ast.AST, imported_only: bool = False,
                _seen: Optional[Set[int]] = None) -> Optional[str]:
        """The project file (relative to this one's folder) whose tree holds ``node``, if not this file's
        (with ``imported_only``: only a module this file imports, not one that imports it). Modules
        summarized once and walked on demand may use each other: each is visited once."""
        seen = _seen if _seen is not None else {id(self)}
        for summary in self.used:
            if imported_only and summary in self.callers:
                continue
            if id(node) in summary.node_ids:
                return os.path.relpath(summary.path, self.folder)
            nested = summary.interpreter.project
            if nested is not None and id(nested) not in seen:
                seen.add(id(nested))
                inner = nested.home_of(node, _seen=seen)
                if inner is not None:
                    return os.path.relpath(os.path.join(nested.folder, inner), self.folder)
        return None

    def stamps(self) -> List[Stamp]:
        """Every project file this analysis read, transitively (each once: modules walked on
        demand may use each other)."""
        out: List[Stamp] = []
        seen: Set[int] = {id(self)}
        pending = [self]
        while pending:
            project = pending.pop()
            out.extend(project._inits_read)
            for summary in project.used:
                out.append(summary.stamp)
                nested = summary.interpreter.project
                if nested is not None and id(nested) not in seen:
                    seen.add(id(nested))
                    pending.append(nested)
        return out

    def _module_file(self, level: int, parts: List[str]) -> Optional[str]:
        if level:
            base = self.folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            bases = self.search
        for base in bases:
            stem = os.path.join(base, *parts)
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                full = os.path.abspath(candidate)
                if full == self.filename or not full.startswith(self.limit + os.sep):
                    continue
                if os.path.isfile(full) or overlay.text_of(full) is not None:
                    return full
        return None

    def _summary(self, path: str) -> Optional[ModuleSummary]:
        if path in self.overrides:
            return self.overrides[path]
        stamp = _stamp(path)
        if stamp is None or stamp[1] > MAX_BYTES:
            return None
        if self._reexports_override(path):
            # a caller's `from data import Faces`, where data/__init__.py imports the linted file:
            # that package is walked with the linted file's own walk in it (not cached: it holds it)
            if path not in self._package_walks and path not in _LOADING:
                _LOADING.add(path)
                try:
                    self._package_walks[path] = _walk(path, stamp, self.depth + 1, self.overrides)
                finally:
                    _LOADING.discard(path)
            walked = self._package_walks.get(path)
            if walked is not None and walked not in self.used:
                self.used.append(walked)
            return walked
        cached = _SUMMARIES.get(path)
        if cached is None or cached.stamp != stamp or _depth(cached) > self.depth + 1:
            # (a summary walked deeper, for another linted file, saw fewer of its own imports: the
            # same file's findings must not depend on which file this process linted before)
            if path in _LOADING:
                return None  # an import cycle: the module is not finished yet
            _LOADING.add(path)
            try:
                cached = _walk(path, stamp, self.depth + 1)
            finally:
                _LOADING.discard(path)
            if cached is None:
                return None
            _SUMMARIES[path] = cached
        if cached not in self.used:
            self.used.append(cached)
        return cached


#: path -> (text, tree) of the project files walked in this process: a file walked again (as a
#: caller of each module it imports) is parsed once per content. The analysis never changes a tree.
_PARSED: Dict[str, Tuple[str, ast.Module]] = {}
MAX_PARSED = 2000
#: what each top-level statement's text gives a caller's plan (source.plan's memo), for the
#: files walked again as callers: keyed by the statement's text, cleared with ``_PARSED``.
_PLANS: Dict[object, object] = {}


def _names_any(node: ast.AST, names: FrozenSet[str]) -> bool:
    """The function reads one of ``names`` (``helper(x)``, ``utils.helper(x)``): it may call it."""
    return any((isinstance(child, ast.Name) and child.id in names)
               or (isinstance(child, ast.Attribute) and child.attr in names) for child in walk(node))


def _inherits_from(info: "FunctionInfo", names: FrozenSet[str]) -> bool:
    """A method of a class whose bases (or theirs, in this file) name one of ``names``: ``self``
    holds what the linted file's base class stores (``self.device`` set in its ``__init__``)."""
    owner = info.owner
    return owner is not None and any(_names_any(base, names) for cls in owner.lineage() for base in cls.node.bases)


def _literal_all(tree: ast.Module) -> Optional[List[str]]:
    """``__all__ = ["a", "b"]`` at the top of a module, if written as a literal of strings."""
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
                and isinstance(stmt.value, (ast.List, ast.Tuple))
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in stmt.value.elts)):
            return [e.value for e in stmt.value.elts]  # type: ignore[attr-defined]
    return None


def _walk(path: str, stamp: Stamp, depth: int,
          overrides: Optional[Dict[str, ModuleSummary]] = None, for_callee: bool = False,
          emit: Callable[[object], None] = lambda event: None,
          naming: FrozenSet[str] = frozenset()) -> Optional[ModuleSummary]:
    from . import new_interpreter
    from .source import Item, import_item, plan

    try:
        buffered = overlay.text_of(path)
        if buffered is not None:
            text = buffered  # the editor's unsaved buffer wins over the disk
        else:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
        parsed = _PARSED.get(path)
        if parsed is None or parsed[0] != text:
            parsed = (text, ast.parse(text))
            if len(_PARSED) >= MAX_PARSED:
                _PARSED.clear()  # a long-running server: start over rather than grow
                _PLANS.clear()
            _PARSED[path] = parsed
        tree = parsed[1]
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    interpreter = new_interpreter(text, emit, Project(path, depth, overrides, for_callee), tree)
    items: List[Item]
    if for_callee:
        # a caller walked for the linted file's helpers: its statements as a linted file's are
        # planned (those that use a project import are kept), and the functions that name a helper
        items = list(plan(tree, io.StringIO(text, newline="").readlines(), _PLANS))
    else:
        # Every statement is walked: the name an importer uses (a model class) may hold no seed token.
        items = [import_item(stmt) if isinstance(stmt, (ast.Import, ast.ImportFrom)) else stmt for stmt in tree.body]
    try:
        # an imported module's functions are walked when the importer calls them (summaries on demand)
        interpreter.run(items, every_function=(lambda info: _names_any(info.node, naming) or _inherits_from(info, naming))
                        if for_callee else False)
    except RecursionError:
        return None
    return ModuleSummary(path, interpreter, tree, stamp)
