"""NPL203 allowance-uses-service-port: a policy admits the gateway on the Service port, not the pod's."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import analyse
from netpol_lint.engine.findings import LabelFix, Related
from netpol_lint.engine.rulebase import Rule


class AllowanceUsesServicePort(Rule):
    id = "NPL203"
    name = "allowance-uses-service-port"
    severity = "error"
    fixable = True
    summary = ("Checks for NetworkPolicies that admit istio-ingressgateway on a route's Service `port` where the "
               "Service forwards to a different `targetPort`, and not on that target port.")
    rationale = ("NetworkPolicies see the connection after the Service has translated it: the gateway connects to "
                 "the pod's address on the target (container) port. A rule for the Service port (80) does not "
                 "admit traffic arriving on the container port (8080), so the route is blocked although the "
                 "policy looks right.")
    bad_example = """\
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  gateway: kyma-system/kyma-gateway
  hosts: [web.example.com]
  service: {name: web, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels:
        app: web
        networking.kyma-project.io/from-ingressgateway: allowed
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
      podSelector: {matchLabels: {istio: ingressgateway}}
    ports: [{protocol: TCP, port: 80}]   # the Service's port, not the pods' 8080
"""
    good_example = """\
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  gateway: kyma-system/kyma-gateway
  hosts: [web.example.com]
  service: {name: web, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels:
        app: web
        networking.kyma-project.io/from-ingressgateway: allowed
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
      podSelector: {matchLabels: {istio: ingressgateway}}
    ports: [{protocol: TCP, port: 8080}]
"""
    fix_text = ("Use the Service's `targetPort` (the container port, number or name) in the policy's `ports` "
                "(`--fix` writes the target port's number; a port range is left to you).")
    tags = ("reachability", "routes", "policy-content")

    def check(self, ctx):
        for c in analyse(ctx).confusions:
            p, b = c.policy, c.backend
            w = b.workload
            entry_path = ("spec", "ingress", c.rule_index, "ports", c.port_index)
            fix = None
            raw = _get(p.data, entry_path)
            if isinstance(raw, dict) and raw.get("endPort") is None and isinstance(b.target_port, int):
                fix = LabelFix(p.file, p.doc.index, p.base + entry_path, set=(("port", b.target_port),))
            yield self.finding(
                p, p.locate("spec", "ingress", c.rule_index, "ports", c.port_index, "port"),
                f"NetworkPolicy {p.ns_name} admits istio-ingressgateway on port {b.service_port}, the port of "
                f"Service {b.service.ns_name}, but the Service forwards to container port {b.target_port} of "
                f"{w.kind} {w.ns_name} ({c.route.name}); policies see the target port, so write {b.target_port}",
                related=[Related(b.service.locate("spec", "ports", b.port_index) if b.port_index is not None
                                 else b.service.locate("spec", "ports"),
                                 f"Service {b.service.ns_name} port {b.service_port} -> targetPort {b.target_port}"),
                         Related(w.labels_location(), f"{w.kind} {w.ns_name}, the backend of {c.route.name}"),
                         *c.route.related()],
                node_hint=[c.rule_index, b.service_port, b.target_port], fix=fix,
            )


def _get(data, path):
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data


RULE = AllowanceUsesServicePort
