"""Code actions, hover and navigation over a ``Workspace`` -- plain data, no LSP types.

Positions in and out are 0-based (line, character) with characters counted in code points
(the server converts to the client's encoding); ``Location``s are the linter's (1-based).

* Code actions: a finding's fix (the verified edit of ``--fix``, engine/fix.py), "suppress
  for this resource" (the ``netpol-lint.io/ignore`` annotation, written by the same verified
  editor), "suppress on this line" (a ``# netpol-lint: disable=RULE`` comment, checked to
  change no data), and NPL201's allow policy as a new file.
* Hover on a workload (its pod template), Service, APIRule, VirtualService or NetworkPolicy:
  the routes reaching it, the policies isolating it, and whether istio-ingressgateway
  reaches it on each routed port with the ``reach`` explanation; for a policy, its pods.
* Definitions: route host -> Service, Service -> pod templates, policy selector (the
  ``podSelector`` or one ``from``/``to`` peer) -> the workloads it matches.  References:
  a Service's routes, a workload's Services, routes and isolating policies.
"""
from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field

import yaml

from ..engine.findings import Finding, LabelFix, describe_resource
from ..engine.fix import FixError, plan_text, same
from ..engine.suppress import IGNORE_ANNOTATION
from ..load.documents import Location
from ..load.loader import SourceFile, load_yaml_data
from ..model.resources import APIRule, NetworkPolicy, Resource, Service, VirtualService, Workload
from .state import Workspace
from ..wording import count, plural

Edit = tuple[int, int, int, int, str]      # start line, start char, end line, end char, new text


@dataclass
class Action:
    title: str
    finding: Finding
    edits: dict[str, list[Edit]] = field(default_factory=dict)      # display path -> edits
    create: list[tuple[str, str]] = field(default_factory=list)     # new files: (path, text)
    preferred: bool = False
    kind: str = "quickfix"


# -- positions ------------------------------------------------------------------------------

