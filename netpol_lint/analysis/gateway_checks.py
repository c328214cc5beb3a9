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
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol, Self, TypeVar, cast

import yaml

from ..load.documents import Document, Location, Related
from ..model.resources import NAMESPACE_NAME_LABEL, NetworkPolicy, Service, Workload
from .endpoints import Endpoint
from .istio_world import EGRESS_GATEWAY, INGRESS_GATEWAY, ISTIOD, ISTIO_SYSTEM, SYNTHETIC_PATH
from .managed import compare_with_module
from .routes import Backend, Route
from .selectors import LabelIndex, parse_selector

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config
    from ..model.index import Model
    from ..model.platform import Component
    from .compiled import CompiledPolicy
    from .reachability import Network, SideVerdict, Verdict
    from .routes import NodePath, RouteTable

_T = TypeVar("_T")


class RuleContext(Protocol):
    """What these checks read of a rule's context (the engine's ``LintContext``, a layer
    above this one)."""

    @property
    def model(self) -> Model: ...

    @property
    def network(self) -> Network: ...

    @property
    def routes(self) -> RouteTable: ...

    @property
    def config(self) -> Config: ...

    def shared(self, key: str, factory: Callable[[Self], _T]) -> _T: ...

PEER_FIELD = {"Ingress": "from", "Egress": "to"}


# -- Istio components in the network --------------------------------------------------------

def component_endpoint(network: Network, component: Component) -> Endpoint | None:
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


def ingress_gateway(network: Network) -> Endpoint | None:
    return component_endpoint(network, INGRESS_GATEWAY)


def egress_gateway(network: Network) -> Endpoint | None:
    return component_endpoint(network, EGRESS_GATEWAY)


def istiod(network: Network) -> Endpoint | None:
    return component_endpoint(network, ISTIOD)


def workload_endpoint(network: Network, w: Workload) -> Endpoint | None:
    try:
        return network.endpoint(w)
    except ValueError:
        return None


def input_related(items: Iterable[Related]) -> list[Related]:
    """Related locations that point into the input (not at the engine's synthetic module objects)."""
    return [r for r in items if r.location.file != SYNTHETIC_PATH]


def isolation_related(isolating: Iterable[CompiledPolicy]) -> list[Related]:
    """Where each of the compiled policies ``isolating`` selects the pods it isolates for
    egress (NPL205, NPL207)."""
    return input_related(Related(cp.policy.locate("spec", "podSelector"), f"NetworkPolicy {cp.key} isolates egress")
                         for cp in isolating)


def edited_module_policies(ctx: RuleContext, verdict: Verdict) -> list[Location]:
    """Where NPL302 reports the input's edited copies of module policies without which the
    denied connection ``verdict`` would be allowed: the edit is the cause (RULES.md "One cause,
    one finding").  A denial the module's own policy would make too, or one that another
    policy (or the other side) makes as well, is not the edit's."""
    denying = [side for side in (verdict.egress, verdict.ingress) if not side.allowed]
    if len(denying) != 1:
        return []
    return edited_module_policies_on(ctx, denying[0])


def edited_module_policies_on(ctx: RuleContext, side: SideVerdict) -> list[Location]:
    """``edited_module_policies`` for one denying side of a connection, whatever the other side
    decides (NPL201 reports the gateway's egress and the backend's ingress apart)."""
    if side.allowed:
        return []
    out: list[Location] = []
    for cp in side.compiled:
        edit = _module_original(ctx, cp.policy)
        if edit is not None and ctx.network.admits_instead(side, cp, edit[1]):
            out.append(edit[0])
    return out


def _originals(ctx: RuleContext) -> dict[int, tuple[Location, CompiledPolicy] | None]:
    return {}


