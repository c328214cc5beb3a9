"""NPL102 label-not-on-pod-template: a networking label on the controller, not on its pods."""
from __future__ import annotations

from netpol_lint.engine.findings import LabelFix
from netpol_lint.model.resources import NETWORKING_LABELS
from netpol_lint.engine.rulebase import Rule


class LabelNotOnPodTemplate(Rule):
    id = "NPL102"
    name = "label-not-on-pod-template"
    severity = "error"
    fixable = True
    summary = ("Checks for a Kyma networking label on a controller's own `metadata.labels` that is missing from "
               "its pod template's labels.")
    rationale = ("NetworkPolicies select pods, and pods get their labels from the pod template only. A label on "
                 "the Deployment's metadata never reaches the pods, so the module's policies do not match them.")
    bad_example = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
                   "    networking.kyma-project.io/from-ingressgateway: allowed\nspec:\n  template:\n"
                   "    metadata:\n      labels:\n        app: web\n")
    good_example = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
                    "    metadata:\n      labels:\n        app: web\n"
                    "        networking.kyma-project.io/from-ingressgateway: allowed\n")
    fix_text = "Add the label to `spec.template.metadata.labels` (the fix copies it there with the value `allowed`)."
    tags = ("kyma-labels",)

    def check(self, ctx):
        for w in ctx.model.workloads:
            if not w.template_path:
                continue  # a bare Pod's metadata *is* its template
            for key in NETWORKING_LABELS:
                if key in w.labels and key not in w.pod_labels:
                    routes = _route_names(ctx, w) if key == NETWORKING_LABELS[0] else ""
                    fix = LabelFix.set_pod_label(w, key)
                    yield self.finding(
                        w, w.locate("metadata", "labels", key, key=True),
                        f"{key} is set on the {w.kind}'s metadata.labels but not on its pod template, "
                        f"so the pods do not carry it{routes}",
                        fix=fix, node_hint=key,
                    )


def _route_names(ctx, workload) -> str:
    """'; routed by APIRule shop/web' when route tracing knows the workload (one cause, one finding)."""
    finder = getattr(ctx, "routes_to", None)
    if finder is None:
        return ""
    names = finder(workload)
    return f"; it is the backend of {', '.join(names)}" if names else ""


RULE = LabelNotOnPodTemplate
