"""One file's code as NTL302's evidence: does it use CUDA, and what do its ``torch.save`` calls store?

Read from the ``ast`` tree, never from the words: a comment or a docstring that says
"cuda" is no CUDA use.

* CUDA use: a ``.cuda()`` call, a ``torch.cuda.<name>`` (probes, tensor types,
  ``torch.cuda.amp``...), or a CUDA device string as a value (``"cuda"``,
  ``"cuda:1"``, ``"torch.cuda.FloatTensor"``: ``.to("cuda")``, ``device="cuda"``,
  ``torch.device("cuda")``, ``default="cuda"``).
* Save sites: each ``torch.save(obj, path)``, the path expression it writes (through
  ``with open(path, "wb") as f`` too), and whether ``obj`` is known to hold CPU data
  only: ``.cpu()`` / ``.to("cpu")`` at the end of its chain (``model.cpu().state_dict()``),
  ``{k: v.cpu() ...}``, ``.numpy()`` / ``.tolist()`` / ``.item()`` results, a training counter
  under its usual key (``"epoch": epoch``), a
  ``torch.load(..., map_location="cpu")`` round trip, constants, containers of these, a
  name bound only to these in the same function; and, in a file whose code never uses
  CUDA, anything built there from the file's own classes and functions and from
  libraries (``nn.Linear(...).state_dict()``, ``(torch.ByteTensor(a), labels)``), with
  nothing from a parameter, ``self``, a project module, or a list or dict filled by
  method calls.
* Loads: the path expression each ``torch.load(path)`` reads and its last component (a
  file name), to be matched to the saves that write it, here or in another module; and
  whether what it loads goes into a ``.load_state_dict(...)`` (a model's weights).
"""
from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from . import api
from .source import NOT_PROJECT
from .nodes import parameter_names, walk

_CUDA_STRING = re.compile(r"cuda(?::\d+)?\Z|torch\.cuda\.\w+\Z")
_BUILTINS = frozenset(dir(builtins))
Test = Callable[[ast.expr], bool]
#: module methods that move it in place when called as a statement (`model.cpu()`).
_MOVES = frozenset({"cpu", "cuda", "to"})
#: methods after which a name no longer holds only what it was built from: they move it
#: (`.to(device)`) or fill it with values from elsewhere (`.append(t)`, `.update(d)`).
_MOVING_OR_FILLING = frozenset({"to", "cuda", "type", "_apply", "apply", "append", "extend", "insert", "update",
                                "setdefault", "add", "set_", "__setitem__"})


def code_uses_cuda(tree: ast.AST) -> bool:
    """The code (not its comments or docstrings) places on CUDA, probes for it or names a CUDA device
    (not as a device type only: ``torch.autocast(device_type="cuda")`` places nothing)."""
    typed = {id(keyword.value) for node in walk(tree) if isinstance(node, ast.Call)
             for keyword in node.keywords if keyword.arg in api.DEVICE_TYPE_KEYWORDS}
    for node in walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            if (isinstance(base, ast.Attribute) and base.attr == api.CUDA_DEVICE_PREFIX) or (
                    isinstance(base, ast.Name) and base.id == api.CUDA_DEVICE_PREFIX):
                return True  # torch.cuda.is_available, torch.cuda.FloatTensor, cuda.amp
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == api.CUDA_DEVICE_PREFIX:
            return True  # x.cuda()
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _CUDA_STRING.match(node.value) \
                and id(node) not in typed:
            return True  # "cuda", "cuda:0", "torch.cuda.FloatTensor" as a whole string: never prose
    return False


#: calls that hand on the path they are given (``str(p)``, ``Path(p)``, ``os.path.abspath(p)``):
#: the path's own last component is what names the file.
PATH_WRAPPERS = frozenset({"str", "Path", "PurePath", "abspath", "expanduser", "realpath", "normpath", "fspath"})


@dataclass(frozen=True)
class SaveSite:
    line: int
    cpu: bool  # the saved object is known to hold CPU data only
    path: Optional[str]  # the path expression written (ast.dump), if one is seen
    tail: Optional[str]  # its last component (a file name, `args.env + ".pt"`), to match other files' loads
    cuda_file: bool  # the saving file's code uses CUDA: what it saves may be on a GPU
    # what it saves reads a parameter of the saving function (`save_checkpoint(model, path)`): its
    # callers decide where those tensors are
    from_parameter: bool = False


