"""NPL302 managed-policy-modified: a module-managed NetworkPolicy that differs from the module's.

The comparison is semantic (``netpol_lint.analysis.managed``): only what changes admitted
traffic counts.  One finding per policy: the message (one line) names the first difference,
the finding's detail lists them all, and each has a location (the first difference is the
finding's location, the others are related locations).
"""
from __future__ import annotations

from netpol_lint.analysis.managed import compare_with_module, module_policy_names
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import count


class ManagedPolicyModified(Rule):
    id = "NPL302"
    name = "managed-policy-modified"
    severity = "error"
    summary = ("Checks for NetworkPolicies with the Kyma managed labels that differ from the policy the Istio "
               "module creates under that name, or whose name the module does not create.")
    rationale = ("The module owns these policies. It reverts `spec` only at its next reconcile (up to 10 h), so "
                 "an edited copy is live for hours and then silently replaced: traffic that works today breaks "
                 "at an unpredictable time, or a hole you opened stays open until then. Differences that do not "
                 "change traffic (order, matchLabels versus matchExpressions, defaulted protocol, the API-server "
                 "port, the version label, the disclaimer annotation, extra labels) are not reported.")
    bad_example = """\
# the module's policy, edited
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: kyma-project.io--istio-pilot-jwks
  namespace: istio-system
  labels:
    kyma-project.io/module: istio
    kyma-project.io/managed-by: kyma
spec:
  podSelector: {matchLabels: {istio: pilot}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: TCP, port: 80}, {protocol: TCP, port: 443}, {protocol: TCP, port: 8443}]   # 8443 added
"""
    good_example = """\
# the module's policy stays the module's; allow extra traffic with a policy of your own
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-istiod-8443, namespace: istio-system}
spec:
  podSelector: {matchLabels: {istio: pilot}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: TCP, port: 8443}]
"""
    fix_text = ("Remove the edited copy (the module restores its own policy), and express additional allowances "
                "as separate NetworkPolicies without the managed labels. `netpol-lint diff-managed PATH` prints the "
                "full semantic diff against the module's policy.")
    tags = ("managed", "network-policy")

    def check(self, ctx):
        port = ctx.config.api_server_port if ctx.config.api_server_port else None
        for pol in ctx.model.network_policies:
            if not pol.is_managed:
                continue
            cmp = compare_with_module(pol.data, port, pol.namespace)
            if not cmp.known:
                yield self.finding(
                    pol, pol.locate("metadata", "name"),
                    f"NetworkPolicy {pol.ns_name} carries the Istio module's managed labels but is not a policy "
                    f"the module creates (not one of its {len(module_policy_names())} kyma-project.io-- policies); "
                    f"the labels make it look module-owned, so remove them or the policy",
                    node_hint=["unknown-name", pol.name],
                )
                continue
            if not cmp.differences:
                continue
            n = len(cmp.differences)
            lines = "".join(f"- {d.text}\n" for d in cmp.differences)
            first, rest = cmp.differences[0], cmp.differences[1:]
            more = f"; and {n - 1} more" if n > 1 else ""
            yield self.finding(
                pol, pol.locate(*first.path),
                f"NetworkPolicy {pol.ns_name} differs from the policy the Istio module creates, which reverts it "
                f"at its next reconcile (up to 10 h): {first.text}{more}",
                related=[Related(pol.locate(*d.path), d.text) for d in rest],
                node_hint=[d.text for d in cmp.differences],
                detail=f"{count(n, 'difference')} from the module's policy:\n{lines}",
            )


RULE = ManagedPolicyModified
