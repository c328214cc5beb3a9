"""NPL401 invalid-istio-cr: an Istio CR that does not enable what it seems to."""
from __future__ import annotations

import difflib

from netpol_lint.engine.rulebase import Rule

FLAG = "networkPoliciesEnabled"
# Known spellings of mistakes seen in the wild, besides anything close to the real name.
KNOWN_MISSPELLINGS = ("enableModuleNetworkPolicies", "networkPolicyEnabled", "networkPoliciesEnable",
                      "enableNetworkPolicies", "networkPolicies", "networkpoliciesenabled")
SPEC_FIELDS = ("components", "config", "experimental", FLAG)


class InvalidIstioCR(Rule):
    id = "NPL401"
    name = "invalid-istio-cr"
    severity = "error"
    summary = ("Checks for an Istio CR (operator.kyma-project.io) outside `kyma-system`, with a non-boolean "
               "`networkPoliciesEnabled`, or with the field misspelt.")
    rationale = ("The module reconciles only the Istio CR in kyma-system (a CR without a namespace is read as "
                 "meant for it, but lands wherever it is applied). The CRD prunes unknown fields silently "
                 "and the API server rejects a string where a boolean is expected, so in each case the network "
                 "policies you meant to enable are not created.")
    bad_example = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata:
  name: default
  namespace: kyma-system
spec:
  networkPoliciesEnabled: "true"   # a string: the API server rejects the CR
"""
    good_example = ("apiVersion: operator.kyma-project.io/v1alpha2\nkind: Istio\nmetadata:\n  name: default\n"
                    "  namespace: kyma-system\nspec:\n  networkPoliciesEnabled: true\n")
    fix_text = ("Put the CR in kyma-system (write `namespace: kyma-system` in its metadata) and write "
                "`networkPoliciesEnabled: true` (an unquoted boolean).")
    tags = ("istio-cr",)

    def check(self, ctx):
        for cr in ctx.model.istio_crs:
            if getattr(cr, "implied_namespace", False):
                yield self.finding(cr, cr.locate("metadata"),
                                   f"Istio CR {cr.name} has no metadata.namespace: read as meant for kyma-system, "
                                   f"the only namespace where the module reconciles it; applied without one it "
                                   f"lands in the current namespace and the module stops with 'istio CR is not "
                                   f"in kyma-system namespace'. Write `namespace: kyma-system`",
                                   node_hint="no-namespace")
            elif cr.namespace != "kyma-system":
                yield self.finding(cr, cr.locate("metadata", "namespace") if "namespace" in cr.metadata
                                   else cr.locate("metadata"),
                                   f"Istio CR {cr.name} is in namespace {cr.namespace!r}; the module only "
                                   f"reconciles the Istio CR in kyma-system, so this one has no effect",
                                   node_hint="namespace")
            spec = cr.data.get("spec")
            if not isinstance(spec, dict):
                continue
            if FLAG in spec and not isinstance(spec[FLAG], bool):
                yield self.finding(cr, cr.locate("spec", FLAG),
                                   f"{FLAG} is {spec[FLAG]!r} ({type(spec[FLAG]).__name__}); the API server rejects "
                                   f"a non-boolean value, so the CR is not applied. Write `{FLAG}: true`",
                                   node_hint="type")
            for key in spec:
                if not isinstance(key, str) or key in SPEC_FIELDS:
                    continue
                if _looks_like_flag(key):
                    yield self.finding(cr, cr.locate("spec", key, key=True),
                                       f"spec.{key} is not a field of the Istio CR (did you mean {FLAG}?); the CRD "
                                       f"prunes unknown fields silently, so network policies stay disabled",
                                       node_hint=key)


def _looks_like_flag(key: str) -> bool:
    if key in KNOWN_MISSPELLINGS or key.lower() == FLAG.lower():
        return True
    low = key.lower()
    if "networkpolic" in low or "netpol" in low:
        return True
    return bool(difflib.get_close_matches(key, [FLAG], n=1, cutoff=0.75))


RULE = InvalidIstioCR
