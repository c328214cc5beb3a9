"""NPL402 network-policies-disabled: the input prepares for module policies the Istio CR leaves off."""
from __future__ import annotations

from netpol_lint.analysis.managed import deny_by_default_directions
from netpol_lint.engine.findings import Related
from netpol_lint.model.resources import NETWORKING_LABELS
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import count, plural

FLAG = "networkPoliciesEnabled"
MAX_RELATED = 10


class NetworkPoliciesDisabled(Rule):
    id = "NPL402"
    name = "network-policies-disabled"
    severity = "info"
    summary = ("Checks for an Istio CR that leaves `networkPoliciesEnabled` off while the input has workloads "
               "with the Kyma networking labels or namespaces with deny-by-default policies.")
    rationale = ("The networking labels only matter once the module's policies exist, and deny-by-default "
                 "namespaces usually assume them. If the CR in the same repository leaves them off, either the "
                 "labels are dead weight or the CR was meant to enable them.")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {}   # networkPoliciesEnabled defaults to false
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
    good_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: true}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
    fix_text = "Set `spec.networkPoliciesEnabled: true` in the Istio CR (or drop the labels if you do not plan to)."
    tags = ("istio-cr",)

    def check(self, ctx):
        cr = ctx.kyma.istio_cr
        if cr is None or cr.spec.get(FLAG) is True:
            return
        labelled = [w for w in ctx.model.workloads if any(k in w.pod_labels for k in NETWORKING_LABELS)]
        denying = [p for p in ctx.model.network_policies if deny_by_default_directions(p.spec)]
        if not labelled and not denying:
            return
        parts = []
        if labelled:
            parts.append(f"{count(labelled, 'workload')} {plural(labelled, 'carries', 'carry')} Kyma networking labels "
                         f"({'' if len(labelled) == 1 else 'e.g. '}{labelled[0].kind} {labelled[0].ns_name})")
        if denying:
            namespaces = sorted({str(p.namespace) for p in denying})   # units' "default" once
            parts.append(f"{plural(namespaces, 'namespace')} {', '.join(namespaces)} {plural(namespaces, 'has', 'have')} "
                         f"{plural(denying, 'a deny-by-default policy', 'deny-by-default policies')}")
        denial = plural(denying, "the deny-by-default policy", "the deny-by-default policies")
        state = "false" if FLAG in cr.spec else "unset (default false)"
        consequence = ("the labels have no effect yet" if labelled and not denying else
                       f"nothing complements {denial}" if not labelled else
                       f"the labels have no effect and nothing complements {denial}")
        related = [Related(w.labels_location(), f"{w.kind} {w.ns_name} carries networking labels")
                   for w in labelled[:MAX_RELATED]]
        related += [Related(p.locate("spec", "podSelector"), f"NetworkPolicy {p.ns_name} is deny-by-default")
                    for p in denying[:MAX_RELATED]]
        yield self.finding(
            cr, cr.locate("spec", FLAG) if FLAG in cr.spec else cr.locate("spec"),
            f"Istio CR {cr.ns_name} leaves {FLAG} {state} while {' and '.join(parts)}: the module creates no "
            f"network policies, so {consequence}",
            related=related, node_hint=FLAG,
        )


RULE = NetworkPoliciesDisabled