class LineIndex:
    """Offsets <-> (line, character) over one text."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def offset(self, line: int, char: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + char, len(self.text))


def _edits(text: str, offsets: list[tuple[int, int, str]]) -> list[Edit]:
    idx = LineIndex(text)
    return [(*idx.position(a), *idx.position(b), new) for a, b, new in offsets]


def _contains(loc: Location, line: int, char: int) -> bool:
    """``loc`` (1-based) holds the 0-based position."""
    pos = (line + 1, char + 1)
    return (loc.line, loc.column) <= pos and (pos < (loc.end_line, loc.end_column) or
                                              (loc.end_line == pos[0] and loc.end_column == loc.column))


def _overlaps(loc: Location, start: tuple[int, int], end: tuple[int, int]) -> bool:
    a = (loc.line - 1, loc.column - 1)
    b = (loc.end_line - 1, loc.end_column - 1)
    return a <= end and start <= b


# -- resources at a position ------------------------------------------------------------------

def resources_in(ws: Workspace, path: str) -> list[Resource]:
    cache = getattr(ws, "_by_file", None)
    if cache is None or cache[0] != ws.generation:
        index: dict[str, list[Resource]] = {}
        for r in ws.session.model.resources:
            index.setdefault(r.file, []).append(r)
        cache = ws._by_file = (ws.generation, index)
    return cache[1].get(path, [])


def resource_at(ws: Workspace, path: str, line: int, char: int) -> tuple[Resource | None, tuple]:
    """The innermost resource at the position, and the path inside it to the node there."""
    best, best_loc = None, None
    for r in resources_in(ws, path):
        loc = r.locate()
        if _contains(loc, line, char) or (loc.line - 1 <= line <= loc.end_line - 1 and
                                          best is None and loc.line - 1 == line):
            if best_loc is None or (loc.line, loc.column) >= (best_loc.line, best_loc.column):
                best, best_loc = r, loc
    if best is None:
        return None, ()
    return best, _node_path(best, line, char)


def _node_path(r: Resource, line: int, char: int) -> tuple:
    root = r.doc.root()
    node = root
    for step in r.base:
        node = _child(node, step)
        if node is None:
            return ()
    out: list = []
    pos = (line, char)
    while node is not None:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                end = v.end_mark if v.end_mark.index >= k.end_mark.index else k.end_mark
                if (k.start_mark.line, k.start_mark.column) <= pos < (end.line, end.column) or \
                        (k.start_mark.line == line and (k.start_mark.line, k.start_mark.column) <= pos):
                    if isinstance(k, yaml.ScalarNode):
                        nxt = (k.value, v)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                if (v.start_mark.line, v.start_mark.column - 2) <= pos < (v.end_mark.line, v.end_mark.column):
                    nxt = (i, v)
        if nxt is None:
            break
        out.append(nxt[0])
        node = nxt[1]
    return tuple(out)


def _child(node, step):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                return v
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]
    return None


def _resource_of(ws: Workspace, f: Finding) -> Resource | None:
    if not f.resource:
        return None
    hits = [r for r in resources_in(ws, f.location.file) if r.identity() == f.resource]
    for r in hits:
        loc = r.locate()
        if loc.line <= f.location.line <= loc.end_line:
            return r
    return hits[0] if hits else None


# -- code actions ---------------------------------------------------------------------------

def findings_at(ws: Workspace, path: str, start: tuple[int, int], end: tuple[int, int]) -> list[Finding]:
    return [f for f in ws.findings.get(path, []) if _overlaps(f.location, start, end)]


def code_actions(ws: Workspace, path: str, start: tuple[int, int], end: tuple[int, int]) -> list[Action]:
    src = ws.files.get(path)
    text = src.text if src is not None else None
    if src is None or text is None:
        return []
    out: list[Action] = []
    before: list = []                     # the text's data, parsed once per request (comment checks)
    for f in findings_at(ws, path, start, end):
        out.extend(_actions_for(ws, f, src, text, before))
    return out


def _actions_for(ws: Workspace, f: Finding, src: SourceFile, text: str, before: list) -> list[Action]:
    out = []
    if isinstance(f.fix, LabelFix) and f.fix.file == src.path and not src.problems:
        try:
            plan = plan_text(src, text, [(f, f.fix)])
        except FixError:
            plan = None
        if plan is not None and plan.edits:
            out.append(Action(f"Fix {f.rule}: {f.fix.describe()}", f, {src.path: _edits(text, plan.edits)},
                              preferred=True))
    if f.rule == "NPL201":
        created = _allow_policy_file(ws, f)
        if created is not None:
            out.append(Action(f"Create policy file {created[0]} (admits istio-ingressgateway)", f, create=[created]))
    r = _resource_of(ws, f)
    if r is not None and not src.problems:
        action = _suppress_resource(f, r, src, text)
        if action is not None:
            out.append(action)
    action = _suppress_line(f, src, text, before)
    if action is not None:
        out.append(action)
    return out


def _suppress_resource(f: Finding, r: Resource, src: SourceFile, text: str) -> Action | None:
    existing = r.annotations.get(IGNORE_ANNOTATION, "")
    refs = [x.strip() for x in existing.split(",") if x.strip()]
    if f.rule in refs or any(x.lower() == "all" for x in refs):
        return None
    value = ",".join(refs + [f.rule])
    fix = LabelFix(src.path, r.doc.index, r.base + ("metadata", "annotations"), set=((IGNORE_ANNOTATION, value),))
    try:
        plan = plan_text(src, text, [(f, fix)])
    except FixError:
        return None
    if not plan.edits:
        return None
    return Action(f"Suppress {f.rule} for {describe_resource(r.identity())} (annotation {IGNORE_ANNOTATION})",
                  f, {src.path: _edits(text, plan.edits)})


def _suppress_line(f: Finding, src: SourceFile, text: str, before: list) -> Action | None:
    """A comment on the line above the finding (its indentation), else at the end of its line;
    whichever leaves every document's data and the file's problems as they were."""
    if src.path.lower().endswith(".json"):
        return None                   # JSON has no comments
    idx = LineIndex(text)
    line = f.location.line - 1
    if line >= len(idx.starts):
        return None
    start = idx.starts[line]
    end = idx.starts[line + 1] if line + 1 < len(idx.starts) else len(text)
    content = text[start:end].rstrip("\r\n")
    nl = "\r\n" if text[start:end].endswith("\r\n") else "\n"
    comment = f"# netpol-lint: disable={f.rule}"
    indent = content[:len(content) - len(content.lstrip(" "))]
    candidates = [(start, start, f"{indent}{comment}{nl}"), (start + len(content), start + len(content), f"  {comment}")]
    if not content.strip():
        candidates = candidates[1:]
    if not before:
        before.append(_data_of(src.path, text))
    for a, b, new in candidates:
        if before[0] is not None and _data_of(src.path, text[:a] + new + text[b:]) == before[0]:
            return Action(f"Suppress {f.rule} on this line (comment)", f, {src.path: _edits(text, [(a, b, new)])})
    return None


class _Same:
    """Data of a parse, compared with ``fix.same`` (types matter: ``1`` is not ``True``)."""

    def __init__(self, data: list, problems: list):
        self.data, self.problems = data, problems

    def __eq__(self, other) -> bool:
        return (isinstance(other, _Same) and self.problems == other.problems and len(self.data) == len(other.data)
                and all(same(a, b) for a, b in zip(self.data, other.data)))


def _data_of(path: str, text: str) -> _Same | None:
    from ..load.loader import parse_text
    try:
        src = parse_text(SourceFile(path), text)
    except Exception:
        return None
    return _Same([d.data for d in src.documents], [(p.kind, p.message) for p in src.problems])


def _allow_policy_file(ws: Workspace, f: Finding) -> tuple[str, str] | None:
    """NPL201 carries a ready allow policy as its ``detail``; as a new file next to the
    workload's (named after the policy; -2, -3 ... when taken)."""
    policy = f.detail or ""
    if f.rule != "NPL201" or not policy.strip():
        return None
    try:
        data = load_yaml_data(policy)
        name = str(data["metadata"]["name"])
    except Exception:
        return None
    directory = os.path.dirname(f.location.file)
    base = re.sub(r"[^A-Za-z0-9._-]", "-", name) or "allow-istio-ingressgateway"
    for n in range(1, 100):
        candidate = os.path.join(directory, base + ("" if n == 1 else f"-{n}") + ".yaml").replace(os.sep, "/")
        if candidate not in ws.files and not os.path.exists(ws.absolute(candidate)):
            text = policy if policy.endswith("\n") else policy + "\n"
            return candidate, text
    return None


