"""The Istio module's seven NetworkPolicies, and a *semantic* diff of a policy against them.

NPL302 and ``netpol-lint diff-managed`` compare a policy of the input with the one the module
creates under the same name.  A textual diff would drown users in noise, so both sides are
normalised first and only what changes the traffic a policy admits is a difference:

* rules, peers and ports are sets (their order never matters; Kubernetes ORs rules and peers);
* ``matchLabels: {a: b}`` equals ``matchExpressions: [{key: a, operator: In, values: [b]}]``;
* ``port: 53`` equals ``port: "53"``, an omitted ``protocol`` is ``TCP``, ``endPort`` equal to
  ``port`` is no range, a rule's ports ``[]`` or absent both mean every port, ``from: []`` and
  no ``from`` both mean every source; CIDRs compare as networks;
* ``policyTypes`` compare as the API server defaults them.

On top of that the admitted traffic of one direction is compared as a map *peer -> ports*
(the union over the rules naming that peer), so splitting or merging rules without changing
what they admit is no difference either.  When the maps differ, rules are paired (equal
first, then by overlap) to say *where* the difference is, and a line is only kept if some of
the traffic it talks about really is missing or added: every line is a real difference.

Tolerated (RULES.md NPL302): the API-server port of the three policies that use it (443, 6443,
the configured ``api_server_port`` or the template placeholder), the version label, the
disclaimer annotation, and any extra labels or annotations.

Everything here is total: wrong types in the input become "invalid" tokens that compare
unequal to the module's values; nothing raises.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Union, cast

from ..model.cidr import parse_cidr
from ..model.validate import is_int
from .istio_world import API_SERVER_PORT_POLICIES, module_policy_items, substitute_api_server_port
from .portsets import MAX_PORT, MIN_PORT, PROTOCOLS, PortSet, valid_port_name
from .selectors import OPERATORS, describe_requirements

# Canonical forms (hashable and comparable: two policies are compared through them).
# A requirement: (key, operator, sorted values); a selector: ("sel", requirements) or ("bad", text).
CanonicalRequirement = tuple[str, str, tuple[str, ...]]
CanonicalSelector = Union[tuple[Literal["sel"], tuple[CanonicalRequirement, ...]], tuple[Literal["bad"], str]]
# an ipBlock: ("ip", cidr, sorted excepts) or ("bad", text)
CanonicalIPBlock = Union[tuple[Literal["ip"], str, tuple[str, ...]], tuple[Literal["bad"], str]]
# a peer: ("any",) (no from/to), ("bad", text) or ("peer", podSelector, namespaceSelector, ipBlock)
_SelectorPeer = tuple[Literal["peer"], Union[CanonicalSelector, None], Union[CanonicalSelector, None],
                      Union[CanonicalIPBlock, None]]
CanonicalPeer = Union[tuple[Literal["any"]], tuple[Literal["bad"], str], _SelectorPeer]
# a named port (protocol, name) or an invalid entry (protocol, text)
PortToken = tuple[str, str]
NodePath = tuple[str | int, ...]

VERSION_LABEL = "app.kubernetes.io/version"
DISCLAIMER_ANNOTATION = "istios.operator.kyma-project.io/managed-by-disclaimer"
API_SERVER_PORT_PLACEHOLDER = "__API_SERVER_PORT__"
DEFAULT_API_SERVER_PORTS = (443, 6443)
DIRECTIONS = (("Ingress", "ingress", "from"), ("Egress", "egress", "to"))


# -- the module's policies (loaded once, by istio_world) ----------------------------------

def module_policy_names() -> tuple[str, ...]:
    return tuple(p["metadata"]["name"] for p in module_policy_items())


def module_policy(name: str, api_server_port: int | str = 443) -> dict[str, Any] | None:
    """A copy of the module's policy ``name`` with the API-server port substituted, or None."""
    for item in module_policy_items():
        if item["metadata"]["name"] == name:
            return substitute_api_server_port(copy.deepcopy(item), api_server_port)
    return None


