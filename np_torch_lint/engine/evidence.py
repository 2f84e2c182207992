"""NTL302's evidence: does the code use CUDA, and what do the project's own saves store?

A checkpoint holds CUDA storages only where some code put tensors on a GPU and
saved them. Two facts stand for that, both read from code (never from comments,
docstrings or the word "cuda" in a message):

* CUDA use: a ``.cuda()`` call, a ``torch.cuda.<name>`` (probes, tensor types,
  ``torch.cuda.amp``...), or a CUDA device string (``"cuda"``, ``"cuda:1"``,
  ``"torch.cuda.FloatTensor"``) as a value: ``.to("cuda")``, ``device="cuda"``,
  ``torch.device("cuda")``, ``default="cuda"``. First the linted file's own code,
  then the project's: every ``.py`` file under its root (see ``project.py``).
* Save sites: each ``torch.save(obj, ...)`` of the project, and whether ``obj``
  is known to hold only CPU data: ``.cpu()`` / ``.to("cpu")`` at the end of its
  chain (``model.cpu().state_dict()``), ``{k: v.cpu() ...}``, ``.numpy()`` /
  ``.tolist()`` / ``.item()`` results, a ``torch.load(..., map_location="cpu")``
  round trip, constants, containers of these, a name bound only to these in the
  same function, or the ``state_dict()`` of a model built in a file that never
  uses CUDA (a class of that file or of ``torch.nn``).

The project scan is bounded (files, bytes), reads no folder of third-party code
(virtual environments, ``site-packages``, hidden folders, build outputs), and is
kept per process by project root, checked against the stamps of what it read.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

from . import api
from .project import MAX_BYTES, Stamp, _stamp as file_stamp, project_root, stamp_is_current

#: files read for one project's scan, and bytes in all: a bigger tree is not summarized
#: (its evidence is unknown, and unknown is silent).
MAX_FILES = 3000
MAX_TOTAL_BYTES = 60_000_000
#: folders never read: third-party code, caches and build outputs.
SKIPPED_FOLDERS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__", "build", "dist"})
#: a folder holding one of these is an environment of installed packages (virtualenv, conda).
ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")
_CUDA_STRING = re.compile(r"cuda(?::\d+)?\Z|torch\.cuda\.\w+\Z")


# --- one file's code --------------------------------------------------------------------

def code_uses_cuda(tree: ast.AST) -> bool:
    """The code (not its comments or docstrings) places on CUDA, probes for it or names a CUDA device."""
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            if (isinstance(base, ast.Attribute) and base.attr == api.CUDA_DEVICE_PREFIX) or (
                    isinstance(base, ast.Name) and base.id == api.CUDA_DEVICE_PREFIX):
                return True  # torch.cuda.is_available, torch.cuda.FloatTensor, cuda.amp
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == api.CUDA_DEVICE_PREFIX:
            return True  # x.cuda()
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and _CUDA_STRING.match(node.value):
            return True  # "cuda", "cuda:0", "torch.cuda.FloatTensor" as a value
    return False


def _docstrings(tree: ast.AST) -> Set[int]:
    found: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def torch_save_names(tree: ast.Module) -> Tuple[Set[str], Set[str]]:
    """(names bound to the torch package, names bound to torch.save itself) by the file's imports."""
    packages: Set[str] = set()
    functions: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch":
                    packages.add(alias.asname or "torch")
                elif alias.name.startswith("torch.") and alias.asname is None:
                    packages.add("torch")
        elif isinstance(node, ast.ImportFrom) and node.module == "torch" and not node.level:
            for alias in node.names:
                if alias.name in api.SAVE_FUNCTIONS_OF_TORCH:
                    functions.add(alias.asname or alias.name)
    return packages, functions


def save_sites(tree: ast.Module, uses_cuda: Optional[bool] = None) -> List["SaveSite"]:
    """Every ``torch.save(obj, ...)`` of the file, each with whether ``obj`` is known to hold CPU data only."""
    packages, functions = torch_save_names(tree)
    if not packages and not functions:
        return []
    cuda_free = (not code_uses_cuda(tree)) if uses_cuda is None else not uses_cuda
    classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found: List[SaveSite] = []
    for scope in _scopes(tree):
        bindings = _bindings(scope)
        reader = _CpuReader(bindings, classes, packages, cuda_free)
        for call in _calls_in(scope):
            if _is_torch_save(call, packages, functions):
                saved = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "obj"), None)
                found.append(SaveSite(call.lineno, saved is not None and reader.cpu(saved)))
    return found


@dataclass(frozen=True)
class SaveSite:
    line: int
    cpu: bool  # the saved object is known to hold CPU data only


