"""NPL502 named-port-not-found: a policy port name that no pod it applies to declares."""
from __future__ import annotations

from netpol_lint.analysis.portsets import parse_port_entry
from netpol_lint.analysis.selectors import parse_selector
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import plural


class NamedPortNotFound(Rule):
    id = "NPL502"
    name = "named-port-not-found"
    severity = "warning"
    summary = ("Checks for NetworkPolicy ports given by name that no selected pod (ingress rules) or peer pod "
               "(egress rules) declares as a `containerPort` name with that protocol.")
    rationale = ("A named port is resolved against the destination pod's container ports, by name and protocol. "
                 "If no pod declares it, the rule admits nothing on that entry and the traffic it was meant for "
                 "is dropped.")
    bad_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: web, containerPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{protocol: TCP, port: http}]   # the container port is named web
"""
    good_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: web, containerPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{protocol: TCP, port: web}]
"""
    fix_text = "Use a `containerPort` name the pods declare (with the same protocol), or the port number."
    tags = ("policy-content",)

    def check(self, ctx):
        network = ctx.network
        compiled = {id(cp.policy): cp for cp in network.policies}
        modelled = {e.namespace for e in network.endpoints if not e.external}
        known = ctx.model.known_namespaces()
        for policy in ctx.model.network_policies:
            cp = compiled.get(id(policy))
            if cp is None:
                continue
            selected = None
            for direction in ("Ingress", "Egress"):
                for rule in cp.rules(direction):
                    if rule.problem:
                        continue
                    named = [(k, entry) for k, raw in enumerate(_raw_ports(policy, direction, rule.index))
                             if (entry := parse_port_entry(raw)).kind == "named"]
                    if not named:
                        continue          # only named ports need the pods (computed when needed)
                    if direction == "Ingress":
                        if selected is None:
                            selected = network.endpoints_in(cp.selected)
                        targets = selected
                    else:
                        targets = _peer_pods(known, policy, rule, network, modelled)
                    if not targets:
                        continue          # nothing known to resolve against (NPL501 / unmodelled peers)
                    for k, entry in named:
                        if any(c.name == entry.name and c.protocol == entry.protocol for e in targets for c in e.ports):
                            continue
                        side = "selected" if direction == "Ingress" else "peer"
                        yield self.finding(
                            policy, policy.locate("spec", direction.lower(), rule.index, "ports", k, "port"),
                            f"named port {entry.name!r} ({entry.protocol}) is "
                            f"{'not declared by the' if len(targets) == 1 else 'declared by none of the'} "
                            f"{side} {plural(targets, 'pod')} ({', '.join(sorted(e.id for e in targets)[:5])}"
                            f"{', ...' if len(targets) > 5 else ''}); this entry admits nothing",
                            node_hint=[direction, rule.index, entry.name, entry.protocol],
                        )


def _raw_ports(policy, direction: str, index: int) -> list:
    rules = policy.rules(direction)
    raw = rules[index] if index < len(rules) else None
    ports = raw.get("ports") if isinstance(raw, dict) else None
    return ports if isinstance(ports, list) else []


def _peer_pods(known, policy, rule, network, modelled):
    """Peer pods of an egress rule, or [] when its peers may include pods outside the input.

    A rule to any destination, to an ipBlock, or to namespaces whose pods the input does not
    define (kube-system's DNS, say) has destinations the linter cannot see, so their port
    names are unknown: no finding then.
    """
    if rule.any_peer:
        return []
    raw_rules = policy.rules("Egress")
    raw = raw_rules[rule.index] if rule.index < len(raw_rules) else None
    for peer in (raw.get("to") if isinstance(raw, dict) else None) or ():
        if not isinstance(peer, dict) or "ipBlock" in peer:
            return []
        if "namespaceSelector" in peer:
            sel = parse_selector(peer.get("namespaceSelector"))
            if sel.matches_all:
                return []
            if any(sel.matches(labels) and ns not in modelled for ns, labels in known.items()):
                return []
        elif policy.namespace not in modelled:
            return []
    return network.endpoints_in(rule.pod_mask)


RULE = NamedPortNotFound
