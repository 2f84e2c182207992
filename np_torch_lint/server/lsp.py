"""The language server: LSP over stdio with pygls, the command's findings and fixes in the editor.

- Diagnostics on open and save at once, on change after a pause (``debounceMs`` in
  the initialization options, 150 by default); each carries its code, the exact
  range of the reported node, the source ``np-torch-lint`` and a link to its page.
- Code actions for a range: each fix the command offers (preferred when safe,
  "(unsafe)" in the title when not), "Ignore NTLnnn for this line" (``# noqa``), and
  ``source.fixAll.np-torch-lint`` ("Fix all safe NTL findings", what ``--fix`` does).
- Hover on a finding: its rule page.
- One warm process: the project's other modules are summarized once and read again
  only when their text, size or mtime changes; an open document's text wins over its
  file on disk for the others (``engine/overlay.py``: the text of its last parsable
  version), and a change to it, a save or a watched file change re-lints the open
  documents that read it.
- Each document keeps an ``IncrementalAnalysis``: an edit walks again only the
  segments of the file it changed (``np_torch_lint/incremental.py``).

- Notebooks (LSP 3.17 notebook documents): the cells put together as the notebook
  they stand for and linted as the command lints an ``.ipynb`` (``notebook.py``);
  each code cell gets its own diagnostics, code actions and hover, in its own lines.

A buffer that is not Python (mid-typing) keeps the diagnostics it had: the editor
moves them with the text, and the next parsable version replaces them. Any
exception in a handler is logged (``window/logMessage``) and answered with an
empty result; the server keeps serving. Documents are synced in full: pygls's
incremental sync splits lines with ``str.splitlines``, which disagrees with the
protocol on form feeds and other separators.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import os
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from .. import __version__
from ..config import ConfigError
from ..debug import internal_error, traceback_text
from ..engine import mentions_torch_or_numpy, overlay
from ..findings import Report
from ..incremental import IncrementalAnalysis
from ..lint import AnalysisError
from ..notebooks import NotebookError
from ..plugin import INTERNAL_ERROR
from . import analysis as buffers
from . import notebook as cells
from .text import Buffer, Edit, Range, contains, minimal_edit, overlaps, parses

SOURCE = "np-torch-lint"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
DEFAULT_DEBOUNCE_S = 0.150
#: files whose change may change every open document's findings
CONFIG_FILES = frozenset({"pyproject.toml", "setup.cfg", "tox.ini", ".flake8"})

Result = TypeVar("Result")


class View(NamedTuple):
    """A document as code actions and hover see it: its text, its reports, and how to fix or silence them."""

    text: str
    reports: Sequence[Report]  # in the document's own lines
    fixed: Callable[[Sequence[Report], bool], Optional[str]]  # the text with these fixes (unsafe ones too: True)
    silenced: Callable[[Report], Optional[str]]  # the text with `# noqa: CODE` on the report's line


class NpTorchLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                         notebook_document_sync=types.NotebookDocumentSyncOptions(notebook_selector=[
                             types.NotebookDocumentFilterWithCells(
                                 cells=[types.NotebookCellLanguage(language="python")], notebook="*")], save=True))
        self.debounce_s = DEFAULT_DEBOUNCE_S
        self.notebooks: Dict[str, cells.NotebookAnalysis] = {}  # notebook uri -> its latest analysis
        self._notebook_incremental: Dict[str, IncrementalAnalysis] = {}
        self._published_cells: Dict[str, Set[str]] = {}  # notebook uri -> cells that were given diagnostics
        self.analyses: Dict[str, buffers.Analysis] = {}  # uri -> the latest analysis of a parsable version
        self.incremental: Dict[str, IncrementalAnalysis] = {}  # uri -> its segments' reports, kept between versions
        self._timers: Dict[str, asyncio.TimerHandle] = {}
        self._shown_errors: Set[str] = set()  # configuration errors already shown (once each, not per keystroke)
        self._frozen = False
        self._unparsable: Dict[str, str] = {}  # uri -> the text that did not parse (not analysed again per request)

    # -- the document's state ------------------------------------------------------------------

    def document(self, uri: str) -> Optional[TextDocument]:
        """The open document (pygls keeps them by their unquoted uri: a path with a space is %20 in its uri)."""
        return self.workspace.text_documents.get(unquote(uri))

    def buffer(self, uri: str, text: str) -> Buffer:
        encoding = self.workspace.position_encoding
        name = encoding.value if isinstance(encoding, types.PositionEncodingKind) else str(encoding or "utf-16")
        return Buffer(text, name)

    def lint_later(self, uri: str) -> None:
        """Lint after ``debounce_s`` without a further change (at once when it is 0)."""
        pending = self._timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        notebook = self.workspace.get_notebook_document(notebook_uri=uri) is not None  # (its uri unquoted)
        lint: Callable[[str], object] = self.lint_notebook if notebook else self.lint
        if self.debounce_s <= 0:
            lint(uri)
            return
        loop = asyncio.get_running_loop()
        self._timers[uri] = loop.call_later(self.debounce_s, self._guarded("lint", None, lint), uri)

    def lint(self, uri: str) -> Optional[buffers.Analysis]:
        """Analyze the open document now and publish; the analysis, or None when it could not be made."""
        pending = self._timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        document = self.document(uri)
        if document is None:
            return None
        text, version = document.source, document.version
        try:
            incremental = self.incremental.setdefault(uri, IncrementalAnalysis())
            result = buffers.analyze_buffer(_path(uri), text, self._fallback_folder(), incremental)
        except AnalysisError:
            self._unparsable[uri] = text
            return None  # not Python (yet): the last diagnostics stay until a version parses
        except ConfigError as error:
            self._show_once(f"np-torch-lint: configuration error: {error}")
            return None
        except Exception as error:  # noqa: BLE001 - a linter bug: said in the editor, never shown as clean
            self.log(types.MessageType.Error, f"{uri}: {internal_error(error)}\n{traceback_text()}")
            self._publish(uri, version, [types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)), message=internal_error(error),
                severity=types.DiagnosticSeverity.Error, code=INTERNAL_ERROR, source=SOURCE)])
            self.analyses.pop(uri, None)
            self.incremental.pop(uri, None)  # the next version starts afresh
            return None
        self.analyses[uri] = result
        self._unparsable.pop(uri, None)
        path = _path(uri)
        # Read by the engine for the other documents: only a version that parses (the analysis parsed it,
        # unless the file was skipped unread: no torch or NumPy in it, or excluded by the configuration).
        parsed = mentions_torch_or_numpy(text) and not result.excluded
        if path is not None and (parsed or parses(text)) and overlay.set_text(path, text):
            # The other open documents that read this file (an import, a caller) see its new text.
            self.relint_readers([path], later=True)
        if not self._frozen:
            # What the first analysis loaded (the engine, the rules, their tables) lives as long as the server:
            # moved out of the collector's reach, it is not scanned again by the collections that each
            # keystroke's analysis triggers (about 7% of an analysis of a 1,000-line file, measured).
            gc.collect()
            gc.freeze()
            self._frozen = True
        buffer = self.buffer(uri, text)
        self._publish(uri, version, [self.diagnostic(buffer, report) for report in result.reports])
        return result

    def current(self, uri: str) -> Optional[buffers.Analysis]:
        """The analysis of the document's text as it is now (made now if a change is still pending)."""
        document = self.document(uri)
        if document is None:
            return None
        known = self.analyses.get(uri)
        if known is not None and known.text == document.source:
            return known
        if self._unparsable.get(uri) == document.source:
            return None
        fresh = self.lint(uri)
        return fresh if fresh is not None and fresh.text == document.source else None

    def relint_readers(self, paths: Iterable[str], everything: bool = False, later: bool = False) -> None:
        """Lint again the open documents whose analysis read one of ``paths`` (all of them with ``everything``);
        ``later``: after the debounce pause (an edit in another buffer)."""
        changed = {os.path.abspath(path) for path in paths}
        for notebook_uri, analysis in list(self.notebooks.items()):
            if (everything or analysis.dependencies & changed) and later:
                self.lint_later(notebook_uri)
            elif everything or analysis.dependencies & changed:
                self.lint_notebook(notebook_uri)
        for uri in [document.uri for document in self.workspace.text_documents.values()]:
            if _path(uri) in changed or self.workspace.get_notebook_document(cell_uri=uri) is not None:
                continue  # the buffer is that document's truth, not the disk; a notebook's cell: above
            known = self.analyses.get(uri)
            if everything or known is None or known.dependencies & changed:
                if later:
                    self.lint_later(uri)
                else:
                    self.lint(uri)

    def lint_notebook(self, notebook_uri: str) -> Optional[cells.NotebookAnalysis]:
        """Analyze an open notebook now and publish each code cell's diagnostics."""
        pending = self._timers.pop(notebook_uri, None)
        if pending is not None:
            pending.cancel()
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return None
        held = [cells.Cell(cell.document, cell.kind == types.NotebookCellKind.Code,
                           self.workspace.get_text_document(cell.document).source) for cell in notebook.cells]
        code = [cell for cell in held if cell.code]
        incremental = self._notebook_incremental.setdefault(notebook_uri, IncrementalAnalysis())
        try:
            result = cells.analyze_notebook(_path(notebook_uri), held, self._fallback_folder(), incremental)
        except (NotebookError, AnalysisError) as error:
            self.log(types.MessageType.Warning, f"{notebook_uri}: not linted: {error}")
            return None  # the last diagnostics stay, as for a file that does not parse
        except ConfigError as error:
            self._show_once(f"np-torch-lint: configuration error: {error}")
            return None
        except Exception as error:  # noqa: BLE001 - a linter bug: said in the editor, never shown as clean
            self.log(types.MessageType.Error, f"{notebook_uri}: {internal_error(error)}\n{traceback_text()}")
            self._notebook_incremental.pop(notebook_uri, None)
            if code:
                self._publish(code[0].uri, self._cell_version(code[0].uri), [types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)), message=internal_error(error),
                    severity=types.DiagnosticSeverity.Error, code=INTERNAL_ERROR, source=SOURCE)])
            return None
        for note in result.notes:
            self.log(types.MessageType.Warning, f"{notebook_uri}:{note}")
        self.notebooks[notebook_uri] = result
        published = {cell.uri for cell in code}
        for cell in code:
            buffer = self.buffer(cell.uri, cell.text)
            self._publish(cell.uri, self._cell_version(cell.uri),
                          [self.diagnostic(buffer, report) for report in result.by_cell.get(cell.uri, [])])
        for gone in self._published_cells.get(notebook_uri, set()) - published:
            self._publish(gone, None, [])  # a cell deleted or turned into markdown: its findings go
        self._published_cells[notebook_uri] = published
        return result

    def _cell_version(self, uri: str) -> Optional[int]:
        document = self.document(uri)
        return document.version if document is not None else None

    def close_notebook(self, notebook_uri: str) -> None:
        pending = self._timers.pop(notebook_uri, None)
        if pending is not None:
            pending.cancel()
        self.notebooks.pop(notebook_uri, None)
        self._notebook_incremental.pop(notebook_uri, None)
        for uri in self._published_cells.pop(notebook_uri, set()):
            self._publish(uri, None, [])

    def view(self, uri: str) -> Optional[View]:
        """What code actions and hover read for a document: a file's analysis, or a notebook cell's."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            result = self.current(uri)
            if result is None:
                return None
            analysis = result
            return View(result.text, result.reports, lambda reports, unsafe: buffers.fixed_text(
                analysis.text, reports, unsafe), lambda report: buffers.silenced_text(analysis, report))
        document = self.document(uri)
        known = self.notebooks.get(notebook.uri)
        texts = [self.workspace.get_text_document(cell.document).source for cell in notebook.cells]
        if known is None or [cell.text for cell in known.cells] != texts:
            known = self.lint_notebook(notebook.uri)
        if known is None or document is None or uri not in known.by_cell:
            return None
        notebook_analysis = known

        def fixed(reports: Sequence[Report], unsafe: bool) -> Optional[str]:
            program = [cells.in_program(notebook_analysis, uri, report) for report in reports]
            return cells.fixed_cell(notebook_analysis, uri, program, unsafe)

        return View(document.source, known.by_cell[uri], fixed,
                    lambda report: cells.silenced_cell(notebook_analysis, uri, report))

    # -- what the client sees --------------------------------------------------------------------

    def diagnostic(self, buffer: Buffer, report: Report) -> types.Diagnostic:
        uri = buffers.rule_page_uri(report.code)
        return types.Diagnostic(
            range=_lsp_range(_range(buffer, report)), message=report.message, severity=types.DiagnosticSeverity.Error,
            code=report.code, code_description=types.CodeDescription(href=uri) if uri else None, source=SOURCE)

    def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        result = self.view(uri)
        if result is None:
            return []
        only = params.context.only
        buffer = self.buffer(uri, result.text)
        wanted = (_position(params.range.start), _position(params.range.end))
        actions: List[types.CodeAction] = []
        silenced = set()
        for report in result.reports:
            if not overlaps(_range(buffer, report), wanted):
                continue
            diagnostic = self.diagnostic(buffer, report)
            if report.fix is not None and _wanted(types.CodeActionKind.QuickFix, only):
                fixed = result.fixed([report], True)
                if fixed is not None:
                    label = "" if report.fix.safe else " (unsafe)"
                    actions.append(self._action(f"Fix {report.code}: {report.fix.name}{label}",
                                                types.CodeActionKind.QuickFix, uri, buffer, fixed,
                                                diagnostic, preferred=report.fix.safe))
            if (report.line, report.code) not in silenced and _wanted(types.CodeActionKind.QuickFix, only):
                silenced.add((report.line, report.code))
                quiet = result.silenced(report)
                if quiet is not None:
                    actions.append(self._action(f"Ignore {report.code} for this line", types.CodeActionKind.QuickFix,
                                                uri, buffer, quiet, diagnostic))
        if _wanted(FIX_ALL, only) and any(r.fix is not None and r.fix.safe for r in result.reports):
            fixed = result.fixed(result.reports, False)
            if fixed is not None:
                actions.append(self._action("Fix all safe NTL findings", FIX_ALL, uri, buffer, fixed, None))
        return actions

    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        uri = params.text_document.uri
        result = self.view(uri)
        if result is None:
            return None
        buffer = self.buffer(uri, result.text)
        at = _position(params.position)
        under = [report for report in result.reports if contains(_range(buffer, report), at)]
        pages = [page for page in dict.fromkeys(buffers.rule_page(r.code) for r in under) if page]
        if not pages:
            return None
        markdown = types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(pages))
        return types.Hover(contents=markdown, range=_lsp_range(_range(buffer, under[0])))

    def _action(self, title: str, kind: str, uri: str, buffer: Buffer, new_text: str,
                diagnostic: Optional[types.Diagnostic], preferred: bool = False) -> types.CodeAction:
        edit = minimal_edit(buffer.text, new_text)
        edits = [] if edit is None else [_text_edit(buffer, edit)]
        document = self.document(uri)
        version = document.version if document is not None else None
        return types.CodeAction(
            title=title, kind=kind, diagnostics=[diagnostic] if diagnostic is not None else None,
            is_preferred=True if preferred else None,
            edit=types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits)]))

    def _publish(self, uri: str, version: Optional[int], diagnostics: List[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    def log(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def _show_once(self, message: str) -> None:
        self.log(types.MessageType.Error, message)
        if message not in self._shown_errors:
            self._shown_errors.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def _fallback_folder(self) -> str:
        return self.workspace.root_path or os.getcwd()

    def _guarded(self, name: str, default: Result, handler: Callable[..., Result]) -> Callable[..., Result]:
        """``handler``, with any exception logged to the client and ``default`` answered."""
        @functools.wraps(handler)
        def run(*args: Any) -> Result:
            try:
                return handler(*args)
            except Exception as error:  # noqa: BLE001 - one failed request must not stop the server
                self.log(types.MessageType.Error, f"np-torch-lint: {name} failed: {internal_error(error)}\n"
                                                  f"{traceback_text()}")
                return default
        return run


def create_server(debounce_s: float = DEFAULT_DEBOUNCE_S) -> NpTorchLintServer:
    server = NpTorchLintServer()
    server.debounce_s = debounce_s

    def initialize(params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), (int, float)):
            server.debounce_s = max(0.0, float(options["debounceMs"]) / 1000)

    def initialized(params: types.InitializedParams) -> None:
        watched = server.client_capabilities.workspace
        changes = watched.did_change_watched_files if watched is not None else None
        if changes is None or not changes.dynamic_registration:
            return  # without watchers, a module changed on disk is still noticed at the next lint (mtime)
        patterns = ["**/*.py", *(f"**/{name}" for name in sorted(CONFIG_FILES))]
        server.client_register_capability(types.RegistrationParams([types.Registration(
            id="np-torch-lint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in patterns]))]))

    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.lint(params.text_document.uri)

    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.lint_later(params.text_document.uri)

    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.lint(uri)
        path = _path(uri)
        if path is not None:
            server.relint_readers([path], everything=os.path.basename(path) in CONFIG_FILES)

    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = server._timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        server.analyses.pop(uri, None)
        server.incremental.pop(uri, None)
        server._unparsable.pop(uri, None)
        server._publish(uri, None, [])  # a closed file's findings go with it, as the editor's other linters do
        path = _path(uri)
        if path is not None and overlay.forget(path):
            server.relint_readers([path], later=True)  # its readers read the file on disk again

    def notebook_opened(params: types.DidOpenNotebookDocumentParams) -> None:
        server.lint_notebook(params.notebook_document.uri)

    def notebook_changed(params: types.DidChangeNotebookDocumentParams) -> None:
        server.lint_later(params.notebook_document.uri)

    def notebook_saved(params: types.DidSaveNotebookDocumentParams) -> None:
        server.lint_notebook(params.notebook_document.uri)

    def notebook_closed(params: types.DidCloseNotebookDocumentParams) -> None:
        server.close_notebook(params.notebook_document.uri)

    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        paths = [path for path in (_path(change.uri) for change in params.changes) if path is not None]
        structural = any(change.type != types.FileChangeType.Changed for change in params.changes)
        config = any(os.path.basename(path) in CONFIG_FILES for path in paths)
        server.relint_readers(paths, everything=structural or config)

    handlers: Sequence[tuple] = (
        (types.INITIALIZE, initialize, None, None),
        (types.INITIALIZED, initialized, None, None),
        (types.TEXT_DOCUMENT_DID_OPEN, did_open, None, None),
        (types.TEXT_DOCUMENT_DID_CHANGE, did_change, None, None),
        (types.TEXT_DOCUMENT_DID_SAVE, did_save, None, None),
        (types.TEXT_DOCUMENT_DID_CLOSE, did_close, None, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None, None),
        (types.NOTEBOOK_DOCUMENT_DID_OPEN, notebook_opened, None, None),
        (types.NOTEBOOK_DOCUMENT_DID_CHANGE, notebook_changed, None, None),
        (types.NOTEBOOK_DOCUMENT_DID_SAVE, notebook_saved, None, None),
        (types.NOTEBOOK_DOCUMENT_DID_CLOSE, notebook_closed, None, None),
        (types.TEXT_DOCUMENT_CODE_ACTION, server.code_actions, [],
         types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL])),
        (types.TEXT_DOCUMENT_HOVER, server.hover, None, None),
    )
    for method, handler, default, options in handlers:
        server.feature(method, options)(server._guarded(method, default, handler))
    return server


def serve() -> None:
    """Run over stdin and stdout until the client says exit."""
    create_server().start_io()


# -- conversions -----------------------------------------------------------------------------------

def _path(uri: str) -> Optional[str]:
    if not uri.startswith("file:"):
        return None  # an unsaved buffer: no file, no project modules
    path = to_fs_path(uri)
    return os.path.abspath(path) if path else None


def _range(buffer: Buffer, report: Report) -> Range:
    return buffer.from_ast(report.line, report.col), buffer.from_ast(report.end_line, report.end_col)


def _position(position: types.Position) -> Tuple[int, int]:
    return position.line, position.character


def _lsp_range(span: Range) -> types.Range:
    (line, character), (end_line, end_character) = span
    return types.Range(types.Position(line, character), types.Position(end_line, end_character))


def _text_edit(buffer: Buffer, edit: Edit) -> types.TextEdit:
    return types.TextEdit(range=_lsp_range((buffer.from_offset(edit.start), buffer.from_offset(edit.end))),
                          new_text=edit.replacement)


def _wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """The client's ``only`` filter: a kind matches itself and its sub-kinds (``source.fixAll`` takes ours)."""
    if not only:
        return True
    return any(kind == str(choice) or kind.startswith(f"{choice}.") for choice in
               (c.value if isinstance(c, types.CodeActionKind) else c for c in only))
