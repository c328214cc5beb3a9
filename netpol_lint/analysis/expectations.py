"""Checking connectivity expectations (``model/expectations.py``) against the engine.

Each expectation is a question for the reachability engine: may every (or some) pod the
``from`` side selects open a connection to every (or some) pod the ``to`` side selects, on
the given ports?  It is asked of the network with the Istio module's policies enabled, with
them disabled, or both (``when``), whatever the input's Istio CR says, so an expectation
states intent independent of the flag (``impact`` shows what the flip changes).

Nothing is rebuilt per expectation: an ``Evaluator`` builds (at most) the two networks once,
traces routes once and caches every side it resolves, and the session keeps the evaluator,
so NPL601, NPL602, ``impact`` and ``expect --init`` share it.  Pairs are walked in endpoint
order and the walk stops at the first pair that decides the outcome; a pair that no rule of
either side can admit (the engine's peer masks) is known to be denied without a probe.

Semantics (docs/expectations.md):

- a side resolves to endpoints (pod templates, or external address ranges for ``internet``
  and ``ip:``); a destination also says which ports to probe on each endpoint: the given
  ``ports`` (names resolve on that endpoint), a Service's ports translated to its target
  ports (``svc:``), or the route's target port (``host:``); without ports a pair is
  "allowed" when any port (of ``protocol``, if given) is open;
- ``quantifier: every`` (default): every probe (source x destination x port) must give
  ``allow``; ``some``: at least one must;
- a side that selects nothing is NPL602, not a pass and not a violation.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from ..load.documents import Related
from ..model.expectations import EndpointSpec, Expectation, ExpectationSet
from ..model.resources import Workload
from .endpoints import Endpoint, external_endpoint, external_range
from .ipblocks import PRIVATE, IPSet, split_atoms
from .istio_world import SYNTHETIC_PATH
from .portsets import PROTOCOLS, PortSet, resolve_named_port
from .reachability import Network, PortError, Verdict
from .routes import port_number, port_protocol, target_port
from .selectors import parse_selector

if TYPE_CHECKING:  # pragma: no cover
    from ..model.resources import Service
    from ..model.session import Session
    from .routes import Route, RouteTable

_T = TypeVar("_T")
# a probe: (port number or name, protocol); protocol None means TCP
Probe = tuple[int | str, str | None]

# Addresses that are never "the internet": private and CGNAT ranges (also where pods live
# without configured pod CIDRs), loopback, link-local, "this network", multicast and reserved.
NOT_INTERNET_V4 = ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3")
NOT_INTERNET_V6 = ("::1/128", "fe80::/10", "ff00::/8", "::/128")

STATE_WORDS = {True: "enabled", False: "disabled"}
_UNRESOLVED_PORT = object()
_UNRESOLVED = (_UNRESOLVED_PORT, None)      # a probe of a port that does not resolve: denied


@dataclass(frozen=True)
class Target:
    """A destination endpoint and what to probe on it: ``ports`` as (port, protocol) pairs
    (a port is a number or a name to resolve; protocol None means TCP), or ``()`` for any
    port.  ``missing`` explains a port that cannot be resolved (the probe is denied)."""

    endpoint: Endpoint
    ports: tuple[Probe, ...] = ()
    missing: str = ""
    route: Route | None = field(default=None, compare=False)      # host: the Route
    service: Service | None = field(default=None, compare=False)  # svc:/host: the Service


@dataclass(frozen=True)
class Side(Generic[_T]):
    """A resolved side: endpoints (sources) or targets (destinations); ``why`` says why it is
    empty."""

    items: tuple[_T, ...] = ()
    why: str = ""


@dataclass
class Failure:
    """The pair that shows an expectation does not hold in one state."""

    state: bool                         # module policies enabled?
    src: Endpoint
    dst: Endpoint
    port: str                           # "TCP 8080", "TCP 8080 (http)", "any port", "any UDP port"
    allowed: bool                       # what the engine says
    detail: str                         # why, one line
    related: list[Related] = field(default_factory=list)


@dataclass
class Outcome:
    expectation: Expectation
    empty: list[tuple[str, str]] = field(default_factory=list)       # ("from"|"to", why)
    failures: list[Failure] = field(default_factory=list)    # Failure per failing state, enabled first

    @property
    def holds(self) -> bool:
        return not self.empty and not self.failures

    def failure(self, state: bool) -> Failure | None:
        return next((f for f in self.failures if f.state == state), None)


class Evaluator:
    """Answers expectations over one session; networks, routes and sides are built once."""

    def __init__(self, session: Session, current: Network | None = None) -> None:
        self.session = session
        self.model = session.model
        self._networks: dict[bool, Network] = {}
        if current is not None and session.kyma is not None:
            self._networks[session.kyma.policies_enabled] = current
        self._routes: RouteTable | None = None
        self._sides: dict[tuple[Any, ...], Side[Any]] = {}          # ("src"|"dst", spec, state, ...)
        self._atoms: dict[tuple[int, EndpointSpec, str], tuple[Endpoint, ...]] = {}
        self._by_namespace: dict[int, dict[str | None, tuple[Endpoint, ...]]] = {}
        self._outcomes: dict[int, Outcome] = {}

    # -- set-up -------------------------------------------------------------------------
    def network(self, enabled: bool) -> Network:
        net = self._networks.get(enabled)
        if net is None:
            kyma = self.session.kyma
            net = Network.build(self.session, kyma=dataclasses.replace(kyma, policies_enabled=enabled)
                                if kyma is not None else None)
            if kyma is None:
                # no Kyma settings: one network stands for both states
                self._networks[True] = self._networks[False] = net
            self._networks[enabled] = net
        return net

    @property
    def routes(self) -> RouteTable:
        if self._routes is None:
            from .routes import trace_routes
            self._routes = trace_routes(self.session)
        return self._routes

    # -- outcomes -----------------------------------------------------------------------
    def outcome(self, exp: Expectation) -> Outcome:
        hit = self._outcomes.get(id(exp))
        if hit is None:
            hit = self._outcomes[id(exp)] = self._check(exp)
        return hit

    def holds_in(self, exp: Expectation, state: bool) -> Failure | None | Literal[False]:
        """The failure of ``exp`` in ``state`` regardless of its ``when`` (None: it holds;
        False: a side selects nothing)."""
        net = self.network(state)
        srcs, dsts = self.sources(exp.src, state), self.targets(exp, state)
        if not srcs.items or not dsts.items:
            return False
        return self._evaluate(exp, state, net, srcs.items, dsts.items)

    def _check(self, exp: Expectation) -> Outcome:
        out = Outcome(exp)
        states = exp.states()
        srcs = self.sources(exp.src, states[0])
        dsts = self.targets(exp, states[0])
        if not srcs.items:
            out.empty.append(("from", srcs.why))
        if not dsts.items:
            out.empty.append(("to", dsts.why))
        if out.empty:
            return out
        for state in states:
            failure = self.holds_in(exp, state)
            if failure:
                out.failures.append(failure)
        return out

    # -- resolving sides ----------------------------------------------------------------
    def sources(self, spec: EndpointSpec, state: bool) -> Side[Endpoint]:
        key = ("src", spec, state)
        hit = self._sides.get(key)
        if hit is None:
            hit = self._sides[key] = Side(*self._endpoints(spec, state, "Ingress"))
        return hit

    def targets(self, exp: Expectation, state: bool) -> Side[Target]:
        key = ("dst", exp.dst, state, exp.ports, exp.protocol)
        hit = self._sides.get(key)
        if hit is not None:
            return hit
        spec = exp.dst
        net = self.network(state)
        if spec.form == "host":
            hit = self._host_targets(spec.ref, net)
        elif spec.form == "svc":
            hit = self._service_targets(spec.ref, exp, net)
        else:
            eps, why = self._endpoints(spec, state, "Egress")
            proto = exp.protocol
            ports = tuple((p, proto) for p in exp.ports)
            hit = Side(tuple(Target(e, ports) for e in eps), why)
        self._sides[key] = hit
        return hit

    def _endpoints(self, spec: EndpointSpec, state: bool, direction: str) -> tuple[tuple[Endpoint, ...], str]:
        """(endpoints, why empty) for a side; ``direction`` picks the ipBlock boundaries that
        matter for external ranges (Ingress: as sources, Egress: as destinations)."""
        net = self.network(state)
        form = spec.form
        if form == "workload":
            eps: list[Endpoint] | tuple[Endpoint, ...] = net.find(spec.ref)
            return tuple(eps), "" if eps else f"no workload {spec.ref} in the input"
        if form == "svc":
            ns, name = spec.ref.split("/")
            svc = self.model.service(ns, name)
            if svc is None:
                return (), f"no Service {spec.ref} in the input"
            eps = self._service_endpoints(svc, net)
            return eps, "" if eps else f"Service {spec.ref} selects no pod template of the input"
        if form == "ns":
            eps = self._namespace(net, spec.ref)
            return eps, "" if eps else f"no workload in namespace {spec.ref}"
        if form == "selector":
            return self._selected(spec, net)
        if form in ("internet", "ip"):
            atoms = self._external(spec, net, direction)
            return atoms, "" if atoms else f"{spec.text} holds no address outside the pod network"
        sel = {"ingress-gateway": ("istio-system", "istio", "ingressgateway"),
               "egress-gateway": ("istio-system", "istio", "egressgateway"),
               "istiod": ("istio-system", "istio", "pilot"),
               "kube-dns": ("kube-system", "k8s-app", "kube-dns")}[form]
        ns, key, value = sel
        eps = tuple(e for e in net.endpoints if e.namespace == ns and not e.external and e.labels.get(key) == value)
        if eps:
            return eps, ""
        hint = {"egress-gateway": " (no Istio CR in the input enables it and no Gateway in the input selects it)",
                "kube-dns": f" (no pod template labelled {key}: {value} in {ns})"}.get(form, "")
        return (), f"no {form} in the input{hint}"

    def _namespace(self, net: Network, namespace: str) -> tuple[Endpoint, ...]:
        """The endpoints of ``namespace`` (an index per network, built on first use)."""
        index = self._by_namespace.get(id(net))
        if index is None:
            lists: dict[str | None, list[Endpoint]] = {}
            for e in net.endpoints:
                if not e.external:
                    lists.setdefault(e.namespace, []).append(e)
            index = self._by_namespace[id(net)] = {k: tuple(v) for k, v in lists.items()}
        return index.get(namespace, ())

    def _selected(self, spec: EndpointSpec, net: Network) -> tuple[tuple[Endpoint, ...], str]:
        raw = spec.selector_data()
        pods = parse_selector({k: v for k, v in raw.items() if k in ("matchLabels", "matchExpressions")})
        nss = parse_selector(raw["namespaceSelector"]) if "namespaceSelector" in raw else None
        ns = raw.get("namespace")
        out: list[Endpoint] = []
        ns_ok: dict[str | None, bool] = {}
        for e in (self._namespace(net, ns) if ns is not None else net.endpoints):
            if e.external:
                continue
            if ns is not None and e.namespace != ns:
                continue
            if nss is not None:
                ok = ns_ok.get(e.namespace)
                if ok is None:
                    ok = ns_ok[e.namespace] = nss.matches(self.model.namespace_labels(cast(str, e.namespace)))  # not external
                if not ok:
                    continue
            if pods.matches(e.labels):
                out.append(e)
        return tuple(out), "" if out else f"{spec.text} selects no pod template of the input"

    def _service_endpoints(self, svc: Service, net: Network) -> tuple[Endpoint, ...]:
        selector = svc.selector
        if not selector or svc.spec.get("type") == "ExternalName":
            return ()
        seen: dict[int, Endpoint] = {}
        for w in self.model.workloads_selected(svc.namespace, selector):
            e = _endpoint_of(net, w)
            if e is not None:
                seen.setdefault(e.index, e)
        return tuple(seen[i] for i in sorted(seen))

    def _service_targets(self, ref: str, exp: Expectation, net: Network) -> Side[Target]:
        ns, name = ref.split("/")
        svc = self.model.service(ns, name)
        if svc is None:
            return Side((), f"no Service {ref} in the input")
        eps = self._service_endpoints(svc, net)
        if not eps:
            return Side((), f"Service {ref} selects no pod template of the input")
        entries = [p for _, p in svc.ports()]
        targets: list[Target] = []
        for e in eps:
            ports: list[Probe] = []
            missing: list[str] = []
            wanted = exp.ports or tuple(dict.fromkeys(
                port_number(p.get("port")) for p in entries if port_number(p.get("port")) is not None))
            for want in wanted:
                hits = [p for p in entries if (p.get("port") == want or p.get("name") == want)
                        and (exp.protocol is None or port_protocol(p) == exp.protocol) and port_protocol(p) in PROTOCOLS]
                if not hits:
                    missing.append(f"Service {ref} has no port {want}" + (f"/{exp.protocol}" if exp.protocol else ""))
                for p in hits:
                    target = target_port(p, e.ports)
                    if target is None:
                        missing.append(f"Service {ref} port {p.get('port')} targets {p.get('targetPort')!r}, "
                                       f"which {e.id} does not declare")
                    else:
                        ports.append((target, port_protocol(p)))
            targets.append(Target(e, tuple(dict.fromkeys(ports)), "; ".join(missing), service=svc))
        return Side(tuple(targets))

    def _host_targets(self, host: str, net: Network) -> Side[Target]:
        routes = [r for r in self.routes.routes if r.via_ingress and any(_host_matches(host, h) for h in route_hosts(r))]
        if not routes:
            return Side((), f"no route of istio-ingressgateway serves host {host}")
        targets: list[Target] = []
        why: list[str] = []
        for r in routes:
            if not r.backends:
                why.append(f"{r.name} routes {host} to {r.service_ref}, which has no pod template in the input")
            for b in r.backends:
                e = _endpoint_of(net, b.workload)
                if e is None:
                    continue
                if b.target_port is None:
                    targets.append(Target(e, (), f"{r.name}: Service {b.service.ns_name} port {b.service_port} does not "
                                                 f"resolve to a container port of {e.id}", r, b.service))
                else:
                    targets.append(Target(e, ((b.target_port, "TCP"),), "", r, b.service))
        uniq = tuple(dict.fromkeys(targets))
        return Side(uniq, "" if uniq else "; ".join(why))

    def _external(self, spec: EndpointSpec, net: Network, direction: str) -> tuple[Endpoint, ...]:
        key = (id(net), spec, direction)
        hit = self._atoms.get(key)
        if hit is not None:
            return hit
        if spec.form == "ip" and spec.ref.endswith(("/32", "/128")):
            addr = spec.ref.split("/")[0]
            hit = self._atoms[key] = (external_endpoint(addr),)
            return hit
        boundaries = [p.block.set for cp in net.policies for r in cp.rules(direction) if not r.problem
                      for p in r.peers if p.block is not None and p.block.valid]
        if spec.form == "ip":
            universe = IPSet.from_cidr(spec.ref)
            inside = IPSet()
        else:
            ipv6 = any(s.has_ipv6 for s in boundaries)
            universe = IPSet.universe(ipv6=ipv6)
            inside = self._not_internet(ipv6)
            boundaries.append(inside)
        atoms: list[Endpoint] = []
        for lo, hi in split_atoms(boundaries, universe):
            if inside and inside.contains(lo):
                continue
            atoms.append(external_range(lo, hi))
        hit = self._atoms[key] = tuple(atoms)
        return hit

    def _not_internet(self, ipv6: bool) -> IPSet:
        out = PRIVATE
        for c in NOT_INTERNET_V4 + (NOT_INTERNET_V6 if ipv6 else ()):
            out = out | IPSet.from_cidr(c)
        for c in self.session.config.pod_cidrs:
            out = out | IPSet.from_cidr(c)
        return out

    # -- evaluating pairs ---------------------------------------------------------------
    def _evaluate(self, exp: Expectation, state: bool, net: Network, srcs: tuple[Endpoint, ...],
                  dsts: tuple[Target, ...]) -> Failure | None:
        """None when ``exp`` holds in ``state``; else the pair that shows it does not."""
        every = exp.quantifier == "every"
        first_miss: tuple[Endpoint, Target, int | str | None, str | None, bool, Verdict | None, str] | None = None
        for s in srcs:
            for t in dsts:
                d = t.endpoint
                if s.external and d.external:
                    continue
                # a port is a number, a name, None (any port) or the _UNRESOLVED_PORT sentinel
                probes: list[tuple[Any, str | None]] = list(t.ports) or ([] if t.missing else [(None, exp.protocol)])
                if t.missing:
                    probes.append(_UNRESOLVED)
                for port, proto in probes:
                    if port is _UNRESOLVED_PORT:
                        allowed, verdict, what = False, None, t.missing
                        port, proto = None, exp.protocol
                    else:
                        allowed, verdict, what = self._probe(net, s, t, port, proto)
                    if allowed == exp.allow:
                        if not every:
                            return None
                        continue
                    if every:
                        return self._failure(exp, state, net, s, t, port, proto, allowed, verdict, what)
                    if first_miss is None:
                        first_miss = (s, t, port, proto, allowed, verdict, what)
        if every or first_miss is None:
            return None
        return self._failure(exp, state, net, *first_miss)

    def _probe(self, net: Network, s: Endpoint, t: Target, port: int | str | None,
               proto: str | None) -> tuple[bool, Verdict | None, str]:
        """(allowed, the verdict or None, what was probed or why it could not be)."""
        d = t.endpoint
        if port is None:                                   # any port (of ``proto``)
            if not _may_connect(net, s, d):
                return False, None, ""
            ports = net.reachable_ports(s, d)
            if proto is not None:
                ranges = ports.ranges(proto)
                return bool(ranges), None, ""
            return bool(ports), None, ""
        proto = proto or "TCP"
        if not isinstance(port, int):
            number = resolve_named_port(port, proto, d.ports)
            if number is None:
                return False, None, f"{d.id} declares no {proto} port named '{port}'"
        if not _may_connect(net, s, d):
            return False, None, ""
        try:
            v = net.allowed(s, d, port, proto)
        except PortError as exc:
            return False, None, str(exc)
        return v.allowed, v, ""

    def _failure(self, exp: Expectation, state: bool, net: Network, s: Endpoint, t: Target, port: int | str | None,
                 proto: str | None, allowed: bool, verdict: Verdict | None, what: str) -> Failure:
        d = t.endpoint
        if verdict is None and port is not None and not what:
            try:                                                     # denied by the masks: explain it
                verdict = net.allowed(s, d, port, proto or "TCP")
            except PortError as exc:
                what = str(exc)
        if port is None:
            port_text = f"any {proto} port" if proto else "any port"
        elif verdict is not None:
            port_text = f"{verdict.protocol} {verdict.port}" + (f" ({verdict.port_name})" if verdict.port_name else "")
        else:
            port_text = f"{proto or 'TCP'} {port}"
        related: list[Related] = []
        if what:
            detail = what
        elif verdict is not None:
            detail = _verdict_detail(verdict)
            related += _deciding(verdict)
        elif allowed:                                    # any port, must be denied: say what is open
            open_ports = net.reachable_ports(s, d).only(proto)
            p0, n0, name = _witness(open_ports, d)
            v = net.allowed(s, d, n0, p0)
            if open_ports.is_all or open_ports.single:
                detail = f"{open_ports.describe()} {'is' if open_ports.single else 'are'} open: "
            else:
                detail = f"{open_ports.describe()} are open, e.g. {p0} {n0}{f' ({name})' if name else ''}: "
            detail += _verdict_detail(v)
            related += _deciding(v)
        else:                                            # any port, must be allowed: nothing is open
            detail, rel = _closed_detail(net, s, d, proto)
            related += rel
        if t.missing and not what:
            detail += f"; note: {t.missing}"
        for e in (s, d):
            for w in e.workloads[:1]:
                if not e.synthetic and w.file != SYNTHETIC_PATH:
                    related.append(Related(w.labels_location(), f"{w.kind} {w.ns_name} ({'source' if e is s else 'destination'})"))
        if t.route is not None:
            related += t.route.related()
        return Failure(state, s, d, port_text, allowed, detail, list(dict.fromkeys(related)))


def evaluator(session: Session, current: Network | None = None) -> Evaluator:
    """The session's evaluator (one per session: networks and sides are shared by all users)."""
    exps: ExpectationSet | None = getattr(session, "expectations", None)
    cache = exps.cache if exps is not None else {}
    ev = cache.get("evaluator")
    if ev is None or ev.session is not session:
        ev = cache["evaluator"] = Evaluator(session, current)
    return ev