# -- ports --------------------------------------------------------------------------------

class Ports:
    """What a rule's ``ports`` admit: numeric ranges, named ports, invalid entries.

    ``wild`` means "every port, named ones included" (no ``ports``, or every protocol's full
    range).  Named ports cannot be compared with numbers without the pods, so they are
    their own tokens, as are invalid entries (the module never uses either).
    """

    __slots__ = ("nums", "named", "other", "wild")

    def __init__(self, nums: PortSet | None = None, named: frozenset[PortToken] = frozenset(),
                 other: frozenset[PortToken] = frozenset(),
                 wild: bool = False):
        nums = PortSet() if nums is None else nums
        if nums.is_all:
            wild = True
        if wild and nums.is_all:
            named, other = frozenset(), frozenset()
        self.nums, self.named, self.other, self.wild = nums, named, other, wild

    @classmethod
    def parse(cls, raw: Any) -> "Ports":
        if raw is None or raw == []:
            return ALL_PORTS
        if not isinstance(raw, list):
            return cls(other=frozenset({("ports", _token(raw))}))
        ranges: dict[str, list[tuple[int, int]]] = {}
        named: set[PortToken] = set()
        other: set[PortToken] = set()
        for entry in raw:
            kind, value = _port_entry(entry)
            if kind == "range":
                proto, lo, hi = value
                ranges.setdefault(proto, []).append((lo, hi))
            elif kind == "named":
                named.add(value)
            else:
                other.add(value)
        return cls(PortSet(ranges), frozenset(named), frozenset(other))

    @property
    def is_all(self) -> bool:
        return self.wild and self.nums.is_all

    def __bool__(self) -> bool:
        return bool(self.nums) or bool(self.named) or bool(self.other) or self.wild

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Ports) and self.nums == other.nums and self.named == other.named
                and self.other == other.other and self.wild == other.wild)

    def __hash__(self) -> int:
        return hash((self.nums, self.named, self.other, self.wild))

    def __or__(self, o: "Ports") -> "Ports":
        return Ports(self.nums | o.nums, self.named | o.named, self.other | o.other, self.wild or o.wild)

    def __and__(self, o: "Ports") -> "Ports":
        named = (self.named & o.named) | (self.named if o.wild else frozenset()) | (o.named if self.wild else frozenset())
        other = (self.other & o.other) | (self.other if o.wild else frozenset()) | (o.other if self.wild else frozenset())
        return Ports(self.nums & o.nums, named, other, self.wild and o.wild)

    def __sub__(self, o: "Ports") -> "Ports":
        if o.is_all:
            return NO_PORTS
        named = frozenset() if o.wild else self.named - o.named
        other = frozenset() if o.wild else self.other - o.other
        return Ports(self.nums - o.nums, named, other, self.wild and not o.wild)

    def items(self) -> list[str]:
        """One text per entry: ``TCP 8443``, ``UDP 1000-2000``, ``all TCP ports``, ``TCP 'http'``."""
        if self.is_all:
            return ["all ports"]
        out: list[str] = []
        for proto in self.nums.protocols:
            for lo, hi in self.nums.ranges(proto):
                if (lo, hi) == (MIN_PORT, MAX_PORT):
                    out.append(f"all {proto} ports")
                else:
                    out.append(f"{proto} {lo}" + (f"-{hi}" if hi != lo else ""))
        out += [f"{proto} '{name}'" for proto, name in sorted(self.named)]
        out += [f"invalid port entry {text}" for _, text in sorted(self.other)]
        return out

    def describe(self) -> str:
        return ", ".join(self.items()) or "no ports"

    def __repr__(self) -> str:
        return f"Ports({self.describe()})"


ALL_PORTS = Ports(PortSet.all(), wild=True)
NO_PORTS = Ports()


