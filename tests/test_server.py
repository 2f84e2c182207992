"""The language server end to end: a real LSP client (pytest-lsp) drives `np-torch-lint server` over stdio.

Each test starts the server as its own process, opens files of a project in a
temporary folder and checks what a client sees: diagnostics against the
command's own findings for the same file, code actions applied and the result
linted again, hover, the configuration, robustness and shutdown.
"""
from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest

pytest.importorskip("pygls", reason="the server extra (pygls) is not installed")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed")

from lsprotocol import types  # noqa: E402 - after the skips above
from pygls.protocol import default_converter  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from conftest import FIXTURES, ROOT  # noqa: E402
from np_torch_lint.cli import check  # noqa: E402

WAIT_S = 120  # seconds: generous for a loaded machine
SERVER = [sys.executable, "-m", "np_torch_lint.cli", "server"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

# Fault injection for the robustness tests: the real server, with one handler made to raise.
FAULTY = textwrap.dedent("""
    import sys
    from np_torch_lint.server import analysis, lsp

    real = analysis.analyze_buffer

    def analyze_buffer(path, text, folder, *incremental):
        if path is not None and path.endswith("crash.py"):
            raise RuntimeError("injected fault")
        return real(path, text, folder, *incremental)

    def hover(self, params):
        raise RuntimeError("injected hover fault")

    analysis.analyze_buffer = analyze_buffer
    lsp.NpTorchLintServer.hover = hover
    lsp.serve()
""")

GRAD = textwrap.dedent("""\
    import numpy as np
    import torch

    image = torch.rand(1, 10, requires_grad=True)
    label = "é😀"; adv_np = (image * 2).numpy()
    print(np.abs(adv_np).max())
""")


def initialize_params(tmp: Path, debounce_ms: int = 0, encodings: Sequence[str] = ()) -> types.InitializeParams:
    general = types.GeneralClientCapabilities(position_encodings=list(encodings)) if encodings else None
    return types.InitializeParams(
        capabilities=types.ClientCapabilities(
            general=general,
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)),
            text_document=types.TextDocumentClientCapabilities(
                code_action=types.CodeActionClientCapabilities(
                    code_action_literal_support=types.ClientCodeActionLiteralOptions(
                        code_action_kind=types.ClientCodeActionKindOptions(
                            value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll])),
                    is_preferred_support=True),
                hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True,
                                                                               code_description_support=True))),
        root_uri=tmp.as_uri(), initialization_options={"debounceMs": debounce_ms})


def recording_client() -> LanguageClient:
    """pytest-lsp's test client, with every publishDiagnostics kept in a queue: waiting for the next
    one with ``wait_for_notification`` loses those that arrive between two waits (two documents
    published back to back, when an edit in one re-lints the other)."""
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {method: feature for method, feature in DEFAULT_CLIENT_FEATURES.items()
                                   if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS})
    queue: "asyncio.Queue[types.PublishDiagnosticsParams]" = asyncio.Queue()
    setattr(client, "published", queue)
    setattr(client, "stash", {})  # uri -> publishes not yet read by that document's Editor

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        queue.put_nowait(params)

    return client


async def launch(tmp: Path, command: Sequence[str] = SERVER, debounce_ms: int = 0, encodings: Sequence[str] = (),
                 registrations: Optional[List[types.Registration]] = None) -> LanguageClient:
    """The server started and initialized; the capabilities it registers are added to ``registrations``."""
    client = await ClientServerConfig(server_command=list(command), server_env=ENV,
                                      client_factory=recording_client).start()
    assert isinstance(client, LanguageClient)
    registered = registrations if registrations is not None else []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registered.extend(params.registrations)

    await client.initialize_session(initialize_params(tmp, debounce_ms, encodings))
    return client