def flag_flip_changes(session: Session, off: Network | None = None,
                      on: Network | None = None) -> list[tuple[Expectation, Failure | None, Failure | None]]:
    """Expectations whose outcome differs between module policies disabled and enabled, as
    (expectation, failure with policies off, failure with policies on): what setting
    ``networkPoliciesEnabled: true`` breaks (off holds, on fails) or repairs.  Expectations
    checked only with policies disabled are left out (the flip does not concern them); a
    side that selects nothing is not a change.  ``off``/``on``: networks already built for the
    two states (``impact`` passes its own, built with its options)."""
    exps = getattr(session, "expectations", None)
    if not exps:
        return []
    if off is not None and on is not None:
        ev = Evaluator(session)
        ev._networks.update({False: off, True: on})
    else:
        ev = evaluator(session)
    out: list[tuple[Expectation, Failure | None, Failure | None]] = []
    for exp in exps:
        if exp.when == "policies-disabled":
            continue
        off_failure, on_failure = ev.holds_in(exp, False), ev.holds_in(exp, True)
        if off_failure is False or on_failure is False:
            continue
        if (off_failure is None) != (on_failure is None):
            out.append((exp, off_failure, on_failure))
    return out


# -- helpers -------------------------------------------------------------------------------
def route_hosts(route: Route) -> list[str]:
    """The hostnames a route serves: an APIRule's ``spec.hosts`` (v2) / ``spec.host``
    (v1beta1) / ``spec.service.host`` (v1alpha1), a VirtualService's ``spec.hosts``."""
    spec = route.source.spec if route.kind in ("APIRule", "VirtualService") else {}
    out: list[str] = []
    hosts = spec.get("hosts")
    if isinstance(hosts, list):
        out += [h for h in hosts if isinstance(h, str)]
    if isinstance(spec.get("host"), str):
        out.append(spec["host"])
    svc = spec.get("service")
    if route.kind == "APIRule" and isinstance(svc, dict) and isinstance(svc.get("host"), str):
        out.append(svc["host"])
    return [h.lower() for h in out if h]


