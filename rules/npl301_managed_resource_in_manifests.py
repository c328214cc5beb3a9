"""NPL301 managed-resource-in-manifests: a module-owned resource kept in the repository."""
from __future__ import annotations

from netpol_lint.model.resources import MANAGED_LABELS, has_managed_labels
from netpol_lint.engine.rulebase import Rule

_LABEL_TEXT = " and ".join(f"{k}: {v}" for k, v in MANAGED_LABELS.items())


class ManagedResourceInManifests(Rule):
    id = "NPL301"
    name = "managed-resource-in-manifests"
    severity = "warning"
    summary = ("Checks for resources that carry both Kyma managed labels (`kyma-project.io/module: istio` and "
               "`kyma-project.io/managed-by: kyma`).")
    rationale = ("Resources with these labels belong to the Istio module, which re-creates them from its own "
                 "templates on every reconcile. A copy in the repository is either redundant or, once applied, "
                 "an edit the module silently reverts; either way the repository stops describing the cluster.")
    bad_example = """\
# copied from a cluster: kubectl get networkpolicy -n istio-system -o yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: kyma-project.io--istio-pilot-jwks
  namespace: istio-system
  labels:   # the module's labels: it owns this policy
    kyma-project.io/module: istio
    kyma-project.io/managed-by: kyma
spec:
  podSelector: {matchLabels: {istio: pilot}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: TCP, port: 80}, {protocol: TCP, port: 443}]
"""
    good_example = """\
# Leave the module's policies to the module: enable them in the Istio CR instead.
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: true}
"""
    fix_text = ("Delete the resource from the repository and let the Istio module manage it (for the network "
                "policies: set `networkPoliciesEnabled: true` in the Istio CR). If you need a variant, create your "
                "own resource under another name without the managed labels.")
    tags = ("managed",)

    def check(self, ctx):
        for r in ctx.model.resources:
            if not has_managed_labels(r.labels):
                continue
            yield self.finding(
                r, r.locate("metadata", "labels"),
                f"{r.kind} {r.ns_name} carries the managed labels {_LABEL_TEXT}: the Istio module owns it and "
                f"overwrites it on every reconcile, so it must not live in (or be edited through) the repository",
                node_hint="managed-labels",
            )


RULE = ManagedResourceInManifests