@dataclass(frozen=True)
class LoadSite:
    path: Optional[str]
    tail: Optional[str]
    weights: bool  # what it loads goes into a `.load_state_dict(...)`: a module's weights
    tensorless: bool = False  # ... of a module whose state holds no tensors (api.TENSORLESS_STATE_MODULES)


class FileCheckpoints:
    """The save sites and loads of one file (see the module docstring)."""

    def __init__(self, tree: ast.Module, uses_cuda: bool) -> None:
        self.saves: List[SaveSite] = []
        self.loads: Dict[int, LoadSite] = {}  # by id of the load call
        packages, functions = _torch_names(tree)
        if not packages and not functions:
            return
        module = _ModuleNames(tree)
        tensorless_classes = _imported_names(tree, api.TENSORLESS_STATE_MODULES)
        for scope in _scopes(tree):
            names = _ScopeNames(scope)
            reader = _CpuReader(names, module, packages, cuda_free=not uses_cuda)
            calls = [node for node in _own_nodes(scope) if isinstance(node, ast.Call)]
            weights = _loads_into_weights(scope, calls)
            tensorless = _loads_into_weights(scope, calls, tensorless_classes) if tensorless_classes else set()
            for call in calls:
                if not _is_torch_call(call, packages, functions):
                    continue
                if _callee_name(call) in api.SAVE_FUNCTIONS_OF_TORCH:
                    saved = _argument(call, 0, "obj")
                    path = _argument(call, 1, "f")
                    self.saves.append(SaveSite(call.lineno, saved is not None and reader.cpu(saved),
                                               names.path_key(call, path), names.path_tail(call, path), uses_cuda,
                                               saved is not None and _reads_parameter(saved, scope)))
                elif call.args:
                    self.loads[id(call)] = LoadSite(names.path_key(call, call.args[0]),
                                                    names.path_tail(call, call.args[0]), id(call) in weights,
                                                    id(call) in tensorless)

    def saves_read_by(self, load: LoadSite) -> List[SaveSite]:
        """This file's saves that write the path the load reads (the same expression, or the same file name)."""
        return [site for site in self.saves
                if (load.path is not None and site.path == load.path) or (load.tail is not None and site.tail == load.tail)]


def _loads_into_weights(scope: Scope, calls: List[ast.Call], receivers: Optional[Set[str]] = None) -> Set[int]:
    """Ids of the calls whose result reaches a ``.load_state_dict(...)`` argument, directly or through a name;
    with ``receivers``, only of a module built by one of those classes (``trt = TRTModule()``, bound once)."""
    into: Set[int] = set()
    named: Dict[str, Set[int]] = {}
    built: Dict[str, List[ast.expr]] = {}
    for node in _own_nodes(scope):
        target, value = _plain_assignment(node)
        if target is not None and value is not None:
            named.setdefault(target.id, set()).update(id(c) for c in walk(value) if isinstance(c, ast.Call))
            built.setdefault(target.id, []).append(value)
    for call in calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr in api.WEIGHT_LOADING_METHODS:
            if receivers is not None and not _built_by(call.func.value, built, receivers):
                continue
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                for node in walk(argument):
                    if isinstance(node, ast.Call):
                        into.add(id(node))
                    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                        into.update(named.get(node.id, ()))
    return into


def _built_by(receiver: ast.expr, built: Dict[str, List[ast.expr]], classes: Set[str]) -> bool:
    """``TRTModule().load_state_dict``, or a name whose one assignment in the scope is ``TRTModule()``."""
    if isinstance(receiver, ast.Name):
        values = built.get(receiver.id, [])
        if len(values) != 1:
            return False
        receiver = values[0]
    return isinstance(receiver, ast.Call) and _dotted(receiver.func) in classes


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return node.id if isinstance(node, ast.Name) else ""