class Editor:
    """The client's side of one document: its text and version, and the diagnostics of each version."""

    def __init__(self, client: LanguageClient, path: Path, text: Optional[str] = None) -> None:
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.text = text if text is not None else path.read_text(encoding="utf-8")
        self.version = 1

    async def open(self) -> List[types.Diagnostic]:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=self.uri, language_id="python", version=self.version, text=self.text)))
        return await self.diagnostics()

    def send(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def change(self, text: str) -> List[types.Diagnostic]:
        self.send(text)
        return await self.diagnostics()

    async def diagnostics(self) -> List[types.Diagnostic]:
        """The diagnostics published for this document's current version (another document's are kept
        for its own editor: an edit in one buffer re-lints the documents that read it)."""
        stash: Dict[str, List[types.PublishDiagnosticsParams]] = getattr(self.client, "stash")
        while True:
            mine = stash.get(self.uri)
            params = mine.pop(0) if mine else await published(self.client)
            if params.uri != self.uri:
                stash.setdefault(params.uri, []).append(params)
            elif params.version == self.version:
                return list(params.diagnostics)

    async def diagnostics_until(self, expected: List[str]) -> List[types.Diagnostic]:
        """The first diagnostics of this document with the ``expected`` codes (another buffer's edit re-lints
        it, maybe more than once); a server that never publishes them fails the test after ``WAIT_S``."""
        async def wait() -> List[types.Diagnostic]:
            while True:
                found = await self.diagnostics()
                if codes(found) == expected:
                    return found
        return await asyncio.wait_for(wait(), WAIT_S)

    async def actions(self, diagnostic: Optional[types.Diagnostic] = None,
                      only: Optional[List[str]] = None) -> List[types.CodeAction]:
        place = diagnostic.range if diagnostic is not None else types.Range(types.Position(0, 0), types.Position(0, 0))
        result = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(self.uri), place,
            types.CodeActionContext(diagnostics=[diagnostic] if diagnostic else [], only=only))), WAIT_S)
        return [action for action in result or [] if isinstance(action, types.CodeAction)]

    def applied(self, action: types.CodeAction) -> str:
        """The text after the action's edit, applied as a client applies it (positions in UTF-16)."""
        assert action.edit is not None and action.edit.document_changes
        change = action.edit.document_changes[0]
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == self.uri and change.text_document.version == self.version
        text = self.text
        for edit in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            assert isinstance(edit, types.TextEdit)
            text = text[:offset(text, edit.range.start)] + edit.new_text + text[offset(text, edit.range.end):]
        return text


async def hover_at(client: LanguageClient, params: types.HoverParams) -> Optional[types.Hover]:
    return await asyncio.wait_for(client.text_document_hover_async(params), WAIT_S)


async def published(client: LanguageClient) -> types.PublishDiagnosticsParams:
    """The next diagnostics the server published (in order, none lost); a server that stays silent fails
    the test, never hangs it."""
    queue: "asyncio.Queue[types.PublishDiagnosticsParams]" = getattr(client, "published")
    return await asyncio.wait_for(queue.get(), WAIT_S)


