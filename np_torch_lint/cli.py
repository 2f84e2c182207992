"""The ``np-torch-lint`` command: the same findings as the flake8 plugin, without flake8.

    np-torch-lint check [--select CODES] [--ignore CODES] PATH...
    np-torch-lint PATH...          (short for check)
    np-torch-lint rules            (every code, its name, on by default)
    np-torch-lint explain NTL101   (the rule's documentation page)

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be read.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tokenize
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from . import __version__, fixes, output
from .cache import Cache
from .config import ConfigError, Settings, load
from .ignore import PatternSet, enclosing_gitignores, excluded, read_gitignore
from .lint import AnalysisError, Report, analyze

# flake8's own noqa syntax: `# noqa` silences a line, `# noqa: NTL101,NTL201` some codes.
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE)
PARALLEL_FROM = 64  # files: below this, starting worker processes costs more than it saves
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "node_modules", ".eggs", "build", "dist"})


def iter_python_files(paths: Sequence[str], settings: Optional[Settings] = None) -> Iterator[str]:
    """Files to lint: named files (and ``-`` for stdin), directories walked minus excludes.

    Excludes are gitignore-style: the ``exclude`` setting and, unless turned off, the
    ``.gitignore`` files of the walked folders and of their parents up to the git root.
    A named file is linted even if excluded, unless ``force-exclude`` is set (for
    pre-commit, which names every staged file).
    """
    settings = settings or Settings()
    configured = settings.exclude_patterns()
    # Per folder of named files (pre-commit names many files in few folders): its own and its
    # parents' .gitignore files, read once.
    folder_sets: Dict[Path, List[PatternSet]] = {}
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if os.path.isdir(path):
            inherited = enclosing_gitignores(absolute) if settings.respect_gitignore else []
            yield from _walk(path, inherited, configured, settings.respect_gitignore)
        elif path == "-" or not settings.force_exclude:
            yield path
        else:
            folder = absolute.parent
            if folder not in folder_sets:
                own = read_gitignore(folder) if settings.respect_gitignore else None
                inherited = enclosing_gitignores(folder) if settings.respect_gitignore else []
                folder_sets[folder] = [*inherited, *([own] if own is not None else []), configured]
            if not _excluded_anywhere(absolute, folder_sets[folder]):
                yield path


def _excluded_anywhere(path: Path, sets: List[PatternSet]) -> bool:
    """A file is excluded if it, or a folder above it, is (git does not enter an excluded folder)."""
    for folder in reversed(path.parents):
        if excluded(folder, True, sets):
            return True
    return excluded(path, False, sets)


def _walk(top: str, inherited: List[PatternSet], configured: PatternSet, gitignore: bool) -> Iterator[str]:
    patterns = {os.path.abspath(top): [*inherited]}
    for root, dirs, files in os.walk(top):
        here = Path(os.path.abspath(root))
        sets = patterns.pop(str(here), inherited)
        own = read_gitignore(here) if gitignore and ".gitignore" in files else None
        if own is not None:
            sets = [*sets, own]
        active = [s for s in (*sets, configured) if s.patterns]
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")
                         and not (active and excluded(here / d, True, active)))
        for d in dirs:
            patterns[str(here / d)] = sets
        for name in sorted(files):
            # *.py only, as flake8: stubs (.pyi) hold no code that runs.
            if name.endswith(".py") and not (active and excluded(here / name, False, active)):
                yield os.path.join(root, name)


def read_source(path: str) -> Tuple[str, List[str]]:
    """Decode as Python does: the BOM or coding cookie, else UTF-8."""
    with open(path, "rb") as handle:
        return decode(handle.read())


def decode(raw: bytes) -> Tuple[str, List[str]]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    text = raw.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    # Split as Python's tokenizer does (\n, \r\n, \r), not str.splitlines (form feeds, \x1c...).
    return text, io.StringIO(text, newline="").readlines()


def is_silenced(report: Report, lines: Sequence[str]) -> bool:
    if not 0 < report.line <= len(lines):
        return False
    match = NOQA.search(lines[report.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    return any(report.code.startswith(code.strip().upper()) for code in re.split(r"[,\s]+", codes) if code.strip())


def selected(code: str, select: Optional[List[str]], ignore: List[str]) -> bool:
    # As in flake8: the longest matching prefix of --select and --ignore decides.
    chosen = max((len(p) for p in select if code.startswith(p)), default=-1) if select else 0
    ignored = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return chosen >= 0 and chosen >= ignored if ignored >= 0 else chosen >= 0


def _codes(value: Optional[str]) -> List[str]:
    return [c.strip().upper() for c in (value or "").split(",") if c.strip()]


def lint_file(path: str, cache: Optional[Cache]) -> Tuple[str, List[str], List[Report], Optional[str]]:
    """(path, lines, reports, error): one file, from the cache when its bytes are unchanged."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
        text, lines = decode(raw)
        key = cache.key(raw) if cache is not None else ""
        reports = cache.get(key) if cache is not None else None
        if reports is None:
            reports = analyze(text, lines=lines)
            if cache is not None:
                cache.put(key, reports)
        return path, lines, reports, None
    except (OSError, UnicodeDecodeError, SyntaxError, AnalysisError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return path, [], [], reason


def _cached(path: str, cache: Cache) -> Optional[Tuple[str, List[str], List[Report], Optional[str]]]:
    if path == "-":
        return None  # stdin is read once, by lint_file
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        reports = cache.get(cache.key(raw))
        # The lines are needed only to read `# noqa` on reported lines.
        return (path, decode(raw)[1] if reports else [], reports, None) if reports is not None else None
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None


def _lint_all(paths: Sequence[str], cache: Optional[Cache],
              settings: Optional[Settings] = None) -> Iterator[Tuple[str, List[str], List[Report], Optional[str]]]:
    """Every file's result, in path order: cache hits here, misses in worker processes when many."""
    files = list(iter_python_files(paths, settings))
    results = {}
    misses = []
    for path in files:
        hit = _cached(path, cache) if cache is not None else None
        if hit is not None:
            results[path] = hit
        else:
            misses.append(path)
    workers = os.cpu_count() or 1
    if len(misses) < PARALLEL_FROM or workers < 2:
        for path in misses:
            results[path] = lint_file(path, cache)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(lint_file, misses, [cache] * len(misses), chunksize=8):
                results[result[0]] = result
    for path in files:
        yield results[path]


def check(paths: Sequence[str], select: Optional[List[str]], ignore: List[str], out=sys.stdout, err=sys.stderr,
          fmt: str = "text", use_cache: bool = True, settings: Optional[Settings] = None,
          stdin_filename: Optional[str] = None, fix_mode: Optional[str] = None, unsafe_fixes: bool = False) -> int:
    found: output.Found = []
    failed = False
    cache = Cache() if use_cache else None
    show_source = fmt == "text" and hasattr(out, "isatty") and out.isatty()
    sources: Dict[str, List[str]] = {}
    settings = settings or Settings()
    select = select if select is not None else settings.select
    ignore = settings.ignore + ignore
    for path, lines, reports, error in _lint_all(paths, cache, settings):
        shown = stdin_filename or path if path == "-" else path
        if error is not None:
            print(f"{shown}: error: cannot lint: {error}", file=err)
            failed = True
            continue
        file_ignore = ignore + settings.ignored_for(shown)
        kept = [r for r in reports if selected(r.code, select, file_ignore) and not is_silenced(r, lines)]
        if fix_mode and path != "-" and any(fixes.fixable(r, unsafe_fixes) for r in kept):
            kept = _fix(path, kept, fix_mode, unsafe_fixes, out, err, select, file_ignore)
        found.extend((shown, report) for report in kept)
        if kept and (show_source or fmt in ("github", "sarif")):
            sources[shown] = lines  # the caret, and columns in UTF-16 code units
    output.write(found, fmt, out, sources)
    if failed:
        return 2
    return 1 if found else 0


def _fix(path: str, reports: List[Report], mode: str, unsafe: bool, out, err, select, ignore) -> List[Report]:
    """Apply the fixes to one file (mode "fix": write it; "diff": print a unified diff). The findings left."""
    import difflib
    import tempfile

    with open(path, "rb") as handle:
        raw = handle.read()
    text, _ = decode(raw)
    fixed, count = fixes.apply(text, reports, unsafe)
    if count == 0 or fixed == text:
        return reports
    if mode == "diff":
        diff = difflib.unified_diff(io.StringIO(text, newline="").readlines(), io.StringIO(fixed, newline="").readlines(),
                                    fromfile=path, tofile=path)
        out.writelines(diff)
        return reports
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    data = fixed.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data  # keep the BOM the file had
    with open(path, "rb") as handle:
        if handle.read() != raw:
            print(f"{path}: error: changed on disk while fixing; not written", file=err)
            return reports
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".np-torch-lint-", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, os.stat(path).st_mode & 0o7777)
    os.replace(temporary, path)  # atomic: never a half-written file
    print(f"{path}: fixed {count} finding{'s' if count != 1 else ''}", file=err)
    new_text, new_lines = decode(data)
    return [r for r in analyze(new_text, lines=new_lines) if selected(r.code, select, ignore) and not is_silenced(r, new_lines)]


