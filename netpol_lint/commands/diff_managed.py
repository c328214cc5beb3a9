"""Show how managed NetworkPolicies in the input differ from the Istio module's (for migrations).

``netpol-lint diff-managed PATH...`` takes every NetworkPolicy that carries the Kyma managed
labels, or has the name and namespace of one of the module's seven policies (a copy whose
labels were dropped), and prints the full semantic
comparison with the module's policy of that name: each difference with its position (what
NPL302 reports), what was tolerated (API-server port, version label, disclaimer, extra
labels), and a unified diff of both policies in normalised form (order-independent, selectors
and ports canonical), so a repository that keeps copies of the module's policies can see
exactly what its copies change before deleting them.  Module policies absent from the input
are listed at the end.

Exit codes: 0 when every policy matches the module's, 1 when at least one differs or is a
managed policy the module does not create, 2 when the input cannot be read.
"""
from __future__ import annotations

import difflib
import json
import sys

from ..analysis.managed import canonical_lines, compare_with_module, module_policy, module_policy_names
from ..api import load_session
from ..options import Options
from ..model.resources import NetworkPolicy
from ..wording import count


def add_arguments(p) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args) -> int:
    session = load_session(Options.from_args(args))
    port = session.config.api_server_port or None
    homes = {n: module_policy(n)["metadata"]["namespace"] for n in module_policy_names()}
    entries = []
    for pol in session.model.network_policies:
        if not (pol.is_managed or homes.get(pol.name) == pol.namespace):
            continue
        entries.append(_entry(pol, port))
    present = {e["name"] for e in entries if e["known"]}
    missing = [n for n in module_policy_names() if n not in present]
    out = _json(entries, missing) if args.format == "json" else _text(entries, missing)
    sys.stdout.write(out)
    return 1 if any(e["differences"] or not e["known"] for e in entries) else 0


def _entry(pol: NetworkPolicy, port: int | None) -> dict:
    cmp = compare_with_module(pol.data, port, pol.namespace)
    loc = pol.locate("metadata", "name")
    diffs = []
    for d in cmp.differences:
        dl = pol.locate(*d.path)
        diffs.append({"text": d.text, "file": dl.file, "line": dl.line, "column": dl.column})
    entry = {"namespace": pol.namespace, "name": pol.name, "file": loc.file, "line": loc.line,
             "managed": pol.is_managed, "known": cmp.known, "differences": diffs, "tolerated": cmp.tolerated}
    if cmp.known:
        entry["normalised"] = {"module": canonical_lines(cmp.expected), "input": canonical_lines(pol.data)}
    return entry


def _text(entries: list[dict], missing: list[str]) -> str:
    lines: list[str] = []
    for e in entries:
        head = f"{e['namespace']}/{e['name']} ({e['file']}:{e['line']})"
        if not e["known"]:
            lines.append(f"{head}: carries the managed labels but is not a policy the module creates")
            lines.append("")
            continue
        n = len(e["differences"])
        label = "" if e["managed"] else " [no managed labels]"
        if not n:
            lines.append(f"{head}{label}: same as the module's policy")
        else:
            lines.append(f"{head}{label}: {count(n, 'difference')} from the module's policy")
            width = max(len(f"{d['file']}:{d['line']}:{d['column']}") for d in e["differences"])
            for d in e["differences"]:
                where = f"{d['file']}:{d['line']}:{d['column']}"
                lines.append(f"  {where:<{width}}  {d['text']}")
        if e["tolerated"]:
            lines.append(f"  tolerated: {'; '.join(e['tolerated'])}")
        if n:
            lines.append("  normalised diff (module -> input):")
            diff = difflib.unified_diff(e["normalised"]["module"], e["normalised"]["input"],
                                        f"module/{e['name']}", f"{e['file']}", lineterm="", n=100)
            lines.extend(f"    {line}" for line in diff)
        lines.append("")
    if not entries:
        lines.append("No managed NetworkPolicies in the input.")
    if missing:
        lines.append("Module policies not in the input: " + ", ".join(missing))
    return "\n".join(lines).rstrip("\n") + "\n"


def _json(entries: list[dict], missing: list[str]) -> str:
    return json.dumps({"version": 1, "policies": entries, "missing": missing}, indent=2, sort_keys=True) + "\n"
