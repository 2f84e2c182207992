"""Frames, functions and classes: the state the interpreter walks with."""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field, replace
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple, Union

from .events import Context
from .nodes import walk
from .values import UNKNOWN, Tri, Value, join


@dataclass(eq=False)
class FunctionInfo:
    qualname: str
    node: Union[ast.FunctionDef, ast.AsyncFunctionDef]
    closure: "Frame"  # the frame the function was defined in (its globals/closure)
    grad: Tri  # NO under @torch.no_grad() / @torch.inference_mode(), else YES
    owner: Optional["ClassInfo"] = None
    summary: Optional[Value] = None  # join of its return values, once walked
    summarizing: bool = False
    generator: bool = False  # has a yield: a call returns a generator, not the returns' join
    guarded: bool = False  # defined on a CUDA-guarded path
    # Walks for the facts of a call's arguments: key -> (returned value, events raised, what it
    # stored on self, the in-place writes it left pending on its parameters: Frame.escaping_writes).
    call_results: Dict[Any, Tuple[Value, Tuple[object, ...], Dict[str, Value], Dict[str, Tuple[Any, str, Any]]]] = \
        field(default_factory=dict)
    active_calls: int = 0  # walks for arguments in progress (recursion stops here)
    home: Any = None  # the interpreter of the file that defines it (another project module's, if imported)
    # Every normal return of it (walked from an unguarded start) is on a CUDA-guarded path: a helper that
    # exits without a GPU or makes an NCCL process group (`init_distributed_mode(args)`); a call of it
    # as a statement guards what follows.
    returns_only_with_cuda: bool = False
    # Its walk with unknown parameters updated parameters in place (optimizer.step()): a call of it
    # in a loop updates them on every iteration, wherever its arguments are unknown too.
    updates_parameters: bool = False
    # attributes of self its walk with unknown arguments writes in place (``self.pos += v``): a
    # call in a loop writes them there (functions.FunctionWalks._writes_on_receiver)
    writes_on_self: FrozenSet[str] = frozenset()
    # what its walk with unknown arguments stored on self (a method): what a call leaves on an
    # instance that carries no attributes of its own (functions.FunctionWalks._receiver_after)
    stores: Optional[Dict[str, "Value"]] = None
    # parameter -> how the function writes it in place (engine/effects.py), once scanned
    written_parameters: Optional[Dict[str, FrozenSet[str]]] = None


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: ast.ClassDef
    is_module: bool  # a torch.nn.Module subclass
    bases: List["ClassInfo"] = field(default_factory=list)
    is_dataset: bool = False  # a map-style torch.utils.data.Dataset subclass
    cuda_only: bool = False  # decorated to run only where CUDA is (e.g. a skipIf on the test class)
    casts_self: bool = False  # a module that moves itself (self.double()): its dtype is not float32
    places_self: bool = False  # it (or a base) calls self.cuda()/self.to(...): not on the CPU as built
    custom_collate: bool = False  # given to a DataLoader with its own collate_fn: default_collate may not run
    collated_float64: bool = False  # and that collate_fn, walked with its items, returns float64 data
    scan: Any = None  # classes.ClassScan: what one walk of its body tells
    methods: Dict[str, FunctionInfo] = field(default_factory=dict)
    class_attrs: Dict[str, Value] = field(default_factory=dict)
    attrs: Optional[Dict[str, Value]] = None  # self.<name> after __init__ (lazy)
    init_attrs: Optional[Dict[str, Value]] = None  # what the walk of __init__ assigned
    computing_attrs: bool = False
    home: Any = None  # the interpreter of the file that defines it

    def lineage(self) -> Iterator["ClassInfo"]:
        """The class and its bases, theirs in turn, each once."""
        seen: Set[int] = set()
        pending: List[ClassInfo] = [self]
        while pending:
            current = pending.pop()
            if id(current) not in seen:
                seen.add(id(current))
                yield current
                pending.extend(current.bases)

    def method(self, name: str) -> Optional[FunctionInfo]:
        if name in self.methods:
            return self.methods[name]
        for base in self.bases:
            found = base.method(name)
            if found is not None:
                return found
        return None


