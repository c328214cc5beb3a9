"""Start time, memory and edit latency of ``netpol-lint lsp`` against the CLI on the same tree,
the server driven by a real LSP client over stdio.

A small JSON-RPC client (below; no LSP library, so the numbers include nothing but the
server and the pipes) starts the server on a workspace, waits until it has published the
diagnostics of the whole folder, opens one file and sends ``--edits`` full-text changes to
it, alternating between its original text and the text with one more document (a
NetworkPolicy isolating a namespace of the workspace: the worst case for caches, since the
policy set changes).  Each latency is the time from writing ``didChange`` to receiving the
``publishDiagnostics`` of that file for that version.

Like with like, in each of ``--repeat`` rounds (the order alternating, so a busy machine
disturbs both alike; medians and per-round ratios are printed):

* the CLI is ``netpol-lint lint . --format json`` run in the same folder (the same config
  discovery, units, limits and ``--jobs`` default as the server's workspace); the findings of
  its report and the diagnostics the server publishes are counted and printed side by side;
* wall time: spawn -> exit for the CLI, spawn -> the server's log line saying that every
  initial diagnostic is published (its imports included) for the server;
* CPU: user + system of the process and its parse workers (the CLI's from ``wait4``; the
  server's from /proc when its diagnostics are published);
* memory: peak RSS of the largest process of the tree (the process or a parse worker), from
  ``wait4`` in a small launcher process that starts either (see ``_LAUNCHER``); for the server
  over the whole session (start, edits, shutdown), and its own ``VmHWM`` at the end of the
  start.

    python benchmarks/bench_lsp.py                        # ../shared/corpus, 3 rounds
    python benchmarks/bench_lsp.py --root DIR --file PATH --edits 100 --repeat 5

The debounce is set to the server's default (50 ms) unless ``--debounce-ms`` says otherwise;
it is part of every latency measured.  Linux only (/proc).
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TREE = ROOT.parent / "shared" / "corpus"


class Client:
    """LSP over a subprocess's stdio: requests, notifications, and a queue of what comes back."""

    def __init__(self, argv: list[str], cwd: str):
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            msg = json.loads(out.read(length))
            self.inbox.put((time.perf_counter(), msg))

    def send(self, msg: dict) -> float:
        body = json.dumps(msg).encode("utf-8")
        t = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return t

    def notify(self, method: str, params) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params) -> int:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, predicate, timeout: float = 600.0):
        """(arrival time, message) of the first message ``predicate`` accepts; server requests
        are answered with null on the way."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.001))
            if item is None:
                raise RuntimeError("the server exited")
            t, msg = item
            if "id" in msg and "method" in msg:           # e.g. client/registerCapability
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            if predicate(msg):
                return t, msg


# Runs argv with this launcher's stdin/stdout (the LSP pipes, for the server) and, when it
# has exited, writes to the file argv[1] what os.wait4 says of it: its peak RSS in KiB (the
# largest of the process and the children it waited for: the CLI's or the server's parse
# workers) and its CPU seconds, children included.  Both the CLI and the server are started
# through it, so both are measured the same way; a launcher because Linux carries a
# process's peak RSS across exec (see bench.py): started from this process, either would
# report the benchmark's own memory at least.
_LAUNCHER = ("import json, os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, s, u = os.wait4(p.pid, 0); "
             "open(sys.argv[1], 'w').write(json.dumps({'rss_kib': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime, "
             "'status': os.waitstatus_to_exitcode(s)}))")


def launched(argv: list[str], cwd: Path, out: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(out), *argv], cwd=cwd, **popen)


def child_pid(launcher: subprocess.Popen, timeout: float = 30.0) -> int:
    """The pid of the process the launcher started (Linux: /proc/PID/task/PID/children)."""
    deadline = time.monotonic() + timeout
    path = f"/proc/{launcher.pid}/task/{launcher.pid}/children"
    while time.monotonic() < deadline:
        with open(path) as fh:
            pids = fh.read().split()
        if pids:
            return int(pids[0])
        time.sleep(0.001)
    raise RuntimeError("the launcher started nothing")


def cli_run(root: Path, tmp: Path) -> dict:
    """One CLI run on ``root`` through the launcher: wall time from spawn to exit, CPU (parse
    workers included), peak RSS, findings in its JSON report."""
    report, usage = tmp / "cli.json", tmp / "cli.usage"
    argv = [sys.executable, "-m", "netpol_lint", "lint", ".", "--format", "json", "--output", str(report)]
    t = time.perf_counter()
    proc = launched(argv, root, usage, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait()
    wall = time.perf_counter() - t
    use = json.loads(usage.read_text())
    if use["status"] not in (0, 1):
        raise RuntimeError(f"the CLI exited {use['status']}")
    findings = len(json.loads(report.read_text())["findings"])
    return {"wall": wall, "cpu": use["cpu"], "rss_kib": use["rss_kib"], "findings": findings}


def pick_file(root: Path) -> str:
    """A middle-sized manifest with a workload: what someone edits."""
    cands = []
    for p in sorted(root.rglob("*.yaml")):
        if any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        try:
            text = p.read_text()
        except (OSError, UnicodeDecodeError):
            continue
        if "kind: Deployment" in text and "{{" not in text and 500 < len(text) < 50000:
            cands.append(p.relative_to(root).as_posix())
    return cands[len(cands) // 2]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process so far (Linux; with ``children``, its finished
    parse workers' too): the server's own work, which a busy machine inflates much less than
    wall time."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def server_run(root: Path, tmp: Path, path: str, edits: int, debounce_ms: float | None) -> dict:
    """One server session through the launcher: spawn -> every initial diagnostic published
    (wall, and CPU with the parse workers), then ``edits`` timed edits, shutdown; peak RSS of
    the whole session (the launcher's ``wait4``) and of the start (``VmHWM`` then)."""
    text = (root / path).read_text()
    extra = ("\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
             "metadata: {name: bench-deny-all, namespace: bench}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n")
    uri = (root / path).as_uri()
    usage = tmp / "server.usage"
    t0 = time.perf_counter()
    c = Client([sys.executable, "-c", _LAUNCHER, str(usage), sys.executable, "-m", "netpol_lint", "lsp"], str(root))
    pid = child_pid(c.proc)
    opts = {} if debounce_ms is None else {"debounceMs": debounce_ms}
    init = c.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                    "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                                    "initializationOptions": opts})
    c.wait(lambda m: m.get("id") == init)
    t_init = c.notify("initialized", {})
    published: dict[str, int] = {}

    def loaded(m):
        if m.get("method") == "textDocument/publishDiagnostics":
            published[m["params"]["uri"]] = len(m["params"]["diagnostics"])
        return m.get("method") == "window/logMessage" and "diagnostics published" in m["params"]["message"]

    t_loaded, _ = c.wait(loaded)
    out = {"wall": t_loaded - t0, "after_initialized": t_loaded - t_init,
           "cpu": cpu_seconds(pid, children=True), "start_hwm_kib": peak_rss_kib(pid),
           "files": sum(1 for n in published.values() if n), "findings": sum(published.values())}

    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    latencies, cpu = [], []
    for i in range(edits):
        version = i + 2
        new = text + extra if i % 2 == 0 else text
        cpu_before = cpu_seconds(pid)
        sent = c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                   "contentChanges": [{"text": new}]})
        t, _ = c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"].get("version") == version)
        latencies.append(t - sent)
        cpu.append(cpu_seconds(pid) - cpu_before)
        time.sleep(0.05)          # a pause between edits, so no two runs coalesce
    shut = c.request("shutdown", None)
    c.wait(lambda m: m.get("id") == shut)
    c.notify("exit", None)
    c.proc.wait(timeout=30)
    use = json.loads(usage.read_text())
    out.update(rss_kib=use["rss_kib"], latencies=latencies, edit_cpu=cpu)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_TREE)
    ap.add_argument("--file", help="file to edit, relative to --root (default: a middle-sized Deployment file)")
    ap.add_argument("--edits", type=int, default=60, help="timed edits per server session")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of one CLI run and one server session")
    ap.add_argument("--debounce-ms", type=float, default=None)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    path = args.file or pick_file(root)
    med = statistics.median

    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            # interleaved, the order alternating: a busy machine disturbs both alike
            if r % 2 == 0:
                cli = cli_run(root, Path(tmp))
                srv = server_run(root, Path(tmp), path, args.edits, args.debounce_ms)
            else:
                srv = server_run(root, Path(tmp), path, args.edits, args.debounce_ms)
                cli = cli_run(root, Path(tmp))
            rounds.append((cli, srv))
            print(f"round {r + 1}: start {srv['wall']:.2f} s vs CLI {cli['wall']:.2f} s (x{srv['wall'] / cli['wall']:.2f}); "
                  f"CPU {srv['cpu']:.2f} vs {cli['cpu']:.2f} s (x{srv['cpu'] / cli['cpu']:.2f}); "
                  f"peak RSS {srv['rss_kib'] / 1024:.0f} MB (start {srv['start_hwm_kib'] / 1024:.0f}) "
                  f"vs {cli['rss_kib'] / 1024:.0f} MB; load average {os.getloadavg()[0]:.1f}", flush=True)

    clis, srvs = [c for c, _ in rounds], [s for _, s in rounds]
    latencies = sorted(x for s in srvs for x in s["latencies"])
    edit_cpu = [x for s in srvs for x in s["edit_cpu"]]
    print(f"tree: {root} ({sum(1 for _ in root.rglob('*.y*ml'))} YAML files); edited: {path}; "
          f"{args.repeat} rounds, medians")
    print(f"findings: CLI report {clis[0]['findings']}; server published {srvs[0]['findings']} diagnostics "
          f"in {srvs[0]['files']} files")
    print(f"start: spawn -> all diagnostics published {med(s['wall'] for s in srvs):.2f} s "
          f"('initialized' -> published {med(s['after_initialized'] for s in srvs):.2f} s); "
          f"CLI spawn -> exit {med(c['wall'] for c in clis):.2f} s; "
          f"ratio {med(s['wall'] / c['wall'] for c, s in rounds):.2f}")
    print(f"CPU (parse workers included): server start {med(s['cpu'] for s in srvs):.2f} s, "
          f"CLI {med(c['cpu'] for c in clis):.2f} s; ratio {med(s['cpu'] / c['cpu'] for c, s in rounds):.2f}")
    print(f"peak RSS (largest process of the tree): server {med(s['rss_kib'] for s in srvs) / 1024:.1f} MB "
          f"(whole session), {med(s['start_hwm_kib'] for s in srvs) / 1024:.1f} MB at start; "
          f"CLI {med(c['rss_kib'] for c in clis) / 1024:.1f} MB")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
        print(f"edit -> diagnostics of that file ({len(latencies)} edits): median {med(latencies) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
        print(f"server CPU per edit: median {med(edit_cpu) * 1000:.0f} ms, max {max(edit_cpu) * 1000:.0f} ms "
              f"(clock ticks of {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms)")
    print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
