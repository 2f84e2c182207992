"""Callers in the project's other modules: a helper is walked with what they pass it.

A finding inside ``utils.to_numpy(t)`` may rest on what ``train.py`` passes (a tensor
that requires grad, one on the GPU). When a file of a project is linted, the project's
files that import it (found through an index of every project file's imports, built
once per process) are walked, with the names they import from the linted file bound to
the linted file's own functions and classes. A call there walks the helper with the
caller's argument facts, and the helper's events, at the linted file's own lines, go to
its rules; the caller's own events are its own findings and are dropped, except those
whose finding sits at a value the linted file made (a float64 tensor its helper converted
reaching the caller's model). Bounded:
``MAX_CALLER_FILES`` importers (a package's ``__init__.py`` that imports the linted file
brings the package's importers too), the first ones by path; files above ``project.MAX_BYTES``
and folders that are no project source (virtual environments, builds, hidden folders)
are never read.
"""
from __future__ import annotations

import ast
import os
import re
import time
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Sequence, Set, Tuple

from . import overlay
from .nodes import walk
from .project import MAX_BYTES, ModuleSummary, Project, _names_any, _stamp, _walk
from .events import LossTarget, ModelInput, Placement, guarded_here
from .scope import ClassInfo
from .values import Device, Kind, Value
from .source import SEED_PATTERN

if TYPE_CHECKING:
    from .interpreter import Interpreter

