"""Route backends versus namespace NetworkPolicies: the questions NPL201–NPL204 share.

NPL201 (the ingress gateway is blocked), NPL203 (a policy admits the Service port instead
of the target port) and NPL204 (a namespaceSelector uses a label the namespace lacks) often
describe the *same* broken connection from two sides.  RULES.md asks for one finding per
cause, and the cause is the policy's content: a blocked backend records which NPL203/NPL204
findings (rule, file, line) explain it, NPL201 names them in ``explained_by`` and the findings
pipeline folds it into the explaining finding when that one is reported (and reports it on
its own when that one is switched off).  That needs all three to agree on the facts, hence
one module.

Everything here goes through the reachability engine (``ctx.network``) and its selectors
module; nothing re-implements selector or port matching.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from ..load.documents import Related
from ..model.resources import NAMESPACE_NAME_LABEL, NetworkPolicy, Service, Workload
from .endpoints import Endpoint
from .istio_world import EGRESS_GATEWAY, INGRESS_GATEWAY, ISTIOD, ISTIO_SYSTEM, SYNTHETIC_PATH
from .routes import Backend, Route
from .selectors import LabelIndex, parse_selector

PEER_FIELD = {"Ingress": "from", "Egress": "to"}


# -- Istio components in the network --------------------------------------------------------

def component_endpoint(network, component) -> Endpoint | None:
    """The endpoint of an Istio component (synthetic, or the input's own definition)."""
    try:
        return network.endpoint(f"{component.namespace}/{component.name}")
    except ValueError:
        pass
    sel = parse_selector({"matchLabels": {"istio": component.labels["istio"]}}) if "istio" in component.labels \
        else parse_selector({"matchLabels": component.labels})
    for e in network.endpoints:
        if e.namespace == component.namespace and sel.matches(e.labels):
            return e
    return None


def ingress_gateway(network) -> Endpoint | None:
    return component_endpoint(network, INGRESS_GATEWAY)


def egress_gateway(network) -> Endpoint | None:
    return component_endpoint(network, EGRESS_GATEWAY)


def istiod(network) -> Endpoint | None:
    return component_endpoint(network, ISTIOD)


def workload_endpoint(network, w: Workload) -> Endpoint | None:
    try:
        return network.endpoint(w)
    except ValueError:
        return None


def input_related(items) -> list:
    """Related locations that point into the input (not at the engine's synthetic module objects)."""
    return [r for r in items if r.location.file != SYNTHETIC_PATH]


def isolation_related(isolating) -> list:
    """Where each of the compiled policies ``isolating`` selects the pods it isolates for
    egress (NPL205, NPL207)."""
    return input_related(Related(cp.policy.locate("spec", "podSelector"), f"NetworkPolicy {cp.key} isolates egress")
                         for cp in isolating)


def input_endpoints(network):
    """Endpoints standing for input workloads (no synthetic Istio pods, no host-network pods)."""
    for e in network.endpoints:
        if not e.synthetic and not e.external and not e.host_network and e.workloads:
            yield e


# -- NPL204: namespaceSelector with a label no namespace has ---------------------------------

def namespace_selector_mistake(raw, known: dict[str, dict[str, str]]) -> tuple[str, str] | None:
    """``(key, value)`` of a matchLabels pair whose value names a known namespace, when the
    selector selects no known namespace (``name: istio-system``); else None."""
    if not isinstance(raw, dict):
        return None
    sel = parse_selector(raw)
    if not sel.valid or sel.matches_all:
        return None
    if sel.mask(_namespace_index(known)):
        return None
    ml = raw.get("matchLabels")
    for k, v in (ml.items() if isinstance(ml, dict) else ()):
        if k != NAMESPACE_NAME_LABEL and isinstance(v, str) and v in known:
            return k, v
    return None


_index_of: tuple = (None, None)        # (the ``known`` mapping, its LabelIndex)


def _namespace_index(known: dict[str, dict[str, str]]) -> LabelIndex:
    """A bitset index over ``known``'s label sets, built once per mapping (rules call
    ``namespace_selector_mistake`` for every peer; scanning every namespace each time was
    quadratic in the number of namespaces)."""
    global _index_of
    if _index_of[0] is not known:
        _index_of = (known, LabelIndex(known.values()))
    return _index_of[1]


def iter_peers(policy: NetworkPolicy):
    """``(direction, rule_index, peer_index, raw_peer, path)`` for every from/to entry."""
    for direction, fld in PEER_FIELD.items():
        for i, rule in enumerate(policy.rules(direction)):
            peers = rule.get(fld) if isinstance(rule, dict) else None
            for j, peer in enumerate(peers if isinstance(peers, list) else ()):
                yield direction, i, j, peer, ("spec", direction.lower(), i, fld, j)


# -- routed backends and their blocked ports -------------------------------------------------

@dataclass
class BackendCheck:
    """One route backend as the ingress gateway sees it."""

    route: Route
    backend: Backend
    endpoint: Endpoint
    verdict: object          # reachability Verdict gateway -> backend on the target port


@dataclass
class Confusion:
    """NPL203: a policy rule admits the gateway on the Service port, not on the target port."""

    policy: NetworkPolicy
    rule_index: int
    port_index: int
    route: Route
    backend: Backend


@dataclass
class GatewayAnalysis:
    """Per run: every ingress route backend checked once against the policies."""

    gateway: Endpoint | None
    checks: list[BackendCheck] = field(default_factory=list)
    confusions: list[Confusion] = field(default_factory=list)
    # (endpoint id, target port) -> the causes, as (kind, file, line), that explain why the
    # gateway is not admitted there: kind "service-port" (a rule admits the Service port, not
    # the target port: NPL203) or "namespace-label" (a namespaceSelector label the namespace
    # lacks: NPL204); the rules layer turns kinds into rule ids
    explained: dict = field(default_factory=dict)

    def blocked(self) -> list[BackendCheck]:
        return [c for c in self.checks if c.verdict.ingress.isolated and not c.verdict.ingress.allowed]

    def explanations(self, c: BackendCheck) -> tuple[tuple[str, str, int], ...]:
        return tuple(self.explained.get((c.endpoint.id, c.backend.target_port), ()))


def analyse(ctx) -> GatewayAnalysis:
    """Shared by NPL201 and NPL203: computed once per run (``ctx.shared``)."""
    return ctx.shared("gateway-analysis", _analyse)


def _analyse(ctx) -> GatewayAnalysis:
    network = ctx.network
    gw = ingress_gateway(network)
    result = GatewayAnalysis(gw)
    if gw is not None:
        known = ctx.model.known_namespaces()
        seen = set()
        for route in ctx.routes.ingress_routes():
            for b in route.backends:
                e = workload_endpoint(network, b.workload)
                if e is None or e.host_network or b.target_port is None:
                    continue
                key = (e.id, b.target_port, route.name, b.service.ns_name, b.service_port)
                if key in seen:
                    continue
                seen.add(key)
                verdict = network.allowed(gw, e, b.target_port, "TCP")
                result.checks.append(BackendCheck(route, b, e, verdict))
        _find_confusions(ctx, network, gw, result)
        for c in result.checks:
            for cause in _namespace_label_explanations(network, gw, c, known):
                _explain(result, (c.endpoint.id, c.backend.target_port), cause)
    return result


def _explain(result: GatewayAnalysis, key: tuple, cause: tuple[str, str, int]) -> None:
    causes = result.explained.setdefault(key, [])
    if cause not in causes:
        causes.append(cause)


def _find_confusions(ctx, network, gw: Endpoint, result: GatewayAnalysis) -> None:
    by_endpoint: dict[str, set[int]] = {}
    for c in result.checks:
        by_endpoint.setdefault(c.endpoint.id, set()).add(c.backend.target_port)
    seen = set()
    for c in result.checks:
        b, e = c.backend, c.endpoint
        if not b.translated:
            continue
        p, t = b.service_port, b.target_port
        declared = {cp.port for cp in e.ports if cp.protocol == "TCP"}
        if p in declared or p in by_endpoint.get(e.id, ()):
            continue            # the pod really listens on the Service port too
        for cp in network.isolating(e, "Ingress"):
            for rule in cp.rules("Ingress"):
                if rule.problem or not rule.admits(gw):
                    continue
                idx = rule.ports.match_entry(p, "TCP", e.ports)
                if idx is None or idx < 0 or rule.ports.match_entry(t, "TCP", e.ports) is not None:
                    continue
                key = (id(cp.policy), rule.index, idx, e.id, t)
                if key in seen:
                    continue
                seen.add(key)
                result.confusions.append(Confusion(cp.policy, rule.index, idx, c.route, b))
                loc = cp.policy.locate("spec", "ingress", rule.index, "ports", idx, "port")
                _explain(result, (e.id, t), ("service-port", loc.file, loc.line))


def _namespace_label_explanations(network, gw: Endpoint, c: BackendCheck, known) -> list[tuple[str, str, int]]:
    """The "namespace-label" causes (kind, file, line) of rules that would admit the gateway on the
    target port if their namespaceSelector were right."""
    found: list[tuple[str, str, int]] = []
    if not c.verdict.ingress.isolated or c.verdict.ingress.allowed:
        return found
    for cp in network.isolating(c.endpoint, "Ingress"):
        raw_rules = cp.policy.rules("Ingress")
        for rule in cp.rules("Ingress"):
            if rule.problem or rule.ports.match_entry(c.backend.target_port, "TCP", c.endpoint.ports) is None:
                continue
            raw = raw_rules[rule.index] if rule.index < len(raw_rules) else None
            peers = raw.get("from") if isinstance(raw, dict) else None
            for j, peer in enumerate(peers if isinstance(peers, list) else ()):
                if not isinstance(peer, dict):
                    continue
                mistake = namespace_selector_mistake(peer.get("namespaceSelector"), known)
                if mistake is None or mistake[1] != gw.namespace:
                    continue
                pods = peer.get("podSelector")
                if pods is None or parse_selector(pods).matches(gw.labels):
                    # where NPL204 reports this peer's mistake
                    loc = cp.policy.locate("spec", "ingress", rule.index, "from", j, "namespaceSelector",
                                           "matchLabels", mistake[0], key=True)
                    found.append(("namespace-label", loc.file, loc.line))
    return found


# -- NPL201's suggested policy ---------------------------------------------------------------

def allow_policy_yaml(namespace: str, service: Service, ports: list[int], existing: set[str]) -> str:
    """A NetworkPolicy admitting istio-ingressgateway to the Service's pods on ``ports``.

    One peer holds both selectors (AND: the gateway pods *of* istio-system), the pod selector
    is the Service's, the ports are the target ports the gateway's traffic arrives on.  The
    last line is a YAML comment so text output's trailing "(Kind ns/name)" lands inside it.
    """
    base = f"allow-istio-ingressgateway-to-{service.name}"[:240].rstrip("-.")
    name, n = base, 2
    while name in existing:
        name, n = f"{base}-{n}", n + 1
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": dict(sorted((service.selector or {}).items()))},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{
                    "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ISTIO_SYSTEM}},
                    "podSelector": {"matchLabels": {"istio": "ingressgateway"}},
                }],
                "ports": [{"protocol": "TCP", "port": p} for p in sorted(set(ports))],
            }],
        },
    }
    return _policy_text(doc) + "# suggested by netpol-lint NPL201"


