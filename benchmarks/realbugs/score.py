"""Score np-torch-lint against real bug-fix commits (run by hand; needs local mirrors).

For every bug in bugs.json this script takes the repository's mirror (a bare git
directory, as the `fetch` tool leaves it under /work/.mirror/<owner>+<name>/repo),
writes the project's Python files at the parent commit and at the fix commit into
temporary folders, runs the linter on the buggy file of each, and reports:

* detected: a finding of the bug's code at the buggy line, or anywhere inside the
  statement that holds it, in the parent commit;
* silent at fix: no finding of that code in the fix's changed lines (the hunk that
  holds the fixed line, widened to the statement around it), in the fix commit.

The whole tree of Python files travels (plus pyproject.toml/setup.py/setup.cfg), so
that a linter which reads the project's own modules finds them: cross-file bugs
need that. Bugs whose mirror is missing are skipped and listed.

    python benchmarks/realbugs/score.py                 # table
    python benchmarks/realbugs/score.py --json          # machine-readable
    python benchmarks/realbugs/score.py --mode api      # one file at a time, lint.analyze()
    python benchmarks/realbugs/score.py --only RB003,RB010 --show
"""
import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the np-torch-lint checkout this script belongs to
sys.path.insert(0, os.path.dirname(HERE))
from own_tree import linter_command  # noqa: E402 - beside this folder
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


def git_dir(mirrors: str, repository: str) -> Optional[str]:
    base = os.path.join(mirrors, repository.replace("/", "+"))
    for candidate in (os.path.join(base, "repo", ".git"), os.path.join(base, "repo"), base):
        if os.path.isfile(os.path.join(candidate, "HEAD")) and os.path.isdir(os.path.join(candidate, "objects")):
            return candidate
    return None