# -- hover ----------------------------------------------------------------------------------

def hover(ws: Workspace, path: str, line: int, char: int) -> str | None:
    """Markdown for the resource at the position, or None."""
    r, _ = resource_at(ws, path, line, char)
    if r is None:
        return None
    ctx = ws.context
    if isinstance(r, Workload):
        return _hover_workload(ctx, r)
    if isinstance(r, Service):
        return _hover_service(ctx, r)
    if isinstance(r, (APIRule, VirtualService)):
        return _hover_route_source(ctx, r)
    if isinstance(r, NetworkPolicy):
        return _hover_policy(ctx, r)
    return None


def _title(r: Resource) -> str:
    return f"**{r.kind} {r.ns_name}**"


def _endpoint(network, w: Workload):
    from ..analysis.gateway_checks import workload_endpoint
    return workload_endpoint(network, w)


def _services_selecting(model, w: Workload) -> list[Service]:
    out = []
    for s in model.services_by_ns.get(w.namespace, {}).values():
        sel = s.selector
        if sel and all(w.pod_labels.get(k) == v for k, v in sel.items()):
            out.append(s)
    return sorted(out, key=lambda s: s.name)


def _isolation_lines(network, e) -> list[str]:
    lines = []
    for direction in ("Ingress", "Egress"):
        pols = network.isolating(e, direction)
        if pols:
            lines.append(f"- {direction.lower()}: isolated by " + ", ".join(f"NetworkPolicy {p.key}" for p in pols))
        else:
            lines.append(f"- {direction.lower()}: no NetworkPolicy selects it (all {direction.lower()} allowed)")
    return lines


