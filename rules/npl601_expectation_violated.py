"""NPL601 expectation-violated: a connectivity expectation the user declared does not hold."""
from __future__ import annotations

from netpol_lint.analysis.expectations import STATE_WORDS, evaluator
from netpol_lint.engine.rulebase import Rule


class ExpectationViolated(Rule):
    id = "NPL601"
    name = "expectation-violated"
    severity = "error"
    # --changed-only keeps a finding whose related locations touch a changed file (engine/
    # changed.py), so a policy edit that breaks an expectation is reported although the
    # expectations file did not change: the deciding policies are related locations.
    summary = ("Checks the connectivity expectations of `.netpol-lint-expect.yaml` (or config `expectations:`): "
               "traffic that must be allowed is denied, or traffic that must be denied is allowed.")
    rationale = ("Expectations state the traffic a team needs (the gateway reaches the storefront, every pod "
                 "reaches DNS) and the traffic it forbids (nothing in `shop` reaches `payments`). The reachability "
                 "engine checks each against the manifests on every run, with the Istio module's policies enabled, "
                 "disabled or both (`when`), so a policy or label change that breaks one fails CI and pre-commit "
                 "before it reaches a cluster. The finding is reported at the expectation and names the pair, the "
                 "port and the policies that decide it.")
    bad_example = """\
# file: .netpol-lint-expect.yaml
expectations:
- name: shop cannot reach payments
  from: ns:shop
  to: ns:payments
  allow: false
# file: manifest.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata:
      labels: {app: api}   # no policy isolates payments
"""
    good_example = """\
# file: .netpol-lint-expect.yaml
expectations:
- name: shop cannot reach payments
  from: ns:shop
  to: ns:payments
  allow: false
# file: manifest.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Ingress]   # payments admits no one
"""
    fix_text = ("Change the policies (or labels) the finding names so that the traffic is allowed or denied as "
                "declared; if the expectation itself is out of date, change or remove it in the expectations file. "
                "`netpol-lint reach` explains a single pair in full.")
    tags = ("reachability", "expectations")

    def check(self, ctx):
        exps = getattr(ctx.session, "expectations", None)
        if not exps:
            return
        ev = evaluator(ctx.session, ctx.network)
        for exp in exps:
            out = ev.outcome(exp)
            if not out.failures:
                continue
            f = out.failures[0]
            states = [STATE_WORDS[x.state] for x in out.failures]
            state = f"with module policies {' and '.join(states)}"
            quant = "no pair satisfies it, e.g." if exp.quantifier == "some" else "for"
            must = "allowed" if exp.allow else "denied"
            yield self.finding(
                None, exp.location,
                f"expectation {exp.title} is violated {state}: {quant} {f.src.id} -> {f.dst.id} {f.port}: "
                f"{'allowed' if f.allowed else 'denied'}, must be {must}; {f.detail}",
                related=f.related, node_hint=exp.key)


RULE = ExpectationViolated
