"""NTL302's evidence for one linted file: its code, then its project's.

A checkpoint holds CUDA storages only where some code put tensors on a GPU and saved
them. ``checkpoints.py`` reads that from one file's code; this module asks the linted
file first and then the other ``.py`` files of its project (the root ``project.py``
finds, or the file's folder alone when there is none): does any code use CUDA, and does
every ``torch.save`` of the project store CPU data?

The project scan is bounded (files, bytes), reads no folder of third-party code
(virtual environments, ``site-packages``, hidden folders, build outputs), and is kept
per process by project root, checked against the stamps of what it read. Each flake8
worker (``-j``) scans once per project; the command's cache records the files an answer
rested on (see ``CheckpointEvidence``).
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from . import api, overlay, process_groups
from .checkpoints import FileCheckpoints, SaveSite, code_uses_cuda
from .project import MAX_BYTES, Stamp, _stamp as file_stamp, installed_package, project_root, stamp_is_current

#: files read for one project's scan, and bytes in all: a bigger tree is not summarized
#: (its evidence is unknown, and unknown is silent).
MAX_FILES = 3000
MAX_TOTAL_BYTES = 60_000_000
#: folders never read: third-party code, caches and build outputs.
SKIPPED_FOLDERS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__", "build", "dist"})
#: a folder holding one of these is an environment of installed packages (virtualenv, conda).
ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")


@dataclass(frozen=True)
class FileFacts:
    """One project file's code: does it use CUDA, and its save sites."""

    stamp: Stamp
    uses_cuda: bool
    saves: Tuple[SaveSite, ...]
    process_groups: Tuple[bool, ...] = ()  # each init_process_group call: its backend needs CUDA (NCCL)


@dataclass
class _Entry:
    """A project file, read once for its words; parsed only when a question needs its code."""

    stamp: Stamp
    mentions_cuda: bool
    mentions_save: bool
    facts: Optional[FileFacts] = None
    mentions_process_group: bool = False
    parsed: bool = False


@dataclass
class ProjectScan:
    """The ``.py`` files of a project (see the module docstring), each parsed on first need.

    A question stops at its first witness (the first file whose code uses CUDA, the first save of
    data not known to be CPU), so a typical project is parsed in a file or two, not in full.
    """

    root: str
    complete: bool = True  # False: a bound was hit, so "nowhere" is not known
    entries: List[_Entry] = field(default_factory=list)
    stamps: List[Stamp] = field(default_factory=list)  # every folder and file listed (for the cache)
    _rebound: Dict[str, bool] = field(default_factory=dict)  # rebound_elsewhere's answers, by name

    def current(self) -> bool:
        return all(stamp_is_current(stamp) for stamp in self.stamps)

    def cuda_witness(self, exclude: Optional[str]) -> Optional[Stamp]:
        """The first file (other than ``exclude``) whose code uses CUDA."""
        for entry in self.entries:
            if entry.mentions_cuda and entry.stamp[0] != exclude:
                facts = self._facts(entry)
                if facts is not None and facts.uses_cuda:
                    return entry.stamp
        return None

    def gpu_save_witness(self, exclude: Optional[str]) -> Tuple[Optional[Stamp], bool, int]:
        """(the first file with a save not known to be CPU, whether every save was read, saves seen)."""
        known, count = self.complete, 0
        for entry in self.entries:
            if not entry.mentions_save or entry.stamp[0] == exclude:
                continue
            facts = self._facts(entry)
            if facts is None:
                known = False  # it may save, and it cannot be read
                continue
            count += len(facts.saves)
            if any(not save.cpu for save in facts.saves):
                return entry.stamp, known, count
        return None, known, count

    def process_groups(self, exclude: Optional[str]) -> List[bool]:
        """For each ``init_process_group`` call of the project (outside ``exclude``): its backend needs CUDA."""
        found: List[bool] = []
        for entry in self.entries:
            if entry.mentions_process_group and entry.stamp[0] != exclude:
                facts = self._facts(entry)
                found.extend(facts.process_groups if facts is not None else [False])  # unreadable: not known
        return found

    def saves_with_tail(self, tail: str, exclude: Optional[str]) -> List[SaveSite]:
        """The saves (outside ``exclude``) that write a path ending like ``tail``."""
        needle = _needle(tail)
        found: List[SaveSite] = []
        for entry in self.entries:
            if not entry.mentions_save or entry.stamp[0] == exclude:
                continue
            if needle and not entry.parsed and needle not in (_read_bytes(entry.stamp[0]) or b""):
                continue  # the file's text cannot hold that path: not parsed for it
            facts = self._facts(entry)
            if facts is not None:
                found.extend(save for save in facts.saves if save.tail == tail)
        return found

    def rebound_elsewhere(self, name: str, defining: str) -> bool:
        """Whether any project file but ``defining`` may set the module constant ``name`` from
        outside: an attribute assignment ``.name = ...`` / ``.name += ...``, or ``name`` quoted
        (``setattr(cfg, "name", v)``, a loader's key). Unknown (a bound hit, a file unread): True."""
        known = self._rebound.get(name)
        if known is None:
            needle = re.compile(rb"\.%s\s*(?:[-+*/|&]?=(?!=))|[\"']%s[\"']" % ((re.escape(name.encode()),) * 2))
            known = not self.complete or any(
                (data := _read_bytes(path)) is None or needle.search(data) is not None
                for path, *_ in self.stamps if path.endswith(".py") and path != defining)
            self._rebound[name] = known
        return known

    def _facts(self, entry: _Entry) -> Optional[FileFacts]:
        if not entry.parsed:
            entry.parsed = True
            entry.facts = _parse(entry)
        return entry.facts