def _port_entry(raw: Any) -> tuple[str, Any]:
    """('range', (proto, lo, hi)) | ('named', (proto, name)) | ('other', (proto, text))."""
    if not isinstance(raw, dict) or set(raw) - {"port", "protocol", "endPort"}:
        return "other", ("?", _token(raw))
    proto = raw.get("protocol", "TCP")
    if proto is None:
        proto = "TCP"
    port, end = raw.get("port"), raw.get("endPort")
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port.strip())          # "53" is written for 53 (the API would want an int)
    if isinstance(end, str) and end.strip().isdigit():
        end = int(end.strip())
    bad = ("other", (str(proto), _token({"port": port, "endPort": end, "protocol": proto})))
    if proto not in PROTOCOLS:
        return bad
    if port is None:
        return ("range", (proto, MIN_PORT, MAX_PORT)) if end is None else bad
    if is_int(port) and MIN_PORT <= port <= MAX_PORT:
        if end is None or (is_int(end) and port <= end <= MAX_PORT):
            return "range", (proto, port, port if end is None else end)
        return bad
    if isinstance(port, str) and end is None and valid_port_name(port):
        return "named", (proto, port)
    return bad


def _token(raw: Any) -> str:
    try:
        return json.dumps(raw, sort_keys=True, default=str)
    except (TypeError, ValueError):  # pragma: no cover - keys of mixed types
        return repr(raw)


# -- selectors and peers ------------------------------------------------------------------

def canonical_selector(raw: Any) -> CanonicalSelector:
    """``('sel', requirements)`` with matchLabels folded into ``In`` requirements, or ``('bad', text)``."""
    if raw is None:
        return ("sel", ())
    if not isinstance(raw, dict) or set(raw) - {"matchLabels", "matchExpressions"}:
        return ("bad", _token(raw))
    reqs: set[CanonicalRequirement] = set()
    labels = raw.get("matchLabels")
    if labels is not None:
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            return ("bad", _token(raw))
        reqs.update((k, "In", (v,)) for k, v in labels.items())
    exprs = raw.get("matchExpressions")
    if exprs is not None:
        if not isinstance(exprs, list):
            return ("bad", _token(raw))
        for e in exprs:
            if not isinstance(e, dict) or set(e) - {"key", "operator", "values"}:
                return ("bad", _token(raw))
            key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
            if (not isinstance(key, str) or op not in OPERATORS or not isinstance(values, list)
                    or not all(isinstance(v, str) for v in values)
                    or (op in ("In", "NotIn")) != bool(values)):
                return ("bad", _token(raw))
            reqs.add((key, op, tuple(sorted(set(values)))))
    return ("sel", tuple(sorted(reqs)))


def describe_selector(sel: CanonicalSelector) -> str:
    if sel[0] == "bad":
        return f"<invalid selector {sel[1]}>"
    return describe_requirements(sel[1])


ANY_PEER: CanonicalPeer = ("any",)


def canonical_peer(raw: Any) -> CanonicalPeer:
    """``('peer', podSelector, namespaceSelector, ipBlock)`` (absent parts None) or ``('bad', text)``."""
    if not isinstance(raw, dict) or not raw or set(raw) - {"podSelector", "namespaceSelector", "ipBlock"}:
        return ("bad", _token(raw))
    pod = canonical_selector(raw["podSelector"]) if "podSelector" in raw else None
    ns = canonical_selector(raw["namespaceSelector"]) if "namespaceSelector" in raw else None
    ip = _canonical_ipblock(raw["ipBlock"]) if "ipBlock" in raw else None
    return ("peer", pod, ns, ip)


def _canonical_ipblock(raw: Any) -> CanonicalIPBlock:
    if not isinstance(raw, dict) or not isinstance(raw.get("cidr"), str) or set(raw) - {"cidr", "except"}:
        return ("bad", _token(raw))
    excepts = raw.get("except") or []
    if not isinstance(excepts, list):
        return ("bad", _token(raw))
    return ("ip", _cidr(raw["cidr"]), tuple(sorted({_cidr(e) if isinstance(e, str) else _token(e) for e in excepts})))


