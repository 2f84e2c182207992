"""Attribute patches that are undone exactly, in reverse order, at the end of the trace."""
from __future__ import annotations

from typing import Any, List, Tuple

_MISSING = object()


class Patches:
    def __init__(self) -> None:
        self._done: List[Tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        # the owner's own attribute, not an inherited one: undoing restores the lookup exactly
        before = owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name)
        setattr(owner, name, value)
        self._done.append((owner, name, before))

    def undo(self) -> None:
        while self._done:
            owner, name, before = self._done.pop()
            if before is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, before)

    def __len__(self) -> int:
        return len(self._done)
