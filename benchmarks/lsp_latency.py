"""Latency of the language server: didChange -> publishDiagnostics on a 1,000-line file. Run by hand:

    python benchmarks/lsp_latency.py [--edits 60] [--pylsp PYTHON] [--inside]

The file is the positive fixtures concatenated (top-level functions and classes
renamed per fixture so they do not shadow each other) until it holds 1,000
lines. A bare JSON-RPC client opens it, then sends ``--edits`` changes, each
the whole new text (the server syncs in full) with one line in the middle
edited (a line inserted at top level; with --inside, in the body of the
block found there), and times each change until the diagnostics for that version arrive;
the server's CPU time per edit is read from /proc (the machine's load moves
the wall times, much less the CPU times). In process, for the same edits: the
server's analysis (incremental: only the segments an edit changed are walked,
see np_torch_lint/incremental.py) and a whole-file analysis (the command's),
whose findings must be the same for every edit (else the run fails).
The server's debounce is set to 0 so the figure is the work, not the wait.

Beside it, for the same file and edits: python-lsp-server with its flake8
plugin (this linter running inside flake8, the only editor integration before
the server), when ``--pylsp PYTHON`` names an interpreter that has pylsp; its
0.5 s lint debounce is patched to 0 for the measurement and reported apart.
Without pylsp, flake8 run once per edit as a subprocess is the comparison.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
PYLSP = ("import pylsp._utils as u; debounce = u.debounce; "
         "u.debounce = lambda interval_s, keyed_by=None: debounce(0, keyed_by); "  # pylsp's 0.5 s wait, off
         "from pylsp.__main__ import main; main()")
PYLSP_SETTINGS: Dict[str, object] = {"pylsp": {"plugins": {
    "flake8": {"enabled": True}, "pycodestyle": {"enabled": False}, "pyflakes": {"enabled": False},
    "mccabe": {"enabled": False}, "pydocstyle": {"enabled": False}, "autopep8": {"enabled": False},
    "yapf": {"enabled": False}}}}


def build_file(lines: int) -> str:
    """The positive fixtures, concatenated in order with renamed top-level names, to at least ``lines`` lines."""
    parts: List[str] = []
    total = 0
    for index, path in enumerate(sorted((ROOT / "fixtures").glob("NTL*/pos_*.py"))):
        text = path.read_text(encoding="utf-8")
        names = [node.name for node in ast.parse(text).body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        for name in names:
            text = re.sub(rf"\b{re.escape(name)}\b", f"{name}_{index}", text)
        parts.append(f"# --- {path.parent.name}/{path.name}\n{text}")
        total += text.count("\n") + 1
        if total >= lines:
            break
    source = "\n".join(parts)
    ast.parse(source)
    return source


INSIDE = False  # --inside: the edits go inside a block (a function's or a loop's body), not at top level


def edited(text: str, number: int) -> str:
    """One line in the middle of the file changed, as typing there would."""
    lines = text.split("\n")
    middle = len(lines) // 2
    if INSIDE:
        # The first indented line from the middle whose line before is a whole statement of the same block.
        while not (lines[middle].startswith("    ") and lines[middle - 1].startswith(lines[middle][:len(lines[middle]) - len(lines[middle].lstrip())])
                   and not lines[middle - 1].rstrip().endswith(("\\", ",", "(", "[", "{", ":"))):
            middle += 1
        indent = lines[middle][:len(lines[middle]) - len(lines[middle].lstrip())]
        lines.insert(middle, f"{indent}edit_counter = {number}")
        return "\n".join(lines)
    while lines[middle].startswith((" ", "\t")) or lines[middle - 1].rstrip().endswith(("\\", ",", "(", "[", "{")):
        middle += 1  # a top-level position, so the edit keeps the file valid
    lines.insert(middle, f"edit_counter = {number}")
    return "\n".join(lines)


class Client:
    """A bare JSON-RPC client over the server's stdio: the same for every server, and light, so the
    figures are the servers' (a typed client would add its own decoding, and pygls's rejects pylsp's
    capabilities)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pending: Dict[int, asyncio.Future] = {}
        self.published: Dict[int, Tuple[float, int]] = {}  # version -> (arrival, number of diagnostics)
        self.waiting: Dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def notify(self, method: str, params: object) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: object) -> object:
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout=120)

    def _write(self, message: object) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                header = await stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            message = json.loads(await stream.readexactly(length))
            now = time.perf_counter()
            if "method" not in message:
                future = self.pending.pop(message.get("id"), None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif "id" in message:  # a request of the server's (registerCapability ...): accepted
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif message["method"] == "textDocument/publishDiagnostics":
                version = message["params"].get("version")
                if version is not None and version not in self.published:
                    self.published[version] = (now, len(message["params"]["diagnostics"]))
                    waiter = self.waiting.pop(version, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)


class Run(NamedTuple):
    opened: float  # didOpen -> first diagnostics, seconds
    times: List[float]  # didChange -> publishDiagnostics of that version, seconds, per edit
    findings: int  # diagnostics of the opened file
    cpu: float  # the server's CPU seconds per edit (its children's included)


def cpu_seconds(pid: int) -> float:
    """The process's CPU time, its waited-for children's included (flake8 under pylsp), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def measure(command: Sequence[str], path: Path, text: str, edits: int, warmup: int,
                  initialization: Optional[Dict[str, object]] = None,
                  settings: Optional[Dict[str, object]] = None) -> Run:
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=path.parent)
    client = Client(process)
    await client.request("initialize", {"processId": os.getpid(), "rootUri": path.parent.as_uri(),
                                        "capabilities": {}, "initializationOptions": initialization})
    client.notify("initialized", {})
    if settings is not None:
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
    uri = path.as_uri()
    loop = asyncio.get_running_loop()

    async def send(version: int, new_text: str) -> float:
        client.waiting[version] = loop.create_future()
        start = time.perf_counter()
        if version == 1:
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": new_text}})
        else:
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"text": new_text}]})
        await asyncio.wait_for(client.waiting[version], timeout=120)
        return client.published[version][0] - start

    opened = await send(1, text)
    times = []
    cpu_before = 0.0
    for number in range(warmup + edits):
        if number == warmup:
            cpu_before = cpu_seconds(process.pid)
        took = await send(number + 2, edited(text, number))
        if number >= warmup:
            times.append(took)
    cpu = (cpu_seconds(process.pid) - cpu_before) / edits
    await client.request("shutdown", None)
    client.notify("exit", None)
    await asyncio.wait_for(process.wait(), timeout=30)
    client.reader.cancel()
    return Run(opened, times, client.published[1][1], cpu)


def flake8_rounds(path: Path, rounds: int) -> List[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flake8", str(path)], capture_output=True, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=path.parent)
        times.append(time.perf_counter() - start)
    return times


def summary(name: str, times: Sequence[float], cpu: Optional[float] = None) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    cpu_text = f"{cpu * 1000:8.1f}" if cpu is not None else f"{'':8}"
    return (f"{name:<46} {statistics.median(times) * 1000:8.1f} {p95 * 1000:8.1f} "
            f"{max(times) * 1000:8.1f} {cpu_text} {len(times):6d}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pylsp", metavar="PYTHON", help="an interpreter with python-lsp-server installed")
    parser.add_argument("--flake8-rounds", type=int, default=20)
    parser.add_argument("--inside", action="store_true", help="edit inside a block in the middle, not at top level")
    options = parser.parse_args(argv)
    global INSIDE
    INSIDE = options.inside
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.py"
        text = build_file(options.lines)
        path.write_text(text, encoding="utf-8")
        (Path(folder) / "pyproject.toml").write_text("", encoding="utf-8")
        ours = asyncio.run(measure([sys.executable, "-m", "np_torch_lint.cli", "server"], path, text,
                                   options.edits, options.warmup, initialization={"debounceMs": 0}))
        from np_torch_lint.incremental import IncrementalAnalysis
        from np_torch_lint.server.analysis import analyze_buffer

        def in_process(incremental: Optional[IncrementalAnalysis]) -> Tuple[List[float], float, List[object]]:
            if incremental is not None:
                analyze_buffer(str(path), text, folder, incremental)  # the opened version
            times = []
            found: List[object] = []
            cpu_start = time.process_time()
            for number in range(options.edits):
                start = time.perf_counter()
                found.append(analyze_buffer(str(path), edited(text, number), folder, incremental).reports)
                times.append(time.perf_counter() - start)
            return times, (time.process_time() - cpu_start) / options.edits, found

        analysis, analysis_cpu, incremental_found = in_process(IncrementalAnalysis())
        whole, whole_cpu, whole_found = in_process(None)
        if incremental_found != whole_found:
            print("error: the incremental analysis and the whole-file analysis disagree", file=sys.stderr)
            return 1
        theirs = None
        if options.pylsp:
            theirs = asyncio.run(measure([options.pylsp, "-c", PYLSP], path, text, options.edits, options.warmup,
                                         settings=PYLSP_SETTINGS))
        flake8 = flake8_rounds(path, options.flake8_rounds)

    print(f"file: {text.count(chr(10)) + 1} lines, {ours.findings} NTL findings; Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    header = f"{'median':>8} {'p95':>8} {'max':>8} {'cpu/edit':>8} {'edits':>6}"
    print(f"{'didChange -> publishDiagnostics (ms)':<46} {header}")
    print(summary("np-torch-lint server (debounce 0)", ours.times, ours.cpu))
    print(summary("  its analysis alone, in process", analysis, analysis_cpu))
    print(summary("  a whole-file analysis, in process", whole, whole_cpu))
    if theirs is not None:
        print(summary("pylsp + flake8 plugin (debounce patched to 0)", theirs.times, theirs.cpu))
    print(summary("flake8 subprocess per run (for comparison)", flake8))
    compared = f" (pylsp + flake8: {theirs.opened * 1000:.1f} ms)" if theirs is not None else ""
    print(f"first diagnostics after didOpen: {ours.opened * 1000:.1f} ms{compared}; "
          "the server's default debounce adds 150 ms, pylsp's 500 ms")
    print(f"the incremental and the whole-file analyses reported the same findings for all {options.edits} edits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
