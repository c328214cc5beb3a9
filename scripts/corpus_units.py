#!/usr/bin/env python3
"""Whole tree versus each top-level directory alone (docs/accuracy.md, "Deployment units").

Lints ROOT (default ../shared/corpus) once as a whole and once per top-level directory, and
compares the findings by (rule, file, line, column, message).  A finding that only the
whole-tree run reports is one that files of *different* top-level directories produced
together: unrelated files relating.  A finding only the per-directory runs report is one the
whole tree hides (e.g. an NPL004 twin elsewhere, a route now resolving to another directory's
Service).

    python scripts/corpus_units.py [ROOT] [--netpol-lint CMD] [--show N] [--markdown] [-- LINT-OPTIONS]

Prints a table per rule (whole, per-directory sum, only-whole, only-per-directory) and the
first N differing findings of each side.  Nothing from ROOT is executed; the linter is run
as a subprocess with ``--format json --fail-on never``.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))


def lint(cmd: list[str], path: str, extra: list[str]) -> list[dict]:
    out = subprocess.run(cmd + ["lint", "--format", "json", "--fail-on", "never", *extra, path],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} {path}: exit {out.returncode}\n{out.stderr}")
    return json.loads(out.stdout)["findings"]


def key(f: dict) -> tuple:
    return (f["rule"], f["file"], f["line"], f["column"], f["message"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--netpol-lint", default=f"{shlex.quote(sys.executable)} -m netpol_lint",
                    help="how to run the linter (default: this Python's netpol_lint)")
    ap.add_argument("--show", type=int, default=20, help="differing findings listed per side")
    ap.add_argument("--markdown", action="store_true", help="the table as Markdown")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    cmd = shlex.split(args.netpol_lint)
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        sys.exit(f"not a directory: {root}")
    whole = lint(cmd, root, extra)
    parts: list[dict] = []
    for name in sorted(os.listdir(root)):
        if os.path.isdir(os.path.join(root, name)) and not name.startswith("."):
            parts += lint(cmd, os.path.join(root, name), extra)
    # files directly in ROOT are linted by the whole-tree run only; leave them out of both
    inside = [f for f in whole if os.path.dirname(f["file"]) != root]
    w, p = Counter(map(key, inside)), Counter(map(key, parts))
    only_whole, only_parts = w - p, p - w
    rules = sorted({k[0] for k in w} | {k[0] for k in p})

    def count(c: Counter, rule: str) -> int:
        return sum(n for k, n in c.items() if k[0] == rule)

    rows = [(r, count(w, r), count(p, r), count(only_whole, r), count(only_parts, r)) for r in rules]
    rows.append(("total", sum(w.values()), sum(p.values()), sum(only_whole.values()), sum(only_parts.values())))
    head = ("rule", "whole tree", "per directory", "only whole", "only per directory")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(map(str, row)) + " |")
    else:
        print("%-8s %11s %14s %11s %19s" % head)
        for row in rows:
            print("%-8s %11d %14d %11d %19d" % row)
    for title, diff in (("only in the whole-tree run", only_whole), ("only in the per-directory runs", only_parts)):
        if diff and args.show:
            print(f"\n{title}:")
            for k in sorted(diff)[:args.show]:
                rel = os.path.relpath(k[1], root)
                print(f"  {k[0]} {rel}:{k[2]}:{k[3]} {k[4]}")
            if len(diff) > args.show:
                print(f"  ... {len(diff) - args.show} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