def _gateway_lines(network, e, pairs) -> list[str]:
    """istio-ingressgateway -> the workload on each routed target port, with the explanation."""
    from ..analysis.gateway_checks import ingress_gateway
    gw = ingress_gateway(network)
    if gw is None:
        return ["- istio-ingressgateway: not modelled (the Istio module's world is off)"]
    ports = sorted({b.target_port for route, b in pairs if route.via_ingress and b.target_port is not None})
    if not ports:
        return []
    lines = []
    for port in ports:
        v = network.allowed(gw, e, port, "TCP")
        lines.append(f"- istio-ingressgateway → TCP {port}: **{'allowed' if v.allowed else 'DENIED'}**")
        lines.append("```text\n" + v.explanation + "\n```")
    return lines


def _hover_workload(ctx, w: Workload) -> str:
    network, routes = ctx.network, ctx.routes
    out = [f"{_title(w)} (pod template)", ""]
    pairs = routes.backends_of(w, ingress_only=False)
    if pairs:
        out.append("Routes reaching it:")
        for route, b in pairs:
            port = f" → TCP {b.target_port}" if b.target_port is not None else ""
            out.append(f"- {route.describe()}{port} ({'via istio-ingressgateway' if route.via_ingress else route.serves})")
    else:
        out.append("No route (APIRule, VirtualService) reaches it.")
    services = _services_selecting(ctx.model, w)
    if services:
        out.append("")
        out.append("Selected by " + ", ".join(f"Service {s.ns_name}" for s in services) + ".")
    e = _endpoint(network, w)
    if e is not None:
        out += ["", "NetworkPolicies:"] + _isolation_lines(network, e)
        if e.host_network:
            out.append("- uses the host network: outside NetworkPolicy enforcement")
        gw = _gateway_lines(network, e, pairs)
        if gw:
            out += ["", "istio-ingressgateway:"] + gw
    return "\n".join(out)


def _hover_service(ctx, s: Service) -> str:
    out = [_title(s), ""]
    sel = s.selector
    workloads = ctx.model.workloads_selected(s.namespace, sel) if sel else []
    if not sel:
        out.append("No selector: its endpoints are managed by hand.")
    elif workloads:
        out.append("Selects the pods of " + ", ".join(f"{w.kind} {w.ns_name}" for w in workloads) + ".")
    else:
        out.append("Selects no pod template of the workspace.")
    routes = [r for r in ctx.routes.routes if r.service is s]
    if routes:
        out += ["", "Routes to it:"] + [f"- {r.describe()} ({r.serves})" for r in routes]
    for w in workloads:
        e = _endpoint(ctx.network, w)
        if e is None:
            continue
        pairs = [(r, b) for r, b in ctx.routes.backends_of(w, ingress_only=False) if b.service is s]
        out += ["", f"{w.kind} {w.ns_name}:"] + _isolation_lines(ctx.network, e) + _gateway_lines(ctx.network, e, pairs)
    return "\n".join(out)


def _hover_route_source(ctx, r: Resource) -> str:
    out = [_title(r), ""]
    routes = [x for x in ctx.routes.routes if x.source is r]
    if not routes:
        out.append("No route to a Service traced from it.")
    for route in routes:
        gws = ", ".join(g.describe() for g in route.gateways) or "no gateway"
        out.append(f"- {route.describe()} — {gws}")
        if route.service is None:
            out.append("  - names no Service of the workspace")
        for b in route.backends:
            out.append(f"  - backend {b.workload.kind} {b.workload.ns_name}"
                       + (f" on TCP {b.target_port}" if b.target_port is not None else ""))
    for route in routes:
        for b in route.backends:
            e = _endpoint(ctx.network, b.workload)
            if e is None or not route.via_ingress:
                continue
            out += ["", f"{b.workload.kind} {b.workload.ns_name}:"] + _isolation_lines(ctx.network, e) \
                + _gateway_lines(ctx.network, e, [(route, b)])
    return "\n".join(out)


def _compiled(network, p: NetworkPolicy):
    for cp in network.policies:
        if cp.policy is p:
            return cp
    return None