#: caller events whose finding is placed at the value's source (a conversion in the linted file).
SOURCE_PLACED_EVENTS = (ModelInput, LossTarget)
#: importers walked per linted file.
MAX_CALLER_FILES = 6
#: importers of an importer walked per linted file (callers two modules away, see _walk_relays).
MAX_RELAY_CALLER_FILES = 3
#: project files indexed per project root.
MAX_PROJECT_FILES = 3000
#: an index older than this is rebuilt (a long-running server sees new files).
INDEX_SECONDS = 10.0
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env"})
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+\(?([^\n#]+)|import[ \t]+([^\n#]+))", re.MULTILINE)

# root -> (built at, module stem -> files importing a module or name of that stem)
_INDEXES: Dict[str, Tuple[float, Dict[str, List[str]]]] = {}
# path -> (its stamp, the stems its imports name): asked for each module a caller's walk loads
_STEMS: Dict[str, Tuple[object, Set[str]]] = {}


def walk_callers(interpreter: "Interpreter", tree: ast.Module, project: Project, lines: Sequence[str]) -> None:
    """Walk the project files that import the linted file, so its helpers see their callers' facts."""
    if project.depth or project.for_callee or not project.root:
        return
    defined = _defined_names(tree, interpreter, lines)
    if not defined:
        return
    importers = importing_files(project)
    stamp = _stamp(project.filename)
    if not importers or stamp is None:
        return
    linted = ModuleSummary(project.filename, interpreter, tree, stamp)
    walked = 0
    for path in importers:
        if walked >= MAX_CALLER_FILES:
            break
        if not _uses_any(path, defined):
            continue
        caller_stamp = _stamp(path)
        if caller_stamp is None or caller_stamp[1] > MAX_BYTES:
            continue
        placements: List[Placement] = []
        summary = _walk(path, caller_stamp, 0, overrides={project.filename: linted}, for_callee=True,
                        emit=lambda event: _forward_to_source(interpreter, event, placements),
                        naming=frozenset(defined))
        if summary is not None:
            _forward_placements(interpreter, linted, summary, placements, frozenset(defined))
            project.used.append(summary)  # its sites are cited as "train.py line 7"; its stamp is a dependency
            project.callers.append(summary)
            walked += 1
    _walk_relays(interpreter, project, linted, list(project.callers), defined)


def _walk_relays(interpreter: "Interpreter", project: Project, linted: ModuleSummary,
                 importers: List[ModuleSummary], defined: Set[str]) -> None:
    """Callers two modules away: ``evaluate.run(model, batches)`` calls the linted file's
    ``to_numpy(model(x))``, and ``main.py`` calls ``run`` with a model on the GPU. An importer's
    functions and classes that name one of the linted file's helpers relay their callers' facts: the
    files that import the importer and use one of those relays are walked with both the linted
    file and the importer bound to the interpreters already walked, so a call there walks the
    relay, and through it the helper, with the outer caller's facts. Bounded by
    ``MAX_RELAY_CALLER_FILES`` and, like the first level, by size."""
    walked = 0
    helpers = frozenset(defined)
    for importer in importers:
        relays = {stmt.name for stmt in importer.tree.body
                  if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and _names_any(stmt, helpers)}
        if not relays:
            continue
        for path in _through_packages(_importers_of(_module_stem(importer.path), project), project):
            if walked >= MAX_RELAY_CALLER_FILES:
                return
            if path in (project.filename, importer.path) or not _uses_any(path, relays):
                continue
            stamp = _stamp(path)
            if stamp is None or stamp[1] > MAX_BYTES:
                continue
            placements: List[Placement] = []
            summary = _walk(path, stamp, 0, overrides={project.filename: linted, importer.path: importer},
                            for_callee=True, emit=lambda event: _forward_to_source(interpreter, event, placements),
                            naming=frozenset(relays))
            if summary is not None:
                _forward_placements(interpreter, linted, summary, placements, frozenset(relays))
                project.used.append(summary)
                project.callers.append(summary)
                walked += 1


def _forward_to_source(interpreter: "Interpreter", event: object, placements: List[Placement]) -> None:
    """A caller's event whose finding sits where the value was made: a float64 tensor that
    ``data.to_tensor`` converted reaches the caller's model (NTL101), int32 targets a
    Dataset of the linted file returns reach the caller's loss (NTL103). The linted file
    keeps the findings placed on its own lines (``lint.keep`` drops the caller's).
    Placements through a device variable wait for the caller's walk to end (``_forward_placements``)."""
    if isinstance(event, SOURCE_PLACED_EVENTS):
        interpreter.emit(interpreter.module_frame, event)
    elif isinstance(event, Placement) and event.through_variable and event.device.device is Device.CUDA:
        placements.append(event)


def _forward_placements(interpreter: "Interpreter", linted: ModuleSummary, caller: ModuleSummary,
                        placements: List[Placement], naming: FrozenSet[str]) -> None:
    """A caller's placement on a CUDA device the linted file chose (``self.device = torch.device("cuda")``
    in a base class, ``DEVICE = "cuda"`` in a config module) is NTL301 at that choice, the line RULES.md
    names: the linted file reports it, and the caller still reports its placement (a file linted alone
    keeps its finding). Only a placement not guarded where it runs, in a function whose calls in the
    caller's file are not all guarded. The callee walk walked only the caller's code that names the
    linted file (``naming``): a function called from code it did not walk is left alone (a guard
    around that call would be missed; the caller's own lint sees it)."""
    if not placements:
        return
    stored = _stored_choices(linted.tree)
    for event in placements:
        origin = event.device.origin
        if origin is None or id(origin.site.node) not in stored or guarded_here(event.context):
            continue
        function = event.context.function
        if function is not None:
            if not _calls_walked(caller.tree, function, naming):
                continue
            if caller.interpreter.functions.guarded_everywhere(function, reached_when=event.context.parameter_tests):
                continue
        interpreter.emit(interpreter.module_frame, event)


def _stored_choices(tree: ast.Module) -> Set[int]:
    """The nodes of the file's module-level assignments and of its methods' ``self.X = ...``: a
    device chosen there is kept for others to place with (a helper's local or returned device is
    not: the caller's placement is the line to fix, see rules/device.py)."""
    found: Set[int] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            found.update(id(node) for node in walk(stmt))
        elif isinstance(stmt, ast.ClassDef):
            for inner in walk(stmt):
                if isinstance(inner, (ast.Assign, ast.AnnAssign)) and any(
                        isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                        for target in (inner.targets if isinstance(inner, ast.Assign) else [inner.target])):
                    found.update(id(node) for node in walk(inner))
    return found


def _calls_walked(tree: ast.Module, qualname: str, naming: FrozenSet[str]) -> bool:
    """Every function of the caller's file that may call ``qualname`` (reads its name: a method's,
    the class's for a dunder, which the language calls) was walked by the callee walk (it names the
    linted file, or is a method of a class built on it): its calls' guards are recorded."""
    parts = qualname.split(".")
    if len(parts) > 2:
        return False  # a nested function: its enclosing function's calls decide
    name = parts[-1] if len(parts) == 1 or not parts[-1].startswith("__") else parts[0]
    wanted = frozenset({name})
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            inherits = any(_names_any(base, naming) for base in stmt.bases)
            functions = [node for node in stmt.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inherits, functions = False, [stmt]
        else:
            continue  # module-level code is walked
        for function in functions:
            if _names_any(function, wanted) and not inherits and not _names_any(function, naming):
                return False
    return True


def importing_files(project: Project) -> List[str]:
    """The project's files whose imports name the linted file's module: those ``walk_callers`` may walk."""
    if project.depth or project.for_callee or not project.root:
        return []
    return _through_packages(_importers_of(_module_stem(project.filename), project), project)


def _through_packages(found: List[str], project: Project) -> List[str]:
    """Importers of a module, and the importers of each package ``__init__.py`` among them (``from
    data import Faces`` where data/__init__.py re-exports the module's names)."""
    found = list(found)
    for package in [path for path in found if os.path.basename(path) == "__init__.py"]:
        found += [path for path in _importers_of(_module_stem(package), project) if path not in found]
    return found


def _importers_of(stem: str, project: Project) -> List[str]:
    root = project.root
    assert root is not None  # importing_files checked it
    on_disk = [path for path in _index(root).get(stem, ()) if path != project.filename]
    # An open buffer's imports win over its file's: the index (rebuilt every INDEX_SECONDS) reads the disk.
    buffered = {path: stem in _imported_stems(text) for path, text in overlay.buffers_under(root)
                if path.endswith(".py") and path != project.filename}
    found = [path for path in on_disk if buffered.get(path, True)]
    found += sorted(path for path, imports in buffered.items() if imports and path not in on_disk)
    return found


def imports_module_of(path: str, imported: str) -> bool:
    """``path``'s imports name the module (or package) stem of the file ``imported``."""
    text = overlay.text_of(path)
    if text is not None:
        return _module_stem(imported) in _imported_stems(text)
    stamp = _stamp(path)
    if stamp is None:
        return False
    known = _STEMS.get(path)
    if known is None or known[0] != stamp:
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            return False
        if len(_STEMS) >= MAX_PROJECT_FILES:
            _STEMS.clear()
        known = _STEMS[path] = (stamp, _imported_stems(text))
    return _module_stem(imported) in known[1]


def _defined_names(tree: ast.Module, interpreter: "Interpreter", lines: Sequence[str]) -> Set[str]:
    """The file's functions and classes whose findings may rest on their callers: those with a
    sink or source token (a conversion, ``.numpy()``, a CUDA token, ...) in their text, and its
    Datasets (a subclass of the project's base Dataset names no NumPy: what its items hold comes
    from the arguments its callers construct it with). And its module-level names bound by such
    an assignment (``DEVICE = torch.device("cuda")`` in a config module: its importers place with it)."""
    env = interpreter.module_frame.env
    seed = re.compile(SEED_PATTERN)
    names: Set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = [stmt.name]
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            bound = [target.id for target in targets if isinstance(target, ast.Name)]
        else:
            continue
        bound = [name for name in bound if name in env]
        if bound and ((isinstance(stmt, ast.ClassDef) and _is_dataset(env[stmt.name]))
                      or seed.search("".join(lines[stmt.lineno - 1:stmt.end_lineno or stmt.lineno]))):
            names.update(bound)
    return names


def _is_dataset(value: "Value") -> bool:
    return value.kind is Kind.CLASS and isinstance(value.definition, ClassInfo) and value.definition.is_dataset


def _module_stem(path: str) -> str:
    base = os.path.basename(path)
    if base == "__init__.py":
        return os.path.basename(os.path.dirname(path))
    return os.path.splitext(base)[0]


def _uses_any(path: str, names: Set[str]) -> bool:
    text = overlay.text_of(path)
    if text is None:
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            return False
    return any(re.search(r"\b%s\b" % re.escape(name), text) for name in names)


def _index(root: str) -> Dict[str, List[str]]:
    cached = _INDEXES.get(root)
    now = time.monotonic()
    if cached is not None and now - cached[0] < INDEX_SECONDS:
        return cached[1]
    index: Dict[str, List[str]] = {}
    for path in _project_files(root):
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        for stem in _imported_stems(text):
            index.setdefault(stem, []).append(path)
    _INDEXES[root] = (now, index)
    return index


def _imported_stems(text: str) -> Set[str]:
    """Last components of imported modules, and names imported from packages (``from . import utils``)."""
    stems: Set[str] = set()
    for match in _IMPORT.finditer(text):
        module, names, plain = match.groups()
        if module is not None:
            last = module.rstrip(".").rsplit(".", 1)[-1]
            if last:
                stems.add(last)
            for name in names.replace("(", " ").replace(")", " ").split(","):
                word = name.strip().split(" ")[0]
                if word.isidentifier():
                    stems.add(word)
        elif plain is not None:
            for name in plain.split(","):
                dotted = name.strip().split(" ")[0]
                if dotted:
                    stems.add(dotted.rsplit(".", 1)[-1])
    return stems


def _project_files(root: str) -> List[str]:
    found: List[str] = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS
                            and not os.path.exists(os.path.join(folder, f, "pyvenv.cfg")))
        for name in sorted(files):
            if name.endswith(".py"):
                found.append(os.path.join(folder, name))
                if len(found) >= MAX_PROJECT_FILES:
                    return found
    return found
