"""Dicts as the engine keeps them: values under constant keys, and the join of all values.

A dict literal ``{"image": a, "label": y}`` keeps each value under its key (``keys`` and
``elements``, in order) and the join of them all (``element``). ``d["image"]`` is that
value; ``d[k]`` with a key not known until run time is the join (one of the values, so
whatever they all agree on holds); ``.items()`` and ``.values()`` iterate the join. A store
``d["x"] = v`` updates the known value; anything that may change the dict in a way the
engine does not follow (a mutating method, being passed to a function) forgets its
contents: ``element`` becomes unknown, and with it every read.
"""
from __future__ import annotations

import ast
from typing import Any, Optional, Sequence, Tuple

from .values import UNKNOWN, Kind, Value, join, join_elements, sequence

#: a key whose value is only known at run time.
UNKNOWN_KEY = object()
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
