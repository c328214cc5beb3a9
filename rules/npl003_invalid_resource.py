"""NPL003 invalid-resource: a resource the linter reads that the API server would reject."""
from __future__ import annotations

from netpol_lint.model.validate import problems, validated_kinds
from netpol_lint.engine.rulebase import Rule


class InvalidResource(Rule):
    id = "NPL003"
    name = "invalid-resource"
    severity = "error"
    summary = ("Checks for NetworkPolicies, workloads, Services, Namespaces, APIRules, VirtualServices, Gateways "
               "and Istio CRs that are structurally invalid in the fields the linter reads: wrong types, ports "
               "out of 1-65535, bad port names, protocols, endPort ranges, CIDRs and excepts, ipBlock mixed with "
               "selectors, unknown policyTypes, bad matchExpressions, label values that are not strings.")
    rationale = ("kubectl or the API server rejects such an object, so it never reaches the cluster: the policy "
                 "you reviewed is not the one in force (often none is). A YAML detail is the usual cause: "
                 "`yes`, `on` or `8080` unquoted where a string is expected, `tcp` instead of `TCP`, an `except` "
                 "outside its `cidr`. The linter reports the problem where it is and does not guess what the "
                 "malformed part meant: an invalid selector, port or peer matches nothing in the analysis.")
    bad_example = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  labels:
    managed: yes     # YAML reads a boolean: label values are strings
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 8080
      protocol: tcp  # TCP, UDP or SCTP (case-sensitive)
"""
    good_example = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-web\n"
                    "  labels:\n    managed: \"yes\"\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n"
                    "    - port: 8080\n      protocol: TCP\n")
    fix_text = ("Correct the field the finding points at as its message says: quote strings, use TCP/UDP/SCTP, "
                "keep ports within 1-65535, `endPort` only with a numeric `port`, `except` ranges inside `cidr`, "
                "and `ipBlock` in a peer of its own.")
    tags = ("input",)

    def check(self, ctx):
        kinds = validated_kinds()
        clean: dict = {}        # parts shared by several resources are checked once (this run)
        for r in ctx.model.resources:
            if not isinstance(r, kinds):
                continue
            for p in problems(r, clean):
                yield self.finding(r, r.locate(*p.path, key=p.at_key), p.message,
                                   node_hint=[list(map(str, p.path)), p.message])


RULE = InvalidResource