def attribute_key(node: ast.Attribute) -> str:
    """The frame entry of ``self.<attr>`` as a method sets it on one path ("self.weight": no
    identifier has a dot, so it never meets a name). Joined where paths meet like a name; an
    entry set on some paths only is dropped there, and the read falls back to the class's join."""
    assert isinstance(node.value, ast.Name)
    return f"{node.value.id}.{node.attr}"


def storage_key(node: Optional[ast.expr]) -> Optional[str]:
    """The name a memory share is followed by (NTL401): a variable (``raw``) or an attribute of
    one (``self.raw``, ``data.x``, as ``attribute_key`` writes it), also through a basic slice of
    either (``buf.rewards[:n]``, ``a[0, 1:]``: a view of the same memory); anything else is not
    followed (``a[idx]`` with an index array copies)."""
    while isinstance(node, ast.Subscript) and _basic_index(node.slice):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return attribute_key(node)
    return None


def _basic_index(index: ast.expr) -> bool:
    """Slices, ``...``, ``None`` and integer literals: an index that makes a view."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(part, ast.Slice) for part in parts) and all(
        isinstance(part, ast.Slice) or (isinstance(part, ast.Constant) and (
            part.value is Ellipsis or part.value is None or type(part.value) is int)) for part in parts)


def instance_relative(shares_with: Optional[str], self_name: Optional[str]) -> Optional[str]:
    """What a value stored on ``self`` shares memory with, as the instance keeps it: another
    attribute of the same instance (``self.raw`` -> ``.raw``); a share with a local name ends
    with the method's frame."""
    if shares_with is None or self_name is None or not shares_with.startswith(self_name + "."):
        return None
    return shares_with[len(self_name):]


#: a returned item's share with another item of the same returned tuple (``return raw,
#: torch.from_numpy(raw)``): the position of that item; the caller's unpacking names it.
_SIBLING = "<returned item "


def sibling_share(position: int) -> str:
    return f"{_SIBLING}{position}>"


def sibling_position(shares_with: Optional[str]) -> Optional[int]:
    """The position a returned item's share names (``sibling_share``), if it names one."""
    if shares_with is None or not shares_with.startswith(_SIBLING):
        return None
    return int(shares_with[len(_SIBLING):-1])


def on_instance(shares_with: Optional[str], holder: Optional[ast.expr]) -> Optional[str]:
    """A share kept by an instance (``.raw``) read through the variable that holds it
    (``data.x`` -> ``data.raw``); ``None`` where the holder is no plain name."""
    if shares_with is None or not shares_with.startswith("."):
        return shares_with
    return f"{holder.id}{shares_with}" if isinstance(holder, ast.Name) else None


# Names a module reads from builtins when it does not bind them itself.
BUILTIN_NAMES = frozenset(dir(builtins))


