"""NetworkPolicies compiled against one set of endpoints, for the reachability engine.

Compilation happens once per network: every selector becomes a bitset over endpoint indices
(bit ``i`` = ``Network.endpoints[i]``), every ``ports`` list a ``RulePorts``.  A query then
only tests bits and port intervals.

Kubernetes ``networking.k8s.io/v1`` semantics, exactly:

* effective ``policyTypes``: as written; when omitted ``Ingress``, plus ``Egress`` when
  ``spec.egress`` has at least one rule (API-server defaulting, so ``egress: []`` alone does
  not isolate egress);
* ``spec.podSelector`` null or ``{}`` selects every pod of the policy's namespace;
* a rule without ``from``/``to`` (or with an empty list) admits every peer, external
  addresses included; ``ingress: []`` / no rules admits nothing;
* a peer with only ``podSelector`` means pods of the policy's namespace, only
  ``namespaceSelector`` means every pod of the selected namespaces, both means AND;
  ``ipBlock`` means addresses (pods only per ``--ipblock-pods``);
* pods on the host network are never selected (the most common implementation the
  Kubernetes documentation describes: their traffic carries the node address), so selector
  peers never match them either; ``host_network_enforced=True`` selects the other behaviour
  the documentation allows, policies applying to them like to any pod (netpol-analyzer's
  assumption).

Anything malformed (wrong types, unknown fields the API server would reject, invalid
selectors, CIDRs or ports) matches nothing; NPL003 reports it.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from ..model.resources import NetworkPolicy
from .ipblocks import IPBlock, IPSet, selects_unknown_pod, to_int
from .portsets import RulePorts
from .selectors import MATCH_NONE, LabelIndex, Selector, parse_selector

if TYPE_CHECKING:  # pragma: no cover
    from .endpoints import Endpoint

DIRECTIONS = ("Ingress", "Egress")
_PEER_FIELD = {"Ingress": "from", "Egress": "to"}


def effective_policy_types(spec: dict[str, Any]) -> tuple[str, ...]:
    """API-server defaulting of ``policyTypes`` (invalid entries dropped)."""
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return tuple(t for t in DIRECTIONS if t in types)
    egress = spec.get("egress")
    return ("Ingress", "Egress") if isinstance(egress, list) and egress else ("Ingress",)


class CompiledPeer:
    """One entry of ``from``/``to``: endpoint bitset and, for ipBlocks, the address set."""

    __slots__ = ("index", "mask", "block", "text")

    def __init__(self, index: int, mask: int, text: str, block: IPBlock | None = None):
        self.index, self.mask, self.text, self.block = index, mask, text, block

    def admits_address(self, address: int) -> bool:
        return self.block is not None and self.block.valid and self.block.set.contains(address)


class CompiledRule:
    """One ingress/egress rule."""

    __slots__ = ("index", "peers", "any_peer", "pod_mask", "ipset", "any_address", "ports", "problem")

    def __init__(self, index: int, peers: tuple[CompiledPeer, ...], any_peer: bool, ports: RulePorts,
                 problem: str = ""):
        self.index, self.peers, self.any_peer, self.ports, self.problem = index, peers, any_peer, ports, problem
        self.pod_mask = 0
        ipset = IPSet()
        # a peer block sure to hold an address the linter does not know (the API server's)
        self.any_address = any(p.block is not None and p.block.valid and p.block.prefix_len == 0
                               and not p.block.excepts for p in peers)
        for p in peers:
            self.pod_mask |= p.mask
            if p.block is not None and p.block.valid:
                ipset = ipset | p.block.set
        self.ipset = ipset

    def admits(self, peer: Endpoint) -> bool:
        """Does this rule's peer list match endpoint ``peer`` (ports not considered)?"""
        if self.any_peer:
            return True
        if peer.external:
            return self.ipset.contains(peer.address) if peer.address >= 0 else self.any_address
        return bool((self.pod_mask >> peer.index) & 1)

    def matching_peer(self, peer: Endpoint) -> int | None:
        """Index of the first peer entry matching ``peer`` (None if none; -1 for any peer)."""
        if self.any_peer:
            return -1
        for p in self.peers:
            if peer.external:
                if p.admits_address(peer.address) if peer.address >= 0 else \
                        (p.block is not None and p.block.valid and p.block.prefix_len == 0 and not p.block.excepts):
                    return p.index
            elif (p.mask >> peer.index) & 1:
                return p.index
        return None