def offset(text: str, position: types.Position) -> int:
    lines = io.StringIO(text, newline="").readlines()
    start = sum(len(line) for line in lines[:position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += len(char.encode("utf-16-le")) // 2
    return start + len(line.rstrip("\r\n"))


def command_findings(path: Path) -> List[Dict[str, Any]]:
    """What `np-torch-lint check --format json` reports for the file."""
    out = io.StringIO()
    check([str(path)], None, [], out=out, fmt="json", use_cache=False, settings=_settings(path))
    return json.loads(out.getvalue())


def _settings(path: Path):
    from np_torch_lint.config import load

    return load(str(path))


def utf16_column(line: str, byte_column: int) -> int:
    return len(line.encode("utf-8")[:byte_column].decode("utf-8").encode("utf-16-le")) // 2


def project(tmp: Path, files: Dict[str, str], config: str = "") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "pyproject.toml").write_text(config, encoding="utf-8")
    for name, text in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def codes(diagnostics: Sequence[types.Diagnostic]) -> List[str]:
    return [str(d.code) for d in diagnostics]


@pytest.mark.asyncio
async def test_open_publishes_the_commands_findings_with_exact_ranges(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        diagnostics = await editor.open()
        expected = command_findings(tmp_path / "grad.py")
        assert codes(diagnostics) == [f["code"] for f in expected] == ["NTL201"]
        lines = GRAD.splitlines()
        for diagnostic, finding in zip(diagnostics, expected):
            line, end_line = finding["line"] - 1, finding["end_line"] - 1
            assert diagnostic.range == types.Range(
                types.Position(line, utf16_column(lines[line], finding["column"] - 1)),
                types.Position(end_line, utf16_column(lines[end_line], finding["end_column"] - 1)))
            assert diagnostic.message == finding["message"]
            assert diagnostic.source == "np-torch-lint"
            assert diagnostic.severity == types.DiagnosticSeverity.Error
        # `numpy` comes after the emoji, which takes two UTF-16 units: one more than its characters.
        assert diagnostics[0].range.start == types.Position(4, lines[4].index(".numpy") + 1 + 1)
        assert diagnostics[0].code_description is not None
        href = diagnostics[0].code_description.href
        assert href.startswith("file://") and href.endswith("/docs/NTL201.md")
        assert Path(href[len("file://"):]).read_text(encoding="utf-8") == \
            (ROOT / "np_torch_lint/docs/NTL201.md").read_text(encoding="utf-8")
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_utf8_positions_when_the_client_offers_them(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path, encodings=["utf-8", "utf-16"])
    try:
        diagnostics = await Editor(client, tmp_path / "grad.py").open()
        finding = command_findings(tmp_path / "grad.py")[0]
        assert diagnostics[0].range.start == types.Position(4, finding["column"] - 1)
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_fix_action_applies_the_commands_fix(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        [diagnostic] = await editor.open()
        actions = await editor.actions(diagnostic)
        fix = next(a for a in actions if a.title == "Fix NTL201: detach-cpu")
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        assert list(fix.diagnostics or []) == [diagnostic]
        fixed = editor.applied(fix)
        ast.parse(fixed)
        assert "(image * 2).detach().cpu().numpy()" in fixed
        assert fixed == _command_fix(tmp_path, "grad.py", GRAD)  # the same transform as `--fix`
        assert await editor.change(fixed) == []
    finally:
        await client.shutdown_session()


def _command_fix(tmp: Path, name: str, text: str, unsafe: bool = False) -> str:
    copy = tmp / "command" / name
    copy.parent.mkdir(exist_ok=True)
    copy.write_text(text, encoding="utf-8")
    check([str(copy)], None, [], out=io.StringIO(), err=io.StringIO(), use_cache=False, settings=_settings(copy),
          fix_mode="fix", unsafe_fixes=unsafe)
    return copy.read_text(encoding="utf-8")


RESUME = textwrap.dedent("""\
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    state = torch.load("checkpoint.pt")
    model.load_state_dict(state)
    if torch.cuda.is_available():  # the project uses CUDA: its checkpoints may hold CUDA storages
        model.cuda()
""")


@pytest.mark.asyncio
async def test_unsafe_fix_is_labelled_and_not_preferred(tmp_path: Path) -> None:
    project(tmp_path, {"resume.py": RESUME})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "resume.py")
        diagnostics = await editor.open()
        assert codes(diagnostics) == ["NTL302"]
        actions = await editor.actions(diagnostics[0])
        unsafe = [a for a in actions if a.title.startswith("Fix NTL302")]
        assert len(unsafe) == 1 and unsafe[0].title.endswith("(unsafe)") and not unsafe[0].is_preferred
        fixed = editor.applied(unsafe[0])
        assert 'torch.load("checkpoint.pt", map_location="cpu")' in fixed
        assert fixed == _command_fix(tmp_path, "resume.py", RESUME, unsafe=True)
        # Not part of "fix all safe findings".
        assert await editor.actions(only=[types.CodeActionKind.SourceFixAll]) == []
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_ignore_action_adds_or_extends_noqa(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        [diagnostic] = await editor.open()
        ignore = next(a for a in await editor.actions(diagnostic) if a.title == "Ignore NTL201 for this line")
        quiet = editor.applied(ignore)
        ast.parse(quiet)
        assert quiet.splitlines()[4].endswith(".numpy()  # noqa: NTL201")
        assert await editor.change(quiet) == []

        # A line whose `# noqa:` list names other codes: the code is added to the list, where the
        # command's noqa reading sees it there (flake8's does; the command's reads NTL codes in a list
        # once issue 15 lands). Where it would not, no action is offered: an edit that silences nothing.
        listed = GRAD.replace("(image * 2).numpy()", "(image * 2).numpy()  # noqa: E501 (long line)")
        [diagnostic] = await editor.change(listed)
        extended = listed.replace("# noqa: E501 (long line)", "# noqa: E501,NTL201 (long line)")
        offered = [a for a in await editor.actions(diagnostic) if a.title == "Ignore NTL201 for this line"]
        if command_findings(_write(tmp_path / "grad.py", extended)) == []:
            assert len(offered) == 1 and editor.applied(offered[0]) == extended
            assert await editor.change(extended) == []
        else:
            assert offered == []
    finally:
        await client.shutdown_session()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


MANY = textwrap.dedent("""\
    import numpy as np
    import torch

    weights = torch.rand(3, requires_grad=True)
    frame = np.random.rand(4, 4)
    print((weights * 2).numpy())
    flipped = torch.from_numpy(frame[::-1])
    state = torch.load("model.pt")
    print(weights.sum().numpy(), flipped, state)
    if torch.cuda.is_available():
        weights = weights.cuda()
""")


@pytest.mark.asyncio
async def test_fix_all_applies_every_safe_fix_as_the_command_does(tmp_path: Path) -> None:
    project(tmp_path, {"many.py": MANY})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "many.py")
        diagnostics = await editor.open()
        assert sorted(codes(diagnostics)) == sorted(f["code"] for f in command_findings(tmp_path / "many.py"))
        assert {"NTL201", "NTL302", "NTL403"} <= set(codes(diagnostics))
        [fix_all] = await editor.actions(only=[types.CodeActionKind.SourceFixAll])
        assert fix_all.title == "Fix all safe NTL findings" and fix_all.kind == "source.fixAll.np-torch-lint"
        fixed = editor.applied(fix_all)
        ast.parse(fixed)
        assert fixed == _command_fix(tmp_path, "many.py", MANY)
        # `only` filters: a fix-all request got the fix-all alone (above), a quick-fix request gets no fix-all.
        quick = await editor.actions(diagnostics[0], only=[types.CodeActionKind.QuickFix])
        assert quick and all(a.kind == types.CodeActionKind.QuickFix for a in quick)
        assert codes(await editor.change(fixed)) == ["NTL302"]  # the unsafe fix is left for the user
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_change_to_clean_code_clears_and_hover_shows_the_rule_page(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        [diagnostic] = await editor.open()
        hover = await hover_at(client, types.HoverParams(
            types.TextDocumentIdentifier(editor.uri), diagnostic.range.start))
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.kind == types.MarkupKind.Markdown
        assert hover.contents.value == (ROOT / "np_torch_lint/docs/NTL201.md").read_text(encoding="utf-8")
        assert hover.range == diagnostic.range
        nothing = await hover_at(client, types.HoverParams(
            types.TextDocumentIdentifier(editor.uri), types.Position(0, 3)))
        assert nothing is None
        assert await editor.change(GRAD.replace("(image * 2).numpy()", "(image * 2).detach().numpy()")) == []
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_configuration_and_noqa_as_the_command_reads_them(tmp_path: Path) -> None:
    config = '[tool.np-torch-lint]\nper-file-ignores = { "scripts/*" = ["NTL201"] }\nignore = ["NTL302"]\n'
    project(tmp_path, {"grad.py": GRAD, "scripts/grad.py": GRAD, "resume.py": RESUME,
                       "quiet.py": GRAD.replace(".numpy()", ".numpy()  # noqa: NTL201")}, config)
    client = await launch(tmp_path)
    try:
        for name, expected in (("grad.py", ["NTL201"]), ("scripts/grad.py", []), ("resume.py", []), ("quiet.py", [])):
            diagnostics = await Editor(client, tmp_path / name).open()
            assert codes(diagnostics) == expected == [f["code"] for f in command_findings(tmp_path / name)], name
        # A configuration the command refuses: said once in the editor, the server goes on.
        project(tmp_path / "bad", {"grad.py": GRAD}, "[tool.np-torch-lint]\nselec = [\"NTL2\"]\n")
        broken = Editor(client, tmp_path / "bad" / "grad.py")
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=broken.uri, language_id="python", version=1, text=GRAD)))
        assert await broken.actions() == []  # answered after the open was handled
        shown = [m.message for m in client.messages if m.type == types.MessageType.Error]
        assert len(shown) == 1 and "configuration error" in shown[0] and "unknown key 'selec'" in shown[0]
        assert broken.uri not in client.diagnostics
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_a_syntax_error_keeps_the_diagnostics_and_the_server_serving(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        before = await editor.open()
        editor.send(GRAD + "def broken(:\n")
        # A request answered after the change was handled: no crash, no actions on an unparsable buffer.
        assert await editor.actions(before[0]) == []
        assert list(client.diagnostics[editor.uri]) == before  # nothing was published for the broken version
        assert codes(await editor.change(GRAD + "x = 1\n")) == ["NTL201"]
        assert client.error is None
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_an_exception_is_logged_and_the_server_keeps_serving(tmp_path: Path) -> None:
    project(tmp_path, {"crash.py": GRAD, "grad.py": GRAD})
    client = await launch(tmp_path, command=[sys.executable, "-c", FAULTY])
    try:
        crashed = await Editor(client, tmp_path / "crash.py").open()
        assert codes(crashed) == ["NTL000"] and "internal error in np-torch-lint" in crashed[0].message
        editor = Editor(client, tmp_path / "grad.py")
        [diagnostic] = await editor.open()
        hover = await hover_at(client, types.HoverParams(
            types.TextDocumentIdentifier(editor.uri), diagnostic.range.start))
        assert hover is None  # the failed request gets an empty answer ...
        logged = "\n".join(m.message for m in client.log_messages if m.type == types.MessageType.Error)
        assert "injected fault" in logged and "hover failed" in logged and "injected hover fault" in logged
        assert await editor.actions(diagnostic)  # ... and the next one is served
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_changes_are_debounced_to_the_latest_version(tmp_path: Path) -> None:
    project(tmp_path, {"grad.py": GRAD})
    client = await launch(tmp_path, debounce_ms=200)
    try:
        editor = Editor(client, tmp_path / "grad.py")
        await editor.open()
        for n in range(3):
            editor.send(GRAD + f"x = {n}\n")
        params = await published(client)
        assert params.version == editor.version == 4  # one analysis, of the last version
    finally:
        await client.shutdown_session()


UTILS = textwrap.dedent("""\
    import numpy as np


    def load_features(n):
        return np.random.rand(n, 4){cast}
""")
TRAIN = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    from utils import load_features

    model = nn.Linear(4, 1)
    x = torch.from_numpy(load_features(8))
    print(model(x))
""")


@pytest.mark.asyncio
async def test_a_project_module_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    project(tmp_path, {"utils.py": UTILS.format(cast=""), "train.py": TRAIN})
    registrations: List[types.Registration] = []
    client = await launch(tmp_path, registrations=registrations)
    try:
        editor = Editor(client, tmp_path / "train.py")
        assert codes(await editor.open()) == ["NTL101"]  # float64 features born in utils.py
        # Asked for in `initialized`, so before the diagnostics above: the watchers the editor runs for us.
        assert [r.method for r in registrations] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        (tmp_path / "utils.py").write_text(UTILS.format(cast=".astype(np.float32)"), encoding="utf-8")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(uri=(tmp_path / "utils.py").as_uri(), type=types.FileChangeType.Changed)]))
        assert await editor.diagnostics() == []
        # Edited and saved from the editor: the documents that import it are linted again.
        utils = Editor(client, tmp_path / "utils.py")
        await utils.open()
        utils.send(UTILS.format(cast=""))
        (tmp_path / "utils.py").write_text(UTILS.format(cast=""), encoding="utf-8")
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=utils.uri)))
        await editor.diagnostics_until(["NTL101"])
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_an_unsaved_buffer_of_an_imported_module_wins_over_the_disk(tmp_path: Path) -> None:
    project(tmp_path, {"utils.py": UTILS.format(cast=".astype(np.float32)"), "train.py": TRAIN})
    client = await launch(tmp_path)
    try:
        train = Editor(client, tmp_path / "train.py")
        assert await train.open() == []  # float32 features on disk
        utils = Editor(client, tmp_path / "utils.py")
        await utils.open()
        utils.send(UTILS.format(cast=""))  # typed, not saved: float64 features
        found = await train.diagnostics_until(["NTL101"])
        assert "utils.py line 5" in found[0].message  # the fact was born in the buffer's line
        # Closed without saving: the file on disk is what the project holds again.
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(utils.uri)))
        await train.diagnostics_until([])
        assert "float32" in (tmp_path / "utils.py").read_text(encoding="utf-8")  # the server never writes
    finally:
        await client.shutdown_session()


HELPER = textwrap.dedent("""    import torch


    def to_numpy(t):
        return t.numpy()
""")
CALLER = textwrap.dedent("""\
    import torch
    from helper import to_numpy

    model = torch.nn.Linear(4, 2)
    print(to_numpy(model(torch.randn(3, 4)){detach}))
""")


@pytest.mark.asyncio
async def test_an_unsaved_buffer_of_a_caller_wins_over_the_disk(tmp_path: Path) -> None:
    """A helper's finding rests on what its callers pass: the caller's unsaved text counts."""
    project(tmp_path, {"helper.py": HELPER, "caller.py": CALLER.format(detach=".detach()")})
    client = await launch(tmp_path)
    try:
        helper = Editor(client, tmp_path / "helper.py")
        assert await helper.open() == []  # the caller on disk passes a detached tensor
        caller = Editor(client, tmp_path / "caller.py", CALLER.format(detach=""))
        await caller.open()  # unsaved: the caller passes a model's output, which requires grad
        found = await helper.diagnostics_until(["NTL201"])
        assert found[0].range.start.line == 4 and "caller.py line 5" in found[0].message
        caller.send(CALLER.format(detach=".detach()"))
        await helper.diagnostics_until([])
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_a_path_with_a_space_is_linted_and_its_readers_too(tmp_path: Path) -> None:
    """Its uri holds %20; the server's documents are kept by the unquoted uri, its diagnostics sent to the quoted."""
    folder = project(tmp_path / "my project", {"utils.py": UTILS.format(cast=".astype(np.float32)"), "train.py": TRAIN})
    client = await launch(folder)
    try:
        train = Editor(client, folder / "train.py")
        assert "%20" in train.uri and await train.open() == []
        utils = Editor(client, folder / "utils.py")
        await utils.open()
        utils.send(UTILS.format(cast=""))
        await train.diagnostics_until(["NTL101"])
    finally:
        await client.shutdown_session()


@pytest.mark.asyncio
async def test_shutdown_and_exit(tmp_path: Path) -> None:
    client = await launch(tmp_path)
    server = client._server
    await client.shutdown_session()
    assert server is not None and server.returncode == 0


@pytest.mark.asyncio
async def test_fixtures_through_the_server_match_the_command(tmp_path: Path) -> None:
    """Every positive fixture of three rules: the same codes and lines as the command."""
    paths = sorted(p for code in ("NTL101", "NTL201", "NTL403") for p in (FIXTURES / code).glob("pos_*.py"))
    client = await launch(FIXTURES)
    try:
        for path in paths:
            diagnostics = await Editor(client, path).open()
            expected = [(f["line"], f["code"]) for f in command_findings(path)]
            assert [(d.range.start.line + 1, d.code) for d in diagnostics] == expected, path.name
    finally:
        await client.shutdown_session()


def test_the_command_works_without_pygls() -> None:
    hide = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None; "
            "from np_torch_lint.cli import main; ")
    served = subprocess.run([sys.executable, "-c", hide + "sys.exit(main(['server']))"], capture_output=True,
                            text=True, env=ENV, cwd=ROOT, check=False)
    assert served.returncode == 2
    assert served.stderr.strip() == ("np-torch-lint server needs pygls: pip install 'np-torch-lint[server]' "
                                     "(pygls, lsprotocol not installed)")
    lint = "sys.exit(main(['check', 'fixtures/NTL201/pos_adversarial_input.py']))"
    checked = subprocess.run([sys.executable, "-c", hide + lint],
                             capture_output=True, text=True, env=ENV, cwd=ROOT, check=False)
    assert checked.returncode == 1 and "NTL201" in checked.stdout


