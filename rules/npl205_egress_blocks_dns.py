"""NPL205 egress-blocks-dns: pods isolated for egress with no way to reach DNS."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import input_endpoints, isolation_related
from netpol_lint.model.resources import ContainerPort
from netpol_lint.engine.rulebase import Rule

# kube-dns / CoreDNS container ports, for rules that name the DNS port ("dns", "dns-tcp").
KUBE_DNS_PORTS = (ContainerPort("dns", 53, "UDP"), ContainerPort("dns-tcp", 53, "TCP"),
                  ContainerPort("metrics", 9153, "TCP"))
PEER_KEYS = {"podSelector", "namespaceSelector", "ipBlock"}


def _valid_peer(raw) -> bool:
    return (isinstance(raw, dict) and bool(raw) and not set(raw) - PEER_KEYS
            and not ("ipBlock" in raw and len(raw) > 1))


def dns_reachable(cp_list, protocol: str) -> bool:
    """Some egress rule admits port 53/``protocol`` to some destination ("anywhere").

    The cluster DNS (kube-dns in kube-system) is not part of the input, so any peer counts:
    a rule without ``to``, an ipBlock, or a selector peer (it may well pick the DNS pods).
    """
    for cp in cp_list:
        raw_rules = cp.policy.rules("Egress")
        for rule in cp.rules("Egress"):
            if rule.problem or rule.ports.match_entry(53, protocol, KUBE_DNS_PORTS) is None:
                continue
            if rule.any_peer:
                return True
            raw = raw_rules[rule.index] if rule.index < len(raw_rules) else None
            peers = raw.get("to") if isinstance(raw, dict) else None
            if any(_valid_peer(p) for p in (peers if isinstance(peers, list) else ())):
                return True
    return False


class EgressBlocksDns(Rule):
    id = "NPL205"
    name = "egress-blocks-dns"
    severity = "warning"
    summary = ("Checks for pods that NetworkPolicies isolate for egress without admitting DNS (port 53, UDP and "
               "TCP) to any destination.")
    rationale = ("An egress policy that forgets DNS breaks every name lookup: the application (and its Istio "
                 "sidecar) cannot resolve Services or external hosts and fails in ways that look unrelated to the "
                 "policy. DNS uses UDP and falls back to TCP for large answers, so both are needed.")
    bad_example = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-egress, namespace: shop}\n"
                   "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n")
    good_example = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-dns, namespace: shop}\n"
                    "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n"
                    "        matchLabels: {kubernetes.io/metadata.name: kube-system}\n"
                    "      podSelector:\n        matchLabels: {k8s-app: kube-dns}\n"
                    "    ports:\n    - {protocol: UDP, port: 53}\n    - {protocol: TCP, port: 53}\n")
    fix_text = ("Add an egress rule admitting UDP and TCP port 53 to the cluster DNS (namespace kube-system, pods "
                "`k8s-app: kube-dns`).")
    tags = ("reachability", "egress")

    def check(self, ctx):
        network = ctx.network
        for e in input_endpoints(network):
            isolating = network.isolating(e, "Egress")
            if not isolating:
                continue
            missing = [p for p in ("UDP", "TCP") if not dns_reachable(isolating, p)]
            if not missing:
                continue
            w = e.workload
            names = [cp.key for cp in isolating]
            if len(missing) == 2:
                what, effect = "DNS (port 53, UDP and TCP)", "name lookups fail"
            elif missing == ["TCP"]:
                what, effect = "DNS over TCP (port 53/TCP)", "lookups whose answers need the TCP fallback fail"
            else:
                what, effect = "DNS over UDP (port 53/UDP)", "ordinary name lookups fail"
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is isolated for egress by {', '.join(names)} and cannot reach {what} "
                f"anywhere; {effect}",
                related=isolation_related(isolating),
                node_hint=missing,
            )


RULE = EgressBlocksDns
