"""End-to-end speed and memory of netpol-lint against the parse floor, in one run on the same files.

The floor is what any YAML linter must pay: ``yaml.compose_all`` with libyaml
(``CSafeLoader``) over every file, reading included.  For each input this prints the floor,
netpol-lint end to end in process and as a subprocess (the real CLI), their ratios to the
floor, documents per second, peak memory against the target (4 x input bytes + 80 MB), and
the growth factor from 10k to 100k documents.  With checkov installed (on PATH, or
``--checkov PATH``) it also times ``checkov --framework kubernetes -d`` on the 10k input.

Lint runs use the default rule set, ``--format json`` and ``--assume-network-policies
enabled`` (the reachability engine and route tracing run, which is the heavier and the
intended use).  Each time is the best of ``--repeat`` runs, floor and lint interleaved, so a
busy machine disturbs both alike.  Memory: ``RSS`` is the CLI process's peak resident set
(``ru_maxrss``; the CLI and its parse workers, whichever peaked highest), measured in one
more run started from a small launcher process: Linux carries a process's high-water mark
across ``exec``, so a CLI started directly from this (by then large) benchmark process
would report the benchmark's own memory.  ``PSS`` is the peak proportional set size of the
CLI and its parse workers together (shared pages counted once: the honest total for
``--jobs``), sampled every 20 ms in another untimed run.

    python benchmarks/bench.py                          # corpus + 10k/50k/100k generated documents
    python benchmarks/bench.py --sizes 10000 --repeat 1 # a quicker run
    python benchmarks/bench.py --checkov /tmp/ckv/bin/checkov

Every timed run is checked before its time is believed: the CLI must exit 0 or 1 and write a
parseable JSON report holding as many findings as the in-process run of the same input (and
more than none for the corpus, which has findings).  A CLI that dies at once (a broken
install: ``No module named 'netpol_lint.rules'``, exit 2) would otherwise show up as a
wonderfully fast row; instead the harness stops with an error and prints no row for it.
``--cli "python -m netpol_lint"`` names the command timed (the default is this Python's).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import DEFAULT_APPS, DEFAULT_CORPUS, generate  # noqa: E402

LINT_ARGS = ["--format", "json", "--assume-network-policies", "enabled"]
CLI = [sys.executable, "-m", "netpol_lint"]     # the command timed (--cli)
# inputs known to have findings: a report with none there means the run did not lint
HAS_FINDINGS = {"corpus"}


class BenchError(Exception):
    """A timed run did not do what it is timed for: no row is printed."""


def report_findings(what: str, status: int, report: str) -> int:
    """The number of findings in a JSON report, after checking the run that wrote it: exit
    status 0 or 1 and a parseable netpol-lint report.  Raises ``BenchError`` otherwise."""
    if status not in (0, 1):
        raise BenchError(f"{what}: exited {status} (expected 0 or 1); its time would be meaningless")
    try:
        data = json.loads(report)
        findings = data["findings"]
        if not isinstance(findings, list):
            raise TypeError("'findings' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{what}: did not write a JSON report ({exc}): {report[:200]!r}") from None
    return len(findings)


def check_count(what: str, label: str, got: int, expected: int | None) -> None:
    """A run's finding count against the in-process count (``expected``), and > 0 for inputs
    known to have findings."""
    if expected is not None and got != expected:
        raise BenchError(f"{what}: {got} findings, the in-process run of the same input has {expected}")
    if label in HAS_FINDINGS and got == 0:
        raise BenchError(f"{what}: no findings on {label}, which has findings")


def _cli_argv(root: Path, jobs: str | None) -> list[str]:
    """The lint command line after ``netpol-lint``."""
    return [str(root), *LINT_ARGS] + (["--jobs", jobs] if jobs else [])


def manifest_files(root: Path) -> list[Path]:
    out = []
    for r, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(r) / f for f in sorted(files) if f.endswith((".yaml", ".yml", ".json")))
    return out


def floor(files: list[Path]) -> tuple[float, int]:
    """Seconds for libyaml to read and compose every document of every file (errors skipped)."""
    docs = 0
    t = time.perf_counter()
    for f in files:
        try:
            for _ in yaml.compose_all(f.read_bytes(), Loader=yaml.CSafeLoader):
                docs += 1
        except Exception:
            pass
    return time.perf_counter() - t, docs


def lint_in_process(root: Path, jobs: str | None = None) -> tuple[float, int]:
    """(seconds, findings) of ``main(argv)`` in this process (checked: see report_findings)."""
    from netpol_lint.cli import main
    out = io.StringIO()
    argv = _cli_argv(root, jobs)
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(argv)
    elapsed = time.perf_counter() - t
    return elapsed, report_findings(f"in-process lint of {root}", status, out.getvalue())


class TreeMemory:
    """Samples the summed PSS (and RSS) of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as fh:
                        todo.extend(int(c) for c in fh.read().split())
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for p in self._tree():
                try:
                    with open(f"/proc/{p}/smaps_rollup") as fh:
                        for line in fh:
                            if line.startswith("Pss:"):
                                pss += int(line.split()[1])
                            elif line.startswith("Rss:"):
                                rss += int(line.split()[1])
                except OSError:
                    pass
            self.peak_pss = max(self.peak_pss, pss / 1024)
            self.peak_rss = max(self.peak_rss, rss / 1024)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def lint_subprocess(root: Path, jobs: str | None = None, sample: bool = False) -> tuple[float, float, int]:
    """(seconds, sampled peak PSS of the CLI's process tree in MB (NaN when not sampled),
    findings in its report); the run is checked (report_findings).

    Sampling reads /proc/PID/smaps_rollup, which walks the page tables of a process that may
    hold a GB: it steals CPU from the run, so timed runs do not sample (PSS is NaN then).
    The report goes to an unlinked temporary file (as cheap to write as /dev/null).
    """
    argv = [*CLI, *_cli_argv(root, jobs)]
    with tempfile.TemporaryFile() as report, open(os.devnull, "wb") as devnull:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=report, stderr=devnull)
        mem = TreeMemory(proc.pid) if sample and os.path.exists(f"/proc/{proc.pid}/smaps_rollup") else None
        _, wstatus, _ = os.wait4(proc.pid, 0)     # (its ru_maxrss is not the CLI's own: see lint_peak_rss)
        elapsed = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(wstatus)
        if mem is not None:
            mem.stop()
        report.seek(0)
        text = report.read().decode("utf-8", "replace")
    found = report_findings(f"{shlex.join(CLI)} lint of {root}", proc.returncode, text)
    return elapsed, (mem.peak_pss if mem else float("nan")), found


