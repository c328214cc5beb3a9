"""The self-contained HTML page of ``connectivity --format html``.

One file, no network access: the graph data is embedded as JSON and drawn into inline SVG by
the page's own script.  Namespaces are boxes; the Istio components (istio-system and the
module's kyma-system pods) are set apart in a highlighted column on the left, external
address ranges on the right.  Hovering or clicking an edge shows its ports and the policies
that decided it on each side; clicking a workload highlights its connections.

When drawing is done the script records what it drew in ``#summary`` (``data-nodes``,
``data-edges``, ``data-rendered``) and on every element (``g.node[data-id]``,
``path.edge[data-from][data-to]``), so a headless browser can check the page.
"""
from __future__ import annotations

import html
import json

from ..analysis.reachability import Connection, Network


def page_data(network: Network, connections: list[Connection], note: str | None = None,
              all_endpoints: bool = True) -> dict:
    drawn = {}
    for e in (list(network.endpoints) if all_endpoints else []) + [x for c in connections for x in (c.src, c.dst)]:
        drawn.setdefault(e.id, e)
    nodes = [{"id": e.id, "name": e.id if e.external else e.name, "namespace": e.namespace or "",
              "kind": e.kind, "istio": e.istio_component, "synthetic": e.synthetic,
              "external": e.external, "hostNetwork": e.host_network} for e in drawn.values()]
    edges = [{"from": c.src.id, "to": c.dst.id, "ports": c.ports.to_text(),
              "egress": list(c.egress_policies), "ingress": list(c.ingress_policies)} for c in connections]
    return {"nodes": nodes, "edges": edges, "note": note or ""}


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(network: Network, connections: list[Connection], note: str | None = None,
                title: str = "netpol-lint connectivity", all_endpoints: bool = True) -> str:
    """The page; ``all_endpoints=False`` draws only endpoints that have a connection (focus)."""
    data = page_data(network, connections, note, all_endpoints)
    return _TEMPLATE.replace("__TITLE__", html.escape(title)).replace("__DATA__", _script_json(data))


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
 body { font: 13px system-ui, sans-serif; margin: 0; display: flex; height: 100vh; color: #202124; }
 #canvas { flex: 1; overflow: auto; }
 #side { width: 320px; border-left: 1px solid #dadce0; padding: 12px; overflow: auto; background: #fafafa; }
 #side h2 { font-size: 15px; margin: 0 0 8px; }
 #info { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
 .box rect { fill: #fff; stroke: #9aa0a6; rx: 6; }
 .box.istio rect { fill: #e8f0fe; stroke: #1a73e8; stroke-width: 2; }
 .box.external rect { fill: #fef7e0; stroke: #f9ab00; }
 .box text { font-weight: 600; fill: #5f6368; }
 .node rect { fill: #fff; stroke: #5f6368; rx: 4; cursor: pointer; }
 .node.istio rect { fill: #c6dafc; stroke: #1a73e8; }
 .node.synthetic rect { stroke-dasharray: 4 2; }
 .node.external rect { fill: #feefc3; }
 .node.hostnet rect { stroke: #d93025; }
 .node text { pointer-events: none; }
 .edge { fill: none; stroke: #80868b; stroke-width: 1.3; opacity: .55; cursor: pointer; }
 .edge.hot { stroke: #d93025; stroke-width: 2.5; opacity: 1; }
 .edge.dim { opacity: .08; }
 .hit { fill: none; stroke: transparent; stroke-width: 9; cursor: pointer; }
 #summary { margin-bottom: 10px; color: #5f6368; }
</style>
</head>
<body>
<div id="canvas"><svg id="graph" xmlns="http://www.w3.org/2000/svg"></svg></div>
<div id="side">
 <h2>__TITLE__</h2>
 <div id="summary" data-rendered="false"></div>
 <div id="note"></div>
 <div id="info">Hover or click a connection to see its ports and the policies that decide it.
Click a workload to highlight its connections.</div>
</div>
<script id="data" type="application/json">__DATA__</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("graph");
  var NODE_W = 210, NODE_H = 24, GAP = 8, PAD = 12, HEAD = 22, COL_GAP = 90;

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function text(parent, x, y, s) {
    var t = el("text", {x: x, y: y}, parent);
    t.textContent = s.length > 30 ? s.slice(0, 29) + "\\u2026" : s;
    var tip = el("title", {}, t); tip.textContent = s;
    return t;
  }

  // Groups: Istio components (by namespace) first, then namespaces, then external ranges.
  var groups = {}, order = [];
  data.nodes.forEach(function (n) {
    var key = n.external ? "external" : (n.istio ? "istio:" + n.namespace : "ns:" + n.namespace);
    if (!groups[key]) { groups[key] = []; order.push(key); }
    groups[key].push(n);
  });
  function rank(k) { return k.indexOf("istio:") === 0 ? 0 : (k === "external" ? 2 : 1); }
  order.sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0); });

  var columns = [[], [], []];
  order.forEach(function (k) { columns[rank(k)].push(k); });
  var nsKeys = columns[1], perCol = Math.max(1, Math.ceil(Math.sqrt(nsKeys.length)));
  var layout = [columns[0]];
  for (var i = 0; i < nsKeys.length; i += perCol) { layout.push(nsKeys.slice(i, i + perCol)); }
  layout.push(columns[2]);
  layout = layout.filter(function (c) { return c.length; });

  var pos = {}, x = 20, maxY = 0;
  var boxes = el("g", {id: "boxes"}, svg), edgeLayer = el("g", {id: "edges"}, svg), nodeLayer = el("g", {id: "nodes"}, svg);
  layout.forEach(function (col) {
    var y = 20;
    col.forEach(function (key) {
      var members = groups[key], h = HEAD + PAD + members.length * (NODE_H + GAP);
      var cls = "box" + (key.indexOf("istio:") === 0 ? " istio" : "") + (key === "external" ? " external" : "");
      var box = el("g", {"class": cls, "data-group": key}, boxes);
      el("rect", {x: x, y: y, width: NODE_W + 2 * PAD, height: h}, box);
      var label = key === "external" ? "external addresses" :
        (key.indexOf("istio:") === 0 ? "Istio: " : "namespace ") + key.slice(key.indexOf(":") + 1);
      text(box, x + PAD, y + 16, label);
      members.forEach(function (n, j) {
        var ny = y + HEAD + PAD / 2 + j * (NODE_H + GAP);
        var cls = "node" + (n.istio ? " istio" : "") + (n.synthetic ? " synthetic" : "") +
                  (n.external ? " external" : "") + (n.hostNetwork ? " hostnet" : "");
        var g = el("g", {"class": cls, "data-id": n.id}, nodeLayer);
        el("rect", {x: x + PAD, y: ny, width: NODE_W, height: NODE_H}, g);
        text(g, x + PAD + 6, ny + 16, n.name + (n.kind && !n.external ? "  (" + n.kind + ")" : ""));
        pos[n.id] = {x: x + PAD, y: ny + NODE_H / 2};
        g.addEventListener("click", function () { focusNode(n.id); });
      });
      y += h + 24;
    });
    maxY = Math.max(maxY, y);
    x += NODE_W + 2 * PAD + COL_GAP;
  });
  svg.setAttribute("width", x);
  svg.setAttribute("height", maxY + 20);
  var defs = el("defs", {}, svg);
  var marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6,
                             orient: "auto-start-reverse"}, defs);
  el("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#80868b"}, marker);

  var info = document.getElementById("info"), pinned = null, edgeEls = [];
  function describe(e) {
    return e.from + "  \\u2192  " + e.to + "\\n\\nports: " + e.ports +
      "\\n\\nsource egress: " + (e.egress.length ? e.egress.join(", ") : "not isolated (all egress allowed)") +
      "\\ndestination ingress: " + (e.ingress.length ? e.ingress.join(", ") : "not isolated (all ingress allowed)");
  }
  function show(e, path) {
    edgeEls.forEach(function (p) { p.classList.remove("hot"); p.classList.remove("dim"); });
    path.classList.add("hot");
    info.textContent = describe(e);
  }
  data.edges.forEach(function (e, idx) {
    var a = pos[e.from], b = pos[e.to];
    if (!a || !b) { return; }
    var x1 = a.x + NODE_W, y1 = a.y, x2 = b.x, y2 = b.y, d;
    if (a.x === b.x) {          // same column: leave and enter on the right, bulging outwards
      x2 = b.x + NODE_W;
      var bulge = 30 + Math.min(60, Math.abs(y2 - y1) / 4);
      d = "M " + x1 + " " + y1 + " C " + (x1 + bulge) + " " + y1 + ", " + (x2 + bulge) + " " + y2 + ", " + x2 + " " + y2;
    } else {
      if (x2 < x1) { x1 = a.x; x2 = b.x + NODE_W; }
      var dx = Math.max(40, Math.abs(x2 - x1) / 2) * (x2 >= x1 ? 1 : -1);
      d = "M " + x1 + " " + y1 + " C " + (x1 + dx) + " " + y1 + ", " + (x2 - dx) + " " + y2 + ", " + x2 + " " + y2;
    }
    var path = el("path", {d: d, "class": "edge", "data-from": e.from, "data-to": e.to, "data-ports": e.ports,
                           "data-index": idx, "marker-end": "url(#arrow)"}, edgeLayer);
    var tip = el("title", {}, path); tip.textContent = e.from + " \\u2192 " + e.to + ": " + e.ports;
    var hit = el("path", {d: d, "class": "hit"}, edgeLayer);
    edgeEls.push(path);
    [path, hit].forEach(function (p) {
      p.addEventListener("mouseenter", function () { if (!pinned) { show(e, path); } });
      p.addEventListener("click", function (ev) { ev.stopPropagation(); pinned = path; show(e, path); });
    });
  });
  function focusNode(id) {
    pinned = id;
    var lines = [];
    edgeEls.forEach(function (p, i) {
      var hit = p.getAttribute("data-from") === id || p.getAttribute("data-to") === id;
      p.classList.toggle("hot", hit); p.classList.toggle("dim", !hit);
    });
    data.edges.forEach(function (e) {
      if (e.from === id) { lines.push("\\u2192 " + e.to + " : " + e.ports); }
      if (e.to === id) { lines.push("\\u2190 " + e.from + " : " + e.ports); }
    });
    info.textContent = id + "\\n\\n" + (lines.length ? lines.join("\\n") : "no allowed connections");
  }
  svg.addEventListener("click", function (ev) {
    if (ev.target === svg) { pinned = null; edgeEls.forEach(function (p) { p.classList.remove("hot", "dim"); }); }
  });

  document.getElementById("note").textContent = data.note;
  var summary = document.getElementById("summary");
  summary.textContent = data.nodes.length + " endpoints, " + edgeEls.length + " connections";
  summary.setAttribute("data-nodes", String(nodeLayer.querySelectorAll("g.node").length));
  summary.setAttribute("data-edges", String(edgeEls.length));
  summary.setAttribute("data-rendered", "true");
})();
</script>
</body>
</html>
"""
