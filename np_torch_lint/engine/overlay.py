"""The editor's unsaved buffers of the project's files, read instead of the files on disk.

The language server puts here the text of every open document that is a file. Where the
engine reads another file of the project (a module it imports, a file that imports it,
a file's saves for NTL302), an open buffer's text wins over the disk. A buffer's stamp
is its path, its size in UTF-8 bytes and a negative number that changes with each new
text (a file's is its size and mtime), so every cache checked against stamps (module
summaries, the checkpoint scan, the server's incremental analysis) sees an edit in a
buffer as it sees a change on disk; once the buffer is closed the disk is read again.
The command and the flake8 plugin never fill it: they read the disk only.
"""
from __future__ import annotations

import itertools
import os
from typing import Dict, Iterator, Optional, Tuple

Stamp = Tuple[str, int, int]  # path, size, mtime_ns (negative: a buffer's version)

_BUFFERS: Dict[str, Tuple[str, Stamp]] = {}  # absolute path -> (text, stamp)
_VERSIONS = itertools.count(1)


def set_text(path: str, text: str) -> bool:
    """``path``'s open buffer now holds ``text``; True when that changed what the engine reads."""
    path = os.path.abspath(path)
    known = _BUFFERS.get(path)
    if known is not None and known[0] == text:
        return False
    _BUFFERS[path] = (text, (path, len(text.encode("utf-8", "surrogatepass")), -next(_VERSIONS)))
    return True


def forget(path: str) -> bool:
    """The buffer of ``path`` is closed: the file is read from disk again. True when there was one."""
    return _BUFFERS.pop(os.path.abspath(path), None) is not None


def text_of(path: str) -> Optional[str]:
    known = _BUFFERS.get(os.path.abspath(path))
    return known[0] if known is not None else None


def stamp_of(path: str) -> Optional[Stamp]:
    known = _BUFFERS.get(os.path.abspath(path))
    return known[1] if known is not None else None


def read_bytes(path: str) -> Optional[bytes]:
    """The buffer's text as UTF-8 bytes, or None when ``path`` has no open buffer."""
    text = text_of(path)
    return text.encode("utf-8", "surrogatepass") if text is not None else None


def buffers_under(folder: str) -> Iterator[Tuple[str, str]]:
    """(path, text) of the open buffers inside ``folder``."""
    prefix = os.path.abspath(folder) + os.sep
    for path, (text, _) in list(_BUFFERS.items()):
        if path.startswith(prefix):
            yield path, text
