"""NPL109 unresolvable-route-host: a route names a host or Service that does not resolve."""
from __future__ import annotations

from netpol_lint.analysis.routes import closest_service_name
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.model.resources import FunctionService


class UnresolvableRouteHost(Rule):
    id = "NPL109"
    name = "unresolvable-route-host"
    severity = "warning"
    summary = ("Checks for route destination hosts of the form `svc.ns` or `svc.ns.svc`, which Istio does not "
               "expand, and for routes naming a Service that is missing from the input while other Services of "
               "that namespace are there. Services installed from elsewhere (a Helm chart, another repository) "
               "are declared in config `external_services` (`namespace/name`) and never reported.")
    rationale = ("Istio resolves a short host in the route's own namespace and otherwise looks the host up "
                 "verbatim: `svc.ns` and `svc.ns.svc` name no Service, so the gateway has nowhere to send the "
                 "request (503/404) and the linter cannot trace the route to its pods either. A Service name "
                 "that matches none of the namespace's Services is usually a typo with the same effect; the finding "
                 "suggests a Service of the same namespace at most one or two edits away, never one of another "
                 "namespace.")
    bad_example = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: edge}
spec:
  hosts: [shop.example.com]
  gateways: [kyma-system/kyma-gateway]
  http:
  - route:
    - destination:
        host: web.shop   # Istio does not expand svc.ns
        port: {number: 80}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: 8080}
"""
    good_example = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: edge}
spec:
  hosts: [shop.example.com]
  gateways: [kyma-system/kyma-gateway]
  http:
  - route:
    - destination:
        host: web.shop.svc.cluster.local
        port: {number: 80}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: 8080}
"""
    fix_text = ("Write the Service's full name `svc.ns.svc.cluster.local` (or a short name in the route's namespace). "
                "For a Service installed from elsewhere, add `namespace/name` to config `external_services`.")
    tags = ("routes",)

    def check(self, ctx):
        model = ctx.model
        external = set(ctx.config.external_services)
        for route in ctx.routes.routes:
            host = route.host
            if host.form == "unexpanded":
                what = "ext_authz provider service" if route.kind == "Authorizer" else "destination host"
                yield self.finding(
                    route.source, route.location,
                    f"{route.name}: {what} {route.host_text!r} is not expanded by Istio, so it names no Service "
                    f"and the gateway cannot route it; write {host.suggestion!r}",
                    node_hint=["unexpanded", route.host_text],
                )
            elif (host.is_service and route.service is None and route.provider is None
                  and _has_service_manifests(model, host.namespace)
                  and f"{host.namespace}/{host.name}" not in external):
                guess = closest_service_name(model, host.namespace, host.name)
                hint = f"; did you mean {guess!r}?" if guess else ""
                related = []
                if guess:
                    svc = model.service(host.namespace, guess)
                    related.append(Related(svc.locate("metadata", "name"), f"Service {svc.ns_name}"))
                loc = route.source.locate(*route.path, "name") if route.kind == "APIRule" else route.location
                yield self.finding(
                    route.source, loc,
                    f"{route.name} routes to Service {host.namespace}/{host.name}, which is not in the input "
                    f"although other Services of namespace {host.namespace} are{hint}",
                    related=related, node_hint=["missing-service", f"{host.namespace}/{host.name}"],
                )


def _has_service_manifests(model, namespace: str) -> bool:
    """The input holds Service manifests of ``namespace`` (the Services serverless creates for
    Functions do not show that the namespace's Services are in the input)."""
    return any(s.__class__ is not FunctionService for s in model.services_by_ns.get(namespace, {}).values())


RULE = UnresolvableRouteHost
