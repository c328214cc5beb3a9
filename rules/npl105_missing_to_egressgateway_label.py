"""NPL105 missing-to-egressgateway-label: outbound traffic routed via istio-egressgateway from unlabelled pods."""
from __future__ import annotations

from netpol_lint.engine.findings import LabelFix, Related
from netpol_lint.model.resources import TO_EGRESSGATEWAY
from netpol_lint.engine.rulebase import Rule

INJECT = "sidecar.istio.io/inject"


class MissingToEgressgatewayLabel(Rule):
    id = "NPL105"
    name = "missing-to-egressgateway-label"
    severity = "warning"
    fixable = True
    summary = ("Checks for pod templates whose outbound traffic a VirtualService (gateways `mesh` plus a Gateway "
               "selecting `istio: egressgateway`) sends through istio-egressgateway, but that lack "
               "`networking.kyma-project.io/to-egressgateway: allowed`, while module policies are enabled.")
    rationale = ("The module's policy for istio-egressgateway admits traffic only from pods labelled "
                 "`to-egressgateway: allowed`. The sidecar of an unlabelled pod still sends the request to the "
                 "egress gateway, which now drops the connection, so calls to the external host fail.")
    bad_example = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: api, namespace: shop}\n"
                   "spec:\n  hosts: [api.example.com]\n  gateways: [mesh, istio-egressgateway]\n  tls:\n"
                   "  - match: [{gateways: [mesh], port: 443, sniHosts: [api.example.com]}]\n"
                   "    route:\n    - destination:\n        host: istio-egressgateway.istio-system.svc.cluster.local\n"
                   "        port: {number: 443}\n---\n"
                   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders, namespace: shop}\nspec:\n"
                   "  template:\n    metadata:\n      labels: {app: orders}\n")
    good_example = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders, namespace: shop}\nspec:\n"
                    "  template:\n    metadata:\n      labels:\n        app: orders\n"
                    "        networking.kyma-project.io/to-egressgateway: allowed\n")
    fix_text = ("Add `networking.kyma-project.io/to-egressgateway: allowed` to the pod template labels of the "
                "workloads that call the external host (the fix adds it).")
    tags = ("kyma-labels", "routes", "egress")

    def check(self, ctx):
        if not ctx.kyma.policies_enabled:
            return
        table = ctx.routes
        per_namespace: dict = {}  # routes, their names and related locations, made once per namespace
        for w in ctx.model.workloads:
            if w.namespace == "istio-system" or w.host_network:
                continue          # the gateways themselves; host-network pods bypass the mesh
            if (w.pod_labels.get(INJECT) == "false" or w.pod_annotations.get(INJECT) == "false"
                    or ctx.model.namespace_labels(w.namespace).get("istio-injection") == "disabled"):
                continue          # no sidecar: mesh routes do not apply to this pod
            if TO_EGRESSGATEWAY in w.pod_labels:
                continue          # present (a wrong value is NPL103's finding)
            known = per_namespace.get(w.namespace)
            if known is None:
                known = per_namespace[w.namespace] = _route_facts(table.egress_routes_for(w.namespace))
            names, related = known
            if not names:
                continue
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} sends outbound traffic through istio-egressgateway "
                f"({', '.join(names)}) but its {w.pod_template_text} lacks {TO_EGRESSGATEWAY}: allowed; the module's "
                f"egress-gateway policy drops it",
                related=related,
                fix=LabelFix.set_pod_label(w, TO_EGRESSGATEWAY),
                node_hint=names,
            )


def _route_facts(routes) -> tuple[tuple[str, ...], tuple[Related, ...]]:
    """(sorted route names, related locations) of a namespace's egress routes; shared by the
    findings of that namespace's workloads (thousands on large inputs)."""
    related = []
    for e in routes:
        related.append(Related(e.gateway_location, f"{e.name} sends mesh traffic through {e.gateway.describe()}"))
        if e.gateway.resource is not None:
            related.append(Related(e.gateway.resource.locate("spec", "selector"),
                                   f"Gateway {e.gateway.ref} selects istio-egressgateway"))
    return tuple(sorted({e.name for e in routes})), tuple(related)


RULE = MissingToEgressgatewayLabel