# Runs argv and prints its peak RSS in KB: a fresh, small parent for the measured CLI.
# The exit status follows, so the run is checked like the timed ones.
_LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL); _, s, u = os.wait4(p.pid, 0); "
             "print(u.ru_maxrss, os.waitstatus_to_exitcode(s))")


def lint_peak_rss(root: Path, jobs: str | None = None) -> float:
    """Peak RSS of the CLI (MB), started from a small launcher (see the module docstring)."""
    argv = [*CLI, *_cli_argv(root, jobs)]
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], capture_output=True, text=True, check=True)
    rss, status = (int(x) for x in out.stdout.split())
    if status not in (0, 1):
        raise BenchError(f"{shlex.join(CLI)} lint of {root} (memory run): exited {status} (expected 0 or 1)")
    return rss / 1024


def checkov_time(exe: str, root: Path) -> float:
    t = time.perf_counter()
    proc = subprocess.run([exe, "--framework", "kubernetes", "-d", str(root), "--quiet", "--compact", "-o", "json",
                           "--skip-download"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t
    if not proc.stdout.strip().startswith((b"{", b"[")):
        raise RuntimeError(f"checkov did not produce a report (exit {proc.returncode}); not comparable")
    return elapsed


def generated(n: int, workdir: Path, corpus: Path, apps: Path) -> Path:
    """The generated input of ``n`` documents, (re)made when the generator or inputs changed."""
    stamp = hashlib.sha256((HERE / "generate.py").read_bytes() + f"{n}|{corpus}|{apps}".encode()).hexdigest()[:16]
    target = workdir / f"gen-{n}"
    marker = target / ".generated"
    if not (marker.exists() and marker.read_text() == stamp):
        shutil.rmtree(target, ignore_errors=True)
        generate(n, target, corpus, apps)
        marker.write_text(stamp)
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--apps", type=Path, default=DEFAULT_APPS)
    ap.add_argument("--sizes", default="10000,50000,100000", help="generated document counts")
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (floor and lint interleaved)")
    ap.add_argument("--jobs", default=None, help="--jobs for the lint runs (default: the CLI's, one per CPU)")
    ap.add_argument("--cli", default=None,
                    help="the netpol-lint command to time (default: this Python's 'python -m netpol_lint')")
    ap.add_argument("--checkov", default=None,
                    help="checkov executable (default: 'checkov' on PATH; '' skips the comparison)")
    args = ap.parse_args(argv)
    global CLI
    if args.cli:
        CLI = shlex.split(args.cli)
    try:
        return _run(args, argv)
    except BenchError as exc:
        print(f"bench.py: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, argv) -> int:

    inputs = [("corpus", args.corpus)]
    for n in [int(x) for x in args.sizes.split(",") if x]:
        inputs.append((f"{n // 1000}k", generated(n, args.workdir, args.corpus, args.apps)))

    print(f"# {' '.join([os.path.basename(sys.executable), 'benchmarks/bench.py', *(argv if argv is not None else sys.argv[1:])])}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, PyYAML {yaml.__version__} "
          f"(libyaml {'yes' if yaml.__with_libyaml__ else 'NO'}), {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.2f}, lint --jobs {args.jobs or 'default'}")
    print()
    print("| input | files | docs | MB | floor s | lint s (in-process) | lint/floor | CLI s | CLI/floor "
          "| docs/s (CLI) | RSS MB | PSS MB (all processes) | cap MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    times: dict[str, tuple[float, float]] = {}
    for label, root in inputs:
        files = manifest_files(root)
        size = sum(f.stat().st_size for f in files)
        best_floor = best_in = best_cli = float("inf")
        docs = 0
        expected: int | None = None        # findings of the first in-process run
        for _ in range(max(1, args.repeat)):
            fl, docs = floor(files)
            best_floor = min(best_floor, fl)
            t_in, found = lint_in_process(root, args.jobs)
            check_count(f"in-process lint of {label}", label, found, expected)
            expected = found
            best_in = min(best_in, t_in)
            cli, _, found = lint_subprocess(root, args.jobs)
            check_count(f"{shlex.join(CLI)} lint of {label}", label, found, expected)
            best_cli = min(best_cli, cli)
        rss = lint_peak_rss(root, args.jobs)                           # untimed: memory only
        _, pss, found = lint_subprocess(root, args.jobs, sample=True)
        check_count(f"{shlex.join(CLI)} lint of {label} (memory run)", label, found, expected)
        cap = 4 * size / 2**20 + 80
        times[label] = (best_in, best_cli)
        print(f"| {label} | {len(files)} | {docs} | {size / 2**20:.1f} | {best_floor:.2f} | {best_in:.2f} "
              f"| {best_in / best_floor:.2f} | {best_cli:.2f} | {best_cli / best_floor:.2f} | {docs / best_cli:.0f} "
              f"| {rss:.0f} | {pss:.0f} | {cap:.0f} |", flush=True)
    print()
    if "10k" in times and "100k" in times:
        g_in = times["100k"][0] / times["10k"][0]
        g_cli = times["100k"][1] / times["10k"][1]
        print(f"growth 10k -> 100k documents: {g_in:.2f}x in process, {g_cli:.2f}x CLI (target <= 11x)")
    if "10k" in times:
        exe = args.checkov or shutil.which("checkov")
        if args.checkov == "":
            pass
        elif exe is None or not shutil.which(exe):
            print(f"checkov: {exe or 'not installed'} not found (pip install checkov, or --checkov PATH) "
                  "- comparison skipped")
        else:
            try:
                ck = checkov_time(exe, dict(inputs)["10k"])
            except (OSError, RuntimeError) as exc:
                print(f"checkov: {exc}")
            else:
                print(f"checkov --framework kubernetes on 10k: {ck:.1f}s = {ck / times['10k'][1]:.1f}x the "
                      f"netpol-lint CLI (target >= 20x)")
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