class Frame:
    """The environment of one walk: local names, context, where we are."""

    def __init__(self, parent: Optional["Frame"], context: Context,
                 function: Optional[FunctionInfo] = None) -> None:
        self.env: Dict[str, Value] = {}
        self.parent = parent
        self.context = context
        self.function = function
        self.returns: List[Value] = []
        self.yields: List[Value] = []  # what a generator's walk yields (shared by the branches, like ``returns``)
        # The parameters the call being walked left to their defaults, as bound (shared by the branches).
        self.defaults: Dict[str, Value] = {}
        # The loop targets this walk of a loop over a literal (``for phase in ["train", "val"]``)
        # binds to one known constant each: name -> constant (see interpreter.loop).
        self.iteration: Dict[str, Any] = {}
        # For each way the walk left the function normally (a return, the end of the body): was CUDA
        # guarded there (shared by the branches, like ``returns``).
        self.exits_guarded: List[bool] = []
        # While a class's __init__ is walked: self.<name> assignments land here.
        self.attr_sink: Optional[Dict[str, Value]] = None
        self.self_name: Optional[str] = None
        # Memory shares between names (both directions): name -> (partner, where it began).
        self.aliases: Dict[str, Tuple[str, Any]] = {}
        # Partner name -> (write site, written name, share site): an in-place write waiting for a read.
        self.pending_writes: Dict[str, Tuple[Any, str, Any]] = {}
        # Parameter -> its pending write, where the function returns the view it wrote through
        # (``profile = t.numpy(); profile -= ...; return profile``): the caller's argument was
        # written, and the caller's later read of it is the read (shared by the branches, like ``returns``).
        self.escaping_writes: Dict[str, Tuple[Any, str, Any]] = {}
        # The frame this one is a branch of (itself unless made by fork): a module-level branch
        # is still that module's global scope.
        self.root: Frame = self

    def lookup(self, name: str) -> Optional[Value]:
        frame: Optional[Frame] = self
        while frame is not None:
            value = frame.env.get(name)
            if value is not None:
                return value
            frame = frame.parent
        return None

    def fork(self, **context_changes: Any) -> "Frame":
        """A copy for one branch: same parent and returns, its own names and context."""
        child = Frame(self.parent, replace(self.context, **context_changes) if context_changes else self.context,
                      self.function)
        child.env = dict(self.env)
        child.returns = self.returns
        child.yields = self.yields
        child.defaults = self.defaults
        child.iteration = self.iteration
        child.exits_guarded = self.exits_guarded
        child.escaping_writes = self.escaping_writes
        child.attr_sink = self.attr_sink
        child.self_name = self.self_name
        child.aliases = dict(self.aliases)
        child.pending_writes = dict(self.pending_writes)
        child.root = self.root
        return child

    def merge(self, *branches: "Frame") -> None:
        """Set this frame's names to the join of the branches that reach here."""
        if not branches:
            return
        # A share holds after the join only if every branch kept it; a pending write from
        # any branch stays pending (that path wrote, and a later read follows it).
        first = branches[0].aliases
        self.aliases = {k: v for k, v in first.items() if all(b.aliases.get(k) == v for b in branches[1:])}
        self.pending_writes = {}
        for branch in branches:
            self.pending_writes.update(branch.pending_writes)
        if len(branches) == 1:
            self.env = branches[0].env
            return
        keys: Set[str] = set()
        for branch in branches:
            keys.update(branch.env)
        merged: Dict[str, Value] = {}
        for key in keys:
            outer = self.parent.lookup(key) if self.parent is not None else None
            if outer is None and "." in key and any(key not in branch.env for branch in branches):
                continue  # self.<attr> set on some paths only (see attribute_key)
            bound = branches
            if outer is None and key not in BUILTIN_NAMES:
                # A name no outer scope binds, bound on some paths only: a read after the join
                # on a path that did not bind it raises NameError, so every read that succeeds
                # sees a value from a path that bound it (`if __name__ == "__main__": args = ...`).
                bound = tuple(branch for branch in branches if key in branch.env)
            value: Optional[Value] = bound[0].env.get(key, outer)
            for branch in bound[1:]:
                other = branch.env.get(key, outer)
                value = value if value is other else join(value, other)
            merged[key] = value if value is not None else UNKNOWN
        self.env = merged


def self_accesses(cls: ClassInfo, method: str) -> Iterator[Tuple[FunctionInfo, ast.Attribute]]:
    """Each ``self.<name>`` (read or stored) in a method of ``cls`` and in the methods it calls on
    ``self`` in turn, with the method it is in (a method named as ``self.<name>`` counts as called)."""
    seen: Set[str] = set()
    pending = [method]
    while pending:
        name = pending.pop()
        info = cls.method(name)
        if name in seen or info is None:
            continue
        seen.add(name)
        arguments = info.node.args.posonlyargs + info.node.args.args
        if not arguments:
            continue
        self_name = arguments[0].arg
        for current in walk(info.node):
            if isinstance(current, ast.Attribute) and isinstance(current.value, ast.Name) \
                    and current.value.id == self_name:
                if isinstance(current.ctx, ast.Load):
                    pending.append(current.attr)  # self.helper(): a method read is a method called
                yield info, current


def escape_self_writes(frame: Frame) -> None:
    """A method's in-place write through one of its instance's attributes to memory another
    attribute holds (``self.series.sub_(m)`` with ``self.series = torch.from_numpy(self.raw)``),
    not read back before it returns: its caller's instance has that attribute changed, and the
    caller's later read of it (``monitor.raw``, a method reading ``self.raw``) sees the write."""
    if frame.self_name is None or not frame.pending_writes:
        return
    prefix = frame.self_name + "."
    for partner, pending in frame.pending_writes.items():
        if partner.startswith(prefix):
            frame.escaping_writes.setdefault(partner, pending)
