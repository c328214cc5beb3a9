"""NPL108 egress-gateway-disabled: pods labelled for an egress gateway the Istio CR does not run."""
from __future__ import annotations

from netpol_lint.engine.findings import Related
from netpol_lint.model.resources import TO_EGRESSGATEWAY
from netpol_lint.engine.rulebase import Rule


class EgressGatewayDisabled(Rule):
    id = "NPL108"
    name = "egress-gateway-disabled"
    severity = "info"
    summary = ("Checks for pod templates labelled `networking.kyma-project.io/to-egressgateway: allowed` while the "
               "Istio CR in the input does not enable the egress gateway (`spec.components.egressGateway.enabled`).")
    rationale = ("The label only matters for traffic to istio-egressgateway. Without the component the label "
                 "does nothing, which usually means the egress setup the workload relies on is missing: its "
                 "calls leave the mesh directly (or fail where direct egress is blocked).")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true   # no egress gateway
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  template:
    metadata:
      labels:
        networking.kyma-project.io/to-egressgateway: allowed
"""
    good_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components:
    egressGateway:
      enabled: true
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  template:
    metadata:
      labels:
        networking.kyma-project.io/to-egressgateway: allowed
"""
    fix_text = ("Enable the egress gateway in the Istio CR (`spec.components.egressGateway.enabled: true`), or "
                "remove the label if the workload does not use it.")
    tags = ("kyma-labels", "istio-cr", "egress")

    def check(self, ctx):
        cr = ctx.kyma.istio_cr
        if cr is None or ctx.kyma.egress_gateway_enabled:
            return
        enabled_path = ("spec", "components", "egressGateway", "enabled")
        cr_loc = cr.locate(*enabled_path)
        for w in ctx.model.workloads:
            if w.pod_labels.get(TO_EGRESSGATEWAY) != "allowed":
                continue
            yield self.finding(
                w, w.locate(*w.labels_path, TO_EGRESSGATEWAY, key=True),
                f"{w.kind} {w.ns_name} carries {TO_EGRESSGATEWAY}: allowed but Istio CR {cr.ns_name} does not "
                f"enable the egress gateway (spec.components.egressGateway.enabled)",
                related=[Related(cr_loc, f"Istio CR {cr.ns_name}: egress gateway not enabled")],
                node_hint=TO_EGRESSGATEWAY,
            )


RULE = EgressGatewayDisabled