_SCANS: Dict[str, ProjectScan] = {}  # per process: project root -> scan (checked against its stamps)


def project_scan(filename: str) -> ProjectScan:
    """The scan of the project that holds ``filename``: its root's tree, or its folder alone when no root marker."""
    folder = os.path.dirname(os.path.abspath(filename))
    root = project_root(folder)
    key = root or folder
    cached = _SCANS.get(key)
    if cached is None or not cached.current():
        cached = _walk_project(key, recursive=root is not None)
        _SCANS[key] = cached
    return cached


class CheckpointEvidence:
    """NTL302's questions about one linted file, answered lazily from its code and then its project's.

    The linted file is read from ``tree`` (the text being linted, saved or not); the project's
    other files from disk. ``dependencies`` collects the stamps an answer rests on, for the
    command's cache: the one file that shows CUDA use or a save of GPU data, or, where the answer
    is "nowhere", every folder and file the scan read.
    """

    def __init__(self, text: str, tree: ast.Module, filename: Optional[str]) -> None:
        self._text = text
        self._tree = tree
        self._path = os.path.abspath(filename) if filename else None
        # an installed package's file is linted alone (engine.interpret): its "project" is not read either
        self._project_path = self._path if filename and not installed_package(filename) else None
        self._own_cuda: Optional[bool] = None
        self._own: Optional[FileCheckpoints] = None
        self._process_groups: Optional[bool] = None
        self.dependencies: List[Stamp] = []

    def file_uses_cuda(self) -> bool:
        if self._own_cuda is None:
            self._own_cuda = api.CUDA_DEVICE_PREFIX in self._text and code_uses_cuda(self._tree)
        return self._own_cuda

    def project_uses_cuda(self) -> bool:
        """Another file of the project uses CUDA in its code."""
        scan = self._scan()
        if scan is None:
            return False
        witness = scan.cuda_witness(self._path)
        self.dependencies.extend([witness] if witness is not None else scan.stamps)
        return witness is not None

    def process_groups_need_cuda(self) -> bool:
        """The process groups this file makes, or where it makes none its project's, are all made with a
        backend that needs CUDA (NCCL), and there is one: code that runs only in an initialized group runs
        only where a GPU is (premises.py). A file that makes groups itself is the project's distributed
        setup: its own calls decide for its helpers (another module's gloo group is not looked for)."""
        if self._process_groups is None:
            inits = process_groups.inits_in(self._tree) if api.PROCESS_GROUP_INIT in self._text else []
            scan = self._scan() if not inits else None
            if scan is not None:
                inits = scan.process_groups(self._path)
                self.dependencies.extend(scan.stamps)  # a file that makes a gloo group may appear anywhere
            self._process_groups = bool(inits) and all(inits)
        return self._process_groups

    def saves_read_by(self, load: ast.AST) -> Optional[bool]:
        """What the project's saves of the path this load reads store: True, CPU data (all of them);
        False, maybe GPU tensors (a save not known to be CPU, in a file whose code uses CUDA or of
        what the saving function's caller gives it); None, no such save is seen, or what they
        store is not known either way.

        A save of this file matches by the same path expression or the same file name; a save of
        another project file by the same file name (``os.path.join(d, "last.pt")``, ``prefix + ".pt"``).
        """
        site = self._checkpoints().loads.get(id(load))
        if site is None:
            return None
        matched = list(self._checkpoints().saves_read_by(site))
        scan = self._scan() if site.tail is not None else None
        if scan is not None and site.tail is not None:
            self.dependencies.extend(scan.stamps)  # a save of that path may appear in any file
            matched += scan.saves_with_tail(site.tail, self._path)
        if matched and all(save.cpu for save in matched):
            return True
        # A save not known to be CPU data: in a file that uses CUDA, or of what a helper's caller
        # gives it (`save_checkpoint(model, path)`: a training script's model, maybe on a GPU).
        return False if any(not save.cpu and (save.cuda_file or save.from_parameter) for save in matched) else None

    def saves_on_cpu(self) -> bool:
        """Every ``torch.save`` of the project (this file's included) stores CPU data, and there is one."""
        own = self._checkpoints().saves
        if any(not site.cpu for site in own):
            return False
        scan = self._scan()
        if scan is None:
            return bool(own)  # no project: this file's saves are all there is to see
        witness, known, count = scan.gpu_save_witness(self._path)
        self.dependencies.extend([witness] if witness is not None else scan.stamps)
        return witness is None and known and bool(own or count)

    def loads_weights(self, load: ast.AST) -> bool:
        """What the load reads goes into a ``.load_state_dict(...)``: a model's weights, not data or statistics."""
        site = self._checkpoints().loads.get(id(load))
        return site is not None and site.weights

    def loads_tensorless_state(self, load: ast.AST) -> bool:
        """What the load reads goes into the ``.load_state_dict(...)`` of a module whose state holds no tensor
        storages (a TensorRT engine's ``TRTModule``: bytes and names): nothing in it is on a device."""
        site = self._checkpoints().loads.get(id(load))
        return site is not None and site.tensorless

    def _checkpoints(self) -> FileCheckpoints:
        if self._own is None:
            self._own = FileCheckpoints(self._tree, self.file_uses_cuda())
        return self._own

    def _scan(self) -> Optional[ProjectScan]:
        return project_scan(self._project_path) if self._project_path is not None else None


