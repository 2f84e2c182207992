"""The ``np-torch-lint`` command: the same findings as the flake8 plugin, without flake8.

    np-torch-lint check [--select CODES] [--ignore CODES] PATH...
    np-torch-lint PATH...          (short for check)
    np-torch-lint rules            (every code, its name, on by default)
    np-torch-lint explain NTL101   (the rule's documentation page)
    np-torch-lint server           (language server over stdio; the `server` extra)

Exit codes: 0 no findings, 1 findings, 2 usage error, a file that could not be read, or an
internal error (a bug in np-torch-lint: named on stderr, never shown as a clean file).

The jobs live in their own modules: files (discovery, decoding), suppress (noqa,
select/ignore, default-off rules), cache, parallel (the worker pool), writes (fixes on
disk), output (formats). This module parses arguments and wires them.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Optional, Sequence, TextIO

from . import __version__, fixes, output
from .cache import Cache
from .check import file_selection
from .config import ConfigError, Settings, load
from .files import STDIN, read_source  # noqa: F401 - read_source: re-exported for `from np_torch_lint.cli import read_source`
from .parallel import PARALLEL_FROM, lint_all  # noqa: F401 - PARALLEL_FROM: re-exported for the tests
from .suppress import codes
from .writes import fix_file


def check(paths: Sequence[str], select: Optional[List[str]], ignore: List[str], out: Optional[TextIO] = None,
          err: Optional[TextIO] = None, fmt: str = "text", use_cache: bool = True, settings: Optional[Settings] = None,
          stdin_filename: Optional[str] = None, fix_mode: Optional[str] = None, unsafe_fixes: bool = False) -> int:
    """Lint ``paths`` and write the findings; the exit code (0 clean, 1 findings, 2 a file not linted)."""
    out = out if out is not None else sys.stdout  # resolved now, so a redirected sys.stdout is honoured
    err = err if err is not None else sys.stderr
    found: output.Found = []
    failed = False
    cache = Cache() if use_cache else None
    show_source = fmt == "text" and hasattr(out, "isatty") and out.isatty()
    sources: Dict[str, List[str]] = {}
    settings = settings or Settings()
    for path, lines, reports, error in lint_all(paths, cache, settings):
        shown = stdin_filename or path if path == STDIN else path
        if error is not None:
            print(f"{shown}: error: {error}", file=err)
            failed = True
            continue
        for_file = file_selection(settings, shown, select, ignore)
        kept = [r for r in reports if for_file.keeps(r, lines)]
        if fix_mode and path != STDIN and any(fixes.fixable(r, unsafe_fixes) for r in kept):
            kept = fix_file(path, kept, fix_mode, unsafe_fixes, out, err, for_file.keeps)
        found.extend((shown, report) for report in kept)
        if kept and (show_source or fmt in ("github", "sarif")):
            sources[shown] = lines  # the caret, and columns in UTF-16 code units
    output.write(found, fmt, out, sources)
    if failed:
        return 2
    return 1 if found else 0


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
    from importlib import resources

    from .rules import ALL_RULES

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr

    code = code.upper()
    if code not in {rule.code for rule in ALL_RULES}:
        print(f"np-torch-lint: unknown rule {code!r}; `np-torch-lint rules` lists them", file=err)
        return 2
    page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{code}.md").read_text(encoding="utf-8")
    if fmt == "json":
        import json

        rule = next(r for r in ALL_RULES if r.code == code)
        json.dump({"code": code, "name": rule.name, "summary": rule.summary, "doc": page}, out, indent=2)
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
    parser = argparse.ArgumentParser(prog="np-torch-lint", description="Lint the seam between NumPy and PyTorch.")
    parser.add_argument("--version", action="version", version=f"np-torch-lint {__version__}")
    sub = parser.add_subparsers(dest="command")
    check_parser = sub.add_parser("check", help="report findings (same as the flake8 plugin)")
    check_parser.add_argument("paths", nargs="+", metavar="PATH")
    check_parser.add_argument("--select", help="comma-separated codes or prefixes to report (default: all)")
    check_parser.add_argument("--ignore", help="comma-separated codes or prefixes to leave out")
    check_parser.add_argument("--no-cache", action="store_true", help="analyze every file, ignore the cache")
    check_parser.add_argument("--exclude", help="comma-separated gitignore-style patterns of files or folders to skip")
    check_parser.add_argument("--no-respect-gitignore", action="store_true", help="lint files that .gitignore excludes")
    check_parser.add_argument("--force-exclude", action="store_true",
                              help="apply the excludes to files named on the command line too (for pre-commit)")
    check_parser.add_argument("--fix", action="store_true", help="apply the safe fixes to the files")
    check_parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, write nothing")
    check_parser.add_argument("--unsafe-fixes", action="store_true", help="also apply the unsafe fixes (see explain)")
    check_parser.add_argument("--stdin-filename", help="the path to show for `-` (source read from stdin)")
    check_parser.add_argument("--format", choices=output.FORMATS, default="text",
                              help="text (default), json, github (workflow annotations), sarif (2.1.0)")
    rules_parser = sub.add_parser("rules", help="list every rule")
    rules_parser.add_argument("--format", choices=("text", "json"), default="text")
    explain_parser = sub.add_parser("explain", help="print a rule's documentation")
    explain_parser.add_argument("code", metavar="CODE")
    explain_parser.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_parser("server", help="language server (LSP over stdio) for editors; needs np-torch-lint[server]")
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
    try:
        settings = load(options.paths[0] if options.paths[0] != STDIN else (options.stdin_filename or "."))
    except ConfigError as error:
        print(f"np-torch-lint: configuration error: {error}", file=sys.stderr)
        return 2
    if options.exclude:
        settings.exclude.extend(p.strip() for p in options.exclude.split(",") if p.strip())
    if options.no_respect_gitignore:
        settings.respect_gitignore = False
    if options.force_exclude:
        settings.force_exclude = True
    return check(options.paths, codes(options.select) or None, codes(options.ignore), fmt=options.format,
                 use_cache=not options.no_cache, settings=settings, stdin_filename=options.stdin_filename,
                 fix_mode="diff" if options.diff else ("fix" if options.fix else None), unsafe_fixes=options.unsafe_fixes)


if __name__ == "__main__":
    sys.exit(main())