def _imported_names(tree: ast.Module, qualnames: FrozenSet[str]) -> Set[str]:
    """How the file spells each of ``qualnames`` through its imports (``TRTModule``, ``torch2trt.TRTModule``)."""
    spelled: Set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in qualnames:
                    spelled.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                for qualname in qualnames:
                    if qualname.startswith(alias.name + "."):
                        spelled.add((alias.asname or alias.name) + qualname[len(alias.name):])
    return spelled


def _argument(call: ast.Call, position: int, keyword: str) -> Optional[ast.expr]:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _torch_names(tree: ast.Module) -> Tuple[Set[str], Set[str]]:
    """(names bound to the torch package, names bound to torch.save/torch.load themselves)."""
    packages: Set[str] = set()
    functions: Set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch" or (alias.name.startswith("torch.") and alias.asname is None):
                    packages.add(alias.asname if alias.name == "torch" and alias.asname else "torch")
        elif isinstance(node, ast.ImportFrom) and node.module == "torch" and not node.level:
            for alias in node.names:
                if alias.name in api.SAVE_FUNCTIONS_OF_TORCH or alias.name == "load":
                    functions.add(alias.asname or alias.name)
    return packages, functions


def _is_torch_call(call: ast.Call, packages: Set[str], functions: Set[str]) -> bool:
    """``torch.save(...)`` / ``torch.load(...)`` (or their bare imports)."""
    func = call.func
    if isinstance(func, ast.Attribute) and (func.attr in api.SAVE_FUNCTIONS_OF_TORCH or func.attr == "load"):
        return isinstance(func.value, ast.Name) and func.value.id in packages
    return isinstance(func, ast.Name) and func.id in functions


Scope = ast.AST  # a module or a function: the statements of one namespace


def _scopes(tree: ast.Module) -> Iterator[Scope]:
    yield tree
    for node in walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def _own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of one namespace, nested functions and classes left out (they are scopes of their own)."""
    stack: List[ast.AST] = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _library(module: str) -> bool:
    """An import of a library (standard or third-party), never of the project's own modules."""
    return bool(module) and module.split(".")[0] in NOT_PROJECT


class _ModuleNames:
    """What the file's top level binds: its classes and functions, and the libraries it imports."""

    def __init__(self, tree: ast.Module) -> None:
        self.own: Set[str] = set()
        self.libraries: Set[str] = set()
        # the top-level functions defined once, by name (what a call of that name runs)
        self.functions: Dict[str, ast.FunctionDef] = {}
        defined = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        for function in defined:
            if isinstance(function, ast.FunctionDef) and sum(other.name == function.name for other in defined) == 1:
                self.functions[function.name] = function
        for node in walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.own.add(node.name)  # a def anywhere in the file is the file's own code
        for node in tree.body:
            self.libraries.update(_library_names(node))


def _library_names(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in node.names if _library(a.name)]
    if isinstance(node, ast.ImportFrom) and not node.level and _library(node.module or ""):
        return [a.asname or a.name for a in node.names]
    return []


