"""End-to-end speed of netpol-lint against the parse floor, in one run on the same files.

The floor is what any YAML linter must pay: ``yaml.compose_all`` with libyaml
(``CSafeLoader``) over every file.  For each input this prints the floor, netpol-lint end to
end in process and as a subprocess, their ratios to the floor, documents per second, peak RSS
(against the target 4 x input bytes + 80 MB), and the growth factor from 10k to 100k
documents.  With checkov installed it also times ``checkov --framework kubernetes -d`` on the
10k input.

    python benchmarks/bench.py                     # corpus + 10k/50k/100k generated documents
    python benchmarks/bench.py --sizes 10000       # a quicker run
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import DEFAULT_CORPUS, generate  # noqa: E402


def manifest_files(root: Path) -> list[Path]:
    out = []
    for r, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(r) / f for f in sorted(files) if f.endswith((".yaml", ".yml", ".json")))
    return out


def floor(files: list[Path]) -> tuple[float, int]:
    """Seconds for libyaml to compose every document of every file (errors skipped)."""
    docs = 0
    t = time.perf_counter()
    for f in files:
        try:
            for _ in yaml.compose_all(f.read_bytes(), Loader=yaml.CSafeLoader):
                docs += 1
        except Exception:
            pass
    return time.perf_counter() - t, docs


def lint_in_process(root: Path) -> float:
    from netpol_lint.cli import main
    out = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main([str(root), "--format", "json", "--jobs", "1"])
    return time.perf_counter() - t


def lint_subprocess(root: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of the real CLI."""
    t = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen([sys.executable, "-m", "netpol_lint", str(root), "--format", "json"],
                                stdout=devnull, stderr=devnull)
        _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss / 1024


def checkov(root: Path) -> float | None:
    exe = shutil.which("checkov")
    if exe is None:
        return None
    t = time.perf_counter()
    subprocess.run([exe, "--framework", "kubernetes", "-d", str(root), "--quiet", "--compact", "-o", "json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--sizes", default="10000,50000,100000", help="generated document counts")
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)

    inputs = [("corpus", args.corpus)]
    for n in [int(x) for x in args.sizes.split(",") if x]:
        target = args.workdir / f"gen-{n}"
        if not target.exists():
            generate(n, target, args.corpus)
        inputs.append((f"{n // 1000}k", target))

    print(f"{'input':>7} {'files':>6} {'docs':>7} {'MB':>6} {'floor s':>8} {'lint s':>7} {'ratio':>6} "
          f"{'cli s':>7} {'cli/fl':>6} {'docs/s':>8} {'RSS MB':>7} {'RSS cap':>7}")
    times = {}
    for label, root in inputs:
        files = manifest_files(root)
        size = sum(f.stat().st_size for f in files)
        fl, docs = floor(files)
        inproc = lint_in_process(root)
        cli, rss = lint_subprocess(root)
        cap = 4 * size / 2**20 + 80
        times[label] = inproc
        print(f"{label:>7} {len(files):>6} {docs:>7} {size / 2**20:>6.1f} {fl:>8.2f} {inproc:>7.2f} {inproc / fl:>6.2f} "
              f"{cli:>7.2f} {cli / fl:>6.2f} {docs / inproc:>8.0f} {rss:>7.0f} {cap:>7.0f}")
    if "10k" in times and "100k" in times:
        print(f"growth 10k -> 100k: {times['100k'] / times['10k']:.2f}x time for 10x input (target <= 11x)")
    if "10k" in times:
        ck = checkov(dict(inputs)["10k"])
        if ck is None:
            print("checkov: not installed (pip install checkov) - comparison skipped")
        else:
            print(f"checkov on 10k: {ck:.1f}s = {ck / times['10k']:.1f}x netpol-lint (target >= 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
