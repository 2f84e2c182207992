"""``np-torch-lint server``: the language server face (LSP over stdio).

``text`` and ``analysis`` need only the linter; ``lsp`` needs pygls and lsprotocol,
the ``server`` extra, and is imported only when the server starts, so the command
works without them.
"""
from __future__ import annotations

import sys
from importlib.util import find_spec
from typing import Optional, TextIO

INSTALL_HINT = "np-torch-lint server needs pygls: pip install 'np-torch-lint[server]'"


def main(err: Optional[TextIO] = None) -> int:
    """Serve until the client says exit; 2 with a one-line message when pygls is not installed."""
    missing = [name for name in ("pygls", "lsprotocol") if find_spec(name) is None]
    if missing:
        print(f"{INSTALL_HINT} ({', '.join(missing)} not installed)", file=err if err is not None else sys.stderr)
        return 2
    from .lsp import serve

    serve()
    return 0
