"""NPL109 unresolvable-route-host: a route names a host, Service or Service port that does not resolve."""
from __future__ import annotations

from netpol_lint.analysis.routes import closest_service_name, port_number
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.model.resources import FunctionService
from netpol_lint.wording import plural


class UnresolvableRouteHost(Rule):
    id = "NPL109"
    name = "unresolvable-route-host"
    severity = "warning"
    summary = ("Checks for route destination hosts of the form `svc.ns` or `svc.ns.svc`, which Istio does not "
               "expand, for routes naming a Service that is missing from the input while other Services of "
               "that namespace are there, and for routes naming a port the Service (in the input, or the one "
               "serverless creates for a Function) does not have — or, for a VirtualService destination without "
               "a port, a Service with several ports. Services installed from elsewhere (a Helm chart, another "
               "repository) are declared in config `external_services` (`namespace/name`) and never reported.")
    rationale = ("Istio resolves a short host in the route's own namespace and otherwise looks the host up "
                 "verbatim: `svc.ns` and `svc.ns.svc` name no Service, so the gateway has nowhere to send the "
                 "request (503/404) and the linter cannot trace the route to its pods either. A Service name "
                 "that matches none of the namespace's Services is usually a typo with the same effect; the finding "
                 "suggests a Service of the same namespace at most one or two edits away, never one of another "
                 "namespace. Istio sends a route to the Service port it names (an APIRule's `service.port`, a "
                 "destination's `port.number`): a number the Service does not list (often the container port "
                 "instead of the Service port) has no upstream cluster, and the request fails with 503. A "
                 "destination may leave the port out only when the Service has exactly one port (Istio docs: "
                 "Destination.port; analyzer IST0112 VirtualServiceDestinationPortSelectorRequired).")
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
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  gateway: kyma-system/kyma-gateway
  service: {name: web, port: 8080}   # the container port: the Service has only port 80
  rules: [{path: /*, methods: [GET], noAuth: true}]
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
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  gateway: kyma-system/kyma-gateway
  service: {name: web, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: 8080}
"""
    fix_text = ("Write the Service's full name `svc.ns.svc.cluster.local` (or a short name in the route's namespace), "
                "and a port the Service lists (its `port`, not the `targetPort`). "
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
            elif (host.is_service and route.service is not None
                  and f"{host.namespace}/{host.name}" not in external):
                yield from self._check_port(model, route)

    def _check_port(self, model, route):
        """The route's Service is in the input but has no port the route can use: a port number
        none of the Service's definitions has, or (VirtualService) no port while the Service has
        several (Istio needs one to pick the cluster, analyzer IST0112)."""
        services = model.service_definitions(route.host.namespace, route.host.name, near=route.source) or [route.service]
        if any(s.spec.get("type") == "ExternalName" for s in services):
            return                           # DNS alias: Istio does not look its ports up
        port_sets = [[port_number(p.get("port")) for _, p in s.ports()] for s in services]
        if any(not ports or None in ports for ports in port_sets):
            return                           # no ports, or one not a number (a template): nothing to compare
        svc = services[0]
        what = f"Service {svc.ns_name}"
        if isinstance(svc, FunctionService):
            what += f" (created by serverless for Function {svc.function.ns_name})"
        ports = sorted(set(port_sets[0]))
        listed = ", ".join(map(str, ports))
        noun = plural(ports, "port")
        field = {"APIRule": ("port",), "VirtualService": ("port", "number"), "Authorizer": ("port",)}[route.kind]
        base = route.path if route.kind == "APIRule" else route.path[:-1]
        if route.port is not None:
            if any(route.port in ports for ports in port_sets):
                return
            hint = f"; did you mean port {ports[0]}?" if len(ports) == 1 else ""
            yield self.finding(
                route.source, route.source.locate(*base, *field),
                f"{route.name} routes to port {route.port} of {what}, which has no such port "
                f"(its {noun}: {listed}), so the gateway has nowhere to send the request{hint}",
                related=[Related(svc.locate("spec", "ports"), f"Service {svc.ns_name} {noun} {listed}")],
                node_hint=["missing-port", f"{svc.ns_name}:{route.port}"],
            )
        elif (route.kind == "VirtualService" and "port" not in _node(route.source.spec, base[1:])
              and all(len(set(ps)) > 1 for ps in port_sets)):
            yield self.finding(
                route.source, route.location,
                f"{route.name} routes to {what} without a port, but the Service has {noun} "
                f"{listed}: Istio cannot tell which one is meant (IST0112); set destination.port.number",
                related=[Related(svc.locate("spec", "ports"), f"Service {svc.ns_name} {noun} {listed}")],
                node_hint=["ambiguous-port", svc.ns_name],
            )


def _node(data, path) -> dict:
    """The mapping at ``path`` inside ``data`` (empty when the path does not lead to one)."""
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return {}
    return data if isinstance(data, dict) else {}


def _has_service_manifests(model, namespace: str) -> bool:
    """The input holds Service manifests of ``namespace`` (the Services serverless creates for
    Functions do not show that the namespace's Services are in the input)."""
    return any(s.__class__ is not FunctionService for s in model.services_by_ns.get(namespace, {}).values())


RULE = UnresolvableRouteHost
