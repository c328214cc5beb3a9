#!/usr/bin/env python3
"""Reproduce the false-positive review sample of docs/accuracy-review.md.

Lints every top-level directory of the corpus alone (how a user lints one repository) and
the whole tree once, then, for every rule that fires, picks a deterministic sample:
all findings when a rule has at most SAMPLE_SIZE, else SAMPLE_SIZE spread over directories
and files.

Population of a rule: every finding of the per-directory runs, plus every finding that
exists only in the whole-tree run (identity: rule, file, line, column, resource), tagged
``whole-only``.

Selection: findings are grouped into strata (run kind, top-level directory): ``dir:<d>`` for
the per-directory runs, ``whole-only:<d>`` for findings only the whole tree has. Inside a
stratum the order is "k-th finding of each file" rounds, files ordered by the SHA-1 of their
path (deterministic but not alphabetical, so the sample is not all from one subtree).
Strata are visited round-robin in sorted order until SAMPLE_SIZE findings are taken.

Usage (from the repository root)::

    python scripts/accuracy_sample.py /work/shared/corpus            # runs the linter
    python scripts/accuracy_sample.py /work/shared/corpus --json-dir /tmp/rv   # reuse runs

The linter is run as ``netpol-lint --format json --assume-network-policies enabled
--jobs 1 <dir>`` with the corpus as working directory, so paths in findings start with the
top-level directory. ``--json-dir`` reads ``<dir>.json`` per directory and ``WHOLE.json``.
Prints per-rule counts (per-directory sum, whole tree, whole-only, sampled) and the sample.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE_SIZE = 8
FLAGS = ["--format", "json", "--assume-network-policies", "enabled", "--jobs", "1"]


def _lint(corpus: Path, target: str, exe: str) -> list[dict]:
    proc = subprocess.run(
        [exe, *FLAGS, target], cwd=corpus, capture_output=True, text=True, check=False
    )
    if proc.returncode not in (0, 1):
        sys.exit(f"netpol-lint {target}: exit {proc.returncode}\n{proc.stderr}")
    return json.loads(proc.stdout)["findings"]


def _load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["findings"]


def _key(f: dict) -> tuple:
    r = f.get("resource") or {}
    return (
        f["rule"],
        f["file"],
        f["line"],
        f["column"],
        r.get("kind"),
        r.get("namespace"),
        r.get("name"),
    )


def _topdir(f: dict) -> str:
    return f["file"].split("/", 1)[0]


def _spread(findings: list[dict]) -> list[dict]:
    by_file: dict[str, list[dict]] = collections.defaultdict(list)
    for f in findings:
        by_file[f["file"]].append(f)
    files = sorted(by_file, key=lambda p: hashlib.sha1(p.encode()).hexdigest())
    for p in files:
        by_file[p].sort(key=lambda f: (f["line"], f["column"], f["message"]))
    out = []
    depth = max((len(v) for v in by_file.values()), default=0)
    for k in range(depth):
        out.extend(by_file[p][k] for p in files if k < len(by_file[p]))
    return out


def sample(population: list[dict], size: int = SAMPLE_SIZE) -> list[dict]:
    if len(population) <= size:
        return sorted(population, key=lambda f: (f["_stratum"], f["file"], f["line"]))
    strata: dict[str, list[dict]] = collections.defaultdict(list)
    for f in population:
        strata[f["_stratum"]].append(f)
    queues = {s: _spread(v) for s, v in strata.items()}
    picked: list[dict] = []
    i = 0
    while len(picked) < size:
        progressed = False
        for s in sorted(queues):
            if i < len(queues[s]) and len(picked) < size:
                picked.append(queues[s][i])
                progressed = True
        if not progressed:
            break
        i += 1
    return picked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--json-dir", type=Path, help="read <dir>.json and WHOLE.json from here")
    beside = Path(sys.executable).with_name("netpol-lint")   # the venv running this script
    ap.add_argument("--exe", default=str(beside) if beside.exists() else shutil.which("netpol-lint") or "netpol-lint")
    ap.add_argument("--size", type=int, default=SAMPLE_SIZE)
    args = ap.parse_args()

    dirs = sorted(p.name for p in args.corpus.iterdir() if p.is_dir())
    per_dir: list[dict] = []
    for d in dirs:
        fs = _load(args.json_dir / f"{d}.json") if args.json_dir else _lint(args.corpus, d, args.exe)
        for f in fs:
            f["_stratum"] = f"dir:{d}"
        per_dir.extend(fs)
    whole = _load(args.json_dir / "WHOLE.json") if args.json_dir else _lint(args.corpus, ".", args.exe)
    seen = {_key(f) for f in per_dir}
    whole_only = [f for f in whole if _key(f) not in seen]
    for f in whole_only:
        f["_stratum"] = f"whole-only:{_topdir(f)}"
    whole_keys = {_key(f) for f in whole}
    dir_only = [f for f in per_dir if _key(f) not in whole_keys]

    pop: dict[str, list[dict]] = collections.defaultdict(list)
    for f in per_dir + whole_only:
        pop[f["rule"]].append(f)

    cnt = collections.Counter
    c_dir, c_whole = cnt(f["rule"] for f in per_dir), cnt(f["rule"] for f in whole)
    c_wo, c_do = cnt(f["rule"] for f in whole_only), cnt(f["rule"] for f in dir_only)
    print("| rule | per-directory sum | whole tree | whole-only | per-directory-only | sampled |")
    print("|---|---|---|---|---|---|")
    samples = {r: sample(pop[r], args.size) for r in sorted(pop)}
    for r in sorted(pop):
        print(f"| {r} | {c_dir[r]} | {c_whole[r]} | {c_wo[r]} | {c_do[r]} | {len(samples[r])} |")
    print()
    for r, fs in samples.items():
        print(f"## {r}")
        for f in fs:
            res = f.get("resource") or {}
            ident = "/".join(x for x in (res.get("kind"), res.get("namespace"), res.get("name")) if x)
            print(f"- [{f['_stratum']}] {f['file']}:{f['line']}:{f['column']} {ident} :: {f['message']}")
            for rel in f.get("related") or []:
                print(f"    related {rel['file']}:{rel['line']} {rel.get('message', '')}")
        print()


if __name__ == "__main__":
    main()