def test_the_server_imports_neither_torch_nor_numpy() -> None:
    probe = ("import sys; from np_torch_lint.server import analysis, lsp; "
             "analysis.analyze_buffer(sys.argv[1], open(sys.argv[1]).read(), '.'); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy', 'runtime_check')))")
    result = subprocess.run([sys.executable, "-c", probe, str(FIXTURES / "NTL201/pos_adversarial_input.py")],
                            capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


class NotebookEditor:
    """The client's side of a notebook document: its cells as text documents (LSP 3.17)."""

    def __init__(self, client: LanguageClient, path: Path, cells: Sequence[Tuple[str, str]]) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.version = 1
        self.cells = [Editor(client, path, text) for _, text in cells]  # one Editor per cell document
        self.kinds = [kind for kind, _ in cells]
        for index, cell in enumerate(self.cells):  # as VS Code names them (the path percent-encoded)
            cell.uri = path.as_uri().replace("file:", "vscode-notebook-cell:", 1) + f"#W{index}sZmlsZQ%3D%3D"

    def open(self) -> None:
        self.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=self.uri, notebook_type="jupyter-notebook", version=1, cells=[
                types.NotebookCell(kind=types.NotebookCellKind.Code if kind == "code" else types.NotebookCellKind.Markup,
                                   document=cell.uri) for kind, cell in zip(self.kinds, self.cells)]),
            cell_text_documents=[types.TextDocumentItem(uri=cell.uri, language_id="python" if kind == "code" else
                                                        "markdown", version=cell.version, text=cell.text)
                                 for kind, cell in zip(self.kinds, self.cells)]))

    def change(self, index: int, text: str) -> None:
        cell = self.cells[index]
        cell.version += 1
        cell.text = text
        self.version += 1
        self.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=self.version, uri=self.uri),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
                types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=cell.uri, version=cell.version),
                    changes=[types.TextDocumentContentChangeWholeDocument(text=text)])]))))


