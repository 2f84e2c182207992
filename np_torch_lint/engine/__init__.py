"""The engine: knows NumPy and torch, knows no rule and no output format.

``interpret`` walks one file's ``ast`` tree and hands every typed event (see
``events.py``) to a callback; the returned ``Interpreter`` answers questions
about the file afterwards (is a function only ever called with grad off, is
every call of it CUDA-guarded). The runner (``np_torch_lint.lint``) turns
events into findings. The engine never imports torch or NumPy and never runs
the code it reads.
"""
from __future__ import annotations

import ast
import io
import re
from typing import TYPE_CHECKING, Callable, Dict, Optional, Sequence

from .freezing import freeze_scopes
from .project import installed_package
from .source import mentions_torch_or_numpy, statements
from .values import Value

if TYPE_CHECKING:
    from .evidence import CheckpointEvidence
    from .guards import GuardFlags
    from .interpreter import Interpreter
    from .project import Project
    from .source import Item

# The interpreter loads on the first analysis: a command run whose files all come
# from the cache never needs it.

__all__ = ["AnalysisError", "interpret", "mentions_torch_or_numpy", "module_values", "parse"]

# Parameters frozen somewhere in the file: which module outputs need grad is not known.
FREEZING = re.compile(r"requires_grad\s*=\s*False|requires_grad_\(\s*False")


class AnalysisError(Exception):
    """The file could not be analyzed (the reason is in the message)."""


def parse(text: str) -> ast.Module:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError) as error:
        raise AnalysisError(f"not valid Python: {error}") from None


def interpret(text: str, tree: Optional[ast.Module], lines: Optional[Sequence[str]],
              emit: Callable[[object], None], filename: Optional[str] = None, *,
              items: Optional[Sequence["Item"]] = None, guard_flags: Optional["GuardFlags"] = None,
              checkpoints: Optional["CheckpointEvidence"] = None, callers: bool = True) -> "Interpreter":
    """Walk one file, sending each event to ``emit``; the interpreter is returned for questions.

    With ``filename`` (a real path), imports of the project's own modules are followed.
    The keywords serve a re-analysis of part of a file (``np_torch_lint/incremental.py``):
    ``items`` the plan to walk (by default every statement of ``plan(tree, lines)``);
    ``guard_flags`` and ``checkpoints`` the whole file's facts (by default made from
    ``tree``); ``callers`` False: the project's files that import this one are not walked.
    """
    from .evidence import CheckpointEvidence
    from .project import Project
    from .source import plan

    if lines is None:
        lines = io.StringIO(text, newline="").readlines()  # Python's line breaks only
    if tree is None:
        tree = parse(text)
    real_file = filename if filename and filename not in ("-", "stdin") else None
    # An installed package's own file is linted alone: its imports are third-party code, never read.
    project = Project(real_file) if real_file and not installed_package(real_file) else None
    interpreter = new_interpreter(text, emit, project, tree)
    if guard_flags is not None:
        interpreter.guard_flags = guard_flags
    if project is not None:
        interpreter.guard_flags.imported = project.flag_definition
    interpreter.checkpoints = checkpoints if checkpoints is not None else CheckpointEvidence(text, tree, real_file)
    try:
        interpreter.run(list(items) if items is not None else list(plan(tree, lines)))
        if project is not None and callers:
            from .callers import walk_callers

            walk_callers(interpreter, tree, project, lines)
    except RecursionError:
        raise AnalysisError("too deeply nested to analyze") from None
    return interpreter


def new_interpreter(text: str, emit: Callable[[object], None], project: Optional["Project"],
                    tree: Optional[ast.Module] = None) -> "Interpreter":
    """An interpreter for one file, with the facts its whole text (and tree) gives."""
    from .guards import GuardFlags
    from .interpreter import Interpreter

    interpreter = Interpreter(emit, project=project)
    interpreter.module_tree = tree
    if FREEZING.search(text) is not None:
        # parameters frozen somewhere: anywhere, or only some classes' own (engine.freezing)
        anywhere, classes = freeze_scopes(tree) if tree is not None else (True, frozenset())
        interpreter.freezes_parameters = anywhere
        interpreter.frozen_classes = classes
    if "global" in text and tree is not None:
        # module-level names a function rebinds (`global device` in main()): read in a function,
        # their value is whatever ran last, not the module's first assignment
        # `global` is a statement: the statements alone are walked, not every expression
        interpreter.rebound_globals = frozenset(name for node in statements(tree.body) if isinstance(node, ast.Global)
                                                for name in node.names)
    interpreter.guard_flags = GuardFlags(tree, walrus=":=" in text)
    return interpreter


def module_values(text: str) -> Dict[str, Value]:
    """What the engine knows about each module-level name at the end of the file (tests, debugging)."""
    interpreter = interpret(text, None, text.splitlines(keepends=True), lambda event: None)
    return dict(interpreter.module_frame.env)