def _is_torch_save(call: ast.Call, packages: Set[str], functions: Set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in api.SAVE_FUNCTIONS_OF_TORCH:
        return isinstance(func.value, ast.Name) and func.value.id in packages
    return isinstance(func, ast.Name) and func.id in functions


Scope = ast.AST  # a module or a function: the statements of one namespace


def _scopes(tree: ast.Module) -> Iterator[Scope]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def _own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of one namespace, nested functions and classes left out (they are scopes of their own)."""
    stack: List[ast.AST] = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(node.decorator_list if not isinstance(node, ast.Lambda) else [])
            continue
        if isinstance(node, ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _calls_in(scope: Scope) -> Iterator[ast.Call]:
    return (node for node in _own_nodes(scope) if isinstance(node, ast.Call))


def _bindings(scope: Scope) -> Dict[str, List[Optional[ast.expr]]]:
    """Each name of the namespace and the values bound to it (``None``: bound some other way)."""
    out: Dict[str, List[Optional[ast.expr]]] = {}
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = scope.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]:
            if arg is not None:
                out.setdefault(arg.arg, []).append(None)
    nodes = list(_own_nodes(scope))
    plain: Set[int] = set()  # `name = value` targets: bound to a value we can read
    for node in nodes:
        target: Optional[ast.expr] = None
        value: Optional[ast.expr] = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            plain.add(id(target))
            out.setdefault(target.id, []).append(value)
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in plain:
            out.setdefault(node.id, []).append(None)  # a loop target, a tuple unpacking, `+=`, `del`
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                out.setdefault(name, []).append(None)
    return out


class _CpuReader:
    """Whether an expression of one namespace is known to hold CPU data only."""

    def __init__(self, bindings: Dict[str, List[Optional[ast.expr]]], classes: Set[str], packages: Set[str],
                 cuda_free: bool) -> None:
        self.bindings = bindings
        self.classes = classes
        self.packages = packages
        self.cuda_free = cuda_free
        self._visiting: Set[str] = set()

    def cpu(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return True  # numbers, strings, None: no storage at all
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.cpu(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(self.cpu(v) for v in node.values)
        if isinstance(node, ast.DictComp):
            return self.cpu(node.value)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.cpu(node.elt)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call):
            return self._call(node)
        return False

    def _name(self, name: str) -> bool:
        values = self.bindings.get(name)
        if not values or name in self._visiting:
            return False
        self._visiting.add(name)
        try:
            return all(value is not None and self.cpu(value) for value in values)
        finally:
            self._visiting.discard(name)

    def _call(self, node: ast.Call) -> bool:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return False
        method = func.attr
        if method in api.CPU_RESULT_METHODS:
            return True  # x.cpu(), x.numpy(), x.tolist(), x.item()
        if method == "to":
            return _names_cpu(node)
        if method == "load" and isinstance(func.value, ast.Name) and func.value.id in self.packages:
            return _maps_to_cpu(node)  # torch.load(p, map_location="cpu"): a round trip on the CPU
        if method in api.DEVICE_KEEPING_METHODS:
            receiver = func.value
            if self.cpu(receiver):
                return True  # model.cpu().state_dict(), t.cpu().clone()
            return method == "state_dict" and self._built_on_cpu(receiver)
        return False

    def _built_on_cpu(self, receiver: ast.expr) -> bool:
        """A model made in this namespace by a class of a file that never uses CUDA, or by torch.nn."""
        if not self.cuda_free or not isinstance(receiver, ast.Name):
            return False
        values = self.bindings.get(receiver.id) or []
        return bool(values) and all(value is not None and self._constructor(value) for value in values)

    def _constructor(self, value: ast.expr) -> bool:
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in self.classes
        # nn.Linear(...), torch.nn.Sequential(...)
        return isinstance(func, ast.Attribute) and _dotted(func.value) in {"nn", *(p + ".nn" for p in self.packages)}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    return ""


def _names_cpu(call: ast.Call) -> bool:
    """``.to("cpu")``, ``.to(device="cpu")``, ``.to(torch.device("cpu"))``."""
    arguments = list(call.args[:1]) + [k.value for k in call.keywords if k.arg == "device"]
    return any(_cpu_literal(a) for a in arguments)


def _cpu_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == api.CPU_DEVICE
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, (ast.Attribute, ast.Name)):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        return name == "device" and _cpu_literal(node.args[0])
    return False


def _maps_to_cpu(call: ast.Call) -> bool:
    location = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "map_location"), None)
    if location is None:
        return False
    if _cpu_literal(location):
        return True
    # map_location=lambda storage, loc: storage: every storage stays on the CPU.
    return (isinstance(location, ast.Lambda) and bool(location.args.args)
            and isinstance(location.body, ast.Name) and location.body.id == location.args.args[0].arg)


# --- the project ------------------------------------------------------------------------

@dataclass(frozen=True)
class FileFacts:
    """One project file's code: does it use CUDA, and its saves (all, and those not known to be CPU)."""

    stamp: Stamp
    uses_cuda: bool
    saves: int
    gpu_saves: int


@dataclass
class ProjectScan:
    """What the code of a project's ``.py`` files shows (see the module docstring)."""

    root: str
    complete: bool = True  # False: a bound was hit or a file was unreadable, so "nowhere" is not known
    files: List[FileFacts] = field(default_factory=list)
    stamps: List[Stamp] = field(default_factory=list)  # every folder and file read (for the cache)

    def current(self) -> bool:
        return all(stamp_is_current(stamp) for stamp in self.stamps)


_SCANS: Dict[str, ProjectScan] = {}  # per process: project root -> scan (checked against its stamps)


def project_scan(filename: str) -> ProjectScan:
    """The scan of the project that holds ``filename``: its root's tree, or its folder alone when no root marker."""
    folder = os.path.dirname(os.path.abspath(filename))
    root = project_root(folder)
    key = root or folder
    cached = _SCANS.get(key)
    if cached is None or not cached.current():
        cached = _scan(key, recursive=root is not None)
        _SCANS[key] = cached
    return cached


class CheckpointEvidence:
    """NTL302's questions about one linted file, answered lazily from its code and then its project's.

    The linted file is read from ``tree`` (the text being linted, saved or not); the project's
    other files from disk. ``dependencies`` collects the stamps an answer rests on, for the
    command's cache: the one file that shows CUDA use or a save of GPU data, or, where the answer
    is "nowhere", every folder and file the scan read.
    """

    def __init__(self, text: str, tree: ast.Module, filename: Optional[str]) -> None:
        self._text = text
        self._tree = tree
        self._path = os.path.abspath(filename) if filename else None
        self._own_cuda: Optional[bool] = None
        self._own_saves: Optional[List[SaveSite]] = None
        self.dependencies: List[Stamp] = []

    def file_uses_cuda(self) -> bool:
        if self._own_cuda is None:
            self._own_cuda = api.CUDA_DEVICE_PREFIX in self._text and code_uses_cuda(self._tree)
        return self._own_cuda

    def uses_cuda(self) -> bool:
        """This file's code, or another file of its project, uses CUDA."""
        if self.file_uses_cuda():
            return True
        scan = self._scan()
        if scan is None:
            return False
        witness = next((f for f in scan.files if f.uses_cuda and f.stamp[0] != self._path), None)
        self.dependencies.extend([witness.stamp] if witness is not None else scan.stamps)
        return witness is not None

    def saves_on_cpu(self) -> bool:
        """Every ``torch.save`` of the project (this file's included) stores CPU data, and there is one."""
        if self._own_saves is None:
            self._own_saves = save_sites(self._tree, self.file_uses_cuda())
        if any(not site.cpu for site in self._own_saves):
            return False
        scan = self._scan()
        if scan is None:
            return bool(self._own_saves)  # no project: this file's saves are all there is to see
        others = [f for f in scan.files if f.stamp[0] != self._path]
        witness = next((f for f in others if f.gpu_saves), None)
        self.dependencies.extend([witness.stamp] if witness is not None else scan.stamps)
        if witness is not None or not scan.complete:
            return False
        return bool(self._own_saves) or any(f.saves for f in others)

    def _scan(self) -> Optional[ProjectScan]:
        return project_scan(self._path) if self._path is not None else None


def _scan(top: str, recursive: bool) -> ProjectScan:
    scan = ProjectScan(top)
    files = 0
    total = 0
    for path in _python_files(top, recursive, scan):
        stamp = file_stamp(path)
        if stamp is None:
            continue
        files += 1
        total += stamp[1]
        if files > MAX_FILES or total > MAX_TOTAL_BYTES:
            scan.complete = False
            break
        scan.stamps.append(stamp)
        if stamp[1] > MAX_BYTES:
            scan.complete = False  # a generated module: not read, so its saves are unknown
            continue
        facts = _read(path, stamp)
        if facts is None:
            scan.complete = False
        elif facts.uses_cuda or facts.saves:
            scan.files.append(facts)
    return scan


def _read(path: str, stamp: Stamp) -> Optional[FileFacts]:
    """The file's facts; ``None`` when it cannot be read as Python (its saves are unknown)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    mentions_cuda = api.CUDA_DEVICE_PREFIX.encode() in data
    mentions_save = b"torch" in data and any(name.encode() in data for name in api.SAVE_FUNCTIONS_OF_TORCH)
    if not mentions_cuda and not mentions_save:
        return FileFacts(stamp, False, 0, 0)
    try:
        tree = ast.parse(data.decode("utf-8"))
    except (UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    uses_cuda = mentions_cuda and code_uses_cuda(tree)
    sites = save_sites(tree, uses_cuda) if mentions_save else []
    return FileFacts(stamp, uses_cuda, len(sites), sum(1 for site in sites if not site.cpu))


def _python_files(top: str, recursive: bool, scan: ProjectScan) -> Iterable[str]:
    """The ``.py`` files under ``top`` in a stable order; each folder read is stamped for the cache."""
    stack = [top]
    while stack:
        folder = stack.pop()
        stamp = file_stamp(folder)
        if stamp is not None:
            scan.stamps.append(stamp)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders: List[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and _project_folder(entry):
                        subfolders.append(entry.path)
                elif entry.name.endswith(".py") and entry.is_file():
                    yield entry.path
            except OSError:
                continue
        stack.extend(reversed(subfolders))


def _project_folder(entry: "os.DirEntry[str]") -> bool:
    name = entry.name
    if name.startswith(".") or name in SKIPPED_FOLDERS or name.endswith(".egg-info"):
        return False
    return not any(os.path.exists(os.path.join(entry.path, marker)) for marker in ENVIRONMENT_MARKERS)