NOTEBOOK_CELLS = [
    ("markdown", "# Saliency\nA markdown cell is not code.\n"),
    ("code", "import numpy as np\nimport torch\n"),
    ("code", "%matplotlib inline\nimage = torch.rand(1, 10, requires_grad=True)\nadv = (image * 2).numpy()\n"),
    ("code", "x = torch.from_numpy(np.random.rand(4, 3))\nmodel = torch.nn.Linear(3, 1)\nmodel(x)\n"),
]


@pytest.mark.asyncio
async def test_a_notebook_gets_diagnostics_and_actions_per_cell(tmp_path: Path) -> None:
    notebook_path = tmp_path / "my notebooks" / "analysis.ipynb"  # a space: its uri is percent-encoded
    project(tmp_path, {})
    notebook_path.parent.mkdir()
    # The command's findings for the same notebook on disk, placed by cell.
    nbformat = pytest.importorskip("nbformat")
    document = nbformat.v4.new_notebook()
    document.cells = [nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
                      for kind, text in NOTEBOOK_CELLS]
    nbformat.write(document, str(notebook_path))
    expected = [(f["cell"], f["line"], f["code"]) for f in command_findings(notebook_path)]
    assert expected == [(2, 3, "NTL201"), (3, 1, "NTL101")]
    client = await launch(tmp_path)
    try:
        notebook = NotebookEditor(client, notebook_path, NOTEBOOK_CELLS)
        notebook.open()
        imports, grad_cell, dtype_cell = notebook.cells[1:]
        assert await imports.diagnostics() == []
        grad = await grad_cell.diagnostics()
        dtype = await dtype_cell.diagnostics()
        assert [(2, d.range.start.line + 1, d.code) for d in grad] + \
            [(3, d.range.start.line + 1, d.code) for d in dtype] == expected
        assert "cell 2 line 2" in grad[0].message  # cited as the command cites a notebook's line
        assert (grad[0].range.start.character, grad[0].range.end.character) == (18, 23)  # `numpy`
        # The fix, in the cell's own lines, as the command's notebook fix writes it.
        fix = next(a for a in await grad_cell.actions(grad[0]) if a.title.startswith("Fix NTL201"))
        fixed = grad_cell.applied(fix)
        assert fixed == NOTEBOOK_CELLS[2][1].replace("(image * 2).numpy()", "(image * 2).detach().cpu().numpy()")
        notebook.change(2, fixed)
        assert await grad_cell.diagnostics() == []
        ignore = next(a for a in await dtype_cell.actions(dtype[0]) if a.title == "Ignore NTL101 for this line")
        notebook.change(3, dtype_cell.applied(ignore))
        assert await dtype_cell.diagnostics() == []
        assert "# noqa: NTL101" in dtype_cell.text
        hover = await hover_at(client, types.HoverParams(types.TextDocumentIdentifier(grad_cell.uri),
                                                         types.Position(2, 10)))
        assert hover is None  # fixed: nothing under the cursor any more
        client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=notebook.uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=cell.uri) for cell in notebook.cells]))
        cleared = set()
        while cleared != {cell.uri for cell in notebook.cells[1:]}:
            params = await published(client)
            if params.version is None and not params.diagnostics:
                cleared.add(params.uri)
    finally:
        await client.shutdown_session()