def _walk_project(top: str, recursive: bool) -> ProjectScan:
    scan = ProjectScan(top)
    files = 0
    total = 0
    for path in _python_files(top, recursive, scan):
        stamp = file_stamp(path)
        if stamp is None:
            continue
        files += 1
        total += stamp[1]
        if files > MAX_FILES or total > MAX_TOTAL_BYTES:
            scan.complete = False
            break
        scan.stamps.append(stamp)
        if stamp[1] > MAX_BYTES:
            scan.complete = False  # a generated module: not read, so its saves are unknown
            continue
        data = _read_bytes(path)
        if data is None:
            continue
        mentions_cuda = api.CUDA_DEVICE_PREFIX.encode() in data
        mentions_save = b"torch" in data and _SAVE_CALL.search(data) is not None
        mentions_process_group = api.PROCESS_GROUP_INIT.encode() in data
        if mentions_cuda or mentions_save or mentions_process_group:
            scan.entries.append(_Entry(stamp, mentions_cuda, mentions_save,
                                       mentions_process_group=mentions_process_group))
    return scan


#: a call of torch's save function as the text shows it (`torch.save(`, `save(`; not `savefig(`).
_SAVE_CALL = re.compile(rb"\b(?:%s)\s*\(" % b"|".join(re.escape(n.encode()) for n in sorted(api.SAVE_FUNCTIONS_OF_TORCH)))


def _read_bytes(path: str) -> Optional[bytes]:
    buffered = overlay.read_bytes(path)  # an open buffer in the editor wins over the disk
    if buffered is not None:
        return buffered
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _parse(entry: _Entry) -> Optional[FileFacts]:
    """The file's facts; ``None`` when it cannot be read as Python (a Python 2 script): not counted."""
    data = _read_bytes(entry.stamp[0])
    if data is None:
        return None
    try:
        tree = ast.parse(data.decode("utf-8"))
    except (UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    uses_cuda = entry.mentions_cuda and code_uses_cuda(tree)
    saves = FileCheckpoints(tree, uses_cuda).saves if entry.mentions_save else []
    groups = process_groups.inits_in(tree) if entry.mentions_process_group else []
    return FileFacts(entry.stamp, uses_cuda, tuple(saves), tuple(groups))


_WORDS = re.compile(r"(?:id|attr|value)='([^'\\]+)'")


def _needle(tail: str) -> bytes:
    """The longest name or literal a path tail holds: a file that writes that path has it in its text."""
    if tail.startswith("file "):
        return tail[len("file "):].encode()
    words = _WORDS.findall(tail)
    return max(words, key=len).encode() if words else b""


def _python_files(top: str, recursive: bool, scan: ProjectScan) -> Iterable[str]:
    """The ``.py`` files under ``top`` in a stable order; each folder read is stamped for the cache."""
    stack = [top]
    while stack:
        folder = stack.pop()
        stamp = file_stamp(folder)
        if stamp is not None:
            scan.stamps.append(stamp)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders: List[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and _project_folder(entry):
                        subfolders.append(entry.path)
                elif entry.name.endswith(".py") and entry.is_file():
                    yield entry.path
            except OSError:
                continue
        stack.extend(reversed(subfolders))


def _project_folder(entry: "os.DirEntry[str]") -> bool:
    name = entry.name
    if name.startswith(".") or name in SKIPPED_FOLDERS or name.endswith(".egg-info"):
        return False
    return not any(os.path.exists(os.path.join(entry.path, marker)) for marker in ENVIRONMENT_MARKERS)

