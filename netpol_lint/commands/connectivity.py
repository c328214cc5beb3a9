"""Every allowed connection of the input, as text, JSON or a graph.

Formats:

* ``text``: ``SRC => DST : PORTS`` lines (``All Connections`` or ``TCP 80,8080-8090,UDP 53``).
* ``json``: a list, one object per allowed ordered pair (self pairs excluded)::

      {"from": "shop/frontend", "to": "shop/backend",
       "connections": "All Connections" | {"TCP": [[8080, 8080]], "UDP": [[53, 53]]},
       "text": "TCP 8080",
       "egress_policies": ["shop/frontend-egress"],    # source-side policies that admit it
       "ingress_policies": ["shop/backend-ingress"]}   # destination-side policies that admit it

  Endpoints are workload ids (``ns/name``), the Istio components the engine adds, and
  cluster-external address ranges ``ip:LO-HI``.  Ranges are split the netpol-analyzer way:
  sources at every ingress ipBlock boundary, destinations at every egress ipBlock boundary.
  ``connections`` uses the encoding of the conformance suite's ``expected_connections.json``.
  An empty policy list on a side means no policy isolates that side.
* ``dot`` (Graphviz) and ``mermaid``: namespaces as clusters/subgraphs, Istio components
  highlighted, edges labelled with their ports.
* ``html``: the connectivity explorer, one self-contained page (Cytoscape.js inlined, nothing
  fetched): namespaces that expand into workloads, needed-but-denied routes, the impact of
  turning on the module's policies, findings, isolation, search, filters and exports
  (``connectivity_html.py``).

``--focus WORKLOAD_OR_NAMESPACE`` keeps the connections touching that workload or namespace.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from ..analysis.reachability import Connection, EndpointError, Network
from .connectivity_html import explorer_inputs, render_html
from .reach import UsageError, add_network_arguments, assumption_note, build_network, fail


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="text", choices=("text", "json", "dot", "mermaid", "html"))
    parser.add_argument("--focus", metavar="WORKLOAD_OR_NAMESPACE",
                        help="only connections from or to this workload (ns/name) or namespace")
    add_network_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        session, network = build_network(args)
        connections = focus(network, network.connections(), args.focus)
    except UsageError as exc:
        return fail(str(exc))
    note = assumption_note(session, network)
    fmt, every = args.format, not args.focus
    if fmt == "json":
        text = json.dumps(connections_json(connections), indent=1) + "\n"
    elif fmt == "dot":
        text = render_dot(network, connections, every)
    elif fmt == "mermaid":
        text = render_mermaid(network, connections, every)
    elif fmt == "html":
        text = render_html(network, connections, note, all_endpoints=every,
                           **explorer_inputs(args, session, network, connections))
    else:
        text = render_text(connections, note)
    if fmt == "text":
        from ..analysis.ipblocks import readable_ranges
        text = readable_ranges(text)
    sys.stdout.write(text)
    return 0


def focus(network: Network, connections: list[Connection], target: str | None) -> list[Connection]:
    """Connections touching ``target`` (an endpoint, else a namespace); UsageError if neither."""
    if not target:
        return connections
    try:
        ep = network.endpoint(target)
        return [c for c in connections if c.src is ep or c.dst is ep]
    except EndpointError:
        pass
    if any(e.namespace == target for e in network.endpoints):
        return [c for c in connections if target in (c.src.namespace, c.dst.namespace)]
    raise UsageError(f"--focus: no workload or namespace '{target}' in the input")


def connections_json(connections: list[Connection]) -> list[dict]:
    return [c.to_json() for c in connections]


def render_text(connections: list[Connection], note: str | None = None) -> str:
    lines = [f"{c.src.id} => {c.dst.id} : {c.ports.to_text()}" for c in connections]
    if not connections:
        lines.append("no allowed connections")
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


# -- graphs ----------------------------------------------------------------------------------
def _nodes(network: Network, connections: list[Connection], every: bool = True) -> list:
    """Endpoints to draw: every workload (``every``) or only those on an edge, plus ranges."""
    seen, out = set(), []
    for e in (list(network.endpoints) if every else []) + [x for c in connections for x in (c.src, c.dst)]:
        if e.id not in seen:
            seen.add(e.id)
            out.append(e)
    return out


def _group(e) -> str:
    if e.external:
        return "external"
    return e.namespace or ""


def _quote_dot(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(network: Network, connections: list[Connection], every: bool = True) -> str:
    nodes = _nodes(network, connections, every)
    groups: dict[str, list] = {}
    for e in nodes:
        groups.setdefault(_group(e), []).append(e)
    out = ["digraph connectivity {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fillcolor=white];']
    for i, (name, members) in enumerate(sorted(groups.items())):
        label = "external addresses" if name == "external" else f"namespace {name}"
        out.append(f"  subgraph cluster_{i} {{")
        out.append(f"    label={_quote_dot(label)};")
        if any(e.istio_component for e in members):
            out.append('    style=filled; fillcolor="#e8f0fe";')
        for e in members:
            attrs = [f"label={_quote_dot(e.name if not e.external else e.id)}"]
            if e.istio_component:
                attrs.append('fillcolor="#c6dafc"')
            if e.synthetic:
                attrs.append('style="rounded,filled,dashed"')
            out.append(f"    {_quote_dot(e.id)} [{', '.join(attrs)}];")
        out.append("  }")
    for c in connections:
        out.append(f"  {_quote_dot(c.src.id)} -> {_quote_dot(c.dst.id)} [label={_quote_dot(c.ports.to_text())}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_id(index: int) -> str:
    return f"n{index}"


def _mermaid_text(text: str) -> str:
    return '"' + re.sub(r'["<>]', lambda m: {"\"": "#quot;", "<": "#lt;", ">": "#gt;"}[m.group()], text) + '"'


def render_mermaid(network: Network, connections: list[Connection], every: bool = True) -> str:
    nodes = _nodes(network, connections, every)
    ids = {e.id: _mermaid_id(i) for i, e in enumerate(nodes)}
    groups: dict[str, list] = {}
    for e in nodes:
        groups.setdefault(_group(e), []).append(e)
    out = ["flowchart LR"]
    for i, (name, members) in enumerate(sorted(groups.items())):
        label = "external addresses" if name == "external" else f"namespace {name}"
        out.append(f"  subgraph g{i}[{_mermaid_text(label)}]")
        for e in members:
            out.append(f"    {ids[e.id]}[{_mermaid_text(e.name if not e.external else e.id)}]")
        out.append("  end")
    for c in connections:
        out.append(f"  {ids[c.src.id]} -->|{_mermaid_text(c.ports.to_text())}| {ids[c.dst.id]}")
    istio = [ids[e.id] for e in nodes if e.istio_component]
    if istio:
        out.append("  classDef istio fill:#c6dafc,stroke:#1a73e8")
        out.append(f"  class {','.join(istio)} istio")
    return "\n".join(out) + "\n"