def print_rules(out=sys.stdout, fmt: str = "text") -> None:
    from .rules import ALL_RULES

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


def explain(code: str, out=sys.stdout, err=sys.stderr, fmt: str = "text") -> int:
    from importlib import resources

    from .rules import ALL_RULES

    code = code.upper()
    if code not in {rule.code for rule in ALL_RULES}:
        print(f"np-torch-lint: unknown rule {code!r}; `np-torch-lint rules` lists them", file=err)
        return 2
    page = resources.files("np_torch_lint").joinpath("docs", f"{code}.md").read_text(encoding="utf-8")
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
    if argv and argv[0] not in ("check", "rules", "explain", "-h", "--help", "--version") and not argv[0].startswith("-"):
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
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and 2
    if options.command == "rules":
        print_rules(fmt=options.format)
        return 0
    if options.command == "explain":
        return explain(options.code, fmt=options.format)
    if options.command != "check":
        parser.print_help()
        return 2
    try:
        settings = load(options.paths[0] if options.paths[0] != "-" else (options.stdin_filename or "."))
    except ConfigError as error:
        print(f"np-torch-lint: configuration error: {error}", file=sys.stderr)
        return 2
    if options.exclude:
        settings.exclude.extend(p.strip() for p in options.exclude.split(",") if p.strip())
    if options.no_respect_gitignore:
        settings.respect_gitignore = False
    if options.force_exclude:
        settings.force_exclude = True
    return check(options.paths, _codes(options.select) or None, _codes(options.ignore), fmt=options.format,
                 use_cache=not options.no_cache, settings=settings, stdin_filename=options.stdin_filename,
                 fix_mode="diff" if options.diff else ("fix" if options.fix else None), unsafe_fixes=options.unsafe_fixes)


if __name__ == "__main__":
    sys.exit(main())
