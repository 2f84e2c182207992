"""DataLoader worker processes: what the trace sees there reaches the report.

A worker runs the user's `__getitem__` (and `worker_init_fn`) in another
process, so its findings would stay there.  While tracing,
`torch.utils.data._utils.worker._worker_loop` (which DataLoader looks up when
it starts a worker) is replaced by `traced_worker_loop`, a module-level
function, so it is found by name in a worker started by `spawn` or
`forkserver` too.  In the worker it watches the loop (a forked worker has the
parent's watchers already, with an empty list of findings; a spawned one
installs its own from the spool's settings) and, when the loop ends, writes
the worker's findings to a per-run spool folder named by an environment
variable.  The parent merges the spool at the end of the trace; a finding
seen in several workers is counted once per time seen, as in one process.
A worker killed before its loop ends (DataLoader terminates one that does not
stop in time) leaves no findings: the report's notes say how many workers
never reported.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, List, Optional

from .findings import Recorder, TraceFinding
from .sites import Site

SPOOL_ENV = "RUNTIME_CHECK_TRACE_SPOOL"
_SETTINGS = "settings.json"
_STARTED = "started-"  # a worker's mark, written when its loop starts

#: the session of this process (set while it is installed): a forked worker finds it here
active_session: Any = None
#: torch's own worker loop, kept while tracing in this process
original_worker_loop: Any = None


def make_spool(roots: List[str], disabled: List[str]) -> str:
    spool = tempfile.mkdtemp(prefix="runtime_check_trace_")
    with open(os.path.join(spool, _SETTINGS), "w", encoding="utf-8") as f:
        json.dump({"roots": roots, "disabled": disabled}, f)
    return spool


def _site_json(site: Optional[Site]) -> Optional[List[Any]]:
    return None if site is None else [site.file, site.line, site.function]


def _site(value: Optional[List[Any]]) -> Optional[Site]:
    return None if value is None else Site(str(value[0]), int(value[1]), str(value[2]))


def write_findings(spool: str, recorder: Recorder) -> None:
    payload = {
        "findings": [{"code": f.code, "message": f.message, "origin": _site_json(f.origin),
                      "failure": _site_json(f.failure), "count": f.count, "seconds": f.seconds,
                      "raised": f.raised, "called_from": [_site_json(s) for s in f.called_from]}
                     for f in recorder.findings()],
        "notes": list(recorder.notes),
    }
    path = os.path.join(spool, f"worker-{os.getpid()}.json")
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(payload, f)
    os.replace(path + ".part", path)  # whole or absent: the parent never reads half a file


def merge(spool: str, recorder: Recorder) -> None:
    """Add every worker's findings and notes to `recorder`; say how many workers never reported."""
    try:
        names = os.listdir(spool)
    except OSError:
        return
    started = {n[len(_STARTED):] for n in names if n.startswith(_STARTED)}
    reported = set()
    for name in sorted(names):
        if not (name.startswith("worker-") and name.endswith(".json")):
            continue
        reported.add(name[len("worker-"):-len(".json")])
        try:
            with open(os.path.join(spool, name), encoding="utf-8") as f:
                payload: Dict[str, Any] = json.load(f)
        except (OSError, ValueError) as exc:
            recorder.note(f"a DataLoader worker's findings could not be read ({name}: {exc})")
            continue
        for item in payload.get("findings", []):
            recorder.add(TraceFinding(item["code"], item["message"], _site(item["origin"]), _site(item["failure"]),
                                      count=int(item["count"]), seconds=float(item["seconds"]),
                                      raised=bool(item["raised"]),
                                      called_from=tuple(s for s in map(_site, item.get("called_from", [])) if s)))
        for note in payload.get("notes", []):
            recorder.note(f"in a DataLoader worker: {note}")
    lost = len(started - reported)
    if lost:
        recorder.note(f"{lost} DataLoader worker(s) ended before their loop did (terminated): "
                      "their findings, if any, are not in this report")


def traced_worker_loop(*args: Any, **kwargs: Any) -> Any:
    """DataLoader's worker loop, watched; its findings are spooled for the parent when it ends."""
    from torch.utils.data._utils import worker

    spool = os.environ.get(SPOOL_ENV)
    session = active_session
    loop = original_worker_loop
    own = None
    if spool and session is None:  # spawned: a fresh interpreter, nothing installed yet
        loop = worker._worker_loop
        own = _session_from(spool)
        session = own
    if loop is None or loop is traced_worker_loop:  # pragma: no cover - torch's loop could not be found
        raise RuntimeError("runtime_check trace: DataLoader's worker loop is missing")
    if session is None or not spool:
        return loop(*args, **kwargs)
    session.state.recorder = Recorder()  # the parent's findings stay the parent's
    try:
        open(os.path.join(spool, f"{_STARTED}{os.getpid()}"), "w").close()
    except OSError:
        pass
    try:
        return loop(*args, **kwargs)
    finally:
        if own is not None:
            own.uninstall()
        try:
            write_findings(spool, session.state.recorder)
        except OSError:
            pass  # the parent notes the worker that never reported


def _session_from(spool: str) -> Any:
    from .session import TraceSession

    try:
        with open(os.path.join(spool, _SETTINGS), encoding="utf-8") as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return None
    return TraceSession(settings["roots"], settings["disabled"], spool=False).install()
