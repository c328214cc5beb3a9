"""NPL501 policy-selects-nothing: a NetworkPolicy whose podSelector matches no pod of its namespace."""
from __future__ import annotations

from netpol_lint.analysis.selectors import parse_selector
from netpol_lint.model.resources import Workload, embedded_labels, str_map
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import plural


class PolicySelectsNothing(Rule):
    id = "NPL501"
    name = "policy-selects-nothing"
    severity = "warning"
    summary = ("Checks for NetworkPolicies whose podSelector matches no pod template of their namespace although "
               "the input defines workloads there.")
    rationale = ("A policy that selects no pod does nothing: the isolation or the allowance it was written for "
                 "is not in force. Usually the selector has a typo, uses the controller's labels instead of the "
                 "pod template's, or the policy sits in the wrong namespace.")
    bad_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: wbe}}   # typo: no pod has app: wbe
  ingress:
  - ports: [{protocol: TCP, port: 8080}]
"""
    good_example = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{protocol: TCP, port: 8080}]
"""
    fix_text = "Make the podSelector match the pod template labels of the workloads meant (or move the policy)."
    tags = ("policy-content",)

    def check(self, ctx):
        network = ctx.network
        by_ns: dict[str, list] = {}
        for e in network.endpoints:
            if not e.external:
                by_ns.setdefault(e.namespace, []).append(e)
        custom_pods = CustomPodLabels(ctx.model)     # walked per namespace, when a policy gets that far
        for policy in ctx.model.network_policies:
            if not ctx.model.workloads_by_ns.get(policy.namespace):
                continue       # the input defines no workloads there: nothing to compare with
            raw = policy.spec.get("podSelector")
            sel = parse_selector(raw)
            if not sel.valid or sel.matches_all:
                continue       # invalid: NPL003; {}: selects every pod
            if any(sel.matches(e.labels) for e in by_ns.get(policy.namespace, ())):
                continue
            if any(sel.matches(w.pod_labels) for w in ctx.model.workloads_by_ns[policy.namespace]):
                continue       # a template the engine folded into a same-named one (duplicates: NPL004)
            if any(sel.matches(labels) for labels in custom_pods.of(policy.namespace)):
                continue       # pods made by a custom resource (Rollout, Function, SandboxTemplate ...)
            count = len(ctx.model.workloads_by_ns[policy.namespace])
            yield self.finding(
                policy, policy.locate("spec", "podSelector"),
                f"podSelector {sel.describe()} of NetworkPolicy {policy.ns_name} "
                f"{'does not match the only' if count == 1 else f'matches none of the {count}'} "
                f"{plural(count, 'pod template')} of namespace {policy.namespace}; the policy has no effect",
                node_hint=sel.describe(),
            )


class CustomPodLabels:
    """Pod label sets that custom resources carry, per namespace (computed per namespace on
    first use: only namespaces of policies that select nothing else need the walk).

    Operators create pods from pod templates embedded in their own kinds (Argo Rollouts
    ``spec.template``, an agent sandbox's ``spec.podTemplate``, Kyma Functions' ``spec.labels``).
    The linter does not model those as workloads, but a policy selecting such pods is not
    selecting nothing: any ``metadata.labels`` mapping under a custom resource's ``spec`` counts.
    Packed documents are skipped unread: ``packable`` keeps every object with such labels
    unpacked.
    """

    def __init__(self, model):
        self.model = model
        self._by_ns: dict[str, list] | None = None
        self._done: dict[str, list[dict[str, str]]] = {}

    def of(self, namespace: str) -> list[dict[str, str]]:
        if namespace not in self._done:
            if self._by_ns is None:
                self._by_ns = {}
                for r in self.model.resources:
                    if not isinstance(r, Workload) and r.namespace and "." in r.group and not r.doc.packed:
                        self._by_ns.setdefault(r.namespace, []).append(r)
            self._done[namespace] = _labels_of(self._by_ns.get(namespace, ()))
        return self._done[namespace]


def _labels_of(resources) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for r in resources:
        found.extend(embedded_labels(r.spec))
        if r.kind == "Function" and r.group == "serverless.kyma-project.io":
            found.append(str_map(r.spec.get("labels")))
    return found


RULE = PolicySelectsNothing