def git(gdir: str, *args: str, data: Optional[bytes] = None) -> bytes:
    result = subprocess.run(["git", "--git-dir", gdir, *args], input=data,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return result.stdout


def has_commit(gdir: str, commit: str) -> bool:
    return subprocess.run(["git", "--git-dir", gdir, "cat-file", "-e", commit + "^{commit}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def extract(gdir: str, commit: str, dest: str) -> None:
    """Write the commit's Python files and project markers under dest (a checkout-like folder)."""
    listing = git(gdir, "ls-tree", "-r", "-z", commit).split(b"\0")
    wanted: List[Tuple[str, str]] = []
    for entry in listing:
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.split()
        path = name.decode("utf-8", "replace")
        if kind != b"blob" or mode == b"120000":
            continue
        if path.endswith(".py") or os.path.basename(path) in MARKERS:
            wanted.append((sha.decode(), path))
    if wanted:
        out = git(gdir, "cat-file", "--batch", data=("\n".join(s for s, _ in wanted) + "\n").encode())
        pos = 0
        for _, path in wanted:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            body = out[header_end + 1:header_end + 1 + size]
            pos = header_end + 1 + size + 1
            target = os.path.join(dest, path)
            if not os.path.realpath(target).startswith(os.path.realpath(dest) + os.sep):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(body)
    os.makedirs(os.path.join(dest, ".git"), exist_ok=True)  # a checkout's root marker; holds nothing


def lint_cli(root: str, path: str) -> List[dict]:
    proc = subprocess.run(linter_command(ROOT) + ["check", "--no-cache", "--no-respect-gitignore", "--format", "json",
                                                  os.path.join(root, path)],
                          cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        found = json.loads(proc.stdout or "[]")
    except ValueError:
        raise RuntimeError("linter failed: " + (proc.stderr or proc.stdout)[-400:])
    # An entry with "code": null is a file the linter could not read, not a finding.
    return [{"line": f["line"], "code": f["code"], "message": f["message"]} for f in found if f["code"]]


def lint_api(root: str, path: str) -> List[dict]:
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from np_torch_lint.lint import analyze
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    return [{"line": r.line, "code": r.code, "message": r.message} for r in analyze(text)]


def statement_span(source: str, line: int) -> Tuple[int, int]:
    """The smallest statement holding `line` (a call split over lines counts as one)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return line, line
    best = (line, line)
    best_size = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For,
                                 ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
                if node.lineno != line:
                    continue  # a compound statement: only its header line is its own
                span = (node.lineno, node.lineno)
            else:
                span = (node.lineno, node.end_lineno or node.lineno)
            size = span[1] - span[0]
            if best_size is None or size < best_size:
                best, best_size = span, size
    return best


def fix_region(gdir: str, bug: dict, fixed_source: str) -> Tuple[int, int]:
    """Lines of the fix commit that replaced the buggy line: its hunk, widened to whole statements."""
    diff = git(gdir, "diff", "-U0", bug["parent_commit"], bug["fix_commit"], "--", bug["path"]).decode("utf-8", "replace")
    target = bug.get("fixed_line") or 0
    lo = hi = target
    for match in re.finditer(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", diff, re.M):
        old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
        new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
        if old_start <= bug["buggy_line"] < old_start + max(old_count, 1) or \
                new_start <= target < new_start + max(new_count, 1):
            lo, hi = new_start, new_start + max(new_count, 1) - 1
            break
    a, _ = statement_span(fixed_source, lo)
    _, b = statement_span(fixed_source, hi)
    return min(a, lo), max(b, hi)


def score_bug(bug: dict, gdir: str, mode: str, keep: Optional[str]) -> dict:
    lint = lint_cli if mode == "cli" else lint_api
    result = OrderedDict(id=bug["id"], repository=bug["repository"], path=bug["path"], code=bug["code"],
                         scope=bug["scope"], buggy_line=bug["buggy_line"])
    work = tempfile.mkdtemp(prefix="realbug-", dir=keep)
    try:
        before, after = os.path.join(work, "parent"), os.path.join(work, "fix")
        extract(gdir, bug["parent_commit"], before)
        extract(gdir, bug["fix_commit"], after)
        with open(os.path.join(before, bug["path"]), encoding="utf-8", errors="replace") as handle:
            buggy_source = handle.read()
        with open(os.path.join(after, bug["path"]), encoding="utf-8", errors="replace") as handle:
            fixed_source = handle.read()
        lines = buggy_source.splitlines()
        if not (0 < bug["buggy_line"] <= len(lines)) or bug["buggy_text"].strip() not in lines[bug["buggy_line"] - 1]:
            result["status"] = "metadata mismatch: buggy_text not at buggy_line"
            return result
        parses = True
        try:
            ast.parse(buggy_source)
        except SyntaxError:
            parses = False
        lo, hi = statement_span(buggy_source, bug["buggy_line"])
        found_before = lint(before, bug["path"])
        at_bug = [f for f in found_before if lo <= f["line"] <= hi]
        flo, fhi = fix_region(gdir, bug, fixed_source)
        found_after = lint(after, bug["path"])
        at_fix = [f for f in found_after if flo <= f["line"] <= fhi and f["code"] == bug["code"]]
        detected = any(f["code"] == bug["code"] for f in at_bug)
        # Not counted as detected: a finding of the code elsewhere in the file whose message names
        # the buggy statement as where the value came from ("(a[::-1], line 246)"), as NTL403
        # reports at the conversion what was made negative-strided at the buggy line.
        cited = [f for f in found_before if not detected and f["code"] == bug["code"] and any(
            re.search(r"(?<![/\w.])line %d\b" % line, f["message"]) for line in range(lo, hi + 1))]
        result.update(
            status="scored" if parses else "scored (file is not Python 3: the linter cannot parse it)",
            detected=detected,
            cited_elsewhere=[f["line"] for f in cited],
            silent_at_fix=not at_fix,
            other_codes_at_bug=sorted({f["code"] for f in at_bug if f["code"] != bug["code"]}),
            buggy_span=[lo, hi], fix_span=[flo, fhi],
            findings_at_bug=at_bug, findings_at_fix=at_fix,
            findings_in_file_before=len(found_before),
        )
        return result
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def aggregate(results: List[dict]) -> Dict[str, dict]:
    groups: Dict[str, dict] = OrderedDict()

    def add(key: str, r: dict) -> None:
        g = groups.setdefault(key, {"bugs": 0, "detected": 0, "silent_at_fix": 0})
        g["bugs"] += 1
        g["detected"] += int(bool(r.get("detected")))
        g["silent_at_fix"] += int(bool(r.get("silent_at_fix")))

    scored = [r for r in results if str(r.get("status", "")).startswith("scored")]
    for r in sorted(scored, key=lambda r: (r["code"], r["scope"])):
        add(r["code"], r)
    for r in sorted(scored, key=lambda r: (r["code"], r["scope"])):
        add(r["code"] + " " + r["scope"], r)
    for r in scored:
        add("scope " + r["scope"], r)
    for r in scored:
        add("total", r)
    return groups


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", default=os.environ.get("NTL_MIRRORS", "/work/.mirror"),
                        help="folder of mirrors named owner+name (default /work/.mirror)")
    parser.add_argument("--bugs", default=os.path.join(HERE, "bugs.json"))
    parser.add_argument("--mode", choices=("cli", "api"), default="cli",
                        help="cli: run `np-torch-lint check` on the file inside the extracted project "
                             "(default); api: np_torch_lint.lint.analyze on the file's text alone")
    parser.add_argument("--only", default="", help="comma-separated bug ids")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--show", action="store_true", help="print every bug's row and findings")
    parser.add_argument("--keep", default=None, help="keep the extracted trees under this folder")
    args = parser.parse_args(argv)

    with open(args.bugs) as handle:
        bugs = json.load(handle)
    if args.only:
        wanted = set(args.only.split(","))
        bugs = [b for b in bugs if b["id"] in wanted]

    results: List[dict] = []
    skipped: List[str] = []
    for bug in bugs:
        gdir = git_dir(args.mirrors, bug["repository"])
        if gdir is None:
            skipped.append("%s %s: no mirror under %s" % (bug["id"], bug["repository"], args.mirrors))
            continue
        if not (has_commit(gdir, bug["parent_commit"]) and has_commit(gdir, bug["fix_commit"])):
            skipped.append("%s %s: mirror lacks commit %s" % (bug["id"], bug["repository"], bug["fix_commit"][:12]))
            continue
        try:
            result = score_bug(bug, gdir, args.mode, args.keep)
            if bug.get("excluded"):
                # kept and scored for the record, never counted: the reason says why it is no bug there
                result["status"] = "excluded (%s): %s" % (
                    ("D" if result.get("detected") else "-") + ("S" if result.get("silent_at_fix") else "!"),
                    bug["excluded"])
            results.append(result)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
            results.append(OrderedDict(id=bug["id"], repository=bug["repository"], path=bug["path"],
                                       code=bug["code"], scope=bug["scope"], status="error: %s" % error))
    groups = aggregate(results)

    if args.json:
        json.dump({"mode": args.mode, "skipped": skipped, "summary": groups, "bugs": results},
                  sys.stdout, indent=1)
        print()
        return 0

    if args.show:
        for r in results:
            mark = "?" if not str(r.get("status", "")).startswith("scored") else \
                ("D" if r["detected"] else "-") + ("S" if r["silent_at_fix"] else "!")
            print("%s %s %-7s %-10s %s:%s %s" % (mark, r["id"], r["code"], r["scope"], r["repository"],
                                                 r["path"], r.get("buggy_line")))
            if not str(r.get("status", "")).startswith("scored") or r["status"] != "scored":
                print("      ", r["status"])
            for f in r.get("findings_at_bug", []):
                print("       bug  %d %s %s" % (f["line"], f["code"], f["message"][:110]))
            for f in r.get("findings_at_fix", []):
                print("       fix  %d %s %s" % (f["line"], f["code"], f["message"][:110]))
        print()
    print("%-22s %5s %16s %16s" % ("group", "bugs", "detected", "silent at fix"))
    for key, g in groups.items():
        n = g["bugs"]
        print("%-22s %5d %9d (%3.0f%%) %9d (%3.0f%%)" % (key, n, g["detected"], 100.0 * g["detected"] / n,
                                                          g["silent_at_fix"], 100.0 * g["silent_at_fix"] / n))
    cited = [r for r in results if str(r.get("status", "")).startswith("scored") and r.get("cited_elsewhere")]
    for r in cited:
        print("not detected, but flagged at line %s naming the buggy line as the origin: %s %s:%s" % (
            ", ".join(map(str, r["cited_elsewhere"])), r["id"], r["path"], r["buggy_line"]))
    not_scored = [r for r in results if not str(r.get("status", "")).startswith("scored")]
    for r in not_scored:
        print("not scored: %s %s: %s" % (r["id"], r["repository"], r["status"]))
    for line in skipped:
        print("skipped: " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
