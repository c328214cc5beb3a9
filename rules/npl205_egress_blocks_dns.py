"""NPL205 egress-blocks-dns: pods isolated for egress with no way to reach DNS on the platform."""
from __future__ import annotations

from typing import cast

from netpol_lint.analysis.gateway_checks import input_endpoints, isolation_related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.model.resources import Workload

PROTOCOLS = ("UDP", "TCP")
SERVICE_PORT = 53
PEER_KEYS = {"podSelector", "namespaceSelector", "ipBlock"}
PLATFORM_NAMES = {"gardener": "Gardener", "generic": "plain Kubernetes"}


def _valid_peer(raw) -> bool:
    return (isinstance(raw, dict) and bool(raw) and not set(raw) - PEER_KEYS
            and not ("ipBlock" in raw and len(raw) > 1))


def outside_pod_network(cp_list, protocol: str, dst_ports) -> bool:
    """Some egress rule admits port 53/``protocol`` to an address outside the pod network:
    a rule without ``to``, or one with an ipBlock peer.  That is how node-local DNS (a
    hostNetwork DaemonSet on 169.254.20.10, or on the kube-dns ClusterIP it intercepts) is
    reached; whose ClusterIP a block names is not known, so any valid block counts."""
    for cp in cp_list:
        for rule in cp.rules("Egress"):
            if rule.problem or rule.ports.match_entry(SERVICE_PORT, protocol, dst_ports) is None:
                continue
            if rule.any_peer or any(p.block is not None and p.block.valid for p in rule.peers):
                return True
    return False


def unreadable(cp_list, protocol: str, ports: tuple[int, ...], dst_ports) -> bool:
    """A rule on a DNS port holds something invalid (a bad CIDR, say ``${KUBE_DNS_ADDRESS}/32``
    from an unrendered template): NPL003 reports it, and what DNS it was meant to admit is not
    guessed (RULES.md NPL003, one cause, one finding)."""
    for cp in cp_list:
        for rule in cp.rules("Egress"):
            if not any(rule.ports.match_entry(p, protocol, dst_ports) is not None for p in ports):
                continue
            if rule.problem or any(p.block is not None and not p.block.valid for p in rule.peers):
                return True
    return False


def selector_peer_on_53(cp_list, protocol: str, dst_ports) -> bool:
    """Some egress rule admits 53/``protocol`` to a selector peer (the model has no DNS pods)."""
    for cp in cp_list:
        raw_rules = cp.policy.rules("Egress")
        for rule in cp.rules("Egress"):
            if rule.problem or rule.ports.match_entry(SERVICE_PORT, protocol, dst_ports) is None:
                continue
            raw = raw_rules[rule.index] if rule.index < len(raw_rules) else None
            peers = raw.get("to") if isinstance(raw, dict) else None
            if any(_valid_peer(p) for p in (peers if isinstance(peers, list) else ())):
                return True
    return False


class EgressBlocksDns(Rule):
    id = "NPL205"
    name = "egress-blocks-dns"
    severity = "warning"
    summary = ("Checks for pods that NetworkPolicies isolate for egress without admitting DNS, UDP and TCP, the way "
               "the platform serves it: the CoreDNS pods on the port they listen on (8053 on Gardener, 53 on plain "
               "Kubernetes), or port 53 outside the pod network (node-local DNS).")
    rationale = ("An egress policy that forgets DNS breaks every name lookup: the application (and its Istio "
                 "sidecar) cannot resolve Services or external hosts and fails in ways that look unrelated to the "
                 "policy. DNS uses UDP and falls back to TCP for large answers, so both are needed. Policies see "
                 "the pod's port after the kube-dns Service translated it: on Gardener (every Kyma runtime) the "
                 "CoreDNS pods listen on 8053 behind the Service's 53, so admitting 53 to those pods admits "
                 "nothing.")
    bad_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}   # the Service's port; on Gardener CoreDNS listens on 8053
    - {protocol: TCP, port: 53}
"""
    good_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
    - {protocol: UDP, port: 8053}   # where CoreDNS listens on Gardener
    - {protocol: TCP, port: 8053}
"""
    fix_text = ("Admit UDP and TCP to the cluster DNS pods (namespace kube-system, pods `k8s-app: kube-dns`) on the "
                "port they listen on — 8053 on Gardener, 53 on plain Kubernetes; list both to be portable — or port "
                "53 without `to` where node-local DNS answers. The finding names the missing ports.")
    tags = ("reachability", "egress")

    def check(self, ctx):
        network = ctx.network
        dns = network.dns_endpoint()
        platform = network.platform
        for e in input_endpoints(network):
            isolating = network.isolating(e, "Egress")
            if not isolating:
                continue
            dst_ports = dns.ports if dns is not None else ()
            missing, near = [], []
            for proto in PROTOCOLS:
                if outside_pod_network(isolating, proto, dst_ports):
                    continue
                if unreadable(isolating, proto, (SERVICE_PORT, platform.dns_ports.get(proto, SERVICE_PORT)), dst_ports):
                    continue
                if dns is None:
                    if not selector_peer_on_53(isolating, proto, dst_ports):
                        missing.append((proto, SERVICE_PORT))
                    continue
                port = platform.dns_ports.get(proto, SERVICE_PORT)
                if network.allowed(e, dns, port, proto).allowed:
                    continue
                missing.append((proto, port))
                if port != SERVICE_PORT and network.allowed(e, dns, SERVICE_PORT, proto).allowed:
                    near.append(proto)
            if not missing:
                continue
            w = cast(Workload, e.workload)      # input_endpoints: endpoints of input workloads
            names = [cp.key for cp in isolating]
            ports = " and ".join(f"{p} {n}" for p, n in missing)
            if len(missing) == 2:
                what, effect = "DNS", "name lookups fail"
            elif missing[0][0] == "TCP":
                what, effect = "DNS over TCP", "lookups whose answers need the TCP fallback fail"
            else:
                what, effect = "DNS over UDP", "ordinary name lookups fail"
            if dns is None:
                where = f"port 53 ({ports}) anywhere"
            else:
                where = f"{ports} to the CoreDNS pods ({dns.id}) or port 53 outside the pod network (node-local DNS)"
                if near:
                    where += (f"; on {PLATFORM_NAMES.get(platform.name, platform.name)} the kube-dns Service's 53 is "
                              f"translated to the pods' {platform.dns_ports[near[0]]} before policies apply, so the "
                              f"rule admitting 53 to them does not count")
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is isolated for egress by {', '.join(names)} and cannot reach {what}: "
                f"no rule admits {where}; {effect}",
                related=isolation_related(isolating),
                node_hint=[p for p, _ in missing],
            )


RULE = EgressBlocksDns
