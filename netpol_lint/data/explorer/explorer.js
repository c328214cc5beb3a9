/* netpol-lint connectivity explorer: draws the embedded JSON with Cytoscape.js.
 *
 * Units: by default one node per namespace (external addresses as one node, each Istio
 * component its own node); an expanded namespace becomes a compound node holding its
 * workloads.  Edges between visible units aggregate the workload connections (count, folded
 * ports).  Overlays: traced routes (red when the engine denies them: needed but denied) and
 * what turning on the module's policies changes (would break / open / close).
 *
 * The view state lives in the URL hash (e=expanded namespaces, s=selection, p=peer,
 * q=search, ns/port/proto=filters, only=routes|denied|changed), so a view can be shared.
 * For tests and tools: window.explorer (state, cy, apply(), overlaps(), svg(), png()) and
 * the data-* attributes of #summary.
 */
(function () {
  "use strict";
  var T0 = performance.now();
  var data = JSON.parse(document.getElementById("data").textContent);
  var N = data.nodes, P = data.policies, C = data.classes;
  var summary = document.getElementById("summary"), panel = document.getElementById("panel");

  // -- decoding ------------------------------------------------------------------------
  function ranges(text) {            // "0-3,7" -> [0,1,2,3,7]
    var out = [];
    if (!text) { return out; }
    text.split(",").forEach(function (t) {
      var ab = t.split("-"), a = +ab[0], b = ab.length > 1 ? +ab[1] : a;
      for (var i = a; i <= b; i++) { out.push(i); }
    });
    return out;
  }
  var byId = {}, nsList = [], nsMembers = {};
  N.forEach(function (n, i) {
    n.idx = i;
    n.istio = n.f.indexOf("i") >= 0;
    n.ext = n.f.indexOf("x") >= 0;
    n.group = n.ext ? "x:external" : "n:" + n.s;
    byId[n.id] = i;
    if (!n.istio) {
      if (!nsMembers[n.group]) { nsMembers[n.group] = []; nsList.push(n.group); }
      nsMembers[n.group].push(i);
    }
    n.reSet = n.re !== undefined ? new Set(ranges(n.re)) : null;
    n.riSet = n.ri !== undefined ? new Set(ranges(n.ri)) : null;
  });
  nsList.sort();
  // connections as three typed arrays (source, destination, class), grouped by source in
  // index order; first[s]..first[s + 1] are the connections of source s
  var NN = N.length, total = 0, parsed = [];
  for (var src = 0; src < NN; src++) {
    var toks = data.edges[src] ? data.edges[src].split(",") : [], row = [];
    toks.forEach(function (tok) {
      var parts = tok.split(":"), ab = parts[0].split("-"), a = +ab[0], b = ab.length > 1 ? +ab[1] : a;
      row.push(a, b, +parts[1]);
      total += b - a + 1;
    });
    parsed.push(row);
  }
  var ES = new Int32Array(total), ED = new Int32Array(total), EC = new Int32Array(total), first = new Int32Array(NN + 1);
  for (var s0 = 0, x0 = 0; s0 < NN; s0++) {
    first[s0] = x0;
    var r = parsed[s0];
    for (var t = 0; t < r.length; t += 3) {
      for (var d0 = r[t]; d0 <= r[t + 1]; d0++) { ES[x0] = s0; ED[x0] = d0; EC[x0] = r[t + 2]; x0++; }
    }
  }
  first[NN] = total;
  parsed = null;
  function pairClass(a, b) {         // the class of connection a -> b, or undefined
    var lo = first[a], hi = first[a + 1] - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (ED[mid] === b) { return EC[mid]; }
      if (ED[mid] < b) { lo = mid + 1; } else { hi = mid - 1; }
    }
    return undefined;
  }

  // -- ports ---------------------------------------------------------------------------
  var PROTOS = ["SCTP", "TCP", "UDP"];
  function foldPorts(classIds) {    // union of the classes' port sets, as the CLI prints it
    var acc = {}, all = false;
    classIds.forEach(function (k) {
      var p = C[k][0];
      if (p === "All Connections") { all = true; return; }
      Object.keys(p).forEach(function (proto) { acc[proto] = (acc[proto] || []).concat(p[proto]); });
    });
    if (all) { return "All Connections"; }
    var parts = [];
    Object.keys(acc).sort(function (a, b) {
      var ia = PROTOS.indexOf(a), ib = PROTOS.indexOf(b);
      return (ia < 0 ? 9 : ia) - (ib < 0 ? 9 : ib) || (a < b ? -1 : a > b ? 1 : 0);
    }).forEach(function (proto) {
      var r = acc[proto].slice().sort(function (x, y) { return x[0] - y[0]; }), m = [];
      r.forEach(function (x) {
        var last = m[m.length - 1];
        if (last && x[0] <= last[1] + 1) { last[1] = Math.max(last[1], x[1]); } else { m.push([x[0], x[1]]); }
      });
      parts.push(proto + " " + m.map(function (x) { return x[0] === x[1] ? String(x[0]) : x[0] + "-" + x[1]; }).join(","));
    });
    return parts.length ? parts.join(",") : "No Connections";
  }
  function classMatches(k) {
    var p = C[k][0], port = state.port ? +state.port : null, proto = state.proto;
    if (port === null && !proto) { return true; }
    if (p === "All Connections") { return true; }
    return Object.keys(p).some(function (pr) {
      if (proto && pr !== proto) { return false; }
      return port === null || p[pr].some(function (r) { return r[0] <= port && port <= r[1]; });
    });
  }
  function polNames(ids) { return ids.map(function (i) { return P[i][0]; }); }

  // -- state and URL hash ----------------------------------------------------------------
  var state = {expanded: new Set(), sel: "", peer: "", q: "", ns: "", port: "", proto: "", only: ""};
  function readHash() {
    var h = new URLSearchParams(location.hash.slice(1));
    state.expanded = new Set((h.get("e") || "").split(",").filter(Boolean).map(function (x) { return "n:" + x; }));
    if (h.get("e") === "*") { state.expanded = new Set(nsList); }
    ["sel", "peer", "q", "ns", "port", "proto", "only"].forEach(function (k) {
      state[k] = h.get({sel: "s", peer: "p"}[k] || k) || "";
    });
    if (!location.hash && data.focus) { state.expanded = new Set(nsList); }
  }
  function writeHash() {
    var h = new URLSearchParams();
    var e = Array.from(state.expanded).map(function (g) { return g.slice(2); }).sort();
    if (e.length) { h.set("e", e.length === nsList.length && nsList.length > 1 ? "*" : e.join(",")); }
    [["sel", "s"], ["peer", "p"], ["q", "q"], ["ns", "ns"], ["port", "port"], ["proto", "proto"], ["only", "only"]]
      .forEach(function (kv) { if (state[kv[0]]) { h.set(kv[1], state[kv[0]]); } });
    var text = h.toString();
    if (("#" + text) !== location.hash && !(text === "" && location.hash === "")) {
      history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
    }
  }

  // -- units -----------------------------------------------------------------------------
  function unitOf(i) {
    var n = N[i];
    if (n.istio || state.expanded.has(n.group)) { return "w" + i; }
    return n.group;
  }
  function unitLabel(u) {
    if (u.charAt(0) === "w") { return N[+u.slice(1)].id; }
    return u === "x:external" ? "external addresses" : u.slice(2);
  }
  function inNsFilter(i) { return !state.ns || N[i].s === state.ns || (state.ns === "external" && N[i].ext); }

  // -- measuring labels ------------------------------------------------------------------
  var ctx = document.createElement("canvas").getContext("2d");
  ctx.font = "12px sans-serif";
  function textWidth(lines) {
    return Math.max.apply(null, lines.map(function (l) { return ctx.measureText(l).width; }));
  }
  function findingText(fc) {
    if (!fc) { return ""; }
    var parts = [];
    if (fc[0]) { parts.push(fc[0] + " error" + (fc[0] > 1 ? "s" : "")); }
    if (fc[1]) { parts.push(fc[1] + " warning" + (fc[1] > 1 ? "s" : "")); }
    if (fc[2]) { parts.push(fc[2] + " info"); }
    return parts.length ? "\u25cf " + parts.join(", ") : "";
  }
  function nsFindingCounts(g) {
    var fc = [0, 0, 0];
    (nsMembers[g] || []).forEach(function (i) { if (N[i].fc) { for (var k = 0; k < 3; k++) { fc[k] += N[i].fc[k]; } } });
    var extra = data.nsFindings[g.slice(2)];
    if (extra && g !== "x:external") { for (var k = 0; k < 3; k++) { fc[k] += extra[0][k]; } }
    return fc;
  }

  // -- elements --------------------------------------------------------------------------
  var last = {nodes: 0, edges: 0, units: []};
  function build() {
    var nodes = {}, edges = {}, order = [];
    function addUnit(u) {
      if (nodes[u]) { return; }
      var d;
      if (u.charAt(0) === "w") {
        var n = N[+u.slice(1)], lines = [n.n];
        if (n.k && !n.istio) { lines.push(n.k); }
        var ft = findingText(n.fc);
        if (ft) { lines.push(ft); }
        d = {id: u, label: lines.join("\n"), kind: "workload", key: n.id,
             w: Math.ceil(textWidth(lines)) + 16, h: 14 * lines.length + 10,
             err: n.fc ? n.fc[0] : 0, warn: n.fc ? n.fc[1] : 0,
             iso: (n.pi ? 1 : 0) + (n.pe ? 2 : 0)};
        if (state.expanded.has(n.group) && !n.istio) {
          d.parent = n.group;
          addParent(n.group);
        }
        d.cls = n.istio ? "istio" : (n.ext ? "ext" : "");
      } else {
        var members = nsMembers[u] || [], fc = nsFindingCounts(u);
        var l2 = [unitLabel(u), members.length + (u === "x:external" ? " range" : " workload") + (members.length > 1 ? "s" : "")];
        var f2 = findingText(fc);
        if (f2) { l2.push(f2); }
        d = {id: u, label: l2.join("\n"), kind: "namespace", key: u,
             w: Math.ceil(textWidth(l2)) + 20, h: 14 * l2.length + 14, err: fc[0], warn: fc[1],
             cls: u === "x:external" ? "ext" : ""};
      }
      nodes[u] = d;
      order.push(u);
    }
    function addParent(g) {
      if (nodes[g]) { return; }
      var fc = nsFindingCounts(g), f = findingText(fc);
      nodes[g] = {id: g, label: (g === "x:external" ? "external addresses" : "namespace " + g.slice(2)) + (f ? "  " + f : ""),
                  kind: "compound", key: g, err: fc[0], warn: fc[1], cls: g === "x:external" ? "ext" : ""};
      order.push(g);
    }
    function addEdge(a, b, state_, pair, cls) {
      var id = state_ + ":" + a + ">" + b, e = edges[id];
      if (!e) { e = edges[id] = {id: id, source: a, target: b, state: state_, count: 0, classes: new Set(), pairs: []}; }
      e.count += 1;
      if (cls !== undefined) { e.classes.add(cls); }
      if (e.pairs.length < 200) { e.pairs.push(pair); }
    }
    var only = state.only;
    if (!only) {
      // 67,719 connections on the corpus: units as numbers, one Map lookup per connection
      var units = [], unitNo = {}, uOf = new Int32Array(NN), nsOk = new Uint8Array(NN), clsOk = C.map(function (c, k) { return classMatches(k); });
      for (var i = 0; i < NN; i++) {
        var u = unitOf(i);
        if (unitNo[u] === undefined) { unitNo[u] = units.length; units.push(u); }
        uOf[i] = unitNo[u];
        nsOk[i] = inNsFilter(i) ? 1 : 0;
      }
      var agg = new Map(), U = units.length;
      for (var x = 0; x < ES.length; x++) {
        var s = ES[x], d = ED[x];
        if (!(nsOk[s] || nsOk[d]) || !clsOk[EC[x]]) { continue; }
        var ua = uOf[s], ub = uOf[d];
        if (ua === ub) { continue; }
        var key = ua * U + ub, e = agg.get(key);
        if (!e) { e = {count: 0, classes: new Set(), pairs: []}; agg.set(key, e); }
        e.count += 1;
        e.classes.add(EC[x]);
        if (e.pairs.length < 200) { e.pairs.push(x); }
      }
      // a dense view (the corpus' overview: 5,118 edges) draws one line per pair of units,
      // both directions together, which halves what the first frame costs
      var both = agg.size > 1500;
      agg.forEach(function (e, key) {
        var ia = Math.floor(key / U), ib = key % U;
        if (both && ia > ib) { var tmp = ia; ia = ib; ib = tmp; }
        var a = units[ia], b = units[ib], id = "allowed:" + a + (both ? "<>" : ">") + b, old = edges[id];
        if (old) {
          old.count += e.count;
          e.classes.forEach(function (k) { old.classes.add(k); });
          old.pairs = old.pairs.concat(e.pairs).slice(0, 200);
        } else {
          edges[id] = {id: id, source: a, target: b, state: "allowed", count: e.count, classes: e.classes,
                       pairs: e.pairs, both: both};
        }
      });
    }
    if (!only || only === "routes" || only === "denied") {
      data.routes.forEach(function (r, i) {
        if (only === "denied" && r[4]) { return; }
        if (!(inNsFilter(r[0]) || inNsFilter(r[1]))) { return; }
        if (state.port && +state.port !== r[2]) { return; }
        if (state.proto && state.proto !== "TCP") { return; }
        var a = unitOf(r[0]), b = unitOf(r[1]);
        if (a !== b) { addEdge(a, b, r[4] ? "route" : "denied", i); }
      });
    }
    if (!only || only === "changed") {
      data.changes.forEach(function (c, i) {
        if (!(inNsFilter(c[0]) || inNsFilter(c[1]))) { return; }
        var a = unitOf(c[0]), b = unitOf(c[1]);
        if (a !== b) { addEdge(a, b, c[2], i); }
      });
    }
    // units: everything (no filter) or only those the visible edges touch
    var filtered = !!(only || state.ns || state.port || state.proto);
    if (!filtered) {
      N.forEach(function (n, i) { addUnit(unitOf(i)); });
    } else {
      Object.keys(edges).forEach(function (id) { addUnit(edges[id].source); addUnit(edges[id].target); });
      N.forEach(function (n, i) { if (state.ns && N[i].s === state.ns) { addUnit(unitOf(i)); } });
      if (byId[state.sel] !== undefined) { addUnit(unitOf(byId[state.sel])); }    // keep the selection in view
    }
    var els = [];
    order.forEach(function (u) { var d = nodes[u]; els.push({group: "nodes", data: d, classes: d.cls}); });
    var edgeIds = Object.keys(edges).sort();
    edgeIds.forEach(function (id) {
      var e = edges[id];
      if (!nodes[e.source] || !nodes[e.target]) { return; }
      var width = e.state === "allowed" ? 1 + Math.min(7, Math.log(e.count) * 1.3) : 2.5;
      els.push({group: "edges", classes: e.state,
                data: {id: id, source: e.source, target: e.target, state: e.state, count: e.count, both: !!e.both,
                       width: width, ports: e.state === "allowed" ? foldPorts(Array.from(e.classes)) : "",
                       pairs: e.pairs}});
    });
    return els;
  }

  // -- drawing ---------------------------------------------------------------------------
  var cy = cytoscape({
    container: document.getElementById("cy"),
    minZoom: 0.05, maxZoom: 4, textureOnViewport: true, hideEdgesOnViewport: true,
    style: [
      {selector: "node[w]", style: {"width": "data(w)", "height": "data(h)"}},
      {selector: "node", style: {"shape": "round-rectangle",
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "font-size": 12, "font-family": "sans-serif", "background-color": "#ffffff", "border-width": 1,
        "border-color": "#5f6368", "color": "#202124", "min-zoomed-font-size": 5}},
      {selector: "node[kind = 'namespace']", style: {"background-color": "#f1f3f4", "border-width": 2, "border-color": "#80868b"}},
      {selector: "node[kind = 'compound']", style: {"background-color": "#f8f9fa", "background-opacity": 0.6,
        "text-valign": "top", "text-halign": "center", "font-weight": "bold", "color": "#5f6368",
        "padding": 14, "border-color": "#9aa0a6", "border-style": "dashed"}},
      {selector: "node[iso > 0]", style: {"border-width": 3, "border-color": "#3c4043"}},
      {selector: "node.istio", style: {"background-color": "#c6dafc", "border-color": "#1a73e8"}},
      {selector: "node.ext", style: {"background-color": "#feefc3", "border-color": "#f9ab00"}},
      {selector: "node[err > 0]", style: {"border-color": "#d93025"}},
      {selector: "node.match", style: {"background-color": "#fde293", "border-color": "#e37400", "border-width": 3}},
      {selector: "node:selected", style: {"border-color": "#1a73e8", "border-width": 4}},
      {selector: "edge", style: {"width": "data(width)", "line-color": "#9aa0a6", "target-arrow-color": "#9aa0a6",
        "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "bezier", "opacity": 0.7}},
      {selector: "edge.denied", style: {"line-color": "#d93025", "target-arrow-color": "#d93025", "line-style": "dashed", "opacity": 1}},
      {selector: "edge.route", style: {"line-color": "#188038", "target-arrow-color": "#188038", "opacity": 1}},
      {selector: "edge.break", style: {"line-color": "#a142f4", "target-arrow-color": "#a142f4", "line-style": "dotted", "opacity": 1}},
      {selector: "edge.open", style: {"line-color": "#12b5cb", "target-arrow-color": "#12b5cb", "line-style": "dotted", "opacity": 1}},
      {selector: "edge.close", style: {"line-color": "#80868b", "target-arrow-color": "#80868b", "line-style": "dotted"}},
      {selector: ".dim", style: {"opacity": 0.12}},
      {selector: "edge:selected", style: {"line-color": "#1a73e8", "target-arrow-color": "#1a73e8", "opacity": 1,
        "label": "data(ports)", "font-size": 10, "text-background-color": "#fff", "text-background-opacity": 0.9}}
    ]
  });

  function seeded(seed) {        // mulberry32
    return function () {
      seed |= 0; seed = seed + 0x6D2B79F5 | 0;
      var t = Math.imul(seed ^ seed >>> 15, 1 | seed);
      t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t;
      return ((t ^ t >>> 14) >>> 0) / 4294967296;
    };
  }
  var LAYOUTS = {
    fcose: {name: "fcose", quality: "default", randomize: true, animate: false, nodeDimensionsIncludeLabels: true,
            packComponents: true, nodeSeparation: 90, idealEdgeLength: 110, nodeRepulsion: 9000,
            edgeElasticity: 0.3, gravity: 0.2, numIter: 2500, tile: true, uniformNodeDimensions: false},
    dagre: {name: "dagre", rankDir: "LR", nodeSep: 20, rankSep: 80, animate: false, nodeDimensionsIncludeLabels: true},
    elk: {name: "elk", animate: false, nodeDimensionsIncludeLabels: true,
          elk: {"algorithm": "layered", "elk.direction": "RIGHT", "spacing.nodeNode": 20,
                "elk.hierarchyHandling": "INCLUDE_CHILDREN"}}
  };
  var stats = {layoutMs: 0, buildMs: 0};

  function overlaps() {           // pairs of node boxes (labels included) that overlap
    var boxes = [];
    cy.nodes().forEach(function (n) {
      boxes.push({id: n.id(), parent: n.isParent(), anc: n.ancestors().map(function (a) { return a.id(); }),
                  b: n.renderedBoundingBox({includeLabels: true, includeOverlays: false})});
    });
    var out = [];
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var p = boxes[i], q = boxes[j];
        if (p.anc.indexOf(q.id) >= 0 || q.anc.indexOf(p.id) >= 0) { continue; }
        var a = p.b, b = q.b;
        if (a.x1 < b.x2 - 0.5 && b.x1 < a.x2 - 0.5 && a.y1 < b.y2 - 0.5 && b.y1 < a.y2 - 0.5) { out.push([p.id, q.id]); }
      }
    }
    return out;
  }

  function separateSet(nodes) {
    // Push the overlapping boxes (labels included) of ``nodes`` apart along the axis of least
    // overlap, on plain boxes, then move each node once (moving a node with thousands of
    // edges is not free; a compound node moves with its descendants).
    var bb = [], round;
    nodes.forEach(function (n) {
      var b = n.boundingBox({includeLabels: true});
      bb.push({n: n, x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2, dx: 0, dy: 0});
    });
    for (round = 0; round < 500; round++) {
      var moved = false;
      for (var i = 0; i < bb.length; i++) {
        for (var j = i + 1; j < bb.length; j++) {
          var a = bb[i], b = bb[j];
          var ox = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + 8, oy = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + 8;
          if (ox <= 0 || oy <= 0) { continue; }
          var cx = (b.x1 + b.x2 - a.x1 - a.x2) / 2, cyy = (b.y1 + b.y2 - a.y1 - a.y2) / 2;
          var sx = 0, sy = 0;
          if (ox < oy) { sx = (cx >= 0 ? 1 : -1) * (ox / 2 + 0.5); } else { sy = (cyy >= 0 ? 1 : -1) * (oy / 2 + 0.5); }
          a.x1 -= sx; a.x2 -= sx; a.y1 -= sy; a.y2 -= sy; a.dx -= sx; a.dy -= sy;
          b.x1 += sx; b.x2 += sx; b.y1 += sy; b.y2 += sy; b.dx += sx; b.dy += sy;
          moved = true;
        }
      }
      if (!moved) { break; }
    }
    bb.forEach(function (a) {
      if (a.dx || a.dy) { (a.n.isParent() ? a.n.descendants() : a.n).shift({x: a.dx, y: a.dy}); }
    });
    return round;
  }
  function separate() {
    // fcose keeps nodes apart but not always their labels in dense areas: siblings inside
    // each namespace first (deepest first), then the top-level units.
    var rounds = 0;
    cy.startBatch();
    cy.nodes().filter(function (n) { return n.isParent(); }).forEach(function (p) {
      rounds = Math.max(rounds, separateSet(p.children()));
    });
    cy.endBatch();
    cy.startBatch();
    rounds = Math.max(rounds, separateSet(cy.nodes().orphans()));
    cy.endBatch();
    return rounds;
  }

  function layoutElements() {
    // A dense graph (the corpus: 73 namespaces, 5,000 edges) lays out no better with every
    // edge, only slower: lay out the nodes with each one's two strongest edges (and the
    // overlays), then draw them all.
    if (cy.edges().length <= 400) { return cy.elements(); }
    var keep = cy.collection();
    cy.nodes().forEach(function (n) {
      var es = n.connectedEdges("[state = 'allowed']").sort(function (a, b) {
        return b.data("count") - a.data("count") || (a.id() < b.id() ? -1 : 1);
      });
      keep = keep.union(es.slice(0, 2));
    });
    keep = keep.union(cy.edges("[state != 'allowed']").slice(0, 400));
    return cy.nodes().union(keep);
  }

  var renders = 0;
  function render() {
    var t = performance.now(), generation = ++renders;
    summary.setAttribute("data-rendered", "false");
    var els = build();
    cy.startBatch();
    cy.elements().remove();
    cy.add(els);
    cy.endBatch();
    var nEdges = cy.edges().length;
    // thousands of edges (the corpus: 5,118 between 73 namespaces): haystack lines, the cheapest
    // to compute and paint, for the allowed ones (direction is in the side panel); overlays
    // keep their arrows
    var dense = nEdges > 1500;
    cy.style().selector("edge").style("curve-style", dense ? "straight" : "bezier")
      .selector("edge.allowed").style({"curve-style": dense ? "haystack" : "bezier", "haystack-radius": 0})
      .update();
    stats.buildMs = performance.now() - t;
    t = performance.now();
    var random = Math.random, layout = layoutElements().layout(LAYOUTS[data.layout] || LAYOUTS.fcose);
    function finish() {
      Math.random = random;
      if (generation !== renders) { return; }
      stats.engineMs = performance.now() - t;
      stats.scriptMs = t - T0;
      if (data.measure) { stats.rawOverlaps = overlaps().length; }
      stats.rounds = separate();
      stats.layoutMs = performance.now() - t;
      var t2 = performance.now();
      cy.fit(cy.nodes(), 30);             // the nodes' box: edges lie between them (and cost)
      if (cy.zoom() > 1.25) { cy.zoom(1.25); cy.center(); }
      highlightSearch();
      var sel = selectedElement();
      if (sel) { sel.select(); showPanel(sel); } else { showDefaultPanel(); }
      summary.textContent = cy.nodes().length + " nodes, " + nEdges + " edges (" + data.connections +
        " allowed connections, " + data.routes.length + " traced routes, " + data.changes.length + " changes)";
      summary.setAttribute("data-nodes", String(cy.nodes().length));
      summary.setAttribute("data-edges", String(nEdges));
      summary.setAttribute("data-layout-ms", String(Math.round(stats.layoutMs)));
      summary.setAttribute("data-rendered", "true");
      stats.finishMs = performance.now() - t2;
      stats.startMs = T0;
      if (!summary.dataset.readyMs) {
        summary.setAttribute("data-ready-ms", String(Math.round(performance.now() - T0)));
        requestAnimationFrame(function () { requestAnimationFrame(function () {
          summary.setAttribute("data-painted-ms", String(Math.round(performance.now())));
        }); });
      }
    }
    layout.one("layoutstop", finish);      // synchronous for fcose; ELK finishes later
    Math.random = seeded(18);              // the layout's random numbers, the same on every load
    try {
      layout.run();
    } catch (err) {
      Math.random = random;
      throw err;
    }
  }

  // -- selection and the side panel --------------------------------------------------------
  function unitIdFromKey(key) {
    if (!key) { return ""; }
    if (byId[key] !== undefined) { return unitOf(byId[key]); }
    if (key.indexOf("n:") === 0 || key === "x:external") { return key; }
    return "";
  }
  function selectedElement() {
    var u = unitIdFromKey(state.sel);
    var el = u ? cy.getElementById(u) : null;
    return el && el.length ? el : null;
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]; });
  }
  function polList(ids) {
    return ids.map(function (i) { return "<li>" + esc(P[i][0]) + (P[i][1] ? " <span class=\"mono\">" + esc(P[i][1]) + "</span>" : "") + "</li>"; }).join("");
  }
  function findingList(ids) {
    return ids.map(function (k) {
      var f = data.findings[k];
      return "<li class=\"finding sev-" + f[0] + "\"><b>" + esc(f[1]) + "</b> <span class=\"mono loc\">" + esc(f[3]) +
        "</span> " + esc(f[4]) + ": " + esc(f[2]) + "</li>";
    }).join("");
  }
  function connList(list, dir) {
    var shown = list.slice(0, 150);
    return "<ul class=\"conns " + dir + "\">" + shown.map(function (x) {
      return "<li data-peer=\"" + esc(N[x[0]].id) + "\">" + (dir === "in" ? "\u2190 " : "\u2192 ") + esc(N[x[0]].id) + " : " +
        esc(foldPorts([x[1]])) + "</li>";
    }).join("") + (list.length > shown.length ? "<li>\u2026 and " + (list.length - shown.length) + " more</li>" : "") + "</ul>";
  }
  function showDefaultPanel() {
    panel.innerHTML = "<p class=\"hint\">Click a namespace to expand it into its workloads, a workload or a connection to see why.</p>";
  }
  function showPanel(el) {
    if (el.isEdge()) { return showEdge(el); }
    var d = el.data();
    if (d.kind === "workload") { return showWorkload(+d.id.slice(1)); }
    return showNamespace(d.id);
  }
  function showWorkload(i) {
    var n = N[i], h = [];
    h.push("<h3 id=\"sel-title\">" + esc(n.id) + "</h3><div>" + esc(n.k || "external address range") +
      (n.istio ? " \u00b7 Istio component" : "") + (n.f.indexOf("y") >= 0 ? " \u00b7 added by the engine" : "") +
      (n.f.indexOf("h") >= 0 ? " \u00b7 hostNetwork" : "") + (n.f.indexOf("s") >= 0 ? " \u00b7 sidecar" : "") + "</div>");
    h.push("<h4>Isolation</h4><ul id=\"isolation\">" +
      "<li data-dir=\"ingress\">ingress: " + (n.pi ? "isolated by " + esc(polNames(n.pi).join(", ")) : "not isolated (all ingress allowed)") + "</li>" +
      "<li data-dir=\"egress\">egress: " + (n.pe ? "isolated by " + esc(polNames(n.pe).join(", ")) : "not isolated (all egress allowed)") + "</li></ul>");
    var sel = Array.from(new Set((n.pi || []).concat(n.pe || []))).sort(function (a, b) { return a - b; });
    h.push("<h4>Policies that select it</h4><ul id=\"policies\">" + (sel.length ? polList(sel) : "<li>none</li>") + "</ul>");
    var labels = n.l || {};
    h.push("<h4>Labels</h4><ul id=\"labels\">" + (Object.keys(labels).length ? Object.keys(labels).map(function (k) {
      return "<li class=\"mono\">" + esc(k) + "=" + esc(labels[k]) + "</li>"; }).join("") : "<li>none</li>") + "</ul>");
    if (n.fc) {
      h.push("<h4>Findings (" + esc(findingText(n.fc).slice(2)) + ")</h4><ul id=\"findings\">" + findingList(n.fl || []) + "</ul>");
    }
    var ins = [], outs = [];
    for (var x = 0; x < ES.length; x++) {
      if (ED[x] === i) { ins.push([ES[x], EC[x]]); }
      if (ES[x] === i) { outs.push([ED[x], EC[x]]); }
    }
    h.push("<h4>Incoming (" + ins.length + ")</h4>" + connList(ins, "in"));
    h.push("<h4>Outgoing (" + outs.length + ")</h4>" + connList(outs, "out"));
    var routes = data.routes.filter(function (r) { return r[1] === i; });
    if (routes.length) {
      h.push("<h4>Routes to it</h4><ul id=\"routes\">" + routes.map(function (r) {
        return "<li class=\"" + (r[4] ? "route" : "denied") + "\">" + esc(r[3]) + " \u2192 port " + r[2] + ": <b>" +
          (r[4] ? "allowed" : "needed but DENIED") + "</b></li>"; }).join("") + "</ul>");
    }
    var changes = data.changes.filter(function (c) { return c[0] === i || c[1] === i; });
    if (changes.length) {
      h.push("<h4>When module policies are turned on</h4><ul id=\"changes\">" + changes.slice(0, 100).map(function (c) {
        return "<li class=\"" + c[2] + "\">would " + c[2] + ": " + esc(N[c[0]].id) + " \u2192 " + esc(N[c[1]].id) + " : " +
          esc(c[3]) + " \u21d2 " + esc(c[4]) + "</li>"; }).join("") + "</ul>");
    }
    h.push("<h4>Why (not)? reach</h4><input id=\"peer\" list=\"peers\" size=\"34\" placeholder=\"peer workload ns/name\" value=\"" +
      esc(state.peer) + "\"><datalist id=\"peers\">" + N.map(function (m) { return "<option value=\"" + esc(m.id) + "\">"; }).join("") +
      "</datalist><pre id=\"reach\"></pre>");
    panel.innerHTML = h.join("");
    var peer = document.getElementById("peer");
    peer.addEventListener("change", function () { state.peer = peer.value.trim(); writeHash(); showReach(i); });
    panel.querySelectorAll("li[data-peer]").forEach(function (li) {
      li.addEventListener("click", function () { state.peer = li.getAttribute("data-peer"); peer.value = state.peer; writeHash(); showReach(i); });
    });
    showReach(i);
  }
  function sideText(self, other, dir) {     // dir: "egress" (self -> other) or "ingress" (other -> self)
    var n = N[self], iso = dir === "egress" ? n.pe : n.pi, admit = dir === "egress" ? n.reSet : n.riSet;
    if (n.ext) { return {ok: true, text: "outside the cluster: no policy applies"}; }
    if (!iso) { return {ok: true, text: "not isolated: all " + dir + " allowed"}; }
    var names = polNames(iso).join(", ");
    if (admit && admit.has(other)) { return {ok: true, text: "isolated by " + names + "; their rules admit " + N[other].id + " (on some ports)"}; }
    return {ok: false, text: "isolated by " + names + "; no rule admits " + N[other].id};
  }
  function explain(a, b) {
    var k = pairClass(a, b), lines = [];
    var eg = sideText(a, b, "egress"), ing = sideText(b, a, "ingress");
    if (k !== undefined) {
      lines.push(N[a].id + " -> " + N[b].id + ": ALLOWED on " + foldPorts([k]));
      var ce = C[k][1], ci = C[k][2];
      lines.push("  egress of " + N[a].id + ": " + (ce.length ? "admitted by " + polNames(ce).join(", ") : eg.text));
      lines.push("  ingress of " + N[b].id + ": " + (ci.length ? "admitted by " + polNames(ci).join(", ") : ing.text));
    } else {
      lines.push(N[a].id + " -> " + N[b].id + ": DENIED on every port");
      lines.push("  egress of " + N[a].id + ": " + (eg.ok ? "allowed - " : "denied - ") + eg.text);
      lines.push("  ingress of " + N[b].id + ": " + (ing.ok ? "allowed - " : "denied - ") + ing.text);
      if (eg.ok && ing.ok) { lines.push("  both sides admit the peer, but on no common port"); }
    }
    data.routes.forEach(function (r) {
      if (r[0] === a && r[1] === b) { lines.push("", r[3] + " (traced route, port " + r[2] + "):", r[5]); }
    });
    lines.push("", "exact answer per port: netpol-lint reach --from " + N[a].id + " --to " + N[b].id + " --port PORT");
    return lines.join("\n");
  }
  function showReach(i) {
    var out = document.getElementById("reach");
    if (!out) { return; }
    var j = byId[state.peer];
    if (!state.peer) { out.textContent = "Pick a peer (or click a connection above) to see why traffic is allowed or denied."; return; }
    if (j === undefined) { out.textContent = "no endpoint '" + state.peer + "'"; return; }
    out.textContent = explain(i, j) + "\n\n" + explain(j, i);
  }
  function showNamespace(g) {
    var members = nsMembers[g] || [], h = [], fc = nsFindingCounts(g);
    var expanded = state.expanded.has(g);
    h.push("<h3 id=\"sel-title\">" + esc(g === "x:external" ? "external addresses" : "namespace " + g.slice(2)) + "</h3>");
    h.push("<button id=\"toggle-ns\" type=\"button\">" + (expanded ? "collapse" : "expand") + "</button>");
    var internal = 0, ins = {}, outs = {};
    var set = new Set(members);
    for (var x = 0; x < ES.length; x++) {
      var si = set.has(ES[x]), di = set.has(ED[x]);
      if (si && di) { internal++; } else if (si) { var u = N[ED[x]].istio ? N[ED[x]].id : unitLabel(N[ED[x]].group); outs[u] = (outs[u] || 0) + 1; }
      else if (di) { var v = N[ES[x]].istio ? N[ES[x]].id : unitLabel(N[ES[x]].group); ins[v] = (ins[v] || 0) + 1; }
    }
    h.push("<div>" + members.length + " workloads, " + internal + " connections inside</div>");
    var isolated = members.filter(function (i) { return N[i].pi || N[i].pe; }).length;
    h.push("<div id=\"ns-isolation\">" + isolated + " of " + members.length + " workloads isolated by a policy</div>");
    function counts(o, arrow) {
      var keys = Object.keys(o).sort();
      return "<ul>" + keys.slice(0, 100).map(function (k) { return "<li>" + arrow + " " + esc(k) + " (" + o[k] + ")</li>"; }).join("") + "</ul>";
    }
    h.push("<h4>Incoming from</h4>" + counts(ins, "\u2190") + "<h4>Outgoing to</h4>" + counts(outs, "\u2192"));
    if (fc[0] + fc[1] + fc[2]) {
      var ids = [];
      members.forEach(function (i) { if (N[i].fl) { ids = ids.concat(N[i].fl); } });
      var extra = data.nsFindings[g.slice(2)];
      if (extra && g !== "x:external") { ids = ids.concat(extra[1]); }
      h.push("<h4>Findings (" + esc(findingText(fc).slice(2)) + ")</h4><ul id=\"findings\">" + findingList(ids.slice(0, 200)) + "</ul>");
    }
    h.push("<h4>Workloads</h4><ul>" + members.slice(0, 300).map(function (i) {
      return "<li>" + esc(N[i].n) + (N[i].fc ? " " + esc(findingText(N[i].fc)) : "") + "</li>"; }).join("") + "</ul>");
    panel.innerHTML = h.join("");
    document.getElementById("toggle-ns").addEventListener("click", function () { toggle(g); });
  }
  function showEdge(el) {
    var d = el.data(), h = [];
    h.push("<h3 id=\"sel-title\">" + esc(unitLabel(d.source)) + (d.both ? " \u2194 " : " \u2192 ") + esc(unitLabel(d.target)) + "</h3>");
    h.push("<div>state: <b id=\"edge-state\">" + esc({allowed: "allowed", denied: "needed but denied", route: "route (allowed)",
      "break": "would break with module policies", open: "would open with module policies",
      close: "would close with module policies"}[d.state]) + "</b>, " + d.count + " connection" + (d.count > 1 ? "s" : "") + "</div>");
    if (d.state === "allowed") {
      h.push("<div>ports: <span id=\"edge-ports\">" + esc(d.ports) + "</span></div><ul>" + d.pairs.map(function (x) {
        var c = C[EC[x]];
        return "<li>" + esc(N[ES[x]].id) + " \u2192 " + esc(N[ED[x]].id) + " : " + esc(foldPorts([EC[x]])) +
          "<br><span class=\"mono\">egress: " + esc(c[1].length ? polNames(c[1]).join(", ") : "not isolated") +
          "; ingress: " + esc(c[2].length ? polNames(c[2]).join(", ") : "not isolated") + "</span></li>";
      }).join("") + (d.count > d.pairs.length ? "<li>\u2026</li>" : "") + "</ul>");
    } else if (d.state === "route" || d.state === "denied") {
      h.push(d.pairs.map(function (i) { var r = data.routes[i];
        return "<h4>" + esc(r[3]) + " \u2192 " + esc(N[r[1]].id) + " port " + r[2] + "</h4><pre>" + esc(r[5]) + "</pre>"; }).join(""));
    } else {
      h.push("<ul>" + d.pairs.map(function (i) { var c = data.changes[i];
        return "<li>" + esc(N[c[0]].id) + " \u2192 " + esc(N[c[1]].id) + " : " + esc(c[3]) + " \u21d2 " + esc(c[4]) +
          "<br><span class=\"mono\">" + esc(c[5]) + "</span></li>"; }).join("") + "</ul>");
    }
    panel.innerHTML = h.join("");
  }

  // -- search ----------------------------------------------------------------------------
  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q) { return []; }
    var eq = q.indexOf("="), key = eq >= 0 ? q.slice(0, eq) : q, val = eq >= 0 ? q.slice(eq + 1) : null;
    var out = [];
    N.forEach(function (n, i) {
      var hit = n.id.toLowerCase().indexOf(q) >= 0 || (n.s && n.s.toLowerCase() === q);
      if (!hit && n.l) {
        hit = Object.keys(n.l).some(function (k) {
          var lk = k.toLowerCase(), lv = String(n.l[k]).toLowerCase();
          return val === null ? lk === key || lv === key : lk === key && lv.indexOf(val) >= 0;
        });
      }
      if (hit) { out.push(i); }
    });
    return out;
  }
  var matchCount = 0;
  function highlightSearch() {
    cy.nodes().removeClass("match");
    var m = matches(state.q);
    matchCount = m.length;
    m.forEach(function (i) { cy.getElementById(unitOf(i)).addClass("match"); });
    summary.setAttribute("data-matches", String(m.length));
  }
  function search(q) {
    state.q = q;
    var m = matches(q);
    var groups = [];
    m.forEach(function (i) { if (!N[i].istio && groups.indexOf(N[i].group) < 0) { groups.push(N[i].group); } });
    if (groups.length <= 8) { groups.forEach(function (g) { state.expanded.add(g); }); }
    if (m.length) { state.sel = N[m[0]].id; }
    apply();
  }

  // -- actions ---------------------------------------------------------------------------
  function toggle(g) {
    if (state.expanded.has(g)) { state.expanded.delete(g); } else { state.expanded.add(g); }
    state.sel = g;
    apply();
  }
  function apply() {
    writeHash();
    syncControls();
    render();
  }
  function syncControls() {
    document.getElementById("search").value = state.q;
    document.getElementById("f-ns").value = state.ns;
    document.getElementById("f-port").value = state.port;
    document.getElementById("f-proto").value = state.proto;
    ["routes", "denied", "changed"].forEach(function (o) { document.getElementById("f-" + o).checked = state.only === o; });
  }
  cy.on("tap", "node", function (ev) {
    var n = ev.target, d = n.data();
    if (d.kind === "namespace") { toggle(d.id); return; }
    state.sel = d.kind === "workload" ? d.key : d.id;
    writeHash();
    showPanel(n);
  });
  cy.on("tap", "edge", function (ev) { showEdge(ev.target); });
  cy.on("tap", function (ev) { if (ev.target === cy) { state.sel = ""; writeHash(); showDefaultPanel(); } });
  var nsSelect = document.getElementById("f-ns");
  nsList.forEach(function (g) {
    var o = document.createElement("option");
    o.value = g === "x:external" ? "external" : g.slice(2);
    o.textContent = g === "x:external" ? "external addresses" : g.slice(2);
    nsSelect.appendChild(o);
  });
  document.getElementById("search").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { search(ev.target.value); }
  });
  nsSelect.addEventListener("change", function () { state.ns = nsSelect.value; apply(); });
  document.getElementById("f-port").addEventListener("change", function (ev) { state.port = ev.target.value.replace(/[^0-9]/g, ""); apply(); });
  document.getElementById("f-proto").addEventListener("change", function (ev) { state.proto = ev.target.value; apply(); });
  ["routes", "denied", "changed"].forEach(function (o) {
    document.getElementById("f-" + o).addEventListener("change", function (ev) { state.only = ev.target.checked ? o : ""; apply(); });
  });
  document.getElementById("expand-all").addEventListener("click", function () { state.expanded = new Set(nsList); apply(); });
  document.getElementById("collapse-all").addEventListener("click", function () { state.expanded = new Set(); apply(); });
  window.addEventListener("hashchange", function () { readHash(); syncControls(); render(); });

  // -- export ----------------------------------------------------------------------------
  function png() { return cy.png({full: true, scale: 2, bg: "#ffffff", output: "base64uri"}); }
  function svg() {
    var bb = cy.elements().boundingBox({includeLabels: true}), pad = 20;
    var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Math.ceil(bb.w + 2 * pad) + "\" height=\"" +
      Math.ceil(bb.h + 2 * pad) + "\" viewBox=\"" + (bb.x1 - pad) + " " + (bb.y1 - pad) + " " + (bb.w + 2 * pad) + " " +
      (bb.h + 2 * pad) + "\" font-family=\"sans-serif\" font-size=\"12\">",
      "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" " +
      "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"context-stroke\"/></marker></defs>"];
    var parents = cy.nodes().filter(function (n) { return n.isParent(); }).sort(function (a, b) { return a.ancestors().length - b.ancestors().length; });
    function box(n, cls) {
      var b = n.boundingBox({includeLabels: false}), s = n.style();
      out.push("<g class=\"" + cls + "\" data-id=\"" + esc(n.id()) + "\"><rect x=\"" + b.x1.toFixed(1) + "\" y=\"" + b.y1.toFixed(1) +
        "\" width=\"" + b.w.toFixed(1) + "\" height=\"" + b.h.toFixed(1) + "\" rx=\"6\" fill=\"" + s["background-color"] +
        "\" stroke=\"" + s["border-color"] + "\" stroke-width=\"" + parseFloat(s["border-width"]) + "\"/>");
      var lines = String(n.data("label")).split("\n"), y = cls === "compound" ? b.y1 - 4 - 14 * (lines.length - 1) : n.position("y") - 7 * (lines.length - 1) + 4;
      lines.forEach(function (l, k) {
        out.push("<text x=\"" + n.position("x").toFixed(1) + "\" y=\"" + (y + 14 * k).toFixed(1) + "\" text-anchor=\"middle\">" + esc(l) + "</text>");
      });
      out.push("</g>");
    }
    parents.forEach(function (n) { box(n, "compound"); });
    cy.edges().forEach(function (e) {
      var s = e.sourceEndpoint(), t = e.targetEndpoint(), st = e.style();
      out.push("<line class=\"edge " + e.data("state") + "\" x1=\"" + s.x.toFixed(1) + "\" y1=\"" + s.y.toFixed(1) + "\" x2=\"" +
        t.x.toFixed(1) + "\" y2=\"" + t.y.toFixed(1) + "\" stroke=\"" + st["line-color"] + "\" stroke-width=\"" +
        parseFloat(st.width) + "\"" + (st["line-style"] !== "solid" ? " stroke-dasharray=\"" + (st["line-style"] === "dotted" ? "2 3" : "6 4") + "\"" : "") +
        " marker-end=\"url(#a)\"><title>" + esc(unitLabel(e.data("source")) + " -> " + unitLabel(e.data("target")) + " " + e.data("ports")) + "</title></line>");
    });
    cy.nodes().filter(function (n) { return !n.isParent(); }).forEach(function (n) { box(n, "node"); });
    out.push("</svg>");
    return out.join("\n");
  }
  function download(name, url) {
    var a = document.getElementById("download");
    a.href = url; a.download = name; a.click();
  }
  document.getElementById("export-png").addEventListener("click", function () { download("connectivity.png", png()); });
  document.getElementById("export-svg").addEventListener("click", function () {
    download("connectivity.svg", URL.createObjectURL(new Blob([svg()], {type: "image/svg+xml"})));
  });

  // -- start -----------------------------------------------------------------------------
  document.getElementById("note").textContent = data.note;
  readHash();
  syncControls();
  render();
  window.explorer = {cy: cy, state: state, data: data, apply: apply, search: search, toggle: toggle, overlaps: overlaps,
                     svg: svg, png: png, explain: function (a, b) { return explain(byId[a], byId[b]); },
                     stats: stats, matchCount: function () { return matchCount; }};
})();
