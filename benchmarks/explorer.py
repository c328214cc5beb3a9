#!/usr/bin/env python3
"""The connectivity explorer in headless Chromium: layout comparison, page size, load time.

    python benchmarks/explorer.py [--corpus ../shared/corpus] [--layouts fcose,dagre,elk]

For each input (examples/, a generated 30-workload repository, the corpus) and each layout
(fcose, dagre, ELK; the candidates are fetched with scripts/vendor_js.py --candidates), the
page is opened collapsed (one node per namespace) and fully expanded (every workload in its
namespace), and the script prints: layout time (the layout engine alone), overlapping node
boxes (labels included) straight from the engine and after the page's separation pass,
nodes and edges drawn.  Then, for the shipped page (fcose): its size, the time from
navigation to the first painted frame, and the CPU time Chromium spent on it (on a shared
machine the wall time is longer than on a quiet one; the CPU time is not).  Figures go to docs/performance.md by hand.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cdp import Browser  # noqa: E402
from explorer_repo import write_repo  # noqa: E402

SCRIPTS = {"fcose": ["cytoscape.min.js", "layout-base.js", "cose-base.js", "cytoscape-fcose.js"],
           "dagre": ["cytoscape.min.js", "cytoscape-dagre.min.js"],
           "elk": ["cytoscape.min.js", "elk.bundled.js", "cytoscape-elk.js"]}


def build_page(path: Path, layout: str, vendor: Path, out: Path) -> None:
    from netpol_lint.commands import connectivity_html
    from netpol_lint.commands.reach import build_network
    from netpol_lint.cli import build_parser

    args = build_parser("connectivity").parse_args(["connectivity", str(path), "--format", "html"])
    session, network = build_network(args)
    connections = network.connections()
    extra = connectivity_html.explorer_inputs(args, session, network, connections)
    scripts = [(vendor / n).read_text() for n in SCRIPTS[layout]]
    out.write_text(connectivity_html.render_html(network, connections, vendor_scripts=scripts, layout=layout,
                                                 measure=True, **extra))


def measure(browser: Browser, url: str, timeout: float) -> dict:
    browser.open(url, ready="document.getElementById('summary').dataset.rendered === 'true'", timeout=timeout)
    s = browser.eval("JSON.stringify({s: explorer.stats, n: explorer.cy.nodes().length, e: explorer.cy.edges().length,"
                     " o: explorer.overlaps().length})")
    import json
    r = json.loads(s)
    return {"engine_ms": r["s"]["engineMs"], "raw_overlaps": r["s"]["rawOverlaps"], "overlaps": r["o"],
            "nodes": r["n"], "edges": r["e"]}


HZ = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(root: int) -> dict[int, float]:
    """CPU time (user + system) of ``root`` and its descendants, per process (Linux /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ)
    tree, grew = {root}, True
    while grew:
        more = {p for p, (pp, _) in parents.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    return {p: parents[p][1] for p in tree if p in parents}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(Path(os.environ.get("NETPOL_LINT_SHARED") or ROOT.parent / "shared") / "corpus"))      # NETPOL_LINT_SHARED as in tests
    ap.add_argument("--layouts", default="fcose,dagre,elk")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--load-only", action="store_true", help="skip the layout comparison")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="npl-explorer-"))
    vendor = work / "vendor"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor_js.py"), "--candidates", str(vendor)], check=True)
    inputs = {"examples": ROOT / "examples", "generated-30": write_repo(work / "gen30"), "corpus": Path(args.corpus)}
    print("| input | view | layout | nodes | edges | layout ms | overlaps (engine) | overlaps (final) |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    with Browser() as browser:
        for name, path in inputs.items():
            for layout in ([] if args.load_only else args.layouts.split(",")):
                page = work / f"{name}-{layout}.html"
                build_page(path, layout, vendor, page)
                for view, frag in (("collapsed", ""), ("expanded", "#e=*")):
                    try:
                        r = measure(browser, page.as_uri() + frag, args.timeout)
                        print(f"| {name} | {view} | {layout} | {r['nodes']} | {r['edges']} | {r['engine_ms']:.0f} | "
                              f"{r['raw_overlaps']} | {r['overlaps']} |", flush=True)
                    except Exception as exc:       # a layout that does not finish is a result too
                        print(f"| {name} | {view} | {layout} | | | did not finish ({str(exc)[:60]}) | | |",
                              flush=True)
                        browser.close()
                        browser.__init__()
        print()
        print("| input | page size | navigation to first paint (median of 5) | CPU s, renderer | CPU s, all Chromium processes |")
        print("|---|---:|---:|---:|---:|")
        for name, path in inputs.items():
            page = work / f"{name}.html"
            text = subprocess.run([sys.executable, "-m", "netpol_lint", "connectivity", str(path), "--format", "html"],
                                  capture_output=True, text=True, check=True).stdout
            page.write_text(text)
            times, busiest, total = [], [], []
            for _ in range(5):
                browser.open("about:blank", ready="true")
                before = _cpu_seconds(browser.proc.pid)
                start = time.monotonic()
                browser.open(page.as_uri())
                times.append(time.monotonic() - start)
                after = _cpu_seconds(browser.proc.pid)
                spent = [after[p] - before.get(p, 0.0) for p in after]
                busiest.append(max(spent))
                total.append(sum(spent))
            # CPU time is what a quiet machine would take; wall time on a shared one is more
            print(f"| {name} | {len(text.encode()) / 1e6:.2f} MB | {statistics.median(times):.2f} s | "
                  f"{statistics.median(busiest):.2f} | {statistics.median(total):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