def _module_original(ctx: RuleContext, pol: NetworkPolicy) -> tuple[Location, CompiledPolicy] | None:
    """(where NPL302 reports ``pol``, the module's policy of that name compiled) when ``pol`` is
    an edited copy of a module policy in the input, else None; once per policy and run."""
    if pol.file == SYNTHETIC_PATH or not pol.is_managed:
        return None
    memo = ctx.shared("module-originals", _originals)
    if id(pol) not in memo:
        port = ctx.config.api_server_port or None
        cmp = compare_with_module(pol.data, port, pol.namespace)
        if not cmp.known or not cmp.differences or cmp.expected is None:
            memo[id(pol)] = None
        else:
            original = NetworkPolicy(Document(SYNTHETIC_PATH, 0, cmp.expected), (), cmp.expected, pol.namespace)
            memo[id(pol)] = (pol.locate(*cmp.differences[0].path), ctx.network.compile(original))
    return memo[id(pol)]


def input_endpoints(network: Network) -> Iterator[Endpoint]:
    """Endpoints standing for input workloads (no synthetic Istio pods, no host-network pods)."""
    for e in network.endpoints:
        if not e.synthetic and not e.external and not e.host_network and e.workloads:
            yield e


# -- NPL204: namespaceSelector with a label no namespace has ---------------------------------

def namespace_selector_mistake(raw: Any, known: dict[str, dict[str, str]]) -> tuple[str, str] | None:
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


_index_of: tuple[dict[str, dict[str, str]] | None, LabelIndex | None] = (None, None)   # (the ``known`` mapping, its LabelIndex)


def _namespace_index(known: dict[str, dict[str, str]]) -> LabelIndex:
    """A bitset index over ``known``'s label sets, built once per mapping (rules call
    ``namespace_selector_mistake`` for every peer; scanning every namespace each time was
    quadratic in the number of namespaces)."""
    global _index_of
    if _index_of[0] is not known:
        _index_of = (known, LabelIndex(known.values()))
    return cast(LabelIndex, _index_of[1])          # set just above for ``known``


def iter_peers(policy: NetworkPolicy) -> Iterator[tuple[str, int, int, Any, NodePath]]:
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
    verdict: Verdict         # reachability Verdict gateway -> backend on the target port


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
    explained: dict[tuple[str, int | None], list[tuple[str, str, int]]] = field(default_factory=dict)

    def blocked(self) -> list[BackendCheck]:
        return [c for c in self.checks if c.verdict.ingress.isolated and not c.verdict.ingress.allowed]

    def egress_blocked(self) -> list[BackendCheck]:
        """Backends the gateway's own egress policies (in istio-system) do not let it reach on the
        target port, whatever the backend's namespace admits."""
        return [c for c in self.checks if c.verdict.egress.isolated and not c.verdict.egress.allowed]

    def explanations(self, c: BackendCheck) -> tuple[tuple[str, str, int], ...]:
        return tuple(self.explained.get((c.endpoint.id, c.backend.target_port), ()))


def analyse(ctx: RuleContext) -> GatewayAnalysis:
    """Shared by NPL201 and NPL203: computed once per run (``ctx.shared``)."""
    return ctx.shared("gateway-analysis", _analyse)


def _analyse(ctx: RuleContext) -> GatewayAnalysis:
    network = ctx.network
    gw = ingress_gateway(network)
    result = GatewayAnalysis(gw)
    if gw is not None:
        known = ctx.model.known_namespaces()
        seen: set[tuple[str, int, str, str, int | None]] = set()
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


def _explain(result: GatewayAnalysis, key: tuple[str, int | None], cause: tuple[str, str, int]) -> None:
    causes = result.explained.setdefault(key, [])
    if cause not in causes:
        causes.append(cause)


def _find_confusions(ctx: RuleContext, network: Network, gw: Endpoint, result: GatewayAnalysis) -> None:
    by_endpoint: dict[str, set[int | None]] = {}
    for c in result.checks:
        by_endpoint.setdefault(c.endpoint.id, set()).add(c.backend.target_port)
    seen: set[tuple[int, int, int, str, int]] = set()
    for c in result.checks:
        b, e = c.backend, c.endpoint
        if not b.translated:
            continue
        p, t = cast(int, b.service_port), cast(int, b.target_port)     # translated: both are set
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


