"""Jupyter notebooks: the code cells as one program, and positions mapped back to cells.

The notebook is read and validated by nbformat. Its code cells, in order, with
IPython syntax replaced line for line (``ipython``), are joined into one program that
the engine analyzes like a file: facts flow from cell 2 to cell 5. Markdown and raw
cells are not code. ``locate`` is the one mapping from a line of the joined program
back to (cell, line in the cell); every output format and the fixer use it.

Cells are numbered as nbQA and ruff number them: the code cells only, from 1
(``nb.ipynb:cell 3:4:9``). A code cell that does not parse (IPython cannot run it
either) is reported on its own and its place in the program makes every name it uses
unknown, so that the other cells are still linted and unknown stays silent; a broken
cell that may change torch's global state (``set_default_dtype``...) ends the program.
"""
from __future__ import annotations

import ast
import bisect
import builtins
import json
import json.decoder
import json.scanner
import keyword
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from .files import split_lines
from .ipython import Blanked, blank

if TYPE_CHECKING:
    from .findings import Report

SUFFIX = ".ipynb"
#: in a cell that does not parse, a call to one of these (or a freeze) would change what later cells mean.
GLOBAL_SWITCH = re.compile(r"set_default_dtype|set_default_tensor_type|set_default_device|set_grad_enabled|requires_grad")
NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")  # a name, not an attribute
KEEP = frozenset(keyword.kwlist) | frozenset(dir(builtins))
UNKNOWN = "__np_torch_lint_unknown__"  # called, it is an unknown value


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


class NotebookError(Exception):
    """The file is not a notebook that can be linted (the reason is in the message, one line)."""


class CodeCell(NamedTuple):
    """Where one code cell lies: in the notebook, in the joined program and in the .ipynb file."""

    number: int  # 1-based, code cells only (as nbQA and ruff count): "cell 3"
    position: int  # 0-based index in the notebook's "cells" list, markdown included
    id: Optional[str]  # the cell's "id" (nbformat 4.5), None before 4.5
    first_line: int  # the joined program's line that holds the cell's line 1
    line_count: int
    file_lines: Tuple[int, ...]  # the .ipynb file's line that holds each of the cell's lines


class Place(NamedTuple):
    cell: CodeCell
    line: int  # 1-based, in the cell


def locate(cells: Sequence[CodeCell], line: int) -> Place:
    """The cell and the line in it of ``line`` of the joined program: the one mapping, for every format."""
    holding = [cell for cell in cells if cell.line_count]
    if not holding:
        raise ValueError(f"line {line}: the notebook has no code")
    found = holding[max(0, bisect.bisect_right([cell.first_line for cell in holding], line) - 1)]
    return Place(found, line - found.first_line + 1)


def file_line(place: Place) -> int:
    """The .ipynb file's line holding the place (for SARIF and GitHub, which show the file itself)."""
    lines = place.cell.file_lines
    return lines[min(place.line, len(lines)) - 1] if lines else 1


def describe(cells: Sequence[CodeCell], line: int) -> str:
    """'cell 2 line 3', as messages cite a line of the joined program."""
    place = locate(cells, line)
    return f"cell {place.cell.number} line {place.line}"


@dataclass
class Notebook:
    """A notebook read for linting: the joined program and where its cells lie."""

    document: Any  # nbformat's NotebookNode, as read (never validated in place)
    cells: Tuple[CodeCell, ...]
    blanked: Dict[int, Blanked]  # by cell number
    lines: List[str]  # the joined program
    tree: ast.Module
    notes: Tuple[str, ...]  # "cell 4:2:7: error: cannot lint this cell: ..." for each cell left out


def read(raw: bytes) -> Notebook:
    """Read, validate and join a notebook. Raises ``NotebookError`` (one line) when it is not one."""
    text = raw.decode("utf-8-sig")
    document = _validated(text)
    file_lines = _source_file_lines(text)
    code = [(index, cell) for index, cell in enumerate(document["cells"]) if cell["cell_type"] == "code"]
    blanked = {number: blank(cell["source"]) for number, (_, cell) in enumerate(code, 1)}
    parsed = {number: _parse(python.text) for number, python in blanked.items()}
    imported = frozenset(name for tree in parsed.values() if isinstance(tree, ast.Module) for name in _imported(tree))
    cells: List[CodeCell] = []
    lines: List[str] = []
    notes: List[str] = []
    stopped = False
    for number, (index, cell) in enumerate(code, 1):
        cell_lines = [*blanked[number].lines]
        if cell_lines and not cell_lines[-1].endswith(("\n", "\r")):
            cell_lines[-1] += "\n"
        outcome = parsed[number]
        if stopped:
            cell_lines = ["\n"] * len(cell_lines)
        elif isinstance(outcome, SyntaxError):
            where = f"cell {number}:{outcome.lineno or 1}:{outcome.offset or 1}: error: cannot lint this cell: {outcome.msg}"
            switch = GLOBAL_SWITCH.search(blanked[number].text)
            if switch is not None:
                stopped = True
                notes.append(f"{where}; nor the cells after it, as it may call {switch.group()}")
                cell_lines = ["\n"] * len(cell_lines)
            else:
                notes.append(f"{where}; the other cells are linted, with the names it uses unknown")
                cell_lines = _unknown_names(blanked[number].text, imported, len(cell_lines))
        cells.append(CodeCell(number, index, cell.get("id"), len(lines) + 1, len(cell_lines),
                              tuple(file_lines.get(index, ()))[: len(cell_lines)]))
        lines.extend(cell_lines)
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError) as error:  # pragma: no cover - cells that parse alone parse joined
        raise NotebookError(f"the code cells together are not valid Python: {error}") from None
    return Notebook(document, tuple(cells), blanked, lines, tree, tuple(notes))


