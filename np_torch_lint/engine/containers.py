"""Dicts as the engine keeps them: values under constant keys, and the join of all values.

A dict literal ``{"image": a, "label": y}`` keeps each value under its key (``keys`` and
``elements``, in order) and the join of them all (``element``). ``d["image"]`` is that
value; ``d[k]`` with a key not known until run time is the join (one of the values, so
whatever they all agree on holds); ``.items()`` and ``.values()`` iterate the join. A store
``d["x"] = v`` updates the known value; anything that may change the dict in a way the
engine does not follow (a mutating method, being passed to a function) forgets its
contents: ``element`` becomes unknown, and with it every read.

An object of a type the engine does not know (a batch from a loader) keeps what is stored
in it at constant keys the same way (``Kind.OBJECT``): ``batch[0] = batch[0].to(device)``
then ``model(batch[0])``. Its other items are unknown (``element`` is), and any use of the
object other than reading an item (a method call, being passed to a call) forgets it.
"""
from __future__ import annotations

import ast
from typing import Any, Optional, Sequence, Tuple

from .values import UNKNOWN, Kind, Tri, Value, holds_parameters, join, join_elements, sequence
from .nodes import walk

#: a key whose value is only known at run time.
UNKNOWN_KEY = object()
#: list methods that add elements (a ModuleList's too): the list holds what it held, and what they add.
GROWING_METHODS = frozenset({"append", "extend", "insert"})
#: list methods that change a list without adding anything to it: what it holds is still a part
#: of what was put in, so what every element agrees on still holds.
NON_ADDING_METHODS = frozenset({"pop", "clear", "remove", "sort", "reverse", "copy", "index", "count"})
#: list methods that take elements away: a module with parameters it held may be gone.
REMOVING_METHODS = frozenset({"pop", "clear", "remove"})
#: the module containers that grow like a list.
GROWING_MODULES = frozenset({"ModuleList", "Sequential"})
#: dict methods that read without changing it, and what they give.
READING_METHODS = frozenset({"items", "values", "keys", "get", "copy"})