def _namespace_label_explanations(network: Network, gw: Endpoint, c: BackendCheck, known: dict[str, dict[str, str]]
                                  ) -> list[tuple[str, str, int]]:
    """The "namespace-label" causes (kind, file, line) of rules that would admit the gateway on the
    target port if their namespaceSelector were right."""
    found: list[tuple[str, str, int]] = []
    if not c.verdict.ingress.isolated or c.verdict.ingress.allowed:
        return found
    for cp in network.isolating(c.endpoint, "Ingress"):
        raw_rules = cp.policy.rules("Ingress")
        for rule in cp.rules("Ingress"):
            if rule.problem or rule.ports.match_entry(cast(int, c.backend.target_port), "TCP", c.endpoint.ports) is None:  # checked: set
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


# -- NPL201's near miss: the policy that almost admits the gateway ---------------------------

@dataclass
class NearMiss:
    """A policy of the backend's namespace that would admit the gateway but for ``differences``."""

    policy: NetworkPolicy
    path: NodePath              # where in the policy the (first) difference is
    differences: list[str]

    def text(self) -> str:
        return f"NetworkPolicy {self.policy.ns_name} almost admits it: {'; '.join(self.differences)}"


_GATEWAY_WORDS = ("ingressgateway", "istio-ingressgateway", "istio-system", "ingress-gateway")


def near_miss(network: Network, gw: Endpoint, e: Endpoint, ports: list[int], known: dict[str, dict[str, str]],
              search: NearMissSearch | None = None) -> NearMiss | None:
    """The policy of ``e``'s namespace that comes closest to admitting ``gw`` on ``ports``.

    A candidate is an ingress rule one or two differences away from admitting the gateway to
    ``e``'s pods: the policy's podSelector misses the pods, a peer's namespaceSelector or
    podSelector misses istio-system or the gateway pods (a typo in ``istio: ingressgateway``,
    the wrong namespace label, no namespaceSelector at all), or the rule's ports miss the
    target port.  The module's policies are never candidates.  A peer counts only when it was meant for the gateway (a selector value or
    key close to ``ingressgateway`` / ``istio-system``), or the rule admits the gateway already:
    a policy for other traffic is never called a near miss.

    ``search`` (one per run, ``NearMissSearch``) keeps what every call would otherwise redo;
    without it each call builds its own.
    """
    if search is None:
        search = NearMissSearch(network)
    gw_namespace = cast(str, gw.namespace)          # the gateway: a namespaced workload
    ns_labels = known.get(gw_namespace, {NAMESPACE_NAME_LABEL: gw_namespace})
    best: tuple[tuple[int, str, int, NodePath], NearMiss] | None = None
    for cp in search.policies_in(e.namespace):
        if not cp.has_type("Ingress"):
            continue
        policy = cp.policy
        if policy.file == SYNTHETIC_PATH or policy.is_managed:
            continue                    # the module's own policies are not the user's to correct
        spec: Any = policy.data.get("spec") if isinstance(policy.data.get("spec"), dict) else {}   # YAML (a mapping)
        pod_diff: list[str] = []
        if not (cp.selected >> e.index) & 1:
            missing = _failing(spec.get("podSelector"), e.labels)
            if missing is None:
                continue
            pod_diff = [f"its podSelector {missing} does not select the pods ({_has(spec.get('podSelector'), e.labels)})"]
        raw_rules = policy.rules("Ingress")
        for rule in cp.rules("Ingress"):
            raw = raw_rules[rule.index] if rule.index < len(raw_rules) else None
            if rule.problem or not isinstance(raw, dict):
                continue
            missed = [p for p in ports if rule.ports.match_entry(p, "TCP", e.ports) is None]
            port_diff: list[str] = []
            if missed:
                port_diff = [f"ingress[{rule.index}] admits {_ports_text(raw.get('ports'))}, not "
                             f"{', '.join(f'TCP {p}' for p in missed)}"]
            base: NodePath = ("spec", "ingress", rule.index)
            peers = raw.get("from")
            meant = [(j, peer) for j, peer in enumerate(peers if isinstance(peers, list) else ())
                     if isinstance(peer, dict) and "ipBlock" not in peer and search.meant_for_gateway(peer)]
            if not meant:
                continue
            candidates: list[tuple[list[str], NodePath]]
            if rule.admits(gw):
                candidates = [(pod_diff + port_diff, base + (("ports",) if port_diff else ()))]
            else:
                candidates = []
                for j, peer in meant:
                    diffs = _peer_differences(peer, j, e.namespace, gw, ns_labels)
                    if diffs:
                        candidates.append((pod_diff + diffs + port_diff, base + ("from", j)))
            for diffs, path in candidates:
                if not diffs or len(diffs) > 2:
                    continue
                key = (len(diffs), cp.key, rule.index, path)
                if best is None or key < best[0]:
                    best = (key, NearMiss(policy, path if not pod_diff else ("spec", "podSelector"), diffs))
    return best[1] if best else None