def _cidr(text: str) -> str:
    net = parse_cidr(text)
    return str(net) if net is not None else text


def describe_peer(peer: CanonicalPeer, direction: str = "Ingress") -> str:
    if peer == ANY_PEER:
        return "any source" if direction == "Ingress" else "any destination"
    if peer[0] == "bad":
        return f"invalid peer {peer[1]}"
    _, pod, ns, ip = cast(_SelectorPeer, peer)      # not ANY_PEER (above)
    if ip is not None:
        if ip[0] == "bad":
            text = f"invalid ipBlock {ip[1]}"
        else:
            text = ip[1] + (f" except {', '.join(ip[2])}" if ip[2] else "")
        if pod is None and ns is None:
            return text
        return f"{text} with selectors (invalid)"
    pods = "all pods" if pod is None or pod == ("sel", ()) else f"pods {describe_selector(pod)}"
    if ns is None:
        return f"{pods} (same namespace)"
    if ns == ("sel", ()):
        return f"{pods} in any namespace"
    return f"{pods} in namespaces {describe_selector(ns)}"


# -- rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyRule:
    """A normalised rule: its peers (``{ANY_PEER}`` when unrestricted) and ports."""

    index: int                 # 0-based position in the list as written
    peers: frozenset[CanonicalPeer]
    ports: Ports
    peer_index: tuple[tuple[CanonicalPeer, int], ...] = ()   # canonical peer -> first index in ``from``/``to`` as written
    port_raw: tuple[Any, ...] = ()     # entries as written (to point at an added port)

    def key(self) -> tuple[frozenset[CanonicalPeer], Ports]:
        return (self.peers, self.ports)


def canonical_rule(index: int, raw: Any, peer_field: str) -> PolicyRule:
    if not isinstance(raw, dict):
        return PolicyRule(index, frozenset({("bad", _token(raw))}), NO_PORTS)
    peers_raw = raw.get(peer_field)
    peer_index: dict[CanonicalPeer, int] = {}
    peers: frozenset[CanonicalPeer]
    if peers_raw is None or peers_raw == []:
        peers = frozenset({ANY_PEER})
    elif not isinstance(peers_raw, list):
        peers = frozenset({("bad", _token(peers_raw))})
    else:
        for i, p in enumerate(peers_raw):
            peer_index.setdefault(canonical_peer(p), i)
        peers = frozenset(peer_index)
    ports_raw = raw.get("ports")
    return PolicyRule(index, peers, Ports.parse(ports_raw), tuple(peer_index.items()),
                tuple(ports_raw) if isinstance(ports_raw, list) else ())


def rules_of(spec: dict[str, Any], direction: str) -> tuple[list[PolicyRule], bool]:
    """The normalised rules of one direction and whether the list itself is well-formed."""
    field_name, peer_field = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    raw = spec.get(field_name)
    if raw is None:
        return [], True
    if not isinstance(raw, list):
        return [], False
    return [canonical_rule(i, r, peer_field) for i, r in enumerate(raw)], True


def effective_policy_types(spec: dict[str, Any]) -> tuple[str, ...]:
    """API-server defaulting: as written, else Ingress (+ Egress when egress has rules)."""
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return tuple(t for t in ("Ingress", "Egress") if t in types)
    egress = spec.get("egress")
    return ("Ingress", "Egress") if isinstance(egress, list) and egress else ("Ingress",)


def peer_map(rules: Iterable[PolicyRule]) -> dict[CanonicalPeer, Ports]:
    """What one direction admits, as peer -> union of ports over the rules naming it."""
    out: dict[CanonicalPeer, Ports] = {}
    for r in rules:
        for p in r.peers:
            out[p] = out[p] | r.ports if p in out else r.ports
    return {p: ports for p, ports in out.items() if ports}


# -- the diff -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """One real difference: a line of text and the path (inside the policy) of its node."""

    text: str
    path: NodePath