def lint(notebook: Notebook, filename: Optional[str],
         dependencies: Optional[List[Tuple[str, int, int]]] = None) -> List["Report"]:
    """The findings of the joined program, in its lines; messages cite cells ('cell 2 line 3')."""
    from .lint import analyze

    if not notebook.cells:
        return []
    return analyze("".join(notebook.lines), tree=notebook.tree, lines=notebook.lines, filename=filename,
                   dependencies=dependencies, cite_line=lambda line: describe(notebook.cells, line))


def _validated(text: str) -> Any:
    """The notebook as nbformat reads it, after a validation of a second copy (validation may add ids)."""
    import nbformat
    from nbformat.reader import NotJSONError

    try:
        document = nbformat.reader.reads(text)
        if document.get("nbformat") != 4:
            raise NotebookError(f"nbformat {document.get('nbformat')} notebook: only nbformat 4 is read "
                                f"(convert it with `jupyter nbconvert --to notebook --nbformat 4`)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a missing cell id is nbformat's warning, not ours
            nbformat.validate(nbformat.reader.reads(text))
    except NotJSONError as error:
        cause = error.__cause__
        raise NotebookError(f"not valid JSON ({cause if cause is not None else error})") from None
    except nbformat.ValidationError as error:
        message = str(getattr(error, "message", None) or error).splitlines()[0]
        where = "/".join(str(part) for part in getattr(error, "absolute_path", None) or ())
        raise NotebookError(f"not a valid notebook: {message}" + (f" (at {where})" if where else "")) from None
    except AttributeError:  # nbformat's reader on JSON that is not an object (a list, a string)
        raise NotebookError("not a notebook: its JSON is not an object") from None
    except (nbformat.NBFormatError, TypeError, ValueError) as error:
        raise NotebookError(f"not a notebook: {error}") from None
    return document


def _parse(text: str) -> Union[ast.Module, SyntaxError]:
    """The cell's tree, or why it is not Python even with its IPython lines replaced."""
    try:
        return ast.parse(text)
    except SyntaxError as error:
        return error
    except ValueError as error:  # a NUL character
        return SyntaxError(str(error))


def _imported(tree: ast.Module) -> Iterator[str]:
    """The names a cell's imports bind (``np`` of ``import numpy as np``)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield alias.asname or alias.name.split(".")[0]


def _unknown_names(text: str, imported: FrozenSet[str], count: int) -> List[str]:
    """A cell that does not parse, as ``count`` lines that make every name it uses unknown.

    What it does to its names is unknown, and unknown is silent: ``x = x.float()`` in it
    must not leave ``x`` float64 for the cells after. The names the other cells import
    (``torch``, ``np``) are kept: rebinding those is not what a broken cell does.
    """
    names = sorted({name for name in NAME.findall(text)} - KEEP - imported)
    first = f"{' = '.join(names)} = {UNKNOWN}()\n" if names else "\n"
    return [first] + ["\n"] * (count - 1) if count else []


# -- where each source line sits in the .ipynb file (SARIF and GitHub point at the file) --

_scanstring: Callable[[str, int, bool], Tuple[str, int]] = getattr(json.decoder, "scanstring")


class _Located(str):
    """A JSON string value that remembers where it starts in the file."""

    offset: int = 0


def _source_file_lines(text: str) -> Dict[int, List[int]]:
    """For each cell (by index), the file line holding each line of its source.

    The standard library's JSON decoder, its pure-Python scanner told to keep each
    string's offset; a JSON string never spans lines, so an offset is a file line.
    """
    decoder = json.JSONDecoder()

    def parse_string(document: str, end: int, strict: bool) -> Tuple[str, int]:
        value, after = _scanstring(document, end, strict)
        located = _Located(value)
        located.offset = end - 1
        return located, after

    decoder.parse_string = parse_string  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        document = decoder.decode(text)
        cells = document["cells"]
    except (ValueError, KeyError, TypeError):
        return {}
    starts = [match.end() for match in re.finditer(r"\n", text)]
    result: Dict[int, List[int]] = {}
    for index, cell in enumerate(cells):
        source = cell.get("source") if isinstance(cell, dict) else None
        pieces = [source] if isinstance(source, str) else source if isinstance(source, list) else []
        lines: List[int] = []
        at_line_start = True
        for piece in pieces:
            if not isinstance(piece, _Located) or not piece:
                continue
            line = bisect.bisect_right(starts, piece.offset) + 1
            # The lines that start in this piece: all of them, less one that began in the piece before.
            starting = len(split_lines(piece)) - (0 if at_line_start else 1)
            lines.extend([line] * starting)
            at_line_start = piece.endswith(("\n", "\r"))
        result[index] = lines
    return result
