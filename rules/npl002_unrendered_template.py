"""NPL002 unrendered-template: a Helm/Go template instead of rendered manifests."""
from __future__ import annotations

from netpol_lint.rulebase import Rule


class UnrenderedTemplate(Rule):
    id = "NPL002"
    name = "unrendered-template"
    severity = "warning"
    summary = "Checks for files holding Helm/Go template markers (`{{ ... }}`) that cannot be read as manifests."
    rationale = ("A chart template is not what reaches the cluster: labels and selectors are only known after "
                 "rendering, so linting the template would guess. The file is skipped.")
    bad_example = "metadata:\n  name: {{ .Release.Name }}-web\n"
    good_example = "# lint the rendered output instead:\n# helm template my-release ./chart | netpol-lint -\n"
    fix_text = "Pipe rendered manifests into the linter: `helm template RELEASE CHART | netpol-lint -`, or exclude chart templates."
    tags = ("input",)

    def check(self, ctx):
        for src in ctx.session.files:
            for p in src.problems:
                if p.rule == self.id:
                    yield self.finding(None, p.location, p.message)


RULE = UnrenderedTemplate
