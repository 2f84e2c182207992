"""Attribute and mapping-item patches that are undone exactly, in reverse order, at the end of the trace."""
from __future__ import annotations

from typing import Any, List, Tuple

_MISSING = object()


class Patches:
    def __init__(self) -> None:
        self._done: List[Tuple[bool, Any, Any, Any]] = []  # (an item?, owner, name or key, value before)

    def set(self, owner: Any, name: str, value: Any) -> None:
        # the owner's own attribute, not an inherited one: undoing restores the lookup exactly
        before = owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name)
        setattr(owner, name, value)
        self._done.append((False, owner, name, before))

    def set_item(self, mapping: Any, key: Any, value: Any) -> None:
        before = mapping.get(key, _MISSING)
        mapping[key] = value
        self._done.append((True, mapping, key, before))

    def undo(self) -> None:
        while self._done:
            item, owner, name, before = self._done.pop()
            if item and before is _MISSING:
                del owner[name]
            elif item:
                owner[name] = before
            elif before is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, before)

    def __len__(self) -> int:
        return len(self._done)
