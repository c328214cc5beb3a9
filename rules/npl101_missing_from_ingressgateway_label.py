"""NPL101 missing-from-ingressgateway-label: a route backend the ingress gateway may not reach."""
from __future__ import annotations

import difflib

from netpol_lint.analysis.routes import routes_related
from netpol_lint.engine.findings import LabelFix
from netpol_lint.model.resources import FROM_INGRESSGATEWAY, NETWORKING_LABELS, NETWORKING_PREFIX, get
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import plural

MODULE_EGRESS_POLICY = "istio-system/kyma-project.io--istio-ingressgateway-egress"


class MissingFromIngressgatewayLabel(Rule):
    id = "NPL101"
    name = "missing-from-ingressgateway-label"
    severity = "error"
    fixable = True
    summary = ("Checks for pod templates that an ingress-gateway route (APIRule, VirtualService on an "
               "ingress Gateway, ext_authz provider) reaches but that lack "
               "`networking.kyma-project.io/from-ingressgateway: allowed`, while module policies are enabled.")
    rationale = ("With `networkPoliciesEnabled: true` the Istio module isolates istio-ingressgateway for egress "
                 "and only lets it connect to pods labelled `from-ingressgateway: allowed`. Every request the "
                 "route forwards to an unlabelled pod is dropped, so the exposed API stops answering.")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: true}
---
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
        app: web   # the route's backend: no from-ingressgateway: allowed
"""
    good_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: true}
---
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
    fix_text = ("Add `networking.kyma-project.io/from-ingressgateway: allowed` to the pod template labels "
                "(a Kyma Function's `spec.labels`: serverless puts them on the Function's pods, behind the "
                "Service of the Function's name, port 80 to 8080); the fix adds it.")
    tags = ("kyma-labels", "routes")

    def check(self, ctx):
        if not ctx.kyma.policies_enabled:
            return
        table = ctx.routes
        done = set()
        for route in table.ingress_routes():
            for backend in route.backends:
                w = backend.workload
                if id(w) in done:
                    continue
                done.add(id(w))
                if w.pod_labels.get(FROM_INGRESSGATEWAY) == "allowed":
                    continue
                causes = label_explanations(w)
                pairs = table.backends_of(w)
                names = sorted({r.name for r, _ in pairs})
                services = sorted({f"{b.service.ns_name} port {b.service_port}" if b.service_port else b.service.ns_name
                                   for _, b in pairs})
                related = routes_related(r for r, _ in pairs)
                yield self.finding(
                    w, w.labels_location(),
                    f"{w.kind} {w.ns_name} is the backend of {', '.join(names)} ({plural(services, 'Service')} {', '.join(services)}) "
                    f"but its {w.pod_template_text} lacks {FROM_INGRESSGATEWAY}: allowed; the module's egress policy "
                    f"{MODULE_EGRESS_POLICY} drops that traffic",
                    related=related,
                    fix=LabelFix.set_pod_label(w, FROM_INGRESSGATEWAY),
                    node_hint=names,
                    explained_by=causes,
                    # NPL102 names the routes itself; NPL103/NPL104 point at the label only
                    explained_note=(f"it keeps {FROM_INGRESSGATEWAY}: allowed off the pods of {w.kind} {w.ns_name}, "
                                    f"the backend of {', '.join(names)}")
                    if any(rule != "NPL102" for rule, _, _ in causes) else "",
                )


def label_explanations(w) -> tuple[tuple[str, str, int], ...]:
    """The findings, as (rule, file, line), that explain the missing label (one cause, one
    finding): NPL103 (a wrong value), NPL102 (on the controller only), NPL104 (a misspelt key).

    Each points at the label itself; the pipeline folds this NPL101 into the first of them
    that is reported, and reports it alone when none is.
    """
    raw = get(w.template, "metadata", "labels")
    raw = raw if isinstance(raw, dict) else {}
    labels = w.labels_path                     # spec.labels for a Function
    found = []
    if FROM_INGRESSGATEWAY in raw and raw[FROM_INGRESSGATEWAY] != "allowed":
        found.append(("NPL103", w.locate(*labels, FROM_INGRESSGATEWAY)))          # wrong value
    if w.template_path and FROM_INGRESSGATEWAY in w.labels and FROM_INGRESSGATEWAY not in raw:
        found.append(("NPL102", w.locate("metadata", "labels", FROM_INGRESSGATEWAY, key=True)))
    for key in raw:
        if isinstance(key, str) and key.startswith(NETWORKING_PREFIX) and key not in NETWORKING_LABELS:
            close = difflib.get_close_matches(key, NETWORKING_LABELS, n=2, cutoff=0.6)
            if close and close[0] == FROM_INGRESSGATEWAY:
                found.append(("NPL104", w.locate(*labels, key, key=True)))        # misspelt key
    return tuple((rule, loc.file, loc.line) for rule, loc in found)


RULE = MissingFromIngressgatewayLabel