class _ScopeNames:
    """One namespace's names: what each is bound to, which are moved or filled, where files are opened."""

    def __init__(self, scope: Scope) -> None:
        self.values: Dict[str, List[Optional[ast.expr]]] = {}  # None: bound some other way (a parameter...)
        self.libraries: Set[str] = set()
        self.changed: Set[str] = set()  # receivers of moving or filling methods, targets of item/attribute stores
        self.opened: Dict[int, Dict[str, ast.expr]] = {}  # id of a call -> its enclosing `with open(path) as f`
        # name -> (line, to the CPU) of each statement that moves it in place (`model.cpu()`, `net.to(device)`)
        self.moves: Dict[str, List[Tuple[int, bool]]] = {}
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = scope.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
                        arguments.kwarg]:
                if arg is not None:
                    self.values.setdefault(arg.arg, []).append(None)
        nodes = list(_own_nodes(scope))
        plain: Set[int] = set()
        for node in nodes:
            target, value = _plain_assignment(node)
            if target is not None and value is not None:
                plain.add(id(target))
                self.values.setdefault(target.id, []).append(value)
            self.libraries.update(_library_names(node))
            self._note_change(node)
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):  # `with open(p) as f`: f is built from open(p)
                        plain.add(id(item.optional_vars))
                        self.values.setdefault(item.optional_vars.id, []).append(item.context_expr)
                        call = item.context_expr
                        if (isinstance(call, ast.Call) and call.args and isinstance(call.func, ast.Name)
                                and call.func.id == "open"):
                            for inner in node.body:
                                for sub in walk(inner):
                                    if isinstance(sub, ast.Call):
                                        self.opened.setdefault(id(sub), {})[item.optional_vars.id] = call.args[0]
        for node in nodes:
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in plain:
                self.values.setdefault(node.id, []).append(None)  # a loop target, an unpacking, `+=`, `del`
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    self.values.setdefault(name, []).append(None)

    def _note_change(self, node: ast.AST) -> None:
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.attr in _MOVES):
            to_cpu = call.func.attr == "cpu" or (call.func.attr == "to" and _names_cpu(call))
            self.moves.setdefault(call.func.value.id, []).append((call.lineno, to_cpu))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MOVING_OR_FILLING:
            root = _root_name(node.func.value)
            if root is not None:
                self.changed.add(root)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            root = _root_name(node.value)
            if root is not None:
                self.changed.add(root)

    def path_tail(self, call: ast.Call, path: Optional[ast.expr], depth: int = 0) -> Optional[str]:
        """The last component of a path: ``os.path.join(d, NAME)``, ``d / NAME``, ``"runs/NAME"``,
        ``"dir/%s.pth" % x``, ``prefix + NAME``; a name bound once in the namespace is followed."""
        if path is None or depth > 3:
            return None
        opened = self.opened.get(id(call), {})
        if isinstance(path, ast.Name):
            if path.id in opened:
                return self.path_tail(call, opened[path.id], depth + 1)
            values = self.values.get(path.id, [])
            return self.path_tail(call, values[0], depth + 1) if len(values) == 1 else None
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            name = path.value.replace("\\", "/").rsplit("/", 1)[-1]
            return "file " + name if name and not name.startswith(".") else None  # a bare ".pth" names no file
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute) and path.func.attr == "join" \
                and path.args:
            return self.path_tail(call, path.args[-1], depth + 1)
        if isinstance(path, ast.Call) and isinstance(path.func, (ast.Name, ast.Attribute)):
            helper = path.func.id if isinstance(path.func, ast.Name) else path.func.attr
            if helper in PATH_WRAPPERS:
                return self.path_tail(call, path.args[0], depth + 1) if len(path.args) == 1 else None
            # export_path(run_dir): a helper of the project that names the file; its saves and
            # loads (in any file) read and write what it names
            return "call " + helper
        if isinstance(path, ast.BinOp):
            if isinstance(path.op, ast.Mod):
                return self.path_tail(call, path.left, depth + 1)  # "dir/%s_%d.pth" % (...)
            if isinstance(path.op, ast.Div):
                return self.path_tail(call, path.right, depth + 1)  # pathlib: d / "model.pt"
            if isinstance(path.op, ast.Add):
                right = self.path_tail(call, path.right, depth + 1)
                return right if right is not None else "expr " + ast.dump(path)  # args.env_name + ".pt"
        return None

    def path_key(self, call: ast.Call, path: Optional[ast.expr]) -> Optional[str]:
        """The path expression a save writes or a load reads (through ``with open(path) as f``), as text."""
        opened = self.opened.get(id(call), {})
        if isinstance(path, ast.Name) and path.id in opened:
            path = opened[path.id]
        if path is None or isinstance(path, ast.Name) and len(self.values.get(path.id, ())) != 1:
            return None  # a name bound more than once (or never here) names no one path
        return ast.dump(path)


def _plain_assignment(node: ast.AST) -> Tuple[Optional[ast.Name], Optional[ast.expr]]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0], node.value
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name):
        return node.target, node.value
    return None, None


