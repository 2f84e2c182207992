"""The ``np-torch-lint`` command: the same findings as the flake8 plugin, without flake8.

    np-torch-lint check [--select CODES] [--ignore CODES] PATH...
    np-torch-lint PATH...          (short for check)
    np-torch-lint rules            (every code, its name, on by default)
    np-torch-lint explain NTL101   (the rule's documentation page; a rule's name works too)
    np-torch-lint server           (language server over stdio; the `server` extra)

Exit codes: 0 no findings, 1 findings, 2 usage error, a file that could not be read, or an
internal error (a bug in np-torch-lint: named on stderr, never shown as a clean file).

A PATH is a Python file, a Jupyter notebook (.ipynb) or a folder walked for both.

The jobs live in their own modules: files (discovery, decoding), notebooks (cells as one
program, positions back to cells), config (pyproject and flake8's files, codes checked),
suppress (noqa and select/ignore, as flake8 reads them), cache, parallel (the worker
pool), writes and notebook_fixes (fixes on disk and stdin), baseline (--add-noqa), edits
(fixes as JSON edits), output (formats, summary, statistics). This module parses
arguments and wires them.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import os
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from . import __version__, fixes, output
from .baseline import add_noqa
from .cache import Cache
from .config import ConfigError, Settings, cli_codes, cli_per_file_ignores, load
from .files import STDIN, read_source  # noqa: F401 - read_source: re-exported for `from np_torch_lint.cli import read_source`
from .findings import Report
from .parallel import PARALLEL_FROM, lint_all  # noqa: F401 - PARALLEL_FROM: re-exported for the tests
from .notebook_fixes import fix_notebook
from .notebooks import CodeCell
from .writes import fix_file, fix_stdin


@dataclasses.dataclass(frozen=True)
class Extras:
    """The conveniences of ``check``: what it shows and how it exits, beyond the findings."""

    exit_zero: bool = False  # exit 0 even with findings (a file not linted is still 2)
    statistics: bool = False  # counts per code instead of the findings
    quiet: bool = False  # the findings only: no summary line, no "fixed" notes
    add_noqa: bool = False  # write `# noqa: CODE` for every finding instead of showing it
    color: Optional[bool] = None  # None: on a terminal, as NO_COLOR and FORCE_COLOR say


def check(paths: Sequence[str], select: Optional[List[str]] = None, ignore: Optional[List[str]] = None,
          out: Optional[TextIO] = None, err: Optional[TextIO] = None, fmt: str = "text", use_cache: bool = True,
          settings: Optional[Settings] = None, stdin_filename: Optional[str] = None, fix_mode: Optional[str] = None,
          unsafe_fixes: bool = False, extras: Extras = Extras()) -> int:
    """Lint ``paths`` and write the findings; the exit code (0 clean, 1 findings, 2 a file not linted).

    ``select``/``ignore`` replace the configured ones when given (as flake8's options do).
    With ``fix_mode`` "fix" and ``-`` among the paths, stdout carries the fixed source and the
    findings go to ``err``.
    """
    out = out if out is not None else sys.stdout  # resolved now, so a redirected sys.stdout is honoured
    err = err if err is not None else sys.stderr
    settings = dataclasses.replace(settings or Settings())  # a copy: the caller's stays as it was
    if select is not None:
        settings.select = select
    if ignore:
        settings.ignore = ignore
    notes = io.StringIO() if extras.quiet else err  # "fixed N findings" and the like
    shown_on = err if fix_mode == "fix" and STDIN in paths else out  # stdout is the fixed source
    found: output.Found = []
    failures: List[Tuple[str, str]] = []
    sources: Dict[str, List[str]] = {}
    cache = Cache() if use_cache else None
    notebook_cells: Dict[str, Tuple[CodeCell, ...]] = {}
    for path, lines, reports, error, cells, cell_notes in lint_all(paths, cache, settings, stdin_filename):
        shown = stdin_filename or path if path == STDIN else path
        if error is not None:
            print(f"{shown}: error: {error}", file=err)
            failures.append((shown, error))
            if path == STDIN and fix_mode == "fix":
                out.write("".join(lines))  # an editor replaces its buffer with stdout: give the source back
            continue
        for note in cell_notes:  # a notebook's cells that could not be linted; its other cells were
            print(f"{shown}:{note}", file=err)
            failures.append((shown, note.strip()))
        selection = settings.selection_for(shown)
        keep = selection.keep
        kept: List[Report] = keep(reports, lines)
        if path == STDIN and fix_mode:
            kept, lines = fix_stdin(lines, kept, fix_mode, unsafe_fixes, out, shown, stdin_filename, keep)
        elif fix_mode and any(fixes.fixable(r, unsafe_fixes) for r in kept):
            if cells is not None:
                fixed_cells = fix_notebook(path, kept, fix_mode, unsafe_fixes, out, notes, selection.keeps)
                if fixed_cells is not None:
                    kept, lines, cells = fixed_cells
            else:
                written = fix_file(path, kept, fix_mode, unsafe_fixes, out, notes, keep)
                if written is not None:
                    kept, lines = written
        elif extras.add_noqa and kept and cells is None:
            added, kept = add_noqa(path, kept)
            if added:
                print(f"{path}: added # noqa to {added} line{'s' if added != 1 else ''}", file=notes)
        found.extend((shown, report) for report in kept)
        if kept and cells is not None:
            notebook_cells[shown] = cells  # findings are placed by cell
        if kept:
            sources[shown] = lines  # the caret, columns in UTF-16 code units, fix edits
    color = extras.color if extras.color is not None else output.use_color(shown_on)
    if extras.statistics:
        output.statistics(found, fmt, shown_on, unsafe_fixes)
    else:
        show_source = fmt == "text" and hasattr(shown_on, "isatty") and shown_on.isatty()
        output.write(found, fmt, shown_on, sources, failures, output.Style(color, unsafe_fixes), show_source,
                     notebook_cells)
    if fmt == "text" and not extras.quiet:
        line = output.summary(found, failures, unsafe_fixes)
        if line:
            print(line, file=shown_on)
    if failures:
        return 2
    return 1 if found and not extras.exit_zero else 0


def print_rules(out: Optional[TextIO] = None, fmt: str = "text") -> None:
    from .rules import ALL_RULES

    out = out if out is not None else sys.stdout

    if fmt == "json":
        import json

        json.dump([{"code": r.code, "name": r.name, "summary": r.summary, "default": r.default_enabled,
                    "fix": fixes.safety_of_rule(r.code)}
                   for r in ALL_RULES], out, indent=2)
        out.write("\n")
        return
    for rule in ALL_RULES:
        default = "on" if rule.default_enabled else "off"
        fix = fixes.safety_of_rule(rule.code) or "-"
        print(f"{rule.code}  {rule.name:<32} {default:<4} fix:{fix:<11} {rule.summary}", file=out)


def explain(code: str, out: Optional[TextIO] = None, err: Optional[TextIO] = None, fmt: str = "text") -> int:
    """Print a rule's page; ``code`` is its code (any case) or its name (``negative-strides-conversion``)."""
    import difflib
    from importlib import resources

    from .rules import ALL_RULES

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr

    by_key = {**{r.code: r for r in ALL_RULES}, **{r.name: r for r in ALL_RULES}}
    rule = by_key.get(code.upper()) or by_key.get(code.lower().replace("_", "-"))
    if rule is None:
        nearest = difflib.get_close_matches(code.upper() if code[:1].isalpha() and code[-1:].isdigit() else code.lower(),
                                            list(by_key), n=1, cutoff=0.0)
        hint = f"did you mean {nearest[0]}? " if nearest else ""
        print(f"np-torch-lint: unknown rule {code!r}; {hint}`np-torch-lint rules` lists them", file=err)
        return 2
    page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{rule.code}.md").read_text(encoding="utf-8")
    if fmt == "json":
        import json

        json.dump({"code": rule.code, "name": rule.name, "summary": rule.summary, "url": output.doc_url(rule.code),
                   "doc": page}, out, indent=2)
        out.write("\n")
        return 0
    print(page, file=out, end="")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`np-torch-lint check . | head`): stop quietly, as cat and grep do.
        # Point stdout at devnull so that the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("check", "rules", "explain", "server", "-h", "--help", "--version") and not argv[0].startswith("-"):
        argv.insert(0, "check")
    parser = _parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and 2
    if options.command == "rules":
        print_rules(fmt=options.format)
        return 0
    if options.command == "explain":
        return explain(options.code, fmt=options.format)
    if options.command == "server":
        from .server import main as serve  # late: pygls loads only for the server

        return serve()
    if options.command != "check":
        parser.print_help()
        return 2
    refused = _refused(options)
    if refused:
        print(f"np-torch-lint: {refused}", file=sys.stderr)
        return 2
    try:
        settings = load(options.paths[0] if options.paths[0] != STDIN else (options.stdin_filename or "."))
    except ConfigError as error:
        print(f"np-torch-lint: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        for key in ("select", "extend_select", "ignore", "extend_ignore"):
            given = cli_codes(getattr(options, key), "--" + key.replace("_", "-"))
            if given is not None:
                setattr(settings, key, given)  # as in flake8: the command line replaces the configuration
        per_file = cli_per_file_ignores(options.per_file_ignores)
    except ConfigError as error:
        print(f"np-torch-lint: {error}", file=sys.stderr)
        return 2
    if per_file is not None:
        settings.per_file_ignores = per_file
    if options.exclude:
        settings.exclude.extend(p.strip() for p in options.exclude.split(",") if p.strip())
    if options.no_respect_gitignore:
        settings.respect_gitignore = False
    if options.force_exclude:
        settings.force_exclude = True
    extras = Extras(exit_zero=options.exit_zero, statistics=options.statistics, quiet=options.quiet,
                    add_noqa=options.add_noqa)
    fix_mode = "diff" if options.diff else ("fix" if options.fix else None)
    if options.output_file is None:
        return check(options.paths, fmt=options.format, use_cache=not options.no_cache, settings=settings,
                     stdin_filename=options.stdin_filename, fix_mode=fix_mode, unsafe_fixes=options.unsafe_fixes,
                     extras=extras)
    try:
        with open(options.output_file, "w", encoding="utf-8") as written:
            return check(options.paths, out=written, fmt=options.format, use_cache=not options.no_cache,
                         settings=settings, stdin_filename=options.stdin_filename, fix_mode=fix_mode,
                         unsafe_fixes=options.unsafe_fixes, extras=extras)
    except OSError as error:
        print(f"np-torch-lint: --output-file: {error.strerror or error}: {options.output_file}", file=sys.stderr)
        return 2


def _refused(options: argparse.Namespace) -> Optional[str]:
    """Combinations that would mix two outputs or cannot be honoured: why, or None."""
    if options.diff and options.format in output.MACHINE_FORMATS:
        return f"--diff prints a unified diff; it cannot be mixed into --format {options.format} (run them separately)"
    if options.statistics and options.format in ("github", "sarif"):
        return f"--statistics prints counts as text or json, not as --format {options.format}"
    if options.add_noqa and (options.fix or options.diff):
        return "--add-noqa cannot be combined with --fix or --diff (fix first, then baseline what is left)"
    if options.add_noqa and STDIN in options.paths:
        return "--add-noqa writes files; it cannot read stdin (-)"
    if STDIN in options.paths and (options.fix or options.diff) and len(options.paths) > 1:
        return "--fix - and --diff - read one source from stdin: name no other path"
    if STDIN in options.paths and options.fix and options.output_file:
        return "--fix - writes the fixed source to stdout; --output-file cannot take it"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="np-torch-lint", description="Lint the seam between NumPy and PyTorch.")
    parser.add_argument("--version", action="version", version=f"np-torch-lint {__version__}")
    sub = parser.add_subparsers(dest="command")
    check_parser = sub.add_parser("check", help="report findings (same as the flake8 plugin)")
    check_parser.add_argument("paths", nargs="+", metavar="PATH", help="files and folders; - reads the source from stdin")
    codes = check_parser.add_argument_group("which findings (as flake8's options: the command line replaces "
                                            "the configuration's value of the same name)")
    codes.add_argument("--select", help="comma-separated codes or prefixes to report (default: all)")
    codes.add_argument("--extend-select", help="codes or prefixes to report besides the selected ones")
    codes.add_argument("--ignore", help="comma-separated codes or prefixes to leave out")
    codes.add_argument("--extend-ignore", help="codes or prefixes to leave out besides the ignored ones")
    codes.add_argument("--per-file-ignores", metavar="PATTERN:CODES",
                       help="flake8's syntax: 'tests/*:NTL301,NTL302 setup.py:NTL3'")
    files = check_parser.add_argument_group("which files")
    files.add_argument("--exclude", help="comma-separated gitignore-style patterns of files or folders to skip")
    files.add_argument("--no-respect-gitignore", action="store_true", help="lint files that .gitignore excludes")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply the excludes to files named on the command line too (for pre-commit)")
    files.add_argument("--stdin-filename", help="the path that the source read from - stands for: shown, and used "
                                                "for the configuration, per-file-ignores and the project's modules")
    files.add_argument("--no-cache", action="store_true", help="analyze every file, ignore the cache")
    fixing = check_parser.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply the safe fixes to the files (with -: the fixed "
                                                           "source on stdout, the findings left on stderr)")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, write nothing")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also apply the unsafe fixes (see explain)")
    fixing.add_argument("--add-noqa", action="store_true",
                        help="add `# noqa: CODE` comments that silence every finding (baseline a codebase)")
    shown = check_parser.add_argument_group("output")
    shown.add_argument("--format", choices=output.FORMATS, default="text",
                       help="text (default), json, github (workflow annotations), sarif (2.1.0)")
    shown.add_argument("--output-file", metavar="PATH", help="write the output to this file instead of stdout")
    shown.add_argument("--statistics", action="store_true", help="print how many findings of each code, not the findings")
    shown.add_argument("-q", "--quiet", action="store_true", help="print the findings only (no summary line, no notes)")
    shown.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    rules_parser = sub.add_parser("rules", help="list every rule")
    rules_parser.add_argument("--format", choices=("text", "json"), default="text")
    explain_parser = sub.add_parser("explain", help="print a rule's documentation")
    explain_parser.add_argument("code", metavar="CODE", help="a code (NTL403) or a name (negative-strides-conversion)")
    explain_parser.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_parser("server", help="language server (LSP over stdio) for editors; needs np-torch-lint[server]")
    return parser


if __name__ == "__main__":
    sys.exit(main())
