"""Child-side code that runs one fixture file, or one probe step (standard library only).

The runner executes this file's *source text* with `python -c`, so a fixture
runs in an interpreter that has not imported runtime_check.  Two entry points:

spawn_main()   `python -c SRC+"spawn_main()" FIXTURE MEM_BYTES`: one fixture
               per interpreter, the reference way (executors.call_in_child
               runs a probe step this way too, as a generated script).
zygote_main()  a fork server: imports numpy and torch once, then forks one
               child per fixture (JSON lines on stdin/stdout).  Importing
               torch costs about 2 s per process; with a few hundred fixtures
               that is most of the run, and fork takes it to ~0.

Both apply the same sandbox in the child: a memory limit (RLIMIT_AS, set by
the child itself rather than in Popen's preexec_fn, which is not safe while the
runner's threads are running), no IPv4/IPv6 connections or DNS, and the
fixture's folder as sys.path[0], as `python fixture.py` would have it.

A `prints` fixture is watched (WATCH_ENV): right after each line the linter
names runs, its `# value:` expression is evaluated in that line's frame, and
the text of its value after the line's last run is written to a JSON file.
"""
import os
import sys

NET_BLOCKED = "network access is disabled for fixtures by runtime_check"
# What fixtures import, plus torch._dynamo: the first optimizer.step() imports
# it (and sympy), about 3 s that every training-loop fixture would pay again.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch.utils.data",
    "torch._dynamo",
)


def _limit_memory(nbytes):
    if nbytes and nbytes > 0:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            nbytes = min(nbytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (nbytes, hard))


def _block_network():
    # Only internet sockets: DataLoader workers pass tensors over AF_UNIX.
    import socket

    inet = (socket.AF_INET, getattr(socket, "AF_INET6", socket.AF_INET))
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if self.family in inet:
            raise OSError(NET_BLOCKED)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in inet:
            raise OSError(NET_BLOCKED)
        return real_connect_ex(self, address)

    def getaddrinfo(*args, **kwargs):
        raise OSError(NET_BLOCKED)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo


# JSON {"lines": [...], "expression": "...", "out": "/path/values.json"}
WATCH_ENV = "RUNTIME_CHECK_WATCH"
RETURN_NAME = "__return__"  # the value a watched `return` line gives back (as pdb names it)


def _watch(path, lines, expression, out):
    """Evaluate `expression` right after each run of a watched line of `path`.

    "After" is the next event of the frame that ran the line: its next line,
    or its return (then the returned value is bound to RETURN_NAME).  A line
    left by an exception has no value.  The value after a line's last run
    overwrites the earlier ones: the file always holds the latest.
    """
    import json
    import threading

    code = compile(expression, "<value>", "eval")
    watched = set(lines)
    previous = {}  # id(frame) -> the line that frame ran last
    values = {}

    def record(line, frame, extra):
        scope = dict(frame.f_globals)
        scope.update(frame.f_locals)
        scope.update(extra)
        try:
            values[str(line)] = {"value": str(eval(code, scope))}
        except BaseException as exc:  # a value that cannot be read is reported, never fatal
            values[str(line)] = {"error": f"{type(exc).__name__}: {exc}"}
        with open(out, "w", encoding="utf-8") as f:
            json.dump(values, f)

    def local(frame, event, arg):
        key = id(frame)
        last = previous.get(key)
        if event == "line":
            if last in watched and last != frame.f_lineno:
                record(last, frame, {})
            previous[key] = frame.f_lineno
        elif event == "exception":
            previous[key] = None  # the line did not complete
        elif event == "return":
            if last in watched:
                record(last, frame, {RETURN_NAME: arg})
            previous.pop(key, None)
        return local

    def global_trace(frame, event, arg):
        return local if frame.f_code.co_filename == path else None

    threading.settrace(global_trace)
    sys.settrace(global_trace)


def _prepare(path):
    sys.argv = [path]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    spec = os.environ.pop(WATCH_ENV, None)
    if spec:
        import json

        watch = json.loads(spec)
        _watch(path, watch["lines"], watch["expression"], watch["out"])


def spawn_main():
    path, mem = sys.argv[1], int(sys.argv[2])
    _limit_memory(mem)
    _block_network()
    _prepare(path)
    import runpy

    # Uncaught exceptions propagate: the interpreter prints the traceback and
    # exits 1, exactly as for `python fixture.py`.
    runpy.run_path(path, run_name="__main__")


# --- fork server ------------------------------------------------------------


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _run_forked(path):
    """Run the fixture and return the exit status the interpreter would give."""
    import atexit
    import runpy

    try:
        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    # What the interpreter does at exit, in its order: join non-daemon threads
    # (and thread pools), then run the exit handlers.
    try:
        import threading

        threading._shutdown()
    except Exception:
        pass
    try:
        atexit._run_exitfuncs()
    except Exception:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code


def _reseed():
    # A fresh interpreter seeds NumPy and torch from the OS; a fork would
    # inherit the server's state. (Python's `random` reseeds itself on fork.)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()


def _fork_child(req, proto_out, devnull):
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.setsid()  # its own process group: the runner kills the whole group
        os.close(proto_out)
        os.dup2(devnull, 0)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(req["stdout"], flags, 0o600), 1)
        os.dup2(os.open(req["stderr"], flags, 0o600), 2)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        _limit_memory(req["mem"])
        _prepare(req["path"])
        _reseed()
        code = _run_forked(req["path"])
    except BaseException:
        try:
            import traceback

            traceback.print_exc()
        except BaseException:
            pass
    finally:
        os._exit(code)


def zygote_main():
    import json
    import select
    import signal
    import time

    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # a stray print must not corrupt the protocol
    _block_network()
    preloaded = []
    for name in PRELOAD:
        try:
            __import__(name)
            preloaded.append(name)
        except Exception:
            pass
    # Never run a torch op in this process: an OpenMP pool that has started
    # does not survive fork (the child hangs on its first parallel op).

    # The exit handlers that torch and friends registered while preloading
    # are cleanup for caches a fixture never filled, and cost ~0.1 s per
    # child; keep logging's flush and multiprocessing's. A fixture's own
    # handlers still run.
    import atexit
    import logging

    atexit._clear()
    atexit.register(logging.shutdown)
    if "multiprocessing.util" in sys.modules:  # stops DataLoader workers left running
        atexit.register(sys.modules["multiprocessing.util"]._exit_function)

    def send(msg):
        os.write(proto_out, (json.dumps(msg) + "\n").encode())

    send({"ready": True, "pid": os.getpid(), "preloaded": preloaded})
    children = {}
    buf = b""
    eof = False
    while not eof or children:
        if eof:
            time.sleep(0.02)
        else:
            ready, _, _ = select.select([0], [], [], 0.02 if children else None)
            if ready:
                chunk = os.read(0, 65536)
                if not chunk:
                    eof = True
                    for pid in children:  # the runner is gone: stop everything
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except OSError:
                            pass
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    req = json.loads(line)
                    pid = _fork_child(req, proto_out, devnull)
                    children[pid] = req["id"]
                    send({"id": req["id"], "pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            rid = children.pop(pid, None)
            if rid is not None and not eof:
                send({"id": rid, "exit": os.waitstatus_to_exitcode(status)})
    # Skip the interpreter's teardown of torch (seconds, and nothing to save).
    os._exit(0)