@dataclass
class _Line:
    text: str
    path: NodePath
    evidence: list[tuple[str, CanonicalPeer, Ports]] = field(default_factory=list)   # (kind 'missing'|'extra', peer, Ports)
    order: tuple[int, ...] = ()


def diff_policies(actual: Any, expected: dict[str, Any], namespace: str | None = None) -> list[Difference]:
    """Every semantic difference of ``actual`` (a policy object) from ``expected``.

    ``namespace`` is the policy's effective namespace when ``metadata.namespace`` is absent
    (the linter's default namespace); without either, the namespace counts as unset.
    """
    if not isinstance(actual, dict):
        return [Difference("not a mapping", ())]
    out: list[Difference] = []
    meta: Any = actual.get("metadata") if isinstance(actual.get("metadata"), dict) else {}   # YAML (a mapping)
    want_ns = expected["metadata"]["namespace"]
    written = meta.get("namespace")
    ns = written if isinstance(written, str) and written else namespace
    if ns != want_ns:
        shown = "not set" if ns is None else f"{ns}" if written else f"{ns} (by default)"
        out.append(Difference(f"metadata.namespace: {shown}, but the module creates this policy in {want_ns}",
                              ("metadata", "namespace") if written is not None else ("metadata",)))
    spec = actual.get("spec")
    if not isinstance(spec, dict):
        out.append(Difference("spec: not a mapping", ("spec",)))
        return out
    espec = expected["spec"]
    sel, esel = canonical_selector(spec.get("podSelector")), canonical_selector(espec.get("podSelector"))
    if sel != esel:
        out.append(Difference(f"podSelector: {describe_selector(sel)} instead of {describe_selector(esel)}",
                              ("spec", "podSelector")))
    types, etypes = effective_policy_types(spec), effective_policy_types(espec)
    types_path = ("spec", "policyTypes") if "policyTypes" in spec else ("spec",)
    for t in etypes:
        if t not in types:
            what = "ingress" if t == "Ingress" else "egress"
            out.append(Difference(f"policyTypes: {t} removed (the pods are no longer isolated for {what})", types_path))
    for t in types:
        if t not in etypes:
            out.append(Difference(f"policyTypes: {t} added", types_path))
    for direction, field_name, _ in DIRECTIONS:
        if direction not in types:
            continue
        rules, ok = rules_of(spec, direction)
        if not ok:
            out.append(Difference(f"{field_name}: not a list", ("spec", field_name)))
            continue
        erules = rules_of(espec, direction)[0] if direction in etypes else []
        out.extend(direction_diff(direction, erules, rules))
    return out


def direction_diff(direction: str, expected: list[PolicyRule], actual: list[PolicyRule]) -> list[Difference]:
    """Differences of one direction's rules, each line backed by traffic really missing/added."""
    emap, amap = peer_map(expected), peer_map(actual)
    if emap == amap:
        return []
    field_name = "ingress" if direction == "Ingress" else "egress"
    peer_field = "from" if direction == "Ingress" else "to"
    missing = {p: ports - amap.get(p, NO_PORTS) for p, ports in emap.items()}
    extra = {p: ports - emap.get(p, NO_PORTS) for p, ports in amap.items()}
    pairs, lone_e, lone_a = _pair(expected, actual)
    lines: list[_Line] = []
    for e, a in pairs:
        lines.extend(_paired_lines(direction, field_name, peer_field, e, a))
    for a in lone_a:
        lines.append(_Line(f"{field_name}: new rule {_rule_text(direction, a)}", ("spec", field_name, a.index),
                           [("extra", p, a.ports) for p in a.peers], (a.index, 0)))
    for e in lone_e:
        lines.append(_Line(f"{field_name}: rule {_rule_text(direction, e)} removed", ("spec", field_name),
                           [("missing", p, e.ports) for p in e.peers], (10_000 + e.index, 0)))
    kept: list[_Line] = []
    for line in lines:
        real = [(kind, p, ports & (missing if kind == "missing" else extra).get(p, NO_PORTS))
                for kind, p, ports in line.evidence]
        if any(r for _, _, r in real):
            line.evidence = real
            kept.append(line)
    kept = _merge_changes(kept)
    kept.sort(key=lambda ln: ln.order)
    return [Difference(ln.text, ln.path) for ln in kept]