def constant_key(node: Optional[ast.expr]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return node.value
    return UNKNOWN_KEY


def literal(keys: Sequence[Optional[ast.expr]], values: Sequence[Value]) -> Value:
    """``{k: v, ...}``; a ``**spread`` makes the contents unknown."""
    if any(key is None for key in keys):
        return contents_unknown()
    constant = tuple(constant_key(key) for key in keys)
    element: Optional[Value] = None
    for value in values:
        element = join_elements(element, value)
    if any(key is UNKNOWN_KEY for key in constant):
        return Value(kind=Kind.DICT, element=element)
    return Value(kind=Kind.DICT, keys=constant, elements=tuple(values), element=element)


def contents_unknown() -> Value:
    return Value(kind=Kind.DICT, element=UNKNOWN)


def built(element: Value) -> Value:
    """A dict comprehension: every value is ``element``, keys unknown."""
    return Value(kind=Kind.DICT, element=element)


def holding_views(container: Value) -> Value:
    """A comprehension whose every item is a view of a live parameter (``[p.detach().numpy() for p
    in model.parameters()]``, ``{k: v.numpy() for k, v in sd.items()}``) is, kept as a whole, a
    snapshot of live storage like ``state_dict()`` (NTL402); its origin is the item's."""
    element = container.element
    if element is None or not element.param_view:
        return container
    return container.with_(param_view=True, origin=element.origin)


def replaces_item(target: ast.Subscript, key: Any, source: Optional[ast.expr]) -> bool:
    """Whether ``obj[key] = source``, on an object of unknown type, is known to put that value there.

    A string key is an item of a mapping (a batch dict). An integer key could be a row of a
    preallocated array or tensor, where the store copies into the old dtype and device; only
    the idiom that updates an item from itself (``batch[0] = batch[0].to(device)``) is taken,
    since there the value read back has the stored one's facts for a list, and the same facts
    for an array or tensor unless the update casts or moves it."""
    if isinstance(key, str):
        return True
    if key is UNKNOWN_KEY or source is None:
        return False
    wanted = ast.dump(target.slice)
    return any(isinstance(node, ast.Subscript) and ast.dump(node.slice) == wanted
               and isinstance(node.value, ast.Name) and isinstance(target.value, ast.Name)
               and node.value.id == target.value.id for node in walk(source))


def stored_in_object(obj: Value, key: Any, value: Value) -> Value:
    """``obj[key] = value`` on an object of unknown type (or one already holding items)."""
    if key is UNKNOWN_KEY:
        return UNKNOWN
    held = obj if obj.kind is Kind.OBJECT else Value(kind=Kind.OBJECT, keys=(), elements=(), element=UNKNOWN)
    return stored(held, key, value).with_(kind=Kind.OBJECT, element=UNKNOWN)


def stored_in_list(seq: Value, key: Any, value: Value) -> Value:
    """``items[i] = value`` on a list whose length is known: that element changes."""
    if seq.elements is not None and isinstance(key, int) and -len(seq.elements) <= key < len(seq.elements):
        elements = list(seq.elements)
        elements[key] = value
        return sequence(tuple(elements))
    return Value(kind=Kind.SEQUENCE, element=join_elements(seq.element, value))


def item(d: Value, key: Any) -> Value:
    """``d[key]`` (``key``: a constant or UNKNOWN_KEY)."""
    if d.keys is not None and d.elements is not None and key is not UNKNOWN_KEY:
        for known, value in zip(d.keys, d.elements):
            if known == key:
                return value
        return UNKNOWN  # a key the literal does not hold: set by code the engine does not follow
    if (key is UNKNOWN_KEY or d.keys is None) and d.element is not None:
        return d.element  # one of the values, whichever key it is
    return UNKNOWN


def keyword_dict(keys: Sequence[Any], values: Sequence[Value]) -> Value:
    """``{key: value, ...}`` of known keys (a ``**kwargs`` parameter as a call fills it)."""
    element: Optional[Value] = None
    for value in values:
        element = join_elements(element, value)
    return Value(kind=Kind.DICT, keys=tuple(keys), elements=tuple(values), element=element)


def stored(d: Value, key: Any, value: Value) -> Value:
    """``d[key] = value``."""
    element = join_elements(d.element, value)
    if d.keys is not None and d.elements is not None and key is not UNKNOWN_KEY:
        if key in d.keys:
            index = d.keys.index(key)
            elements: Tuple[Value, ...] = d.elements[:index] + (value,) + d.elements[index + 1:]
            # the old value no longer counts in the join: rebuild it from the values held now
            element = None
            for held in elements:
                element = join_elements(element, held)
            return Value(kind=Kind.DICT, keys=d.keys, elements=elements, element=element)
        return Value(kind=Kind.DICT, keys=d.keys + (key,), elements=d.elements + (value,), element=element)
    return Value(kind=Kind.DICT, element=element)


def method(d: Value, name: str, args: Sequence[Any]) -> Value:
    """A reading method of a dict (see READING_METHODS)."""
    values = d.element
    if name == "copy":
        return d
    if name == "values":
        return Value(kind=Kind.SEQUENCE, element=values)
    if name == "items":
        key = _key_kind(d)
        return Value(kind=Kind.SEQUENCE, element=sequence((key, values)) if values is not None else None)
    if name == "get" and args:
        found = item(d, constant_key(args[0].node) if args[0].keyword is None else UNKNOWN_KEY)
        default = next((a.value for i, a in enumerate(args) if (a.keyword is None and i == 1) or a.keyword == "default"), None)
        return join(found, default) if default is not None else found
    return UNKNOWN


def _key_kind(d: Value) -> Value:
    if d.keys and all(isinstance(key, str) for key in d.keys):
        return Value(kind=Kind.PY_STR)
    return UNKNOWN


def concatenated(left: Value, right: Value) -> Value:
    """``a + b`` (and ``a += b``) of two lists or tuples: both lists' items, in order where both
    lengths are known, else the join of their elements."""
    if left.elements is not None and right.elements is not None:
        return sequence(left.elements + right.elements)
    holds = holds_parameters(left) or holds_parameters(right)
    return Value(kind=Kind.SEQUENCE, element=join_elements(left.element, right.element),
                 parametric=Tri.YES if holds else Tri.UNKNOWN)


def grown(held: Value, method_name: str, added: Value) -> Value:
    """``items.append(v)`` (``extend``, ``insert``): the list, or the ModuleList, that holds ``v`` too.

    Only the join of the elements is kept (positions shift), and whether one of them is a module
    with parameters (nothing added takes one away). A receiver that is neither (an object of
    unknown type, a deque) gives unknown: its elements are not followed."""
    holds = holds_parameters(held) or holds_parameters(added)
    if method_name == "extend":
        added = added.element if added.kind is Kind.SEQUENCE and added.element is not None else UNKNOWN
    if held.kind is Kind.SEQUENCE:
        return Value(kind=Kind.SEQUENCE, element=join_elements(held.element, added),
                     parametric=Tri.YES if holds else Tri.UNKNOWN)
    if held.kind is Kind.MODULE and held.qualname in GROWING_MODULES and (
            held.elements is not None or held.element is not None):
        # nn.ModuleList() built empty (or from known members), members appended (once or again):
        # each is a module registered with the container, so it moves with it (values.moved_with
        # reads it back). Members of unknown origin (neither known) stay unknown.
        return held.with_(elements=None, element=join_elements(held.element, added))
    return UNKNOWN
