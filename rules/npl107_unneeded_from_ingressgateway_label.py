"""NPL107 unneeded-from-ingressgateway-label: the label on pods that no route reaches (least privilege)."""
from __future__ import annotations

from netpol_lint.model.resources import FROM_INGRESSGATEWAY
from netpol_lint.engine.rulebase import Rule

# Routes that may involve istio-ingressgateway: confirmed, or bound to a Gateway not in the input.
MAY_BE_INGRESS = ("ingress", "unknown")


class UnneededFromIngressgatewayLabel(Rule):
    id = "NPL107"
    name = "unneeded-from-ingressgateway-label"
    severity = "info"
    enabled_by_default = False
    summary = ("Checks for pod templates labelled `networking.kyma-project.io/from-ingressgateway: allowed` that "
               "no route in the input reaches.")
    rationale = ("The label opens the pods to istio-ingressgateway on every port. When nothing routes to them "
                 "the opening serves no purpose, and a later route or a gateway misconfiguration can expose more "
                 "than intended (least privilege). Off by default: routes often live in another repository.")
    bad_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  template:
    metadata:
      labels:
        app: worker
        networking.kyma-project.io/from-ingressgateway: allowed   # no route reaches worker
"""
    good_example = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: shop}\nspec:\n"
                    "  template:\n    metadata:\n      labels:\n        app: worker\n")
    fix_text = "Remove the label from pods that are not exposed through the ingress gateway."
    tags = ("kyma-labels", "routes", "least-privilege")

    def check(self, ctx):
        table = ctx.routes
        # Namespaces where a route names a Service the input lacks: its pods are unknown, stay quiet.
        unknown_ns = {r.host.namespace for r in table.routes
                      if r.serves in MAY_BE_INGRESS and r.host.is_service and r.service is None and r.provider is None}
        for w in ctx.model.workloads:
            if w.pod_labels.get(FROM_INGRESSGATEWAY) != "allowed" or w.namespace in unknown_ns:
                continue
            if any(r.serves in MAY_BE_INGRESS for r, _ in table.backends_of(w, ingress_only=False)):
                continue
            yield self.finding(
                w, w.locate(*w.labels_path, FROM_INGRESSGATEWAY, key=True),
                f"{w.kind} {w.ns_name} carries {FROM_INGRESSGATEWAY}: allowed but no APIRule, VirtualService or "
                f"authorizer in the input routes to it; the label admits istio-ingressgateway on every port",
                node_hint=FROM_INGRESSGATEWAY,
            )


RULE = UnneededFromIngressgatewayLabel