class CompiledPolicy:
    """A NetworkPolicy with its selected endpoints and compiled rules per direction."""

    __slots__ = ("policy", "key", "namespace", "selector", "selected", "ingress", "egress")

    def __init__(self, policy: NetworkPolicy, selector: Selector, selected: int,
                 ingress: tuple[CompiledRule, ...] | None, egress: tuple[CompiledRule, ...] | None):
        self.policy = policy
        self.key = f"{policy.namespace}/{policy.name}"
        self.namespace = policy.namespace
        self.selector, self.selected = selector, selected
        self.ingress, self.egress = ingress, egress

    def rules(self, direction: str) -> tuple[CompiledRule, ...]:
        return (self.ingress if direction == "Ingress" else self.egress) or ()

    def has_type(self, direction: str) -> bool:
        return (self.ingress if direction == "Ingress" else self.egress) is not None


class PolicyCompiler:
    """Compiles policies against endpoints; caches peers and namespace selectors by content."""

    def __init__(self, endpoints: list[Endpoint], namespaces: dict[str, dict[str, str]], ipblock_pods: str = "by-ip",
                 pod_cidrs: Sequence[str] = (), host_network_enforced: bool = False):
        self.endpoints = endpoints
        self.namespaces = namespaces
        self.ipblock_pods = ipblock_pods
        self.pod_cidrs = [c for c in (_cidr(x) for x in pod_cidrs or ()) if c is not None]
        self.index = LabelIndex(e.labels for e in endpoints)
        self.ns_mask: dict[str | None, int] = {}
        self.selectable = 0
        self.known_ips: list[tuple[int, tuple[int, ...]]] = []
        self.unknown_ip_mask = 0
        self.unknown_ip_host_mask = 0
        for e in endpoints:
            bit = 1 << e.index
            exempt = e.host_network and not host_network_enforced
            self.ns_mask[e.namespace] = self.ns_mask.get(e.namespace, 0) | bit
            if not exempt:
                self.selectable |= bit
            addrs = tuple(a for a in (_addr(ip) for ip in e.ips) if a is not None)
            if addrs:
                self.known_ips.append((e.index, addrs))
            elif exempt:
                self.unknown_ip_host_mask |= bit
            else:
                self.unknown_ip_mask |= bit
        self._peer_cache: dict[tuple[str, str], tuple[int, str, IPBlock | None]] = {}
        self._ns_cache: dict[str, tuple[int, str]] = {}

    # -- policies ---------------------------------------------------------------------
    def compile(self, policy: NetworkPolicy) -> CompiledPolicy:
        spec = policy.data.get("spec")
        if not isinstance(spec, dict):
            return CompiledPolicy(policy, MATCH_NONE, 0, None, None)
        selector = parse_selector(spec.get("podSelector"))
        selected = selector.mask(self.index) & self.ns_mask.get(policy.namespace, 0) & self.selectable
        types = effective_policy_types(spec)
        compiled: dict[str, tuple[CompiledRule, ...] | None] = {}
        for direction in DIRECTIONS:
            if direction not in types:
                compiled[direction] = None
                continue
            raw = spec.get(direction.lower())
            rules = raw if isinstance(raw, list) else []
            compiled[direction] = tuple(self._rule(i, r, direction, policy.namespace) for i, r in enumerate(rules))
        return CompiledPolicy(policy, selector, selected, compiled["Ingress"], compiled["Egress"])

    def _rule(self, index: int, raw: Any, direction: str, namespace: str) -> CompiledRule:
        field = _PEER_FIELD[direction]
        if not isinstance(raw, dict):
            return CompiledRule(index, (), False, RulePorts([]), "rule is not a mapping")
        if set(raw) - {field, "ports"}:
            extra = ", ".join(sorted(str(k) for k in set(raw) - {field, "ports"}))
            return CompiledRule(index, (), False, RulePorts(raw.get("ports")), f"unknown field(s) {extra}")
        ports = RulePorts(raw.get("ports"))
        peers_raw = raw.get(field)
        if peers_raw is None or peers_raw == []:
            return CompiledRule(index, (), True, ports)
        if not isinstance(peers_raw, list):
            return CompiledRule(index, (), False, ports, f"{field} is not a list")
        peers = tuple(CompiledPeer(i, *self._peer(p, namespace)) for i, p in enumerate(peers_raw))
        return CompiledRule(index, peers, False, ports)

    # -- peers ------------------------------------------------------------------------
    def _peer(self, raw: Any, namespace: str) -> tuple[int, str, IPBlock | None]:
        try:
            key = (json.dumps(raw, sort_keys=True, default=str), namespace)
        except (TypeError, ValueError):
            key = (repr(raw), namespace)
        hit = self._peer_cache.get(key)
        if hit is None:
            hit = self._peer_cache[key] = self._peer_uncached(raw, namespace)
        return hit

    def _peer_uncached(self, raw: Any, namespace: str) -> tuple[int, str, IPBlock | None]:
        if not isinstance(raw, dict) or set(raw) - {"podSelector", "namespaceSelector", "ipBlock"}:
            return 0, "invalid peer (not a {podSelector, namespaceSelector, ipBlock} mapping)", None
        ipb, pods, nss = raw.get("ipBlock"), raw.get("podSelector"), raw.get("namespaceSelector")
        if ipb is not None:
            block = IPBlock(ipb)
            if pods is not None or nss is not None:
                return 0, "invalid peer (ipBlock combined with selectors)", None
            return self._ip_mask(block), block.describe(), block
        if pods is None and nss is None:
            return 0, "invalid peer (empty)", None
        pod_sel = parse_selector(pods)
        pod_mask = pod_sel.mask(self.index)
        if nss is None:
            ns_mask, ns_text = self.ns_mask.get(namespace, 0), f"namespace {namespace}"
        else:
            ns_mask, ns_text = self._namespaces(nss)
        who = "all pods" if pods is None or pod_sel.matches_all else f"pods {pod_sel.describe()}"
        return pod_mask & ns_mask & self.selectable, f"{who} in {ns_text}", None

    def _namespaces(self, raw: Any) -> tuple[int, str]:
        try:
            key = json.dumps(raw, sort_keys=True, default=str)
        except (TypeError, ValueError):
            key = repr(raw)
        hit = self._ns_cache.get(key)
        if hit is None:
            sel = parse_selector(raw)
            mask = 0
            for name, labels in self.namespaces.items():
                if sel.matches(labels):
                    mask |= self.ns_mask.get(name, 0)
            text = "every namespace" if sel.matches_all else f"namespaces {sel.describe()}"
            hit = self._ns_cache[key] = (mask, text)
        return hit

    def _ip_mask(self, block: IPBlock) -> int:
        """Endpoints an ipBlock selects as pods (``--ipblock-pods``)."""
        if self.ipblock_pods == "never" or not block.valid:
            return 0
        mask = 0
        for index, addrs in self.known_ips:
            if any(block.set.contains(a) for a in addrs):
                mask |= 1 << index
        if self.unknown_ip_mask and selects_unknown_pod(block, self.pod_cidrs):
            mask |= self.unknown_ip_mask
        if self.unknown_ip_host_mask and selects_unknown_pod(block, self.pod_cidrs, host_network=True):
            mask |= self.unknown_ip_host_mask
        return mask


def _cidr(text: str) -> IPSet | None:
    try:
        return IPSet.from_cidr(text)
    except (ValueError, AttributeError):
        return None


def _addr(ip: str) -> int | None:
    try:
        return to_int(ip)
    except ValueError:
        return None
