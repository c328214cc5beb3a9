"""NPL207 egress-blocks-egressgateway: labelled pods whose own policies do not let them reach the egress gateway."""
from __future__ import annotations

from typing import cast

from netpol_lint.analysis.gateway_checks import egress_gateway, input_endpoints, isolation_related
from netpol_lint.model.resources import TO_EGRESSGATEWAY, Workload
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import plural

# istio-egressgateway's Service ports 80 and 443 forward to these container ports.
GATEWAY_TARGET_PORTS = (8080, 8443)


class EgressBlocksEgressgateway(Rule):
    id = "NPL207"
    name = "egress-blocks-egressgateway"
    severity = "warning"
    summary = ("Checks for pods labelled `networking.kyma-project.io/to-egressgateway: allowed` that are isolated "
               "for egress by their namespace's policies, which do not admit traffic to the istio-egressgateway pods.")
    rationale = ("The label opens the egress gateway's side; the pod's own namespace must still let the traffic "
                 "out. With a deny-by-default egress policy and no rule for istio-system's egress gateway pods, the "
                 "sidecar's connection to the gateway is dropped and every external call routed through it fails.")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components: {egressGateway: {enabled: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  template:
    metadata:
      labels:
        app: orders
        networking.kyma-project.io/to-egressgateway: allowed
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:   # DNS only
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 8053}, {protocol: TCP, port: 8053}]   # CoreDNS on Gardener
"""
    good_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components: {egressGateway: {enabled: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  template:
    metadata:
      labels:
        app: orders
        networking.kyma-project.io/to-egressgateway: allowed
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 8053}, {protocol: TCP, port: 8053}]   # CoreDNS on Gardener
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
      podSelector: {matchLabels: {istio: egressgateway}}
"""
    fix_text = ("Add an egress rule admitting pods `istio: egressgateway` of namespace istio-system (both selectors "
                "in one peer), at least on ports 8080 and 8443.")
    tags = ("reachability", "egress", "kyma-labels")

    def check(self, ctx):
        network = ctx.network
        target = egress_gateway(network)
        if target is None:
            return       # no egress gateway on this cluster (NPL108 covers the label)
        for e in input_endpoints(network):
            if e.labels.get(TO_EGRESSGATEWAY) != "allowed":
                continue
            isolating = network.isolating(e, "Egress")
            if not isolating:
                continue
            if any(network.allowed(e, target, p, "TCP").egress.allowed for p in GATEWAY_TARGET_PORTS):
                continue
            w = cast(Workload, e.workload)      # input_endpoints: endpoints of input workloads
            names = [cp.key for cp in isolating]
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} carries {TO_EGRESSGATEWAY}: allowed but is isolated for egress by "
                f"{', '.join(names)}, which {plural(names, 'admits', 'admit')} no traffic to the egress gateway "
                f"({target.id}, TCP "
                f"{'/'.join(map(str, GATEWAY_TARGET_PORTS))})",
                related=isolation_related(isolating),
                node_hint="egressgateway",
            )


RULE = EgressBlocksEgressgateway
