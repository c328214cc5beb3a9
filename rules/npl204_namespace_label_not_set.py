"""NPL204 namespace-label-not-set: a namespaceSelector on a label that no namespace carries."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import iter_peers, namespace_selector_mistake
from netpol_lint.model.resources import NAMESPACE_NAME_LABEL
from netpol_lint.engine.findings import LabelFix
from netpol_lint.engine.rulebase import Rule


class NamespaceLabelNotSet(Rule):
    id = "NPL204"
    name = "namespace-label-not-set"
    severity = "warning"
    fixable = True
    summary = ("Checks for namespaceSelectors that select no namespace known to the linter while one of their "
               "`matchLabels` values is the name of a known namespace (the classic `name: istio-system`).")
    rationale = ("Namespaces carry `kubernetes.io/metadata.name: <name>` automatically, but a `name` label only if "
                 "someone sets it. A selector on a label the namespace lacks selects nothing, so the peer admits "
                 "nothing and the traffic it was written for (often the ingress gateway) is dropped.")
    bad_example = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {name: istio-system}   # no namespace carries this label
      podSelector:
        matchLabels: {istio: ingressgateway}
"""
    good_example = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: istio-system}
      podSelector:
        matchLabels: {istio: ingressgateway}
"""
    fix_text = ("Select on `kubernetes.io/metadata.name: <namespace>` (`--fix` renames the key in place), or add the label to the Namespace (manifest "
                "or config `namespaces`) if it is really set there.")
    tags = ("policy-content",)

    def check(self, ctx):
        known = ctx.model.known_namespaces()
        for policy in ctx.model.network_policies:
            for _direction, _i, _j, peer, path in iter_peers(policy):
                if not isinstance(peer, dict):
                    continue
                mistake = namespace_selector_mistake(peer.get("namespaceSelector"), known)
                if mistake is None:
                    continue
                key, value = mistake
                ml_path = policy.base + tuple(path) + ("namespaceSelector", "matchLabels")
                fix = LabelFix(policy.file, policy.doc.index, ml_path, set=((NAMESPACE_NAME_LABEL, value),),
                               remove=(key,))
                yield self.finding(
                    policy, policy.locate(*path, "namespaceSelector", "matchLabels", key, key=True),
                    f"namespaceSelector {key}: {value} selects no namespace known to the linter (namespace {value} "
                    f"does not carry that label); use {NAMESPACE_NAME_LABEL}: {value}",
                    node_hint=[list(map(str, path)), key, value], fix=fix,
                )


RULE = NamespaceLabelNotSet
