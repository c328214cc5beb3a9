"""NPL602 expectation-matches-nothing: an expectation's side selects no endpoint of the input."""
from __future__ import annotations

from netpol_lint.analysis.expectations import evaluator
from netpol_lint.engine.rulebase import Rule


class ExpectationMatchesNothing(Rule):
    id = "NPL602"
    name = "expectation-matches-nothing"
    severity = "warning"
    summary = "Checks for connectivity expectations whose `from` or `to` selects no endpoint of the input."
    rationale = ("An expectation over nothing holds vacuously: a misspelt workload, a renamed namespace or a host "
                 "no route serves any more would otherwise make a broken promise pass silently.")
    bad_example = """\
# file: .netpol-lint-expect.yaml
expectations:
- name: shop cannot reach payments
  from: ns:shpo   # typo: there is no namespace shpo
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
  policyTypes: [Ingress]
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
  policyTypes: [Ingress]
"""
    fix_text = ("Correct the endpoint (NS/NAME of a workload, svc:NS/NAME, ns:NS, a selector, host:HOST served by "
                "an ingress-gateway route), or remove the expectation if what it describes is gone.")
    tags = ("expectations",)

    def check(self, ctx):
        exps = getattr(ctx.session, "expectations", None)
        if not exps:
            return
        ev = evaluator(ctx.session, ctx.network)
        for exp in exps:
            for side, why in ev.outcome(exp).empty:
                spec = exp.src if side == "from" else exp.dst
                loc = exp.src_location if side == "from" else exp.dst_location
                yield self.finding(None, loc, f"expectation {exp.title}: '{side}' {spec.text} selects no endpoint: "
                                              f"{why}; the expectation is not checked", node_hint=exp.key + side)


RULE = ExpectationMatchesNothing
