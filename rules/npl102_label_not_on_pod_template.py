"""NPL102 label-not-on-pod-template: a networking label on the controller, not on its pods."""
from __future__ import annotations

from netpol_lint.engine.findings import LabelFix
from netpol_lint.model.resources import NETWORKING_LABELS, Function
from netpol_lint.engine.rulebase import Rule


class LabelNotOnPodTemplate(Rule):
    id = "NPL102"
    name = "label-not-on-pod-template"
    severity = "error"
    fixable = True
    summary = ("Checks for a Kyma networking label on a controller's own `metadata.labels` that is missing from "
               "its pod template's labels (for a Kyma serverless Function: from its `spec.labels`).")
    rationale = ("NetworkPolicies select pods, and pods get their labels from the pod template only. A label on "
                 "the Deployment's metadata never reaches the pods, so the module's policies do not match them. "
                 "A Function's pods carry its `spec.labels` (plus serverless's own labels) and never its "
                 "`metadata.labels` (kyma-project/serverless @779485d1, "
                 "components/buildless-serverless/api/v1alpha2/function_types.go `PodLabels`).")
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
metadata:
  name: web
  namespace: shop
  labels:
    networking.kyma-project.io/from-ingressgateway: allowed   # the Deployment's, not the pods'
spec:
  template:
    metadata:
      labels:
        app: web
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
"""
    fix_text = ("Add the label to `spec.template.metadata.labels` (a Function's `spec.labels`); the fix copies it "
                "there with the value `allowed`, and the copy on `metadata.labels` can then be removed.")
    tags = ("kyma-labels",)

    def check(self, ctx):
        for w in ctx.model.workloads:
            if not w.template_path:
                continue  # a bare Pod's metadata *is* its template
            for key in NETWORKING_LABELS:
                if key in w.labels and key not in w.pod_labels:
                    routes = _route_names(ctx, w) if key == NETWORKING_LABELS[0] else ""
                    fix = LabelFix.set_pod_label(w, key)
                    if isinstance(w, Function):
                        text = (f"{key} is set on the Function's metadata.labels but not in its spec.labels, so "
                                f"the pods do not carry it (serverless puts only spec.labels on the Function's "
                                f"pods); move it to spec.labels{routes}")
                    else:
                        text = (f"{key} is set on the {w.kind}'s metadata.labels but not on its pod template, "
                                f"so the pods do not carry it{routes}")
                    yield self.finding(w, w.locate("metadata", "labels", key, key=True), text, fix=fix, node_hint=key)


def _route_names(ctx, workload) -> str:
    """'; routed by APIRule shop/web' when route tracing knows the workload (one cause, one finding)."""
    finder = getattr(ctx, "routes_to", None)
    if finder is None:
        return ""
    names = finder(workload)
    return f"; it is the backend of {', '.join(names)}" if names else ""


RULE = LabelNotOnPodTemplate
