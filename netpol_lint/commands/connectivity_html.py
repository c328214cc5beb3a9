"""The connectivity explorer: the self-contained HTML page of ``connectivity --format html``.

One file that works offline: Cytoscape.js and the fcose layout (vendored, pinned, with their
licences: ``netpol_lint/data/vendor/VENDOR.json``) and the page's own script and style
(``netpol_lint/data/explorer/``) are inlined, and the graph is embedded as compact JSON.

What the page is given (built here, drawn there):

* every endpoint with its labels, the policies isolating it per direction, its findings
  (file:line:col, count by severity) and the peers each side may admit (for ``reach``-style
  explanations of a chosen pair);
* every allowed connection, range-encoded per source (``3-7:0,9:2`` = destinations 3..7 with
  port/policy class 0, destination 9 with class 2): the corpus' 67,719 connections fit in a
  few kilobytes because whole namespaces talk alike;
* the routes the route tracer finds from istio-ingressgateway, each with the engine's verdict
  and explanation (denied ones are drawn red: needed but denied);
* the impact of turning on the module's policies (would break / would open / would close);
* with ``--focus``, only that workload's (or namespace's) neighbourhood.

The output depends only on the input: same input, byte-identical page (the page seeds the
layout's random numbers itself, so even the drawing repeats).
"""
from __future__ import annotations

import html
import json
from importlib import resources
from typing import Iterable

from ..analysis.reachability import Connection, EndpointError, Network, PortError

MAX_LABELS = 40            # per workload
MAX_TEXT = 200             # characters of a label value or finding message
MAX_NODE_FINDINGS = 30     # listed per workload or namespace (all are counted)
MAX_FINDINGS = 4000        # listed in the whole page
MAX_ROUTES = 1000
MAX_CHANGES = 3000
MAX_EXPLANATION = 1500
SEVERITIES = ("error", "warning", "info")

VENDOR_DIR = "vendor"
SHIPPED_JS = ("cytoscape.min.js", "layout-base.js", "cose-base.js", "cytoscape-fcose.js")