class NearMissSearch:
    """What ``near_miss`` needs across the calls of one run, computed once.

    Why: NPL201 asks once per blocked workload, and each call used to scan every policy of
    the input for the workload's namespace and to run ``difflib`` over every selector word of
    that namespace's peers.  On the 50k-document benchmark (262 blocked workloads, 597
    policies) that was 0.15 s of CPU, about 6% of the run after parsing; with the policies
    indexed by namespace and each word judged once it is 0.05 s.  Same candidates in the
    same order, so the same near miss.
    """

    def __init__(self, network: Network):
        self.network = network
        self._by_ns: dict[str | None, list[CompiledPolicy]] | None = None
        self._words: dict[str, bool] = {}

    def policies_in(self, namespace: str | None) -> list[CompiledPolicy]:
        """The compiled policies of ``namespace``, in the network's order."""
        if self._by_ns is None:
            self._by_ns = {}
            for cp in self.network.policies:
                self._by_ns.setdefault(cp.namespace, []).append(cp)
        return self._by_ns.get(namespace, [])

    def meant_for_gateway(self, peer: dict[str, Any]) -> bool:
        """Whether ``peer`` was meant for the gateway: a selector key or value that is, or is
        close to, ``ingressgateway`` / ``istio-system`` (each word judged once per run)."""
        words = self._words
        for w in _selector_words(peer):
            hit = words.get(w)
            if hit is None:
                hit = words[w] = _gatewayish(w)
            if hit:
                return True
        return False


def _gatewayish(word: str) -> bool:
    import difflib

    return word in _GATEWAY_WORDS or bool(difflib.get_close_matches(word, _GATEWAY_WORDS, 1, 0.8))


def _selector_words(peer: dict[str, Any]) -> list[str]:
    """The label keys, values and expression values of a peer's selectors."""
    words: list[str] = []
    for sel in (peer.get("namespaceSelector"), peer.get("podSelector")):
        if not isinstance(sel, dict):
            continue
        ml = sel.get("matchLabels")
        for k, v in (ml.items() if isinstance(ml, dict) else ()):
            words += [str(k), str(v)]
        for expr in sel.get("matchExpressions") or ():
            if isinstance(expr, dict):
                words += [str(x) for x in (expr.get("values") or ()) if isinstance(x, (str, int))]
    return words


def _peer_differences(peer: dict[str, Any], j: int, namespace: str | None, gw: Endpoint, ns_labels: dict[str, str]
                      ) -> list[str]:
    out: list[str] = []
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None:
        if namespace != gw.namespace:
            out.append(f"from[{j}] has no namespaceSelector, so it selects pods of namespace {namespace} only "
                       f"(add namespaceSelector {NAMESPACE_NAME_LABEL}: {gw.namespace} to the same peer)")
    else:
        missing = _failing(ns_sel, ns_labels)
        if missing:
            out.append(f"from[{j}].namespaceSelector {missing} does not select namespace {gw.namespace} "
                       f"({_has(ns_sel, ns_labels)})")
    if pod_sel is not None:
        missing = _failing(pod_sel, gw.labels)
        if missing:
            out.append(f"from[{j}].podSelector {missing} does not select the istio-ingressgateway pods "
                       f"({_has(pod_sel, gw.labels)})")
    return out