def _host_matches(host: str, route_host: str) -> bool:
    """``host`` (from an expectation) is served by ``route_host``: equal, a wildcard
    ``*.example.com``, or a short host (no dot: the gateway's domain is appended) with the
    same first label."""
    if host == route_host:
        return True
    if route_host.startswith("*.") and host.endswith(route_host[1:]):
        return True
    if "." not in route_host or "." not in host:
        return host.split(".", 1)[0] == route_host.split(".", 1)[0]
    return False


def _endpoint_of(net: Network, w: Workload) -> Endpoint | None:
    try:
        return net.endpoint(w)
    except ValueError:
        return None


def _may_connect(net: Network, s: Endpoint, d: Endpoint) -> bool:
    """False when no rule on either side can admit the other (ports aside): denied for sure,
    without building a verdict (the engine's peer masks, as ``Network.connections`` uses)."""
    if s.external or d.external:
        return True
    return bool((net._reach_mask("Egress", s.index) >> d.index) & 1
                and (net._reach_mask("Ingress", d.index) >> s.index) & 1)


def _verdict_detail(v: Verdict) -> str:
    return (f"egress of {v.src.id}: {'allowed' if v.egress.allowed else 'denied'} ({v.egress.summary}); "
            f"ingress of {v.dst.id}: {'allowed' if v.ingress.allowed else 'denied'} ({v.ingress.summary})")