def _trim(text: str, limit: int = MAX_TEXT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _ranges(indices: Iterable[int]) -> str:
    """``0-3,7,9-10`` for sorted unique indices."""
    out, run = [], None
    for i in indices:
        if run and i == run[1] + 1:
            run[1] = i
        else:
            if run:
                out.append(run)
            run = [i, i]
    if run:
        out.append(run)
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


def _loc(location) -> str:
    return f"{location.file}:{location.line}:{location.column}"


class _Builder:
    def __init__(self, network: Network, connections: list[Connection], all_endpoints: bool):
        self.network = network
        self.index: dict[str, int] = {}
        self.endpoints = []
        if all_endpoints:
            for e in network.endpoints:
                self.add(e)
        for c in connections:
            self.add(c.src)
            self.add(c.dst)
        self.policies: dict[str, int] = {}
        self.policy_rows: list[list] = []
        self.locations = {cp.key: _loc(cp.policy.locate()) for cp in network.policies
                          if getattr(cp.policy, "doc", None) is not None}

    def add(self, e) -> int:
        if e.id not in self.index:
            self.index[e.id] = len(self.endpoints)
            self.endpoints.append(e)
        return self.index[e.id]

    def policy(self, key: str) -> int:
        if key not in self.policies:
            self.policies[key] = len(self.policy_rows)
            self.policy_rows.append([key, self.locations.get(key, "")])
        return self.policies[key]

    def mask_indices(self, mask: int) -> list[int]:
        out = []
        for i, e in enumerate(self.endpoints):
            if not e.external and (mask >> e.index) & 1:
                out.append(i)
        return out


def page_data(network: Network, connections: list[Connection], note: str | None = None,
              all_endpoints: bool = True, *, routes=None, impact=None, findings=(),
              focus: str | None = None, policies_enabled: bool | None = None) -> dict:
    """The JSON the page draws (see the module docstring); ``routes`` a RouteTable, ``impact``
    an ImpactReport, ``findings`` the linter's findings over the same session."""
    b = _Builder(network, connections, all_endpoints)
    route_rows = _routes(b, network, routes, focus_ids=None if all_endpoints else set(b.index))
    change_rows = _changes(b, impact)

    classes: dict[tuple, int] = {}
    class_rows: list[list] = []
    out: dict[int, list[tuple[int, int]]] = {}
    for c in connections:
        key = (c.ports, c.egress_policies, c.ingress_policies)
        k = classes.get(key)
        if k is None:
            k = classes[key] = len(class_rows)
            class_rows.append([c.ports.to_json(), [b.policy(p) for p in c.egress_policies],
                               [b.policy(p) for p in c.ingress_policies]])
        out.setdefault(b.index[c.src.id], []).append((b.index[c.dst.id], k))
    edges = {}
    for src, pairs in out.items():
        pairs.sort()
        tokens, i = [], 0
        while i < len(pairs):
            j = i
            while j + 1 < len(pairs) and pairs[j + 1][1] == pairs[i][1] and pairs[j + 1][0] == pairs[j][0] + 1:
                j += 1
            a, b_ = pairs[i][0], pairs[j][0]
            tokens.append(f"{a}:{pairs[i][1]}" if a == b_ else f"{a}-{b_}:{pairs[i][1]}")
            i = j + 1
        edges[str(src)] = ",".join(tokens)

    node_findings, ns_findings, finding_rows = _findings(b, findings)
    nodes = []
    for i, e in enumerate(b.endpoints):
        flags = "".join(f for f, on in (("i", e.istio_component), ("y", e.synthetic), ("x", e.external),
                                         ("h", e.host_network), ("s", e.sidecar)) if on)
        row = {"id": e.id, "n": e.id if e.external else e.name, "s": "" if e.external else (e.namespace or ""),
               "k": "" if e.external else e.kind, "f": flags}
        if not e.external:
            labels = sorted(e.labels.items())[:MAX_LABELS]
            row["l"] = {k: _trim(v) for k, v in labels}
            for direction, key, peers in (("Ingress", "pi", "ri"), ("Egress", "pe", "re")):
                isolating = network.isolating(e, direction)
                if isolating:
                    row[key] = [b.policy(cp.key) for cp in isolating]
                    row[peers] = _ranges(b.mask_indices(network.admitted_peers(e, direction)))
        counts, listed = node_findings.get(i, ([0, 0, 0], []))
        if any(counts):
            row["fc"], row["fl"] = counts, listed
        nodes.append(row)
    return {"version": 1, "note": note or "", "focus": focus or "",
            "policiesEnabled": bool(policies_enabled), "nodes": nodes, "policies": b.policy_rows,
            "classes": class_rows, "edges": edges, "routes": route_rows, "changes": change_rows,
            "findings": finding_rows, "nsFindings": ns_findings, "connections": len(connections)}


def _routes(b: _Builder, network: Network, table, focus_ids) -> list[list]:
    """[gateway, backend, port, route name, allowed, explanation] per traced ingress route backend."""
    if table is None or network.world is None:
        return []
    from ..analysis.istio_world import INGRESS_GATEWAY
    try:
        gateway = network.endpoint(f"{INGRESS_GATEWAY.namespace}/{INGRESS_GATEWAY.name}")
    except EndpointError:
        return []
    rows, seen = [], set()
    for route in table.ingress_routes():
        for backend in route.backends:
            if backend.target_port is None:
                continue
            try:
                dst = network.endpoint(backend.workload)
                verdict = network.allowed(gateway, dst, backend.target_port, "TCP")
            except (EndpointError, PortError):
                continue
            if focus_ids is not None and dst.id not in focus_ids:
                continue
            key = (dst.id, backend.target_port, route.name)
            if key in seen:
                continue
            seen.add(key)
            rows.append([b.add(gateway), b.add(dst), backend.target_port, route.name,
                         1 if verdict.allowed else 0, _trim(verdict.explanation, MAX_EXPLANATION)])
    rows.sort(key=lambda r: (r[4], r[1], r[2], r[3]))     # denied first
    return rows[:MAX_ROUTES]


def _changes(b: _Builder, report) -> list[list]:
    """[source, target, 'break'|'open'|'close', before, after, why] per pair the flip changes."""
    if report is None:
        return []
    from ..analysis.impact import GROUP_TITLES
    by_pair: dict[tuple[str, str], list] = {}
    rank = {"break": 0, "open": 1, "close": 2}
    for entry in report.entries:
        c = entry.change
        if c is None or c.src.id not in b.index or c.dst.id not in b.index:
            continue
        kind = "break" if entry.breaking else ("open" if c.gained else "close")
        why = GROUP_TITLES.get(entry.group, entry.group)
        if entry.breaking:
            why += f": needs {entry.breaks.to_text()}"
        row = [b.index[c.src.id], b.index[c.dst.id], kind, c.before.to_text(), c.after.to_text(), _trim(why)]
        old = by_pair.get((c.src.id, c.dst.id))
        if old is None or rank[kind] < rank[old[2]]:
            by_pair[(c.src.id, c.dst.id)] = row
    rows = sorted(by_pair.values(), key=lambda r: (rank[r[2]], r[0], r[1]))
    return rows[:MAX_CHANGES]


def _findings(b: _Builder, findings) -> tuple[dict, dict, list]:
    """Findings per workload node and per namespace (resources that are not workloads)."""
    by_resource: dict[tuple, int] = {}
    for i, e in enumerate(b.endpoints):
        for w in e.workloads:
            by_resource[(w.kind, w.namespace, w.name)] = i
    per_node: dict[int, tuple[list, list]] = {}
    per_ns: dict[str, list] = {}
    rows: list[list] = []
    for f in findings:
        r = f.resource or {}
        sev = SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 2
        node = by_resource.get((r.get("kind"), r.get("namespace"), r.get("name")))
        if node is not None:
            counts, listed = per_node.setdefault(node, ([0, 0, 0], []))
        else:
            counts, listed = per_ns.setdefault(r.get("namespace") or "", [[0, 0, 0], []])
        counts[sev] += 1
        if len(listed) < MAX_NODE_FINDINGS and len(rows) < MAX_FINDINGS:
            resource = f"{r.get('kind')} {r.get('namespace') + '/' if r.get('namespace') else ''}{r.get('name')}" if r else ""
            listed.append(len(rows))
            rows.append([sev, f.rule, _trim(f.message), _loc(f.location), resource])
    return per_node, {k: v for k, v in sorted(per_ns.items())}, rows


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element."""
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _asset(*parts: str) -> str:
    return resources.files("netpol_lint.data").joinpath(*parts).read_text(encoding="utf-8")


def _inline_script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def render_html(network: Network, connections: list[Connection], note: str | None = None,
                title: str = "netpol-lint connectivity", all_endpoints: bool = True, *,
                vendor_scripts: list[str] | None = None, layout: str = "fcose", measure: bool = False,
                **extra) -> str:
    """The page; ``all_endpoints=False`` draws only endpoints that have a connection (focus).

    ``extra`` goes to ``page_data`` (routes, impact, findings, focus, policies_enabled).
    ``vendor_scripts``/``layout`` let the layout benchmark swap in another layout extension,
    ``measure`` makes the page count overlaps before its own separation pass.
    """
    data = page_data(network, connections, note, all_endpoints, **extra)
    data["layout"] = layout
    if measure:
        data["measure"] = True
    scripts = vendor_scripts if vendor_scripts is not None else [_asset(VENDOR_DIR, n) for n in SHIPPED_JS]
    vendor = "\n".join(f"<script>\n{_inline_script(s)}\n</script>" for s in scripts)
    page = _asset("explorer", "page.html")
    return (page.replace("__TITLE__", html.escape(title))
            .replace("/*__STYLE__*/", _asset("explorer", "explorer.css"))
            .replace("<!--__VENDOR__-->", vendor)
            .replace("__DATA__", _script_json(data))
            .replace("/*__SCRIPT__*/", _inline_script(_asset("explorer", "explorer.js"))))


def explorer_inputs(args, session, network: Network, connections: list[Connection]) -> dict:
    """Routes, impact and findings for the page (``render_html``'s ``extra``)."""
    from ..analysis.routes import trace_routes
    from ..options import Options

    options = Options.from_args(args)
    extra = {"routes": trace_routes(session), "focus": args.focus}
    kyma = getattr(session, "kyma", None)
    extra["policies_enabled"] = bool(network.world is not None and kyma is not None and kyma.policies_enabled)
    if network.world is not None and kyma is not None:
        from ..analysis import impact
        extra["impact"] = impact.analyse(session, ipblock_pods=options.ipblock_pods,
                                         host_network_enforced=options.host_network_enforced)
    extra["findings"] = lint_findings(options, session)
    return extra


def lint_findings(options, session) -> list:
    """The default rules' findings over ``session`` (as ``lint`` reports them)."""
    # The lint machinery is imported here, not at module level: commands sit on top of the
    # layers (load -> model -> analysis -> engine/rules -> report -> commands).
    from ..api import load_config_and_rules
    from ..engine import linter, pipeline

    config, registry = load_config_and_rules(options)
    result = pipeline.run(session, registry, linter.selected_rules(registry, config), notify=False)
    return list(result.findings)
