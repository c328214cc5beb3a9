"""NPL002 unrendered-template: a Helm/Go template instead of rendered manifests."""
from __future__ import annotations

from ._input_problems import InputProblemRule


class UnrenderedTemplate(InputProblemRule):
    problem_kinds = frozenset({"template"})
    id = "NPL002"
    name = "unrendered-template"
    severity = "warning"
    summary = ("Checks for files holding Helm/Go template markers (`{{ ... }}`) that cannot be read as manifests, "
               "or whose identity or rule-relevant fields (name, namespace, labels, selectors, ports, a policy's "
               "or Service's spec) are quoted placeholders such as `name: '{{ .Values.name }}'`.")
    rationale = ("A chart template is not what reaches the cluster: names, labels and selectors are only known "
                 "after rendering, so linting the template would guess (and report placeholder names as invalid "
                 "or duplicate). The file is skipped and no other rule reports on it. A YAML file without "
                 "`apiVersion`/`kind` (a Helm `values.yaml`) is not a manifest at all: skipped without a finding.")
    bad_example = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-web\n---\n"
                   "apiVersion: v1\nkind: Service\nmetadata:\n  name: '{{ .Values.name }}'   # quoted: parses, still a template\n")
    good_example = """\
# lint the rendered chart instead: helm template my-release ./chart | netpol-lint -
apiVersion: v1
kind: Service
metadata:
  name: my-release-web
"""
    fix_text = "Pipe rendered manifests into the linter: `helm template RELEASE CHART | netpol-lint -`, or exclude chart templates."
    tags = ("input",)


RULE = UnrenderedTemplate
