"""NPL105 missing-to-egressgateway-label: outbound traffic routed via istio-egressgateway from unlabelled pods."""
from __future__ import annotations

from netpol_lint.engine.findings import LabelFix, Related
from netpol_lint.analysis.endpoints import is_sidecar_injected
from netpol_lint.model.resources import TO_EGRESSGATEWAY, str_map
from netpol_lint.engine.rulebase import Rule

INJECT = "sidecar.istio.io/inject"
TEMPLATES_ANNOTATION = "inject.istio.io/templates"


class MissingToEgressgatewayLabel(Rule):
    id = "NPL105"
    name = "missing-to-egressgateway-label"
    severity = "warning"
    fixable = True
    summary = ("Checks for pod templates whose outbound traffic a VirtualService sends through the Istio "
               "module's egress gateway (gateways include `mesh`, and a mesh route's destination is "
               "`istio-egressgateway.istio-system.svc.cluster.local`) in their namespace or exported to it, but "
               "that lack `networking.kyma-project.io/to-egressgateway: allowed`, while module policies are "
               "enabled. Not for a user's own egress gateway, gateway pods, or pods without a sidecar.")
    rationale = ("The module's policy for istio-egressgateway admits traffic only from pods labelled "
                 "`to-egressgateway: allowed`. The sidecar of an unlabelled pod still sends the request to the "
                 "egress gateway, which now drops the connection, so calls to the external host fail. Only the "
                 "module's gateway has that policy: a route to a user's own egress gateway Service is not the "
                 "module's concern. Mesh routes are applied by sidecars, so gateway pods (the module's, pods "
                 "selected by a Gateway, Istio's gateway injection template) and pods without a sidecar (opted "
                 "out, or in a namespace whose labels are known and do not inject) are not reported, nor "
                 "namespaces the VirtualService is not exported to (`spec.exportTo`). One finding per workload: "
                 "each is fixed on its own pod template, and suppressed or baselined on its own; the text summary "
                 "counts the findings per route, so one VirtualService in a busy namespace reads as one cause.")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components: {egressGateway: {enabled: true}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.example.com]
  gateways: [mesh, istio-egressgateway]
  tls:
  - match: [{gateways: [mesh], port: 443, sniHosts: [api.example.com]}]
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local   # via the module's egress gateway
        port: {number: 443}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: orders}   # no to-egressgateway: allowed
"""
    good_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components: {egressGateway: {enabled: true}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.example.com]
  gateways: [mesh, istio-egressgateway]
  tls:
  - match: [{gateways: [mesh], port: 443, sniHosts: [api.example.com]}]
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local   # via the module's egress gateway
        port: {number: 443}
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
"""
    fix_text = ("Add `networking.kyma-project.io/to-egressgateway: allowed` to the pod template labels of the "
                "workloads that call the external host (the fix adds it).")
    tags = ("kyma-labels", "routes", "egress")

    def check(self, ctx):
        if not ctx.kyma.policies_enabled:
            return
        table = ctx.routes
        model = ctx.model
        gateway_selectors = _gateway_selectors(model)
        per_namespace: dict = {}  # routes, their names and related locations, made once per namespace
        for w in model.workloads:
            if w.host_network or TO_EGRESSGATEWAY in w.pod_labels:
                continue          # host-network pods bypass the mesh; present (a wrong value is NPL103's)
            known = per_namespace.get(w.namespace)
            if known is None:
                known = per_namespace[w.namespace] = _route_facts(table.egress_routes_for(w.namespace))
            names, related = known
            if not names or _is_gateway_pod(w, gateway_selectors) or not _may_have_sidecar(model, w):
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

    def summary_group(self, finding) -> str | None:
        """The text summary counts these findings per route (one finding per workload: each is
        fixed on its own pod template, and suppressed or baselined on its own)."""
        hint = finding.node_hint
        return ", ".join(hint) if isinstance(hint, (list, tuple)) and hint else None


def _gateway_selectors(model) -> dict:
    """Selectors of the Gateways in the input (the pods they select are gateway proxies),
    each once, indexed by one of its label pairs: a pod is checked against the selectors that
    can match it only (one check per Gateway per workload was quadratic: 14 s of a 50k run)."""
    index: dict = {}
    for g in model.gateways:
        raw = g.spec.get("selector")
        if isinstance(raw, dict) and raw:
            sel = tuple(sorted(str_map(raw).items()))
            if not sel:
                continue          # no string labels: selects nothing
            bucket = index.setdefault(sel[0], [])
            if sel not in bucket:
                bucket.append(sel)
    return index


def _is_gateway_pod(w, gateway_selectors) -> bool:
    """Istio gateway pods (the module's in istio-system, or a user's own): their traffic is
    the gateway's, not a sidecar's mesh route."""
    if w.namespace == "istio-system":
        return True
    labels = w.pod_labels
    if labels.get("istio") in ("ingressgateway", "egressgateway"):
        return True
    if "gateway" in w.pod_annotations.get(TEMPLATES_ANNOTATION, ""):
        return True               # Istio's gateway injection template (istio/gateway Helm chart)
    return any(all(labels.get(k) == v for k, v in sel)
               for pair in labels.items() for sel in gateway_selectors.get(pair, ()))


def _may_have_sidecar(model, w) -> bool:
    """Mesh routes apply only to pods with a sidecar.  Where the namespace's labels are known
    (a Namespace in the input, or config), the pod must be sidecar-injected (RULES.md
    vocabulary); else only an explicit opt-out rules it out."""
    ns_labels = model.namespace_labels(w.namespace)
    if w.pod_labels.get(INJECT) == "false" or w.pod_annotations.get(INJECT) == "false":
        return False
    if ns_labels.get("istio-injection") == "disabled":
        return False
    if w.namespace in model.namespace_objects or w.namespace in model.configured_namespaces:
        return is_sidecar_injected(ns_labels, w.pod_labels, w.pod_annotations)
    return True


def _route_facts(routes) -> tuple[tuple[str, ...], tuple[Related, ...]]:
    """(sorted route names, related locations) of a namespace's egress routes; shared by the
    findings of that namespace's workloads (thousands on large inputs)."""
    related = []
    for e in routes:
        related.append(Related(e.location, f"{e.name} routes mesh traffic to {e.describe_gateway()}"))
        if e.gateway is not None:
            related.append(Related(e.gateway_location, f"{e.name} is bound to {e.gateway.describe()}"))
            if e.gateway.resource is not None:
                related.append(Related(e.gateway.resource.locate("spec", "selector"),
                                       f"Gateway {e.gateway.ref} selects istio-egressgateway"))
    return tuple(sorted({e.name for e in routes})), tuple(related)


RULE = MissingToEgressgatewayLabel
