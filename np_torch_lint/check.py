"""Which of a file's findings are reported: the one filter the command and the language server share.

select/ignore (the options', else the configuration's), the configuration's
per-file-ignores and, through ``Selection.keeps``, the file's ``# noqa``
comments. Both faces call ``file_selection`` so that an editor shows exactly
what ``np-torch-lint check`` reports for the same file and configuration.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from .config import Settings
from .suppress import Selection


def file_selection(settings: Settings, path: str, select: Optional[List[str]] = None,
                   ignore: Sequence[str] = ()) -> Selection:
    """The filter for the findings of ``path``: ``keeps(report, lines)`` says whether one is reported.

    ``select`` and ``ignore`` are the command line's; ``select`` None means the configuration's.
    """
    run = Selection(select if select is not None else settings.select, settings.ignore + list(ignore),
                    settings.extend_select)
    return run.with_ignored(settings.ignored_for(path))