def _pair(expected: list[PolicyRule], actual: list[PolicyRule]
          ) -> tuple[list[tuple[PolicyRule, PolicyRule]], list[PolicyRule], list[PolicyRule]]:
    """Pair rules: equal ones first, then by overlap of peers and ports (greedy, deterministic)."""
    pairs: list[tuple[PolicyRule, PolicyRule]] = []
    free_e = list(expected)
    free_a: list[PolicyRule] = []
    for a in actual:
        match = next((e for e in free_e if e.key() == a.key()), None)
        if match is not None:
            free_e.remove(match)
        else:
            free_a.append(a)
    scored: list[tuple[int, int, int, PolicyRule, PolicyRule]] = []
    for e in free_e:
        for a in free_a:
            score = (4 if e.peers == a.peers else len(e.peers & a.peers)) + (2 if e.ports == a.ports else
                                                                             (1 if e.ports & a.ports else 0))
            if score:
                scored.append((-score, e.index, a.index, e, a))
    scored.sort(key=lambda s: s[:3])
    used_e: set[int] = set()
    used_a: set[int] = set()
    for _, ei, ai, e, a in scored:
        if ei in used_e or ai in used_a:
            continue
        used_e.add(ei)
        used_a.add(ai)
        pairs.append((e, a))
    lone_e = [e for e in free_e if e.index not in used_e]
    lone_a = [a for a in free_a if a.index not in used_a]
    return pairs, lone_e, lone_a


def _paired_lines(direction: str, field_name: str, peer_field: str, e: PolicyRule, a: PolicyRule) -> list[_Line]:
    head = f"{field_name}[{a.index}]"      # the YAML list index, 0-based, as reach and the rules print it
    rule_path: NodePath = ("spec", field_name, a.index)
    lines: list[_Line] = []
    # peers
    if e.peers != a.peers:
        if ANY_PEER in e.peers and ANY_PEER not in a.peers:
            lines.append(_Line(
                f"{head}: restricted to {_peers_text(direction, a.peers)} (the module's rule admits "
                f"{describe_peer(ANY_PEER, direction)})", rule_path + (peer_field,),
                [("missing", ANY_PEER, e.ports)], (a.index, 1)))
        elif ANY_PEER in a.peers and ANY_PEER not in e.peers:
            lines.append(_Line(
                f"{head}: now admits {describe_peer(ANY_PEER, direction)} (the module's rule: "
                f"{_peers_text(direction, e.peers)})", rule_path,
                [("extra", ANY_PEER, a.ports)], (a.index, 1)))
        else:
            for p in sorted(e.peers - a.peers, key=lambda p: describe_peer(p, direction)):
                lines.append(_Line(f"{head}: peer {describe_peer(p, direction)} removed",
                                   rule_path + (peer_field,), [("missing", p, e.ports)], (a.index, 2)))
            index = dict(a.peer_index)
            for p in sorted(a.peers - e.peers, key=lambda p: index.get(p, 0)):
                lines.append(_Line(f"{head}: new peer {describe_peer(p, direction)}",
                                   rule_path + (peer_field, index.get(p, 0)), [("extra", p, a.ports)],
                                   (a.index, 3, index.get(p, 0))))
    # ports, for the peers both rules share
    common = e.peers & a.peers
    if e.ports != a.ports and common:
        ports_path = rule_path + ("ports",)
        if e.ports.is_all:
            lines.append(_Line(f"{head}: restricted to {a.ports.describe()} (the module's rule allows all ports)",
                               ports_path, [("missing", p, e.ports - a.ports) for p in common], (a.index, 4)))
        elif a.ports.is_all:
            lines.append(_Line(f"{head}: now all ports (the module's rule: {e.ports.describe()})",
                               rule_path, [("extra", p, a.ports - e.ports) for p in common], (a.index, 4)))
        else:
            removed, added = e.ports - a.ports, a.ports - e.ports
            if removed:
                lines.append(_Line(f"{head}: {{ports}} removed", ports_path,
                                   [("missing", p, removed) for p in common], (a.index, 5)))
            if added:
                j = _first_added_entry(a, e.ports)
                lines.append(_Line(f"{head}: {{ports}} added", ports_path + ((j,) if j is not None else ()),
                                   [("extra", p, added) for p in common], (a.index, 6)))
    return lines


