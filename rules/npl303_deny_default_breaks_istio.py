"""NPL303 deny-default-breaks-istio: deny-by-default in istio-system/kyma-system without the module's policies."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import istiod
from netpol_lint.analysis.istio_world import ISTIOD
from netpol_lint.analysis.managed import deny_by_default_directions
from netpol_lint.engine.rulebase import Rule

SYSTEM_NAMESPACES = {
    "istio-system": "istiod, istio-ingressgateway, istio-egressgateway and istio-cni",
    "kyma-system": "the Istio module's controller manager and other Kyma components",
}


class DenyDefaultBreaksIstio(Rule):
    id = "NPL303"
    name = "deny-default-breaks-istio"
    severity = "error"
    summary = ("Checks for deny-by-default NetworkPolicies in `istio-system` or `kyma-system` while the Istio "
               "module's network policies are not enabled.")
    rationale = ("A deny-by-default policy isolates every pod of its namespace. With `networkPoliciesEnabled: "
                 "true` the module's own seven policies re-admit what istiod, the gateways, the CNI agent and the "
                 "operator need (DNS, the API server, xDS on 15012, the API server's webhook calls on 15017, gateway "
                 "traffic, metrics). Without them nothing does: sidecars get no configuration, the gateways stop "
                 "forwarding, pods are no longer injected, and the mesh goes down. (This finding also stands for "
                 "NPL208 on istiod's webhooks: one cause, one finding.)")
    bad_example = """\
# file: .netpol-lint.yaml
network_policies: disabled   # this cluster runs without the module's policies
# file: manifest.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: istio-system}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]   # isolates istiod and the gateways
"""
    good_example = """\
# enable the module's policies (and drop network_policies: disabled from the config)
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: true}   # the module's policies re-admit what Istio needs
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: istio-system}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""
    fix_text = ("Enable the module's policies (`networkPoliciesEnabled: true` in the Istio CR) together with the "
                "deny-by-default policy, or drop the deny-by-default policy from istio-system and kyma-system.")
    tags = ("istio-system", "network-policy")

    def check(self, ctx):
        if ctx.kyma.policies_enabled:
            return
        why = {"option": "--assume-network-policies disabled", "config": "the config's network_policies: disabled",
               "istio-cr": "the Istio CR leaves networkPoliciesEnabled off"}.get(ctx.kyma.source, "policies disabled")
        for pol in ctx.model.network_policies:
            if pol.namespace not in SYSTEM_NAMESPACES:
                continue
            directions = deny_by_default_directions(pol.spec)
            if not directions:
                continue
            what = " and ".join(d.lower() for d in directions)
            webhook = ""
            if pol.namespace == ISTIOD.namespace and "Ingress" in directions and not self._webhook_reachable(ctx):
                webhook = ("; the API server cannot call istiod's webhooks on TCP 15017 (sidecar injection, "
                           "validation)")
            yield self.finding(
                pol, pol.locate("spec", "podSelector"),
                f"NetworkPolicy {pol.ns_name} denies all {what} for every pod in {pol.namespace} while the Istio "
                f"module's network policies are not enabled ({why}): {SYSTEM_NAMESPACES[pol.namespace]} lose the "
                f"traffic the module's policies would admit{webhook}",
                node_hint=list(directions),
            )


    @staticmethod
    def _webhook_reachable(ctx) -> bool:
        """Does some policy still admit the API server to istiod's webhook port?  (NPL208 leaves
        this case to NPL303: one cause, one finding.)"""
        target = istiod(ctx.network)
        port = ISTIOD.target_port("istiod", 443)
        if target is None or port is None:
            return True
        return ctx.network.allowed(ctx.network.apiserver_caller(), target, port, "TCP").ingress.allowed


RULE = DenyDefaultBreaksIstio