def _root_name(node: ast.expr) -> Optional[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _CpuReader:
    """Whether an expression of one namespace is known to hold CPU data only."""

    def __init__(self, names: _ScopeNames, module: _ModuleNames, packages: Set[str], cuda_free: bool) -> None:
        self.names = names
        self.module = module
        self.packages = packages
        self.cuda_free = cuda_free
        self._visiting: Set[str] = set()

    def cpu(self, node: ast.expr) -> bool:
        return self._cpu_by_shape(node) or (self.cuda_free and self._built_here(node))

    def _cpu_by_shape(self, node: ast.expr) -> bool:
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            return True  # numbers, strings, None: no storage at all
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.cpu(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(self.cpu(v) or _counter_entry(k, v) for k, v in zip(node.keys, node.values))
        if isinstance(node, ast.DictComp):
            return self.cpu(node.value)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.cpu(node.elt)
        if isinstance(node, ast.Name):
            return self._moved_to_cpu(node) or self._each_value(node.id, self.cpu)
        if isinstance(node, ast.Call):
            return self._call(node)
        return False

    def _moved_to_cpu(self, node: ast.Name) -> bool:
        """The last statement before ``node`` that moved the name in place moved it to the CPU
        (``model.cpu()`` then ``torch.save(model.state_dict(), p)``)."""
        before = [to_cpu for line, to_cpu in self.names.moves.get(node.id, ()) if line < node.lineno]
        return bool(before) and before[-1]

    def _each_value(self, name: str, test: Test) -> bool:
        values = self.names.values.get(name)
        if not values or name in self._visiting or name in self.names.changed:
            return False
        self._visiting.add(name)
        try:
            return all(value is not None and test(value) for value in values)
        finally:
            self._visiting.discard(name)

    def _call(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name):
            return self._returns_cpu(func.id)
        if not isinstance(func, ast.Attribute):
            return False
        method = func.attr
        if method in api.CPU_RESULT_METHODS:
            return True  # x.cpu(), x.numpy(), x.tolist(), x.item()
        if method == "to":
            return _names_cpu(node)
        if method == "load" and isinstance(func.value, ast.Name) and func.value.id in self.packages:
            return _maps_to_cpu(node)  # torch.load(p, map_location="cpu"): a round trip on the CPU
        return method in api.DEVICE_KEEPING_METHODS and self.cpu(func.value)  # model.cpu().state_dict()

    def _returns_cpu(self, name: str) -> bool:
        """A function of this file every ``return`` of which is CPU data by its shape
        (``def cpu_state(m): return {k: v.cpu() for k, v in m.state_dict().items()}``)."""
        function = self.module.functions.get(name)
        if function is None or name in self._visiting:
            return False
        returns = [node.value for node in _own_nodes(function) if isinstance(node, ast.Return)]
        reader = _CpuReader(_ScopeNames(function), self.module, self.packages, cuda_free=False)
        reader._visiting = self._visiting | {name}
        return bool(returns) and all(value is not None and reader._cpu_by_shape(value) for value in returns)

    def _built_here(self, node: ast.expr) -> bool:
        """Every name it reads is built in this namespace from the file's own code and libraries,
        and nothing in it is read back from a file (``torch.load``, ``pickle.load``: what was saved)."""
        for current in walk(node):
            if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load) and not self._here(current.id):
                return False
            if isinstance(current, ast.Call) and _callee_name(current) in api.READ_BACK_CALLS:
                return False
        return True

    def _here(self, name: str) -> bool:
        if name in self.names.values:
            return self._each_value(name, self._built_here)
        if name in self.names.libraries or name in self.module.libraries or name in self.module.own:
            return True
        return name in _BUILTINS


def _counter_entry(key: Optional[ast.expr], value: ast.expr) -> bool:
    """``"epoch": epoch`` (or ``self.epoch``, ``epoch + 1``) in a checkpoint dict: a training counter."""
    if not (isinstance(key, ast.Constant) and key.value in api.CHECKPOINT_COUNTER_KEYS):
        return False
    if isinstance(value, ast.BinOp) and isinstance(value.right, ast.Constant):
        value = value.left
    return isinstance(value, (ast.Name, ast.Attribute))


def _reads_parameter(node: ast.expr, scope: Scope) -> bool:
    """``node`` reads a parameter of the function ``scope`` other than ``self``/``cls``."""
    arguments = getattr(scope, "args", None)
    if not isinstance(arguments, ast.arguments):
        return False
    names = parameter_names(arguments) - {"self", "cls"}
    return any(isinstance(n, ast.Name) and n.id in names for n in walk(node))


def _callee_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


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
