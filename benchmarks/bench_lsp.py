"""Latency and memory of ``netpol-lint lsp`` driven by a real LSP client over stdio.

A small JSON-RPC client (below; no LSP library, so the numbers include nothing but the
server and the pipes) starts the server on a workspace, waits until it has published the
diagnostics of the whole folder, opens one file and sends ``--edits`` full-text changes to
it, alternating between its original text and the text with one more document (a
NetworkPolicy isolating a namespace of the workspace: the worst case for caches, since the
policy set changes).  Each latency is the time from writing ``didChange`` to receiving the
``publishDiagnostics`` of that file for that version.  The CLI (``netpol-lint lint`` on the
same folder, ``--format json``) is timed on the same tree for comparison, best of
``--repeat``; memory is peak RSS: the server's ``VmHWM`` before shutdown, the CLI's
``ru_maxrss`` read by a small launcher process (see bench.py for why a launcher).

    python benchmarks/bench_lsp.py                        # ../shared/corpus
    python benchmarks/bench_lsp.py --root DIR --file PATH --edits 100

The debounce is set to the server's default (50 ms) unless ``--debounce-ms`` says otherwise;
it is part of every latency measured.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
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


def cli_run(root: Path, repeat: int) -> tuple[float, float, int]:
    """Best wall time of the CLI on ``root``, its CPU time (parse workers included) and its
    peak RSS (KiB) through a launcher."""
    argv = [sys.executable, "-m", "netpol_lint", "lint", ".", "--format", "json", "--output", os.devnull]
    import resource
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    launcher = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
                "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    rss = int(subprocess.run([sys.executable, "-c", launcher, *argv], cwd=root, capture_output=True,
                             text=True).stdout.strip())
    return best, best_cpu, rss


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_TREE)
    ap.add_argument("--file", help="file to edit, relative to --root (default: a middle-sized Deployment file)")
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3, help="CLI runs (best time)")
    ap.add_argument("--debounce-ms", type=float, default=None)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    path = args.file or pick_file(root)
    text = (root / path).read_text()
    extra = ("\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
             "metadata: {name: bench-deny-all, namespace: bench}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n")
    uri = (root / path).as_uri()

    cli_time, cli_cpu, cli_rss = cli_run(root, args.repeat)

    t0 = time.perf_counter()
    c = Client([sys.executable, "-m", "netpol_lint", "lsp"], str(root))
    opts = {} if args.debounce_ms is None else {"debounceMs": args.debounce_ms}
    init = c.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                    "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                                    "initializationOptions": opts})
    c.wait(lambda m: m.get("id") == init)
    t_init = c.notify("initialized", {})
    published = set()

    def loaded(m):
        if m.get("method") == "textDocument/publishDiagnostics":
            published.add(m["params"]["uri"])
        return m.get("method") == "window/logMessage" and "diagnostics published" in m["params"]["message"]

    t_loaded, _ = c.wait(loaded)
    load_time, workspace_time = t_loaded - t0, t_loaded - t_init
    load_cpu = cpu_seconds(c.proc.pid, children=True)

    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    latencies, cpu = [], []
    for i in range(args.edits):
        version = i + 2
        new = text + extra if i % 2 == 0 else text
        cpu_before = cpu_seconds(c.proc.pid)
        sent = c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                   "contentChanges": [{"text": new}]})
        t, _ = c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"].get("version") == version)
        latencies.append(t - sent)
        cpu.append(cpu_seconds(c.proc.pid) - cpu_before)
        time.sleep(0.05)          # a pause between edits, so no two runs coalesce
    server_rss = peak_rss_kib(c.proc.pid)
    shut = c.request("shutdown", None)
    c.wait(lambda m: m.get("id") == shut)
    c.notify("exit", None)
    c.proc.wait(timeout=30)

    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    print(f"tree: {root} ({sum(1 for _ in root.rglob('*.y*ml'))} YAML files); edited: {path}")
    print(f"initial load: spawn -> all diagnostics published {load_time:.2f} s, of which 'initialized' -> "
          f"published {workspace_time:.2f} s; CPU {load_cpu:.2f} s")
    print(f"CLI lint on the same tree: {cli_time:.2f} s, CPU {cli_cpu:.2f} s (best of {args.repeat})")
    print(f"files with diagnostics published at start: {len(published)}")
    print(f"edit -> diagnostics of that file ({len(latencies)} edits): median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"server CPU per edit: median {statistics.median(cpu) * 1000:.0f} ms, max {max(cpu) * 1000:.0f} ms "
          f"(clock ticks of {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"peak RSS: server {server_rss / 1024:.0f} MB, CLI {cli_rss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
