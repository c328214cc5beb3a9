"""CI output formats: GitHub workflow commands, JUnit XML (schema-validated), ``--output``."""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run_cli
from netpol_lint.engine.findings import Finding
from netpol_lint.load.documents import Location
from netpol_lint.report.github import command

REPO = ROOT / "tests" / "data" / "ci-repo"          # has a .netpol-lint.yaml: NPL104 -> info
SELECT = ("--select", "NPL001,NPL004,NPL102,NPL103,NPL104")
JUNIT_XSD = ROOT / "tests" / "schemas" / "junit-10.xsd"
JUNIT_XSD_SHA256 = "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"


def _lint(*args: str):
    return run_cli(*SELECT, *args, cwd=REPO)


# -- github ----------------------------------------------------------------------------------
def test_github_prints_one_workflow_command_per_finding():
    proc = _lint("--format", "github")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "::error file=apps/billing/api.yaml,line=14,col=54,endLine=14,endColumn=60,title=NPL103::label "
        "networking.kyma-project.io/metrics-scraping has value 'true'; the module's policies only match the exact "
        "value 'allowed' (Deployment billing/billing-api)",
        "::error file=apps/billing/broken.yaml,line=8,col=10,endLine=8,endColumn=11,title=NPL001::YAML syntax "
        "error: mapping values are not allowed in this context",
        "::warning file=apps/billing/legacy-service.yaml,line=5,col=9,endLine=5,endColumn=20,title=NPL004::"
        "Service/billing/billing-api is also defined at apps/billing/api.yaml:23",
        "::error file=apps/shop/frontend.yaml,line=9,col=5,endLine=9,endColumn=51,title=NPL102::"
        "networking.kyma-project.io/from-ingressgateway is set on the Deployment's metadata.labels but not on its "
        "pod template, so the pods do not carry it (Deployment shop/frontend)",
        "::notice file=apps/shop/frontend.yaml,line=19,col=9,endLine=19,endColumn=56,title=NPL104::unknown Kyma "
        "networking label networking.kyma-project.io/from-ingress-gateway: no module policy matches it; did you "
        "mean networking.kyma-project.io/from-ingressgateway? (Deployment shop/frontend)",
        "netpol-lint: 5 findings (3 errors, 1 warning, 1 info) in 5 files, 5 resources",
    ]


def test_github_quiet_drops_the_summary_line():
    lines = _lint("--format", "github", "--quiet").stdout.splitlines()
    assert len(lines) == 5 and all(ln.startswith("::") for ln in lines)


def test_github_escapes_properties_and_message():
    f = Finding("NPL103", "invalid-networking-label-value", "warning", "100% wrong\nsecond line\r",
                Location("odd,dir/a:b.yaml", 3, 7, 5, 2),
                resource={"apiVersion": "v1", "kind": "Pod", "namespace": None, "name": "p"})
    assert command(f) == ("::warning file=odd%2Cdir/a%3Ab.yaml,line=3,col=7,endLine=5,title=NPL103::"
                          "100%25 wrong%0Asecond line%0D (Pod p)")


# -- junit -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def junit_schema():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema (test extra) validates JUnit output")
    data = JUNIT_XSD.read_bytes()
    assert hashlib.sha256(data).hexdigest() == JUNIT_XSD_SHA256, "tests/schemas/junit-10.xsd was modified"
    return xmlschema.XMLSchema(str(JUNIT_XSD))


def test_junit_validates_against_the_junit_schema(junit_schema):
    proc = _lint("--format", "junit")
    assert proc.returncode == 1, proc.stderr
    junit_schema.validate(proc.stdout)


def test_junit_has_one_testcase_per_resource_and_a_failure_per_finding():
    root = ET.fromstring(_lint("--format", "junit").stdout)
    suite = root.find("testsuite")
    cases = [(c.get("classname"), c.get("name"), [f.get("type") for f in c.findall("failure")])
             for c in suite.findall("testcase")]
    assert cases == [
        ("apps/billing/api.yaml", "Deployment billing/billing-api", ["NPL103"]),
        ("apps/billing/api.yaml", "Service billing/billing-api", []),
        ("apps/billing/legacy-service.yaml", "Service billing/billing-api", ["NPL004"]),
        ("apps/shop/frontend.yaml", "Deployment shop/frontend", ["NPL102", "NPL104"]),
        ("apps/shop/frontend.yaml", "Service shop/frontend", []),
        ("apps/billing/broken.yaml", "file apps/billing/broken.yaml", ["NPL001"]),   # no resource: per file
    ]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "4", "0")
    assert (root.get("tests"), root.get("failures")) == ("6", "4")
    failure = suite.find("testcase[@name='Service billing/billing-api'][@classname='apps/billing/legacy-service.yaml']"
                         "/failure")
    assert failure.get("message") == ("NPL004 Service/billing/billing-api is also defined at "
                                      "apps/billing/api.yaml:23")
    assert failure.text.splitlines() == [
        "apps/billing/legacy-service.yaml:5:9: NPL004 [warning] Service/billing/billing-api is also defined at "
        "apps/billing/api.yaml:23",
        "  related: apps/billing/api.yaml:23:9: first definition of Service/billing/billing-api",
        "rule: NPL004 duplicate-resource",
    ]


def test_junit_clean_input_has_passing_testcases_only(junit_schema):
    proc = run_cli("apps/shop", "--format", "junit", "--select", "NPL103", cwd=REPO)
    assert proc.returncode == 0
    junit_schema.validate(proc.stdout)
    suite = ET.fromstring(proc.stdout).find("testsuite")
    assert [c.get("name") for c in suite.findall("testcase")] == ["Deployment shop/frontend", "Service shop/frontend"]
    assert suite.get("failures") == "0" and not suite.findall(".//failure")


def test_junit_and_github_are_byte_identical_across_runs():
    for fmt in ("junit", "github"):
        assert _lint("--format", fmt).stdout == _lint("--format", fmt).stdout


# -- --output --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["junit", "github", "sarif", "json", "text"])
def test_output_writes_the_report_to_a_file(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    proc = _lint("--format", fmt, "--output", str(out))
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    assert out.read_text() == _lint("--format", fmt).stdout


def test_output_into_a_missing_directory_is_exit_2(tmp_path):
    proc = _lint("--format", "junit", "--output", str(tmp_path / "nope" / "report.xml"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("netpol-lint: error:") and "Traceback" not in proc.stderr
