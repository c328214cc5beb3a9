"""``netpol-lint expect --init PATH... [--output FILE]``: starter connectivity expectations.

Writes an expectations file (docs/expectations.md) from what the input allows today, for the
user to prune: one ``allow`` per host an ingress-gateway route serves (to its backends'
target ports), one ``deny`` per ordered pair of namespaces that cannot reach each other at
all, and, for each namespace with sidecars, DNS and istiod's XDS port.  Only expectations
that hold today are written, so linting with the result reports no NPL601; one that holds
only in the current module-policy state gets that ``when`` and a comment, and a route that is
already broken is written commented out, with the reason.

"Today" is the state the input's Istio CR (or config / ``--assume-network-policies``) gives.
Checking expectations is ``lint``'s job (NPL601/NPL602); this command only writes the file.

Exit codes: 0 written; 2 the input cannot be read, or ``--output`` exists (never overwritten).
"""
from __future__ import annotations

import json
import os
import re
import sys

from ..analysis.expectations import STATE_WORDS, evaluator, route_hosts
from ..model.expectations import DNS_LABEL_RE, HOST_RE, KEYWORDS, EndpointSpec, Expectation
from ..api import load_config_and_rules, load_session
from ..errors import UsageError
from ..options import Options

ISTIOD_XDS = 15012
TLS_MODE = "security.istio.io/tlsMode"
_PLAIN = re.compile(r"^[A-Za-z0-9*][-A-Za-z0-9_./:*]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def add_arguments(parser) -> None:
    parser.add_argument("--init", action="store_true", help="write a starter expectations file from today's state")
    parser.add_argument("--output", metavar="FILE", help="write to FILE (must not exist) instead of stdout")


def run(args) -> int:
    if not args.init:
        raise UsageError("expect needs --init (expectations are checked by lint: NPL601/NPL602)")
    if args.output and os.path.lexists(args.output):
        raise UsageError(f"{args.output} exists; remove it or choose another --output (it is never overwritten)")
    options = Options.from_args(args)
    config, _ = load_config_and_rules(options)
    session = load_session(options, config)
    text = starter(session, list(args.paths) or ["."])
    if args.output:
        try:
            with open(args.output, "x", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {text.count(chr(10) + '- ')} expectations to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# -- building ------------------------------------------------------------------------------
class _Entry:
    def __init__(self, fields: dict, comments: list[str], active: bool = True):
        self.fields, self.comments, self.active = fields, comments, active


def starter(session, paths: list[str]) -> str:
    """The starter file's text for ``session``."""
    ev = evaluator(session)
    current = session.kyma.policies_enabled
    sections = [
        ("Routes: istio-ingressgateway reaches each host's backends on the route's target port", _routes(ev)),
        ("Namespaces that cannot reach each other today (any port, any pod)", _isolated(ev, current)),
        ("Sidecar namespaces: their sidecars reach istiod (XDS), their pods reach DNS", _sidecars(ev)),
    ]
    lines = [
        "# Connectivity expectations for netpol-lint (reference: docs/expectations.md).",
        f"# Written by `netpol-lint expect --init {' '.join(paths)}` from today's state "
        f"(module network policies {STATE_WORDS[current]}{', assumed' if session.kyma.assumed else ''}).",
        "# Every active entry holds today; prune what you do not care about and commit the file:",
        "# `netpol-lint` then reports an expectation that stops holding as NPL601.",
        "expectations:",
    ]
    for title, entries in sections:
        lines += ["", f"# -- {title}"]
        if not entries:
            lines.append("# (none in the input)")
        for e in entries:
            lines += _render(e, ev, current)
    return "\n".join(lines) + "\n"


def _render(entry: _Entry, ev, current: bool) -> list[str]:
    exp = _expectation(entry.fields)
    comments = list(entry.comments)
    now = ev.holds_in(exp, current)
    other = ev.holds_in(exp, not current)
    active = entry.active
    fields = dict(entry.fields)
    if now is False:                      # a side selects nothing: not written
        return []
    if now is not None:
        active = False
        comments.append(f"violated today: {now.src.id} -> {now.dst.id} {now.port}: {now.detail}")
    elif other:
        fields["when"] = f"policies-{STATE_WORDS[current]}"
        comments.append(f"holds only with module policies {STATE_WORDS[current]}: with them "
                        f"{STATE_WORDS[not current]}, {_outcome(other)} (see `netpol-lint impact`)")
    if not active and now is None:
        return []
    out = [f"# {c}" for c in comments]
    body = []
    first = True
    for k, v in fields.items():
        body.append(("- " if first else "  ") + f"{k}: {_yaml(v)}")
        first = False
    out += body if active else [f"# {line}" for line in body]
    return out


def _outcome(f) -> str:
    """``a -> b TCP 8080 is denied``; without ports ``a -> b is allowed on some port`` (what made
    a must-be-denied fail) or ``is denied on every UDP port``."""
    if f.port.startswith("any "):
        ports = f.port.removeprefix("any ")
        return f"{f.src.id} -> {f.dst.id} is {'allowed on some' if f.allowed else 'denied on every'} {ports}"
    return f"{f.src.id} -> {f.dst.id} {f.port} is {'allowed' if f.allowed else 'denied'}"


def _expectation(fields: dict) -> Expectation:
    def spec(v) -> EndpointSpec:
        if isinstance(v, dict):
            return EndpointSpec("selector", selector=json.dumps(v, sort_keys=True))
        if v in KEYWORDS:
            return EndpointSpec(v)
        prefix, sep, rest = v.partition(":")
        return EndpointSpec(prefix, rest) if sep else EndpointSpec("workload", v)

    dst = spec(fields["to"])
    src = spec(fields["from"]) if "from" in fields else EndpointSpec("ingress-gateway")
    ports = tuple(fields.get("ports", ()))
    return Expectation(-1, src, dst, fields["allow"], ports, fields.get("protocol"), fields.get("when", "always"),
                       fields.get("quantifier", "every"), fields.get("name"))


def _routes(ev) -> list[_Entry]:
    out, seen = [], set()
    for r in sorted(ev.routes.routes, key=lambda r: (r.source.file, r.source.doc.index, r.path)):
        if not r.via_ingress:
            continue
        loc = r.location
        where = f"{r.name} ({loc.file}:{loc.line})"
        hosts = route_hosts(r)
        if hosts:
            for h in hosts:
                key = ("host", h)
                if key in seen or h.startswith("*") or not HOST_RE.match(h):
                    continue
                seen.add(key)
                out.append(_Entry({"name": f"{h} is reachable through the ingress gateway", "to": f"host:{h}",
                                   "allow": True}, [where]))
        elif r.service is not None and r.host.is_service and _dns(r.host.namespace, r.host.name):
            key = ("svc", r.service_ref, r.port)
            if key in seen:
                continue
            seen.add(key)
            fields = {"name": f"istio-ingressgateway reaches {r.service_ref}", "from": "ingress-gateway",
                      "to": f"svc:{r.service_ref}"}
            if r.port is not None:
                fields["ports"] = [r.port]
            fields["allow"] = True
            out.append(_Entry(fields, [where]))
    return out


def _input_namespaces(net) -> list[str]:
    return sorted({e.namespace for e in net.endpoints if not e.synthetic and not e.external and _dns(e.namespace)})


def _isolated(ev, current: bool) -> list[_Entry]:
    net = ev.network(current)
    namespaces = _input_namespaces(net)
    connected = {(c.src.namespace, c.dst.namespace) for c in net.connections(include_external=False)}
    out = []
    for a in namespaces:
        for b in namespaces:
            if a != b and (a, b) not in connected:
                out.append(_Entry({"name": f"nothing in {a} reaches {b}", "from": f"ns:{a}", "to": f"ns:{b}",
                                   "allow": False}, []))
    return out


def _sidecars(ev) -> list[_Entry]:
    net = ev.network(True)
    out = []
    sidecar_ns = sorted({e.namespace for e in net.endpoints
                         if e.sidecar and not e.synthetic and not e.external and _dns(e.namespace)})
    dns = [e for e in net.endpoints if e.namespace == "kube-system" and e.labels.get("k8s-app") == "kube-dns"]
    dns_ports = sorted({p.port for e in dns for p in e.ports if p.protocol == "UDP"}) or [53]
    for ns in sidecar_ns:
        out.append(_Entry({"name": f"sidecars in {ns} reach istiod", "from": {"namespace": ns, "matchLabels": {TLS_MODE: "istio"}},
                           "to": "istiod", "ports": [ISTIOD_XDS], "allow": True}, []))
        if dns:
            out.append(_Entry({"name": f"pods in {ns} reach DNS", "from": f"ns:{ns}", "to": "kube-dns",
                               "ports": dns_ports, "protocol": "UDP", "allow": True}, []))
    return out


def _dns(*names) -> bool:
    """Names an expectation can spell (unrendered templates like ``${NAMESPACE}`` cannot)."""
    return all(isinstance(n, str) and DNS_LABEL_RE.match(n) for n in names)


def _yaml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_yaml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(x)}" for k, x in v.items()) + "}"
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _YAML_WORDS and not s.startswith("*") and ": " not in s:
        return s
    return json.dumps(s)


__all__ = ["add_arguments", "run", "starter"]
