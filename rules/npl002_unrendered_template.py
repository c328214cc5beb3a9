"""NPL002 unrendered-template: a Helm/Go template instead of rendered manifests."""
from __future__ import annotations

from ._input_problems import InputProblemRule


class UnrenderedTemplate(InputProblemRule):
    problem_kinds = frozenset({"template"})
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


RULE = UnrenderedTemplate
