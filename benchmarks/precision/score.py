"""Re-score the precision review of np-torch-lint on real repositories (run by hand; needs local mirrors).

``verdicts.json`` holds one verdict per finding the linter made on the HEAD commits of
real PyTorch repositories, each read in its context by a person: ``true`` (the pitfall
happens when the code runs as intended), ``false`` (it does not; ``why`` says why) or
``undecidable`` (the code cannot tell, e.g. what a downloaded checkpoint holds). This
script writes each repository's tree at the recorded commit into a temporary folder
(with an empty ``.git`` so that the folder is the project root, as in a clone), runs the
command on it, and joins the findings with the verdicts:

* per rule: findings, true, false, undecidable, precision = true / (true + false);
* findings with no verdict (new since the review: read them and add a verdict);
* verdicts whose finding is gone (a false one fixed, or a true one lost).

    python benchmarks/precision/score.py                    # all repositories, table
    python benchmarks/precision/score.py --only facebookresearch/detr --show
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the np-torch-lint checkout this script belongs to
sys.path.insert(0, os.path.dirname(HERE))
from own_tree import linter_command  # noqa: E402 - beside this folder
Key = Tuple[str, str, Optional[int], int, str]  # repository, path, notebook cell, line, code


def git_dir(mirrors: str, repository: str) -> Optional[str]:
    base = os.path.join(mirrors, repository.replace("/", "+"))
    for candidate in (os.path.join(base, "repo"), os.path.join(base, "repo", ".git"), base):
        if os.path.isdir(os.path.join(candidate, "objects")):
            return candidate
    return None


#: the files the linter reads (sources, notebooks, project markers)
LINTED_SUFFIXES = (".py", ".ipynb", "pyproject.toml", "setup.py", "setup.cfg")


def restore_present_blobs(git: str, commit: str, tree: str) -> None:
    """git archive stopped at a blob the mirror lacks: write every linted file whose blob is present."""
    listing = subprocess.run(["git", "-C", git, "ls-tree", "-r", "-z", commit], capture_output=True).stdout
    for entry in listing.split(b"\0"):
        if b"\t" not in entry:
            continue
        meta, raw_path = entry.split(b"\t", 1)
        path = raw_path.decode("utf-8", "replace")
        target = os.path.join(tree, path)
        if meta.split()[1] != b"blob" or not path.endswith(LINTED_SUFFIXES) or os.path.exists(target):
            continue
        blob = subprocess.run(["git", "-C", git, "cat-file", "blob", meta.split()[2].decode()], capture_output=True)
        if blob.returncode == 0:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(blob.stdout)


def lint(git: str, commit: str, repository: str) -> List[Key]:
    with tempfile.TemporaryDirectory() as tree:
        # A mirror may lack some blobs (its largest files): git archive then stops early, and
        # the files written before that point are linted, as in the review.
        archive = subprocess.run(["git", "-C", git, "archive", commit], capture_output=True)
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, capture_output=True)
        if archive.returncode != 0:
            restore_present_blobs(git, commit, tree)
        os.makedirs(os.path.join(tree, ".git"), exist_ok=True)
        run = subprocess.run(linter_command(ROOT) + ["check", "--format", "json", "--exit-zero", "--no-cache", tree],
                             capture_output=True, text=True)
        found = json.loads(run.stdout or "[]")
        prefix = os.path.realpath(tree) + os.sep
        return [(repository, os.path.realpath(f["path"])[len(prefix):], f.get("cell"), f["line"], f["code"])
                for f in found if f.get("code")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("--only", default="", help="comma-separated owner/name")
    parser.add_argument("--show", action="store_true", help="list every finding with its verdict")
    options = parser.parse_args()
    with open(os.path.join(HERE, "verdicts.json")) as handle:
        review = json.load(handle)
    verdicts: Dict[Key, dict] = {}
    for row in review["findings"]:
        verdicts[(row["repo"], row["path"], row["cell"], row["line"], row["code"])] = row
    wanted = set(filter(None, options.only.split(",")))
    table: Dict[str, Counter] = defaultdict(Counter)
    unreviewed: List[Key] = []
    seen = set()
    for repository, commit in sorted(review["commits"].items()):
        if wanted and repository not in wanted:
            continue
        git = git_dir(options.mirrors, repository)
        if git is None:
            print(f"skipped {repository}: no mirror under {options.mirrors}")
            continue
        for key in lint(git, commit, repository):
            seen.add(key)
            row = verdicts.get(key)
            verdict = row["verdict"] if row else "unreviewed"
            table[key[4]][verdict] += 1
            if row is None:
                unreviewed.append(key)
            if options.show:
                cell = f" cell {key[2]}" if key[2] is not None else ""
                print(f"{verdict:11s} {key[4]} {key[0]} {key[1]}{cell}:{key[3]} {row['why'] if row else ''}")
    print("| rule | findings | true | false | undecidable | unreviewed | precision |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    total: Counter = Counter()
    for code in sorted(table):
        counts = table[code]
        total.update(counts)
        decided = counts["true"] + counts["false"]
        precision = f"{counts['true'] / decided:.1%}" if decided else "-"
        print(f"| {code} | {sum(counts.values())} | {counts['true']} | {counts['false']} | {counts['undecidable']} "
              f"| {counts['unreviewed']} | {precision} |")
    decided = total["true"] + total["false"]
    print(f"| all | {sum(total.values())} | {total['true']} | {total['false']} | {total['undecidable']} "
          f"| {total['unreviewed']} | {total['true'] / decided:.1%} |" if decided else "| all | 0 |")
    gone = [key for key in verdicts if key not in seen and (not wanted or key[0] in wanted)]
    for key in unreviewed:
        print(f"no verdict yet: {key[4]} {key[0]} {key[1]}:{key[3]}")
    for key in gone:
        print(f"no longer found ({verdicts[key]['verdict']}): {key[4]} {key[0]} {key[1]}:{key[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
