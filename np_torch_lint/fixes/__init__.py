"""Automatic fixes: typed edits that findings carry, and their LibCST transforms.

``model``      the Fix a rule builds (kind, target span, arguments, safety); no LibCST
``edit``       applies a file's fixes: LibCST loaded late, the result checked
``invariant``  the check: nothing changes outside the fixed calls (``ast`` only)
``transforms`` the LibCST side: finds each target by position and writes its edit

Arrows point down only: findings and rules -> model; edit -> invariant, model, and
(late) transforms -> model. Nothing here imports the runner or a rule.
"""
from __future__ import annotations

from .edit import apply, fixable
from .invariant import Position, changed_outside
from .model import KINDS, Fix, FixKind, Safety, Span, safety_of_rule

__all__ = ["apply", "fixable", "changed_outside", "safety_of_rule", "Fix", "FixKind", "KINDS", "Safety", "Span",
           "Position"]
