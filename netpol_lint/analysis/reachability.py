"""The reachability engine: which endpoint may open which connection to which other.

A connection from ``src`` to ``dst`` on ``port/protocol`` is allowed iff the source's egress
side AND the destination's ingress side allow it.  A side that no policy isolates allows
everything; an isolated side allows what the union of the rules of every policy isolating
it admits (Kubernetes ``networking.k8s.io/v1``; details in ``compiled.py``).

``Network.build`` turns a session (or a bare model) into endpoints (``endpoints.py``), adds
the Istio module's world unless told not to (``istio_world.py``), and compiles every policy
once.  Each endpoint keeps the list of policies isolating it per direction, so a query only
touches the policies of its two endpoints: no scan over all policies per query.

Verdicts carry explanations (which policy, rule, peer and port admitted, or why nothing
did), built lazily so that bulk probing stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, cast

from ..config import Config
from ..model.resources import NetworkPolicy, Workload
from .compiled import CompiledPolicy, CompiledRule, PolicyCompiler
from .endpoints import (Endpoint, EndpointLookup, apiserver_endpoint, build_endpoints, external_endpoint,
                        external_range)
from .ipblocks import IPSet, split_atoms
from .istio_world import IstioWorld, build_istio_world
from ..model.platform import DEFAULT_PLATFORM, Platform, platform as load_platform
from .portsets import ALL, EMPTY, PROTOCOLS, PortSet, resolve_named_port


class EndpointError(ValueError):
    """An endpoint spelling that names no endpoint, or more than one."""


class PortError(ValueError):
    """A port or protocol that cannot be probed (bad number, unresolvable name)."""


# -- verdicts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleMatch:
    """The rule that admitted a connection on one side."""

    policy: CompiledPolicy
    direction: str
    rule_index: int
    peer_index: int      # -1: the rule has no from/to (any peer)
    port_index: int      # -1: the rule has no ports (any port)

    def describe(self) -> str:
        rule = self.policy.rules(self.direction)[self.rule_index]
        field = "from" if self.direction == "Ingress" else "to"
        peer = f"any {'source' if field == 'from' else 'destination'}" if self.peer_index < 0 else \
            f"{field}[{self.peer_index}]: {rule.peers[self.peer_index].text}"
        port = "any port" if self.port_index < 0 else \
            f"ports[{self.port_index}]: {rule.ports.entries[self.port_index].describe()}"
        return f"{self.policy.key} {self.direction.lower()}[{self.rule_index}] ({peer}; {port})"


@dataclass
class SideVerdict:
    """One side of a connection: the source's egress or the destination's ingress."""

    direction: str               # "Egress" or "Ingress"
    subject: Endpoint            # whose policies decide this side
    peer: Endpoint               # the other end
    port: int
    protocol: str
    allowed: bool
    isolated: bool
    compiled: tuple[CompiledPolicy, ...]
    match: RuleMatch | None = None
    host_network_enforced: bool = False

    @property
    def policies(self) -> list[NetworkPolicy]:
        """The NetworkPolicy objects isolating the subject on this side."""
        return [c.policy for c in self.compiled]

    @property
    def policy_names(self) -> list[str]:
        return [c.key for c in self.compiled]

    @property
    def summary(self) -> str:
        """One line: why this side allows or denies."""
        side = self.direction.lower()
        s = self.subject
        if s.external:
            return f"{s.id} is outside the cluster: no NetworkPolicy governs its {side}"
        if s.host_network and not self.host_network_enforced:
            return (f"{s.id} uses the host network: outside NetworkPolicy enforcement "
                    f"(policies do not select it), so its {side} is not restricted")
        if not self.isolated:
            return f"no NetworkPolicy selects {s.id} for {side}: all {side} allowed"
        if self.match is not None:
            return f"admitted by {self.match.describe()}"
        what = f"from {self.peer.id}" if self.direction == "Ingress" else f"to {self.peer.id}"
        return (f"isolated by {', '.join(self.policy_names)}; no {side} rule admits {what} "
                f"on {self.protocol} {self.port}")

    @property
    def explanation(self) -> str:
        """The summary plus, for a denial, what each rule of the isolating policies lacks."""
        if not self.isolated or self.allowed:
            return self.summary
        lines = [self.summary] + self._rule_notes()
        if self.peer.host_network and not self.host_network_enforced:
            lines.append(f"note: {self.peer.id} uses the host network; podSelector/namespaceSelector peers never "
                         f"match it (its traffic carries the node address), only ipBlocks can")
        return "\n".join(lines)

    def _rule_notes(self, limit: int = 8) -> list[str]:
        notes = []
        dst_ports = (self.peer if self.direction == "Egress" else self.subject).ports
        for cp in self.compiled:
            rules = cp.rules(self.direction)
            if not rules:
                notes.append(f"  {cp.key}: no {self.direction.lower()} rules (denies all)")
            for rule in rules:
                name = f"{cp.key} {self.direction.lower()}[{rule.index}]"
                if rule.problem:
                    notes.append(f"  {name}: ignored ({rule.problem})")
                elif not rule.admits(self.peer):
                    peers = "; ".join(p.text for p in rule.peers) or "no valid peer"
                    notes.append(f"  {name}: peer {self.peer.id} does not match ({peers})")
                elif rule.ports.match_entry(self.port, self.protocol, dst_ports) is None:
                    notes.append(f"  {name}: port {self.protocol} {self.port} not admitted "
                                 f"({rule.ports.describe()})")
                if len(notes) >= limit:
                    notes.append("  ...")
                    return notes
        return notes

    def to_json(self, explain: bool = True, brief: bool = False) -> dict[str, Any]:
        out = {"allowed": self.allowed, "isolated": self.isolated, "policies": self.policy_names}
        if explain:
            out["explanation"] = self.summary if brief else self.explanation
        return out


@dataclass
class Verdict:
    """Whether ``src`` may connect to ``dst`` on ``port/protocol``, and why."""

    src: Endpoint
    dst: Endpoint
    port: int
    protocol: str
    egress: SideVerdict
    ingress: SideVerdict
    port_name: str | None = None

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def explanation(self) -> str:
        word = "ALLOWED" if self.allowed else "DENIED"
        port = f"{self.protocol} {self.port}" + (f" ({self.port_name})" if self.port_name else "")
        return (f"{self.src.id} -> {self.dst.id} {port}: {word}\n"
                f"  egress of {self.src.id}: {'allowed' if self.egress.allowed else 'denied'} - "
                + self.egress.explanation.replace("\n", "\n    ")
                + f"\n  ingress of {self.dst.id}: {'allowed' if self.ingress.allowed else 'denied'} - "
                + self.ingress.explanation.replace("\n", "\n    "))

    def to_json(self, explain: bool = True, brief: bool = False) -> dict[str, Any]:
        """The CONTRACT.md ``reach`` object (+ an ``explanation`` per side)."""
        return {"from": self.src.id, "to": self.dst.id, "port": self.port, "protocol": self.protocol,
                "allowed": self.allowed, "egress": self.egress.to_json(explain, brief),
                "ingress": self.ingress.to_json(explain, brief)}


@dataclass(frozen=True)
class Connection:
    """An allowed pair with every port it may use and the policies that decided it."""

    src: Endpoint
    dst: Endpoint
    ports: PortSet
    egress_policies: tuple[str, ...] = ()
    ingress_policies: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"from": self.src.id, "to": self.dst.id, "connections": self.ports.to_json(),
                "text": self.ports.to_text(), "egress_policies": list(self.egress_policies),
                "ingress_policies": list(self.ingress_policies)}


# -- the network ---------------------------------------------------------------------------
class Network:
    """Endpoints plus compiled policies; answers reachability questions."""

    def __init__(self, endpoints: list[Endpoint], policies: Iterable[NetworkPolicy],
                 namespaces: dict[str, dict[str, str]], *, ipblock_pods: str = "by-ip",
                 pod_cidrs: Iterable[str] = (), default_namespace: str = "default",
                 world: IstioWorld | None = None, host_network_enforced: bool = False,
                 platform: Platform | None = None):
        self.endpoints = endpoints
        self.platform = platform or (world.platform if world is not None else None) or load_platform(DEFAULT_PLATFORM)
        self.apiserver = apiserver_endpoint()
        self.host_network_enforced = host_network_enforced
        self.world = world
        self.ipblock_pods = ipblock_pods
        self.default_namespace = default_namespace
        self._lookup = EndpointLookup(endpoints, default_namespace)
        self._by_workload = {id(w): e for e in endpoints for w in e.workloads}
        self._externals: dict[str, Endpoint] = {}
        compiler = self._compiler = PolicyCompiler(endpoints, namespaces, ipblock_pods, list(pod_cidrs),
                                                   host_network_enforced)
        ordered = sorted(policies, key=lambda p: (p.namespace or "", p.name, p.file, p.doc.index))
        self.policies: list[CompiledPolicy] = [compiler.compile(p) for p in ordered]
        self.all_mask = (1 << len(endpoints)) - 1
        self._isolating: dict[str, list[list[CompiledPolicy]]] = {d: [[] for _ in endpoints] for d in ("Ingress", "Egress")}
        for cp in self.policies:
            for direction in ("Ingress", "Egress"):
                if cp.has_type(direction) and cp.selected:
                    for i in _bits(cp.selected):
                        self._isolating[direction][i].append(cp)
        self._reach_cache: dict[tuple[str, int], int] = {}

    # -- construction -----------------------------------------------------------------
    @classmethod
    def build(cls, source: Any, kyma: Any = None, config: Config | None = None, istio_world: bool = True, *,
              ipblock_pods: str | None = None, pod_cidrs: Iterable[str] | None = None,
              host_network_enforced: bool = False) -> "Network":
        """A network from a ``Session`` or a ``Model``.

        ``kyma`` (KymaSettings) and ``config`` default to the session's; ``istio_world=False``
        builds exactly the input (conformance suites, non-Kyma users): plain Kubernetes, without
        the sidecar injector's ``security.istio.io/tlsMode`` label either.  Pods on the host
        network are outside policy enforcement unless ``host_network_enforced`` (see
        ``compiled.py``).
        """
        model = getattr(source, "model", source)
        kyma = kyma if kyma is not None else getattr(source, "kyma", None)
        config = config or getattr(source, "config", None) or Config()
        world = None
        synthetic: list[Workload] = []
        # One object per namespace/name, as in a cluster: the last one applied wins (NPL004
        # reports the duplicate).
        policies = list({(p.namespace, p.name): p for p in model.network_policies}.values())
        # the model was built for the session's platform (config ``platform``, ``--platform``)
        platform = load_platform(getattr(model, "platform", None) or getattr(config, "platform", None)
                                 or DEFAULT_PLATFORM)
        if istio_world:
            port = getattr(kyma, "api_server_port", None) or config.api_server_port
            world = build_istio_world(model, kyma, port, platform)
            synthetic, policies = world.workloads, policies + world.policies
        namespaces = dict(model.known_namespaces())
        for w in list(model.workloads) + synthetic:
            if w.namespace and w.namespace not in namespaces:
                namespaces[w.namespace] = model.namespace_labels(w.namespace)
        endpoints = build_endpoints(model.workloads, model.namespace_labels, synthetic, istio=istio_world)
        return cls(endpoints, policies, namespaces, ipblock_pods=ipblock_pods or config.ipblock_pods,
                   pod_cidrs=config.pod_cidrs if pod_cidrs is None else pod_cidrs,
                   default_namespace=model.default_namespace, world=world,
                   host_network_enforced=host_network_enforced, platform=platform)

    # -- endpoints --------------------------------------------------------------------
    def endpoint(self, ref: Any, role: str = "to") -> Endpoint:
        """An endpoint by id (``ns/name``, ``ns/kind/name``, ``kind/ns/name``, ``ip:ADDR``,
        ``apiserver``), by Workload object, or an Endpoint itself.  Raises ``EndpointError``.

        ``apiserver`` as a source (``role="from"``) is the API server as webhooks see it: the
        platform's caller pods (Gardener: ``kube-system/vpn-shoot``), else an address outside
        the pod network; as a destination it is always such an address (RULES.md "The platform").
        """
        if isinstance(ref, Endpoint):
            return ref
        if isinstance(ref, Workload):
            hit = self._by_workload.get(id(ref))
            if hit is None:
                raise EndpointError(f"{ref.ref} is not part of this network")
            return hit
        text = str(ref).strip()
        if text == "apiserver":
            return self.apiserver_caller() if role == "from" else self.apiserver
        if text.startswith("ip:"):
            hit = self._externals.get(text)
            if hit is None:
                try:
                    hit = self._externals[text] = external_endpoint(text[3:])
                except ValueError:
                    raise EndpointError(f"'{text}' is not an IP address") from None
            return hit
        hits = self._lookup.find(text)
        if not hits:
            raise EndpointError(f"no workload '{text}' in the input (use NAMESPACE/NAME, ip:ADDRESS or apiserver)")
        if len(hits) > 1:
            options = ", ".join(f"{e.namespace}/{e.kind}/{e.name}" for e in hits)
            raise EndpointError(f"'{text}' is ambiguous: use one of {options}")
        return hits[0]

    def apiserver_caller(self) -> Endpoint:
        """Where the API server's calls (webhooks, conversion) come from on this platform."""
        caller = self.platform.apiserver_caller
        if caller:
            hits = self._lookup.find(caller)
            if len(hits) == 1:
                return hits[0]
        return self.apiserver

    def dns_endpoint(self) -> Endpoint | None:
        """The cluster DNS pods (CoreDNS in kube-system), if modelled."""
        hits = self._lookup.find(self.platform.dns.id)
        return hits[0] if len(hits) == 1 else None

    def find(self, text: str) -> list[Endpoint]:
        """Every endpoint a workload spelling (``ns/name``, ``ns/kind/name``, ``kind/ns/name``)
        names, in index order: several when a name is shared by workloads of different kinds."""
        return sorted(self._lookup.find(text), key=lambda e: e.index)

    def isolated(self, endpoint: Any, direction: str) -> list[NetworkPolicy]:
        """The policies isolating ``endpoint`` for ``direction`` ("Ingress" or "Egress")."""
        e = self.endpoint(endpoint)
        if e.external:
            return []
        return [c.policy for c in self._isolating[_direction(direction)][e.index]]

    def isolating(self, endpoint: Any, direction: str) -> list[CompiledPolicy]:
        e = self.endpoint(endpoint)
        return [] if e.external else list(self._isolating[_direction(direction)][e.index])

    def endpoints_in(self, mask: int) -> list[Endpoint]:
        """The modelled endpoints whose bits are set in ``mask`` (a selector's or a policy's),
        in index order; visiting only set bits (testing every endpoint's bit was quadratic)."""
        return [e for i in _bits(mask) if not (e := self.endpoints[i]).external]

    # -- single probes ----------------------------------------------------------------
    def allowed(self, src: Any, dst: Any, port: int | str, protocol: str = "TCP") -> Verdict:
        """Verdict for one connection attempt; a named ``port`` resolves against ``dst``."""
        s, d = self.endpoint(src, "from"), self.endpoint(dst)
        proto = str(protocol).upper()
        if proto not in PROTOCOLS:
            raise PortError(f"protocol must be one of {', '.join(PROTOCOLS)}, not '{protocol}'")
        number, name = self._port(port, proto, d)
        egress = self._side("Egress", s, d, d, number, proto)
        ingress = self._side("Ingress", d, s, d, number, proto)
        return Verdict(s, d, number, proto, egress, ingress, name)

    def _port(self, port: Any, proto: str, dst: Endpoint) -> tuple[int, str | None]:
        if isinstance(port, str) and port.strip().isdigit():
            port = int(port.strip())
        if isinstance(port, int) and not isinstance(port, bool):
            if not 1 <= port <= 65535:
                raise PortError(f"port {port} is out of range 1-65535")
            return port, None
        if isinstance(port, str) and port.strip():
            number = resolve_named_port(port.strip(), proto, dst.ports)
            if number is None:
                raise PortError(f"{dst.id} declares no container port named '{port.strip()}' ({proto})")
            return number, port.strip()
        raise PortError(f"bad port {port!r}")

    def _side(self, direction: str, subject: Endpoint, peer: Endpoint, dst: Endpoint, port: int,
              proto: str) -> SideVerdict:
        compiled = () if subject.external else tuple(self._isolating[direction][subject.index])
        if not compiled:
            return SideVerdict(direction, subject, peer, port, proto, True, False, (),
                               host_network_enforced=self.host_network_enforced)
        for cp in compiled:
            for rule in cp.rules(direction):
                if rule.problem or not rule.admits(peer):
                    continue
                entry = rule.ports.match_entry(port, proto, dst.ports)
                if entry is not None:
                    # admits(peer) above: some peer entry matches, matching_peer is not None
                    match = RuleMatch(cp, direction, rule.index, cast(int, rule.matching_peer(peer)), entry)
                    return SideVerdict(direction, subject, peer, port, proto, True, True, compiled, match,
                                       self.host_network_enforced)
        return SideVerdict(direction, subject, peer, port, proto, False, True, compiled,
                           host_network_enforced=self.host_network_enforced)

    def compile(self, policy: NetworkPolicy) -> CompiledPolicy:
        """``policy`` compiled against this network's endpoints (without adding it)."""
        return self._compiler.compile(policy)

    def admits_instead(self, side: SideVerdict, replaced: CompiledPolicy, cp: CompiledPolicy) -> bool:
        """Whether ``side``, a denial, would admit its connection if ``cp`` (``compile``) stood in
        place of ``replaced`` (one of the policies isolating it): what an edited copy of a module
        policy costs compared with the module's own."""
        d, subject, peer = side.direction, side.subject, side.peer
        dst = subject if d == "Ingress" else peer
        if not (cp.has_type(d) and (cp.selected >> subject.index) & 1):
            return not [c for c in side.compiled if c is not replaced]      # no longer isolated
        return any(not rule.problem and rule.admits(peer)
                   and rule.ports.match_entry(side.port, side.protocol, dst.ports) is not None
                   for rule in cp.rules(d))

    # -- port sets --------------------------------------------------------------------
    def reachable_ports(self, src: Any, dst: Any) -> PortSet:
        """Every port/protocol on which ``src`` may connect to ``dst``."""
        s, d = self.endpoint(src, "from"), self.endpoint(dst)
        egress, _ = self._side_ports("Egress", s, d, d)
        if not egress:
            return EMPTY
        ingress, _ = self._side_ports("Ingress", d, s, d)
        return egress & ingress

    def _side_ports(self, direction: str, subject: Endpoint, peer: Endpoint, dst: Endpoint) -> tuple[PortSet, tuple[str, ...]]:
        compiled = () if subject.external else self._isolating[direction][subject.index]
        if not compiled:
            return ALL, ()
        acc, names = EMPTY, []
        for cp in compiled:
            contributed = False
            for rule in cp.rules(direction):
                if rule.problem or not rule.admits(peer):
                    continue
                ports = rule.ports.resolve(dst.ports, dst.index)
                if ports:
                    acc = acc | ports
                    contributed = True
            if contributed:
                names.append(cp.key)
        return acc, tuple(names)

    # -- all connections --------------------------------------------------------------
    def _reach_mask(self, direction: str, index: int) -> int:
        """Endpoints the rules of ``index``'s policies may admit as peers (ports ignored)."""
        key = (direction, index)
        hit = self._reach_cache.get(key)
        if hit is None:
            compiled = self._isolating[direction][index]
            if not compiled:
                hit = self.all_mask
            else:
                hit = 0
                for cp in compiled:
                    for rule in cp.rules(direction):
                        if rule.problem:
                            continue
                        if rule.any_peer:
                            hit = self.all_mask
                            break
                        hit |= rule.pod_mask
                    if hit == self.all_mask:
                        break
            self._reach_cache[key] = hit
        return hit

    def admitted_peers(self, endpoint: Any, direction: str) -> int:
        """Mask of the endpoints ``endpoint``'s ``direction`` side may admit as peers on some
        port (every endpoint when that side is not isolated).  The explorer page uses it to
        say which side denies a pair."""
        e = self.endpoint(endpoint)
        return self.all_mask if e.external else self._reach_mask(_direction(direction), e.index)

    def external_atoms(self, direction: str) -> list[Endpoint]:
        """External address ranges split at every ipBlock boundary of ``direction``'s rules.

        ``Ingress`` gives the ranges that matter as sources, ``Egress`` as destinations (as
        netpol-analyzer does).  IPv6 space is included only when such a rule names IPv6.
        """
        sets = [p.block.set for cp in self.policies for r in cp.rules(direction) if not r.problem
                for p in r.peers if p.block is not None and p.block.valid]
        universe = IPSet.universe(ipv6=any(s.has_ipv6 for s in sets))
        return [external_range(lo, hi) for lo, hi in split_atoms(sets, universe)]

    def connections(self, include_external: bool = True) -> list[Connection]:
        """Every allowed ordered pair (self pairs excluded) with its folded port set.

        Sorted by source then destination (workloads by id, then external ranges by address).
        """
        out: list[Connection] = []
        eps = self.endpoints
        for d in eps:
            candidates = self._reach_mask("Ingress", d.index) & ~(1 << d.index)
            dbit = d.index
            for si in _bits(candidates):
                if not (self._reach_mask("Egress", si) >> dbit) & 1:
                    continue
                s = eps[si]
                egress, eg_names = self._side_ports("Egress", s, d, d)
                if not egress:
                    continue
                ingress, in_names = self._side_ports("Ingress", d, s, d)
                ports = egress & ingress
                if ports:
                    out.append(Connection(s, d, ports, eg_names, in_names))
        if include_external:
            for atom in self.external_atoms("Ingress"):
                for d in eps:
                    ports, names = self._side_ports("Ingress", d, atom, d)
                    if ports:
                        out.append(Connection(atom, d, ports, (), names))
            atoms = self.external_atoms("Egress")
            for s in eps:
                for atom in atoms:
                    ports, names = self._side_ports("Egress", s, atom, atom)
                    if ports:
                        out.append(Connection(s, atom, ports, names, ()))
        out.sort(key=lambda c: (_order(c.src), _order(c.dst)))
        return out


def _order(e: Endpoint) -> tuple[int, int, str]:
    return (1, e.address, e.id) if e.external else (0, 0, e.id)


def _direction(direction: str) -> str:
    d = str(direction).capitalize()
    if d not in ("Ingress", "Egress"):
        raise ValueError(f"direction must be Ingress or Egress, not {direction!r}")
    return d


def _bits(mask: int) -> Iterator[int]:
    """Indices of the set bits of ``mask``, ascending."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


__all__ = ["Network", "Verdict", "SideVerdict", "RuleMatch", "Connection", "EndpointError", "PortError",
           "CompiledRule", "PortSet"]