def _hover_policy(ctx, p: NetworkPolicy) -> str:
    out = [_title(p), "", f"Policy types: {', '.join(p.policy_types) or 'none'}."]
    cp = _compiled(ctx.network, p)
    if cp is None:
        out.append("Not in force: another NetworkPolicy of the same namespace and name overrides it.")
        return "\n".join(out)
    selected = ctx.network.endpoints_in(cp.selected)
    if selected:
        out += ["", f"Selects {count(selected, 'pod template')}:"]
        out += [f"- {e.kind} {e.namespace}/{e.name}" + (" (Istio module)" if e.synthetic else "") for e in selected[:50]]
        if len(selected) > 50:
            out.append(f"- … {len(selected) - 50} more")
    else:
        out += ["", "Selects no pod template of the workspace."]
    for direction in ("Ingress", "Egress"):
        if cp.has_type(direction):
            n = len(cp.rules(direction))
            out.append(f"\n{direction}: isolates the selected pods; {count(n, 'rule')} {plural(n, 'admits', 'admit')} traffic"
                       + ("" if n else " (denies all)") + ".")
    return "\n".join(out)


# -- navigation -----------------------------------------------------------------------------

def definition(ws: Workspace, path: str, line: int, char: int) -> list[Location]:
    r, at = resource_at(ws, path, line, char)
    if r is None:
        return []
    ctx = ws.context
    if isinstance(r, (APIRule, VirtualService)):
        routes = [x for x in ctx.routes.routes if x.source is r]
        # the route whose host node is nearest the cursor (``http[1]`` of a VirtualService:
        # that route's destination); anywhere else in the resource: all of its Services
        best = max((_common(at, x.path) for x in routes), default=0)
        chosen = [x for x in routes if _common(at, x.path) == best] if best >= 3 else routes
        return _unique(x.service.locate("metadata", "name") for x in chosen if x.service is not None)
    if isinstance(r, Service):
        sel = r.selector
        return _unique(w.labels_location() for w in (ctx.model.workloads_selected(r.namespace, sel) if sel else []))
    if isinstance(r, NetworkPolicy):
        return _unique(w.labels_location() for w in _policy_targets(ctx, r, at))
    return []


def _common(a: tuple, b: tuple) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _policy_targets(ctx, p: NetworkPolicy, at: tuple) -> list[Workload]:
    """Workloads matched by the selector under ``at``: a peer of a rule, else the podSelector."""
    cp = _compiled(ctx.network, p)
    if cp is None:
        return []
    mask = cp.selected
    if len(at) >= 4 and at[0] == "spec" and at[1] in ("ingress", "egress") and isinstance(at[2], int) \
            and at[3] in ("from", "to") and len(at) >= 5 and isinstance(at[4], int):
        rules = cp.rules("Ingress" if at[1] == "ingress" else "Egress")
        rule = next((x for x in rules if x.index == at[2]), None)
        peer = next((x for x in rule.peers if x.index == at[4]), None) if rule is not None else None
        mask = peer.mask if peer is not None else 0
    return [w for e in ctx.network.endpoints_in(mask) if not e.synthetic for w in e.workloads]


def references(ws: Workspace, path: str, line: int, char: int) -> list[Location]:
    r, _ = resource_at(ws, path, line, char)
    if r is None:
        return []
    ctx = ws.context
    if isinstance(r, Service):
        return _unique(x.location for x in ctx.routes.routes if x.service is r)
    if isinstance(r, Workload):
        out = [s.locate("spec", "selector") for s in _services_selecting(ctx.model, r)]
        out += [route.location for route, _ in ctx.routes.backends_of(r, ingress_only=False)]
        e = _endpoint(ctx.network, r)
        if e is not None:
            for direction in ("Ingress", "Egress"):
                out += [cp.policy.locate("spec", "podSelector") for cp in ctx.network.isolating(e, direction)
                        if cp.policy.doc.path is not None and cp.policy.doc.source is not None]
        return _unique(out)
    return definition(ws, path, line, char)


def _unique(locs) -> list[Location]:
    return list(dict.fromkeys(loc for loc in locs if loc is not None))
