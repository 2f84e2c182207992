"""Entry point of the child interpreters started by isolate.py.

    python -m runtime_check._child probe NTL404 cpu
    python -m runtime_check._child call runtime_check.probes.device:load_checkpoint PATH

It prints one line `RUNTIME_CHECK_RESULT {json}` as its last word.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import asdict
from typing import Any, Dict, List

from .isolate import RESULT_MARK


def main(argv: List[str]) -> int:
    verb, rest = argv[0], argv[1:]
    result: Dict[str, Any]
    if verb == "probe":
        from .probes import call_probe, get_probe

        code, device = rest
        result = asdict(call_probe(get_probe(code), device))
    elif verb == "call":
        module_name, func_name = rest[0].split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        result = func(*rest[1:])
    else:
        print(f"unknown verb {verb!r}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    print(RESULT_MARK + json.dumps(result))
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # The verdict is out; skip the interpreter's teardown of torch (~1 s).
    os._exit(code)