# Strings that YAML writes plain or single-quoted, nothing else: label syntax (RULES.md,
# Kubernetes' label keys and values) and DNS names.
_SIMPLE_STRING = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_./]*")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(text: str) -> str | None:
    """``text`` as PyYAML's safe_dump writes it in block style, or None if not simple."""
    if not isinstance(text, str) or _SIMPLE_STRING.fullmatch(text) is None:
        return None
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG:
        return text
    return f"'{text}'"                 # would read back as a bool, number or null


def _policy_text(doc: dict) -> str:
    """``yaml.safe_dump(doc, sort_keys=False)`` for NPL201's policy (``allow_policy_yaml``'s
    shape), written directly when every string is simple (always, for valid input): PyYAML's
    pure-Python emitter took ~0.5 ms a finding, a tenth of a large run's rule time
    (tests/test_performance_paths.py compares the two)."""
    spec = doc["spec"]
    head = [_scalar(doc["metadata"]["name"]), _scalar(doc["metadata"]["namespace"])]
    labels = [(_scalar(k), _scalar(v)) for k, v in spec["podSelector"]["matchLabels"].items()]
    ports = [p["port"] for p in spec["ingress"][0]["ports"]]
    if None in head or any(None in kv for kv in labels):
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    lines = ["apiVersion: networking.k8s.io/v1", "kind: NetworkPolicy", "metadata:",
             f"  name: {head[0]}", f"  namespace: {head[1]}", "spec:", "  podSelector:"]
    lines += ["    matchLabels:"] + [f"      {k}: {v}" for k, v in labels] if labels else ["    matchLabels: {}"]
    lines += ["  policyTypes:", "  - Ingress", "  ingress:", "  - from:", "    - namespaceSelector:",
              "        matchLabels:", f"          {NAMESPACE_NAME_LABEL}: {ISTIO_SYSTEM}", "      podSelector:",
              "        matchLabels:", "          istio: ingressgateway"]
    lines += ["    ports:"] + [f"    - protocol: TCP\n      port: {p}" for p in ports] if ports else ["    ports: []"]
    return "\n".join(lines) + "\n"
