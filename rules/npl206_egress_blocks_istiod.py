"""NPL206 egress-blocks-istiod: sidecar pods that cannot fetch their configuration from istiod."""
from __future__ import annotations

from typing import cast

from netpol_lint.analysis.gateway_checks import edited_module_policies, input_endpoints, input_related, istiod
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.model.resources import Workload
from netpol_lint.wording import plural

XDS_PORT = 15012


class EgressBlocksIstiod(Rule):
    id = "NPL206"
    name = "egress-blocks-istiod"
    severity = "error"
    summary = ("Checks for sidecar-injected pods that are isolated for egress and cannot reach istiod "
               "(istio-system, `istio: pilot`) on TCP 15012.")
    rationale = ("The Envoy sidecar gets its certificates and configuration from istiod over port 15012. If the "
                 "pod's egress policies do not admit it, the sidecar never becomes ready, so the pod never becomes "
                 "ready either and all its traffic through the mesh fails.")
    bad_example = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled}   # pods get a sidecar, which needs istiod
---
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
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled}   # pods get a sidecar, which needs istiod
---
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
      podSelector: {matchLabels: {istio: pilot}}
    ports: [{protocol: TCP, port: 15012}]
"""
    fix_text = ("Add an egress rule admitting TCP 15012 to pods `istio: pilot` of namespace istio-system (both "
                "selectors in one peer).")
    tags = ("reachability", "egress", "istio")

    def check(self, ctx):
        network = ctx.network
        target = istiod(network)
        if target is None:
            return
        for e in input_endpoints(network):
            if not e.sidecar or e.namespace == target.namespace:
                continue
            if not network.isolating(e, "Egress"):
                continue
            v = network.allowed(e, target, XDS_PORT, "TCP")
            if v.allowed:
                continue
            w = cast(Workload, e.workload)      # input_endpoints: endpoints of input workloads
            side = v.egress if not v.egress.allowed else v.ingress
            names = side.policy_names
            policies = (f"{plural(names, 'policy', 'policies')} {', '.join(names)} "
                        f"{plural(names, 'does', 'do')} not admit it")
            where = f"its egress {policies}" if side is v.egress else f"istiod's ingress {policies}"
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is sidecar-injected and isolated for egress, but cannot reach istiod "
                f"({target.id}) on TCP {XDS_PORT}: {where}; the sidecar gets no configuration and the pod never "
                f"becomes ready",
                related=input_related(Related(p.locate("spec", "podSelector"), f"NetworkPolicy {p.ns_name}")
                                      for p in side.policies),
                node_hint="istiod",
                # one cause, one finding: an edited copy of a module policy (NPL302) that alone denies it
                explained_by=tuple(("NPL302", loc.file, loc.line) for loc in edited_module_policies(ctx, v)),
                explained_note=(f"the edit keeps the sidecars of {w.kind} {w.ns_name} from istiod (TCP {XDS_PORT}): "
                                f"they get no configuration"),
            )


RULE = EgressBlocksIstiod
