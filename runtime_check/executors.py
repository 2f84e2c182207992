"""The one way runtime_check runs code in a child process: under a timeout and a memory cap.

SpawnExecutor: a new interpreter per fixture (the reference).
ForkExecutor:  children forked from a server that imported torch once (fast).
Both return a ProcessOutcome; a hanging or memory-hungry child is killed and
reported as such, never allowed to stop the run.

call_in_child() runs one function of runtime_check (a probe, or one step of
one) in a fresh interpreter through SpawnExecutor, for the probes that need a
new process: torch warns some things only once per process (a fresh
interpreter sees them for sure), and the premises about CPU-only hosts must be
checked on a GPU host with CUDA hidden, which only works before CUDA is
initialised, i.e. in a new process.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

from .env import child_env, cuda_available

_SANDBOX_SRC = (Path(__file__).parent / "_sandbox.py").read_text(encoding="utf-8")
_POLL_S = 0.02
RESULT_MARK = "RUNTIME_CHECK_RESULT "
CALL_TIMEOUT_S = 180.0
CALL_MEMORY_BYTES = 4 << 30


@dataclass
class ProcessOutcome:
    returncode: Optional[int]  # negative: killed by that signal
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    memory_exceeded: bool = False  # killed by the RSS watchdog


@dataclass
class Job:
    path: str  # absolute path of the fixture
    cwd: str  # a fresh temporary directory
    env: Mapping[str, str]
    timeout: float
    memory_bytes: int  # RSS cap, enforced by the watchdog
    rlimit_bytes: int  # RLIMIT_AS in the child; 0 when the child may use CUDA


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _supervise(pid: int, done: Callable[[], bool], job: Job) -> "tuple[bool, bool]":
    """Wait for the child; kill its process group on timeout or when its RSS
    passes the cap (CUDA children run without RLIMIT_AS, see fixture_runner)."""
    deadline = time.monotonic() + job.timeout
    while not done():
        if time.monotonic() > deadline:
            _kill_group(pid)
            return True, False
        if job.memory_bytes and _rss_bytes(pid) > job.memory_bytes:
            _kill_group(pid)
            return False, True
        time.sleep(_POLL_S)
    return False, False


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class SpawnExecutor:
    name = "spawn"

    def run(self, job: Job) -> ProcessOutcome:
        out, err = os.path.join(job.cwd, ".stdout"), os.path.join(job.cwd, ".stderr")
        start = time.monotonic()
        with open(out, "wb") as fo, open(err, "wb") as fe:
            proc = subprocess.Popen(
                [sys.executable, "-c", _SANDBOX_SRC + "\nspawn_main()\n", job.path, str(job.rlimit_bytes)],
                cwd=job.cwd,
                env=dict(job.env),
                stdin=subprocess.DEVNULL,
                stdout=fo,
                stderr=fe,
                start_new_session=True,  # its own group, killed as a whole
            )
            timed_out, mem = _supervise(proc.pid, lambda: proc.poll() is not None, job)
            proc.wait()
        return ProcessOutcome(proc.returncode, _read(out), _read(err), time.monotonic() - start, timed_out, mem)

    def close(self) -> None:
        pass


class _Pending:
    def __init__(self) -> None:
        self.pid: Optional[int] = None
        self.returncode: Optional[int] = None
        self.started = threading.Event()
        self.done = threading.Event()


class ForkServerError(RuntimeError):
    pass


class ForkExecutor:
    """Talks to one fork server (_sandbox.zygote_main) over JSON lines."""

    name = "fork server"

    def __init__(self, ready_timeout: float = 120.0) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SANDBOX_SRC + "\nzygote_main()\n"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env(),
            start_new_session=True,
        )
        hello = self._readline(ready_timeout)
        if not hello.get("ready"):
            self.close()
            raise ForkServerError(f"fork server did not start: {hello}")
        self.preloaded = hello.get("preloaded", [])
        self._lock = threading.Lock()
        self._pending: Dict[int, _Pending] = {}
        self._next_id = 0
        self.dead = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _readline(self, timeout: float) -> dict:
        result: dict = {}

        def read() -> None:
            line = self._proc.stdout.readline() if self._proc.stdout else b""
            if line:
                result.update(json.loads(line))

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        return result

    def _read_loop(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            msg = json.loads(line)
            with self._lock:
                pending = self._pending.get(msg["id"])
            if pending is None:
                continue
            if "pid" in msg:
                pending.pid = msg["pid"]
                pending.started.set()
            if "exit" in msg:
                pending.returncode = msg["exit"]
                pending.done.set()
        self.dead = True  # the server is gone: release every waiter
        with self._lock:
            for pending in self._pending.values():
                pending.started.set()
                pending.done.set()

    def run(self, job: Job) -> ProcessOutcome:
        out, err = os.path.join(job.cwd, ".stdout"), os.path.join(job.cwd, ".stderr")
        pending = _Pending()
        with self._lock:
            if self.dead:
                raise ForkServerError("fork server died")
            rid = self._next_id
            self._next_id += 1
            self._pending[rid] = pending
            req = {
                "id": rid,
                "path": job.path,
                "cwd": job.cwd,
                "env": dict(job.env),
                "mem": job.rlimit_bytes,
                "stdout": out,
                "stderr": err,
            }
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps(req) + "\n").encode())
            self._proc.stdin.flush()
        start = time.monotonic()
        try:
            pending.started.wait(30)
            if pending.pid is None:
                raise ForkServerError("fork server did not start the fixture")
            timed_out, mem = _supervise(pending.pid, pending.done.is_set, job)
            pending.done.wait(30)
            if pending.returncode is None and not (timed_out or mem):
                raise ForkServerError("fork server lost the fixture")
        finally:
            with self._lock:
                self._pending.pop(rid, None)
        return ProcessOutcome(
            pending.returncode, _read(out), _read(err), time.monotonic() - start, timed_out, mem
        )

    def close(self) -> None:
        try:
            if self._proc.stdin:
                self._proc.stdin.close()  # EOF: the server kills what is left and exits
            self._proc.wait(10)
        except Exception:
            self._proc.kill()
            self._proc.wait()


# The script a call child runs (as a fixture would be run, in the same
# sandbox): import the function, call it, print its JSON-able dict after
# RESULT_MARK as the last line, and skip the interpreter's teardown of torch
# (about 1 s) once the verdict is out.
_CALL_SCRIPT = """\
import importlib, json, os, sys
func = getattr(importlib.import_module({module!r}), {func!r})
result = func(*{args!r})
sys.stdout.flush()
print({mark!r} + json.dumps(result))
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
"""


def call_in_child(
    target: str,
    args: Sequence[str] = (),
    hide_cuda: bool = False,
    timeout: float = CALL_TIMEOUT_S,
    memory_bytes: int = CALL_MEMORY_BYTES,
) -> Dict[str, Any]:
    """Call `module:function(*args)` in a fresh interpreter; it returns a JSON-able dict.

    hide_cuda: run with CUDA_VISIBLE_DEVICES="" (a GPU host made CPU-only).
    When the child fails to give a result, the dict has "error" (what went
    wrong) and "observed" (the last line of its stderr).
    """
    module, func = target.split(":")
    cwd = tempfile.mkdtemp(prefix="runtime_check_")
    try:
        script = os.path.join(cwd, "_call.py")
        Path(script).write_text(
            _CALL_SCRIPT.format(module=module, func=func, args=[str(a) for a in args], mark=RESULT_MARK),
            encoding="utf-8",
        )
        # A child that may use CUDA gets no RLIMIT_AS (the driver reserves far
        # more address space than any cap): the RSS watchdog holds it instead.
        cuda_visible = not hide_cuda and cuda_available()
        job = Job(
            path=script,
            cwd=cwd,
            env=child_env(hide_cuda=hide_cuda, with_package=True),
            timeout=timeout,
            memory_bytes=memory_bytes,
            rlimit_bytes=0 if cuda_visible else memory_bytes,
        )
        out = SpawnExecutor().run(job)
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    if out.timed_out:
        return {"error": f"timed out after {timeout:g} s", "observed": tail}
    if out.memory_exceeded:
        return {"error": "exceeded the memory limit (killed)", "observed": tail}
    return {"error": f"exit {out.returncode}: {tail}", "observed": tail}