def _deciding(v: Verdict) -> list[Related]:
    """Where the policies that decide ``v`` are: for an allowed connection the admitting rule
    of each isolated side, for a denied one every policy isolating a denying side (policies
    of the engine's Istio module are not in the input and are left out)."""
    out: list[Related] = []
    for side in (v.egress, v.ingress):
        if not side.isolated:
            continue
        if v.allowed and side.match is not None:
            cp = side.match.policy
            out.append(Related(cp.policy.locate("spec", side.direction.lower(), side.match.rule_index),
                               f"NetworkPolicy {cp.key} admits it ({side.direction.lower()})"))
        elif not side.allowed:
            for cp in side.compiled:
                out.append(Related(cp.policy.locate("spec", "podSelector"),
                                   f"NetworkPolicy {cp.key} isolates {side.subject.id} for {side.direction.lower()}"))
    return [r for r in out if r.location.file != SYNTHETIC_PATH]


def _witness(ports: PortSet, d: Endpoint) -> tuple[str, int, str]:
    """One open (protocol, port, its container port name or "") to explain: the first port the
    destination declares that is open, else the lowest open port (TCP first)."""
    for cp in d.ports:
        if ports.contains(cp.port, cp.protocol):
            return cp.protocol, cp.port, cp.name or ""
    proto = next(p for p in ("TCP", "UDP", "SCTP", *ports.protocols) if ports.ranges(p))
    return proto, ports.ranges(proto)[0][0], ""


def _closed_detail(net: Network, s: Endpoint, d: Endpoint, proto: str | None = None) -> tuple[str, list[Related]]:
    parts: list[str] = []
    related: list[Related] = []
    for direction, subject, peer in (("Egress", s, d), ("Ingress", d, s)):
        ports, names = net._side_ports(direction, subject, peer, d)
        isolating = net.isolating(subject, direction) if not subject.external else []
        side = f"{direction.lower()} of {subject.id}"
        if not isolating:
            parts.append(f"{side}: not isolated")
            continue
        keys = ", ".join(cp.key for cp in isolating)
        parts.append(f"{side}: admits {ports.describe() if ports else 'nothing'} (isolated by {keys})")
        related += [Related(cp.policy.locate("spec", "podSelector"),
                            f"NetworkPolicy {cp.key} isolates {subject.id} for {direction.lower()}")
                    for cp in isolating if cp.policy.file != SYNTHETIC_PATH]
    return f"no {proto + ' ' if proto else ''}port is open; " + "; ".join(parts), related


__all__ = ["Evaluator", "Outcome", "Failure", "Target", "evaluator", "flag_flip_changes", "route_hosts",
           "STATE_WORDS"]