def _first_added_entry(a: PolicyRule, expected_ports: Ports) -> int | None:
    for j, raw in enumerate(a.port_raw):
        if Ports.parse([raw]) - expected_ports:
            return j
    return None


def _merge_changes(lines: list[_Line]) -> list[_Line]:
    """Fill in port texts from the *real* evidence; one removed + one added port -> 'changed'."""
    for ln in lines:
        if "{ports}" in ln.text:
            items = _union(ln).items()
            ln.text = ln.text.replace("{ports}", ("port " if len(items) == 1 else "ports ") + ", ".join(items))
    by_rule: dict[int, list[_Line]] = {}
    for ln in lines:
        if ln.order[1:2] in ((5,), (6,)):
            by_rule.setdefault(ln.order[0], []).append(ln)
    for group in by_rule.values():
        if len(group) != 2:
            continue
        rem, add = sorted(group, key=lambda ln: ln.order[1])
        r_items = _union(rem).items()
        a_items = _union(add).items()
        if len(r_items) == 1 and len(a_items) == 1:
            head = rem.text.split(": ", 1)[0]
            add.text = f"{head}: port {r_items[0]} changed to {a_items[0]}"
            add.evidence = rem.evidence + add.evidence
            lines = [ln for ln in lines if ln is not rem]
    return lines


def _union(line: _Line) -> Ports:
    out = NO_PORTS
    for _, _, ports in line.evidence:
        out = out | ports
    return out


def _peers_text(direction: str, peers: Iterable[CanonicalPeer]) -> str:
    return ", ".join(sorted(describe_peer(p, direction) for p in peers))


def _rule_text(direction: str, rule: PolicyRule) -> str:
    word = "from" if direction == "Ingress" else "to"
    text = f"{word} {_peers_text(direction, rule.peers)}"
    if not rule.ports.is_all:
        text += f" on {rule.ports.describe()}"
    return text


# -- comparing an input policy with the module's ------------------------------------------

@dataclass
class Comparison:
    """The outcome for one policy of the input."""

    name: str
    known: bool                              # the module creates a policy of this name
    differences: list[Difference]
    tolerated: list[str]                     # what was tolerated, for diff-managed
    expected: dict[str, Any] | None = None   # the module's policy as compared (port substituted)


def api_server_port_candidates(configured: int | None) -> list[int | str]:
    out: list[int | str] = []
    for p in ((configured,) if configured else ()) + DEFAULT_API_SERVER_PORTS + (API_SERVER_PORT_PLACEHOLDER,):
        if p not in out:
            out.append(p)
    return out


def compare_with_module(policy: Any, api_server_port: int | None = None, namespace: str | None = None) -> Comparison:
    """Compare a policy object with the module's policy of the same name (RULES.md NPL302)."""
    meta: Any = policy.get("metadata") if isinstance(policy, dict) and isinstance(policy.get("metadata"), dict) else {}   # YAML
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if name not in module_policy_names():
        return Comparison(name, False, [], [])
    best: tuple[int | str, list[Difference], dict[str, Any]] | None = None
    candidates = api_server_port_candidates(api_server_port) if name in API_SERVER_PORT_POLICIES else [443]
    for port in candidates:
        expected = cast(dict[str, Any], module_policy(name, port))     # a name of the module's
        diffs = diff_policies(policy, expected, namespace)
        if best is None or len(diffs) < len(best[1]):
            best = (port, diffs, expected)
    port, diffs, expected = cast(tuple[int | str, list[Difference], dict[str, Any]], best)   # candidates: never empty
    tolerated = _tolerated(meta, expected)
    if name in API_SERVER_PORT_POLICIES:
        shown = "the template placeholder" if port == API_SERVER_PORT_PLACEHOLDER else str(port)
        tolerated.append(f"API-server port {shown}")
    return Comparison(name, True, diffs, tolerated, expected)


