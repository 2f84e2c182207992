"""The end of a trace: compare (if asked), print the text report on stderr, write JSON / SARIF."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional, Sequence

from . import report
from .compare import Comparison, compare
from .session import TraceSession


def touched_files(session: TraceSession, script: Optional[str] = None) -> List[str]:
    """The user's files the run loaded (modules, the script) or named at a finding."""
    files = dict(session.state.files.touched)
    if script:
        files.setdefault(str(Path(script).resolve()), None)
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py") and session.state.files.is_user(path):
            files.setdefault(str(Path(path).resolve()), None)
    for finding in session.recorder.findings():
        for site in finding.lines():
            files.setdefault(site.file, None)
    return [f for f in files if Path(f).is_file()]


def finish(session: TraceSession, command: Sequence[str], exit_code: int, json_path: Optional[Path],
           sarif_path: Optional[Path], with_compare: bool, fail_on_findings: bool, disabled: Sequence[str],
           script: Optional[str] = None) -> int:
    findings = session.recorder.findings()
    notes = list(session.recorder.notes)
    comparison: Optional[Comparison] = compare(findings, touched_files(session, script)) if with_compare else None
    sys.stdout.flush()
    sys.stderr.write(report.render_text(command, exit_code, findings, notes, comparison))
    sys.stderr.flush()
    if json_path is not None:
        report.write_json(json_path, report.to_json(command, exit_code, findings, notes, disabled, comparison))
    if sarif_path is not None:
        report.write_json(sarif_path, report.to_sarif(findings, notes))
    if fail_on_findings and exit_code == 0 and findings:
        return 1
    return exit_code