def _failing(raw: Any, labels: dict[str, str]) -> str | None:
    """The requirements of selector ``raw`` that ``labels`` fail (``""``: none fail; None: not a
    selector this can describe)."""
    if raw is None:
        return ""
    if not isinstance(raw, dict) or not parse_selector(raw).valid:
        return None
    out: list[str] = []
    ml = raw.get("matchLabels")
    for k, v in (ml.items() if isinstance(ml, dict) else ()):
        if labels.get(str(k)) != str(v):
            out.append(f"{k}: {v}")
    for expr in raw.get("matchExpressions") or ():
        if isinstance(expr, dict) and not parse_selector({"matchExpressions": [expr]}).matches(labels):
            values = expr.get("values")
            vals = f" [{', '.join(map(str, values))}]" if isinstance(values, list) else ""
            out.append(f"{expr.get('key')} {expr.get('operator')}{vals}")
    return ", ".join(out)


def _has(raw: Any, labels: dict[str, str]) -> str:
    """What ``labels`` have for the keys a selector's failing requirements name (or the closest keys)."""
    import difflib

    keys: list[str] = []
    if isinstance(raw, dict):
        ml = raw.get("matchLabels")
        keys += [str(k) for k, v in (ml.items() if isinstance(ml, dict) else ()) if labels.get(str(k)) != str(v)]
        keys += [str(x.get("key")) for x in raw.get("matchExpressions") or ()
                 if isinstance(x, dict) and not parse_selector({"matchExpressions": [x]}).matches(labels)]
    parts: list[str] = []
    for k in dict.fromkeys(keys):
        if k in labels:
            parts.append(f"{k}: {labels[k]}")
            continue
        close = difflib.get_close_matches(k, sorted(labels), 1, 0.6)
        parts.append(f"{close[0]}: {labels[close[0]]}" if close else f"no {k} label")
    return "they have " + ", ".join(parts) if parts else "they have other labels"


def _ports_text(raw: Any) -> str:
    if not isinstance(raw, list) or not raw:
        return "every port"
    out: list[str] = []
    for p in raw:
        if not isinstance(p, dict):
            continue
        proto = p.get("protocol", "TCP")
        port = p.get("port", "every port")
        out.append(f"{proto} {port}" + (f"-{p['endPort']}" if p.get("endPort") is not None else ""))
    return ", ".join(out)


# -- NPL201's suggested policy ---------------------------------------------------------------

def allow_policy_yaml(namespace: str, service: Service, ports: list[int], existing: set[str]) -> str:
    """A NetworkPolicy admitting istio-ingressgateway to the Service's pods on ``ports``.

    One peer holds both selectors (AND: the gateway pods *of* istio-system), the pod selector
    is the Service's, the ports are the target ports the gateway's traffic arrives on.  The
    last line, a YAML comment, says where the policy came from.
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
    return _policy_text(doc) + "# suggested by netpol-lint NPL201\n"


# Strings that YAML writes plain or single-quoted, nothing else: label syntax (RULES.md,
# Kubernetes' label keys and values) and DNS names.
_SIMPLE_STRING = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_./]*")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(text: str) -> str | None:
    """``text`` as PyYAML's safe_dump writes it in block style, or None if not simple."""
    if not isinstance(text, str) or _SIMPLE_STRING.fullmatch(text) is None:
        return None
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG:  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        return text
    return f"'{text}'"                 # would read back as a bool, number or null


def _policy_text(doc: dict[str, Any]) -> str:
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
