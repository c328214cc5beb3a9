"""NPL201 ingressgateway-blocked: a namespace's policies isolate a route backend from the gateway."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import (
    NearMissSearch, allow_policy_yaml, analyse, edited_module_policies_on, input_related, near_miss,
)
from netpol_lint.analysis.istio_world import SYNTHETIC_PATH
from netpol_lint.analysis.managed import deny_by_default_directions
from netpol_lint.analysis.routes import routes_related
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.model.resources import FROM_INGRESSGATEWAY
from netpol_lint.wording import plural


# the analysis's causes of a blocked backend and the rules that report them
CAUSE_RULES = {"service-port": "NPL203", "namespace-label": "NPL204"}


class IngressgatewayBlocked(Rule):
    id = "NPL201"
    name = "ingressgateway-blocked"
    severity = "error"
    summary = ("Checks for route backend pods that NetworkPolicies of their namespace isolate for ingress "
               "without admitting istio-ingressgateway on the target port, and for route backends that the "
               "gateway's own egress policies in istio-system do not let it reach on that port.")
    rationale = ("Once a policy (typically a deny-by-default one) selects a pod for ingress, only what some policy "
                 "admits gets in. If none admits the istio-ingressgateway pods of istio-system on the port the "
                 "Service forwards to, every request through the APIRule or VirtualService times out — whether "
                 "or not the Istio module's own policies are enabled. The same holds on the gateway's side: "
                 "policies selecting the istio-ingressgateway pods (an edited copy of the module's "
                 "`kyma-project.io--istio-ingressgateway-egress`, a user's own policy in istio-system) isolate it "
                 "for egress, and a backend they do not admit on its target port is unreachable although its pods "
                 "are labelled correctly. That is a separate finding on the workload, naming the gateway's "
                 "policies; when an edited copy of a module policy alone causes it, NPL302 reports the edit and "
                 "names the route (NPL303 likewise for a deny-by-default policy of istio-system while the module's "
                 "policies are off), and this rule reports it whenever that finding is not reported. A backend "
                 "lacking `from-ingressgateway: allowed` while the module's policies are on is NPL101's. When the "
                 "gateway's egress blocks the route, restore the module's policy (delete the edited copy; the module recreates it) or make "
                 "the istio-system policy that isolates the gateway admit the backend's target port.")
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
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]   # isolates web; nothing admits the gateway
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
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
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
    ports: [{protocol: TCP, port: 8080}]   # the pods' port
"""
    fix_text = ("When a policy of the namespace almost admits the gateway, the finding names it and the "
                "difference (a typo in `istio: ingressgateway`, the wrong namespace label, no namespaceSelector, "
                "the wrong port): correct that policy. Otherwise add a NetworkPolicy in the workload's namespace that "
                "admits pods `istio: ingressgateway` of "
                "namespace istio-system (both selectors in ONE peer) on the container (target) port; each finding "
                "carries one ready to apply (`--format full`, and `detail` in JSON output).")
    tags = ("reachability", "routes", "ingress")

    def check(self, ctx):
        analysis = analyse(ctx)
        # one finding per workload, and apart the ports NPL203/NPL204 explain: those name the
        # explaining findings and are folded into them by the pipeline when they are reported
        groups: dict[tuple[str, bool], list] = {}
        known = ctx.model.known_namespaces() if analysis.gateway is not None else {}
        search = NearMissSearch(ctx.network)     # one per run: near_miss is asked per workload
        for c in analysis.blocked():
            groups.setdefault((c.endpoint.id, bool(analysis.explanations(c))), []).append(c)
        for key in sorted(groups):
            checks = groups[key]
            causes = tuple(dict.fromkeys((CAUSE_RULES[kind], file, line) for c in checks
                                         for kind, file, line in analysis.explanations(c)))
            e, w, ports, routes, port_text, related = _backend_facts(checks)
            service = checks[0].backend.service
            policies = sorted({p.ns_name: p for c in checks for p in c.verdict.ingress.policies}.items())
            existing = {p.name for p in ctx.model.policies_by_ns.get(e.namespace, ())}
            policy_yaml = allow_policy_yaml(e.namespace, service, ports, existing)
            for name, p in policies:
                related.append(Related(p.locate("spec", "podSelector"), f"NetworkPolicy {name} isolates the pods"))
            # NPL203/NPL204 name the cause of explained ports; else the closest policy, if any
            miss = None if causes else near_miss(ctx.network, analysis.gateway, e, ports, known, search)
            closest = ""
            if miss is not None:
                closest = f"; {miss.text()}"
                related.append(Related(miss.policy.locate(*miss.path), miss.text()))
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is the backend of {', '.join(routes)} but "
                f"{plural(policies, 'NetworkPolicy', 'NetworkPolicies')} "
                f"{', '.join(n for n, _ in policies)} {plural(policies, 'isolates', 'isolate')} it for ingress "
                f"and no policy of namespace {e.namespace} admits istio-ingressgateway on {port_text}{closest}",
                related=input_related(related),
                node_hint=[routes, ports],
                explained_by=causes,
                # NPL203 names the workload, the route and the port itself; NPL204 names none
                explained_note=(f"it leaves {w.kind} {w.ns_name}, the backend of {', '.join(routes)}, "
                                f"unreachable for istio-ingressgateway on {port_text}")
                if any(rule != "NPL203" for rule, _, _ in causes) else "",
                detail=policy_yaml,
            )
        yield from self._gateway_egress(ctx, analysis)

    def _gateway_egress(self, ctx, analysis):
        """The other side of the same connection: policies selecting the istio-ingressgateway pods
        (an edited copy of the module's egress policy, a user's own policy in istio-system) that do
        not let the gateway send to a route backend on its target port.  A backend without the
        from-ingressgateway label is NPL101's finding while the module's policies are on, and
        nobody's while they are off and the module's own policies in the input are what isolate
        the gateway (they are the module's sources, not applied: NPL301)."""
        groups: dict[str, list] = {}
        for c in analysis.egress_blocked():
            w = c.endpoint.workload
            if w.pod_labels.get(FROM_INGRESSGATEWAY) != "allowed" and (
                    ctx.kyma.policies_enabled or any(p.is_managed for p in c.verdict.egress.policies)):
                continue
            groups.setdefault(c.endpoint.id, []).append(c)
        for eid in sorted(groups):
            checks = groups[eid]
            _, w, ports, routes, port_text, related = _backend_facts(checks)
            gw = analysis.gateway
            side = checks[0].verdict.egress
            names = side.policy_names
            related += [Related(p.locate("spec", "podSelector"), f"NetworkPolicy {p.ns_name} isolates "
                                f"istio-ingressgateway for egress") for p in side.policies]
            causes = self._egress_causes(ctx, [c.verdict.egress for c in checks])
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is the backend of {', '.join(routes)} but istio-ingressgateway "
                f"({gw.id}) cannot send to it on {port_text}: {plural(names, 'NetworkPolicy', 'NetworkPolicies')} "
                f"{', '.join(names)} {plural(names, 'isolates', 'isolate')} the gateway for egress and "
                f"{plural(names, 'it does not admit', 'none admits')} that traffic",
                related=input_related(related),
                node_hint=[routes, ports, "egress"],
                explained_by=causes,
                explained_note=(f"it keeps istio-ingressgateway from {w.kind} {w.ns_name}, the backend of "
                                f"{', '.join(routes)}, on {port_text}") if causes else "",
            )

    @staticmethod
    def _egress_causes(ctx, sides) -> tuple[tuple[str, str, int], ...]:
        """One cause, one finding: NPL302's edited copies of module policies that alone deny every
        one of ``sides`` (the module's own policy admits them), else NPL303's deny-by-default
        egress policies of istio-system while the module's policies are off, when nothing else
        isolates the gateway for egress."""
        edits = [{(loc.file, loc.line) for loc in edited_module_policies_on(ctx, side)} for side in sides]
        common = set.intersection(*edits) if edits else set()
        if common:
            return tuple(("NPL302", file, line) for file, line in sorted(common))
        if ctx.kyma.policies_enabled:
            return ()
        policies = {id(p): p for side in sides for p in side.policies}.values()
        if not policies or any(p.file == SYNTHETIC_PATH or "Egress" not in deny_by_default_directions(p.spec)
                               for p in policies):
            return ()
        out = []
        for p in policies:
            loc = p.locate("spec", "podSelector")
            out.append(("NPL303", loc.file, loc.line))
        return tuple(out)


def _backend_facts(checks):
    """What both findings say of one backend's blocked checks: its endpoint and workload, the
    target ports, the routes, the ports as text and the routes as related locations."""
    e = checks[0].endpoint
    ports = sorted({c.backend.target_port for c in checks})
    routes = sorted({c.route.name for c in checks})
    return (e, e.workload, ports, routes, ", ".join(f"TCP {p}" for p in ports),
            routes_related(c.route for c in checks))


RULE = IngressgatewayBlocked

