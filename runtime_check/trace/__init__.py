"""runtime_check trace: watch a user's own run at the NumPy/torch seam (see runtime_check/README.md).

Also a pytest plugin, never on by default: `pytest -p runtime_check.trace`
traces the whole test session and prints the report at its end
(`--trace-json PATH`, `--trace-sarif PATH`, `--trace-no-watch CODES`,
`--trace-compare`).  Importing this package imports neither torch nor NumPy.
"""
from __future__ import annotations

from typing import Any

_SESSION_KEY = "_runtime_check_trace_session"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("runtime_check trace")
    group.addoption("--trace-json", default=None, help="write the trace report as JSON to this file")
    group.addoption("--trace-sarif", default=None, help="write the trace report as SARIF 2.1.0 to this file")
    group.addoption("--trace-no-watch", default="", help="comma-separated codes not to watch")
    group.addoption("--trace-compare", action="store_true", help="set the static linter's findings beside the trace's")


def pytest_configure(config: Any) -> None:
    from .session import TraceSession

    disabled = [c.strip().upper() for c in config.getoption("--trace-no-watch").split(",") if c.strip()]
    session = TraceSession([str(config.rootpath)], disabled).install()
    setattr(config, _SESSION_KEY, (session, disabled))


def pytest_unconfigure(config: Any) -> None:
    from pathlib import Path

    from .output import finish

    held = getattr(config, _SESSION_KEY, None)
    if held is None:
        return
    session, disabled = held
    session.uninstall()
    delattr(config, _SESSION_KEY)
    json_path, sarif_path = config.getoption("--trace-json"), config.getoption("--trace-sarif")
    finish(session, ["pytest", *config.invocation_params.args], 0, Path(json_path) if json_path else None,
           Path(sarif_path) if sarif_path else None, bool(config.getoption("--trace-compare")), False, disabled)