def _tolerated(meta: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    out: list[str] = []
    labels: Any = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}    # YAML (mappings)
    annotations: Any = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    want_version = expected["metadata"]["labels"][VERSION_LABEL]
    if VERSION_LABEL not in labels:
        out.append(f"label {VERSION_LABEL} absent (the module sets its version)")
    elif labels.get(VERSION_LABEL) != want_version:
        out.append(f"label {VERSION_LABEL}: {labels.get(VERSION_LABEL)!r} (the module sets its own version)")
    want_disclaimer = expected["metadata"]["annotations"][DISCLAIMER_ANNOTATION]
    if DISCLAIMER_ANNOTATION not in annotations:
        out.append(f"annotation {DISCLAIMER_ANNOTATION} absent (the module adds it)")
    elif annotations.get(DISCLAIMER_ANNOTATION) != want_disclaimer:
        out.append(f"annotation {DISCLAIMER_ANNOTATION} differs")
    extra_labels = sorted(str(k) for k in labels if k not in expected["metadata"]["labels"])
    if extra_labels:
        out.append("extra labels: " + ", ".join(extra_labels))
    extra_ann = sorted(str(k) for k in annotations if k not in expected["metadata"]["annotations"])
    if extra_ann:
        out.append("extra annotations: " + ", ".join(extra_ann))
    return out


# -- canonical text (diff-managed shows a unified diff of these) -------------------------

def canonical_lines(policy: Any) -> list[str]:
    """A normalised, order-independent rendering of a policy's traffic-relevant content."""
    if not isinstance(policy, dict):
        return ["<not a mapping>"]
    meta: Any = policy.get("metadata") if isinstance(policy.get("metadata"), dict) else {}   # YAML (mappings)
    spec: Any = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
    types = effective_policy_types(spec)
    out = [f"namespace: {meta.get('namespace')}",
           f"podSelector: {describe_selector(canonical_selector(spec.get('podSelector')))}",
           f"policyTypes: {', '.join(types)}"]
    for direction, field_name, peer_field in DIRECTIONS:
        if direction not in types:
            continue
        rules, ok = rules_of(spec, direction)
        if not ok:
            out.append(f"{field_name}: <not a list>")
            continue
        if not rules:
            out.append(f"{field_name}: none (deny all)")
            continue
        out.append(f"{field_name}:")
        rendered: list[list[str]] = []
        for r in rules:
            peers = sorted(describe_peer(p, direction) for p in r.peers)
            rendered.append([f"  - {peer_field}: {peers[0]}"] + [f"    {' ' * len(peer_field)}  {p}" for p in peers[1:]]
                            + [f"    ports: {r.ports.describe()}"])
        for block in sorted(rendered):
            out.extend(block)
    return out


# -- deny-by-default ----------------------------------------------------------------------

def deny_by_default_directions(spec: Any) -> tuple[str, ...]:
    """Directions a policy denies for every pod of its namespace (RULES.md vocabulary).

    Empty ``podSelector`` (``{}``, null, or only empty ``matchLabels``/``matchExpressions``),
    the direction in the effective ``policyTypes``, and no rules for it.
    """
    if not isinstance(spec, dict) or canonical_selector(spec.get("podSelector")) != ("sel", ()):
        return ()
    out: list[str] = []
    types = effective_policy_types(spec)
    for direction, field_name, _ in DIRECTIONS:
        rules = spec.get(field_name)
        if direction in types and (rules is None or rules == []):
            out.append(direction)
    return tuple(out)
