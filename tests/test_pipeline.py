"""The findings pipeline (engine/pipeline.py): one place decides what is reported.

* A spy plugin's ``netpol_lint_findings`` hook sees exactly what the report shows, once, in
  every mode (plain, suppressions, ``--changed-only``, ``--baseline``, ``--fix``, Helm output
  on stdin remapped to its templates).
* One cause, one finding (RULES.md): every explaining pair both ways — the explaining rule
  active (one finding, the higher severity, the explained workload related), and switched
  off by each mechanism (``--ignore``, ``--select``, a suppression comment or annotation, a
  baseline): then the explained finding is reported as if there were no explanation.
"""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli

SPY = '''\
import json, os
from netpol_lint import hookimpl


@hookimpl
def netpol_lint_findings(findings, ctx):
    with open(os.environ["SPY_OUT"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps([[f.location.file, f.location.line, f.location.column, f.rule, f.severity, f.message]
                             for f in findings]) + "\\n")
'''

# A route whose gateway is blocked because the allow policy's namespaceSelector uses `name:`
# (NPL204 explains NPL201), and whose pod template misspells the label (NPL104 explains NPL101).
APP = textwrap.dedent("""\
    apiVersion: gateway.kyma-project.io/v2
    kind: APIRule
    metadata: {name: web, namespace: shop}
    spec:
      gateway: kyma-system/kyma-gateway
      hosts: [web.example.com]
      service: {name: web, port: 80}
      rules:
      - {path: /*, methods: [GET], noAuth: true}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      selector: {app: web}
      ports:
      - {port: 80, targetPort: 8080}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata:
          labels:
            app: web
            networking.kyma-project.io/from-ingress-gateway: allowed
        spec:
          containers:
          - name: web
            ports: [{containerPort: 8080}]
    """)
POLICIES = textwrap.dedent("""\
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny-all, namespace: shop}
    spec:
      podSelector: {}
      policyTypes: [Ingress]
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: allow-gateway, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: [Ingress]
      ingress:
      - from:
        - namespaceSelector:
            matchLabels: {name: istio-system}
          podSelector:
            matchLabels: {istio: ingressgateway}
        ports:
        - {port: 8080}
    """)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "app.yaml").write_text(APP)
    (tmp_path / "policies.yaml").write_text(POLICIES)
    (tmp_path / "spy").mkdir()
    (tmp_path / "spy" / "spy.py").write_text(SPY)
    return tmp_path


def lint(repo: Path, *args: str, stdin: str | None = None):
    out = repo / "spy.out"
    if out.exists():
        out.unlink()
    proc = run_cli(*args, "--rules", "spy", "--format", "json", "--assume-network-policies", "enabled",
                   cwd=repo, stdin=stdin, env={"SPY_OUT": str(out)})
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout) if proc.stdout.strip() else None
    calls = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return proc, report, calls


def shown(report) -> list:
    return [[f["file"], f["line"], f["column"], f["rule"], f["severity"], f["message"]] for f in report["findings"]]


def rules_of(report) -> list[str]:
    return sorted(f["rule"] for f in report["findings"])


@pytest.mark.parametrize("extra", [
    [],
    ["--select", "NPL201,NPL101"],
    ["--changed-only", "policies.yaml"],
    ["--ignore", "NPL204"],
], ids=["plain", "select", "changed-only", "ignore"])
def test_spy_sees_exactly_the_report_once(repo, extra):
    proc, report, calls = lint(repo, ".", *extra)
    assert len(calls) == 1
    assert calls[0] == shown(report)


def test_spy_sees_the_report_once_under_baseline_and_fix(repo):
    proc = run_cli(".", "--assume-network-policies", "enabled", "--select", "NPL204", "--write-baseline",
                   "base.json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    _, report, calls = lint(repo, ".", "--baseline", "base.json")
    assert len(calls) == 1 and calls[0] == shown(report)
    assert "NPL204" not in rules_of(report)
    _, report, calls = lint(repo, ".", "--fix")
    assert len(calls) == 1 and calls[0] == shown(report)


def test_spy_sees_remapped_helm_findings(repo):
    rendered = "---\n# Source: shop/templates/app.yaml\n" + APP + "---\n# Source: shop/templates/policies.yaml\n" + POLICIES
    _, report, calls = lint(repo, "-", stdin=rendered)
    assert len(calls) == 1 and calls[0] == shown(report)
    assert {f["file"] for f in report["findings"]} <= {"shop/templates/app.yaml", "shop/templates/policies.yaml"}


# -- one cause, one finding ----------------------------------------------------------------

def by_rule(report) -> dict:
    out: dict = {}
    for f in report["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def test_explaining_findings_carry_the_explained_ones(repo):
    _, report, _ = lint(repo, ".")
    found = by_rule(report)
    assert "NPL201" not in found and "NPL101" not in found
    (npl204,) = found["NPL204"]
    assert npl204["severity"] == "error"            # NPL201's, higher than NPL204's warning
    assert "unreachable for istio-ingressgateway on TCP 8080" in npl204["message"]
    assert any(r["file"] == "app.yaml" and r["message"].startswith("NPL201 ") for r in npl204["related"])
    (npl104,) = found["NPL104"]
    assert npl104["severity"] == "error"            # NPL101's
    assert "the backend of APIRule shop/web" in npl104["message"]
    assert any(r["message"].startswith("NPL101 ") for r in npl104["related"])


@pytest.mark.parametrize("how", ["ignore", "select", "comment", "baseline"])
def test_switching_the_explaining_rule_off_never_hides_the_route(repo, how):
    args: list[str] = ["."]
    if how == "ignore":
        args += ["--ignore", "NPL204,NPL104"]
    elif how == "select":
        args += ["--select", "NPL201,NPL101"]
    elif how == "comment":
        text = (repo / "policies.yaml").read_text().replace(
            "matchLabels: {name: istio-system}", "matchLabels: {name: istio-system}  # netpol-lint: disable=NPL204")
        (repo / "policies.yaml").write_text(text)
        text = (repo / "app.yaml").read_text().replace(
            "from-ingress-gateway: allowed", "from-ingress-gateway: allowed  # netpol-lint: disable=NPL104")
        (repo / "app.yaml").write_text(text)
    elif how == "baseline":
        proc = run_cli(".", "--assume-network-policies", "enabled", "--select", "NPL204,NPL104",
                       "--write-baseline", "base.json", cwd=repo)
        assert proc.returncode == 0, proc.stderr
        args += ["--baseline", "base.json"]
    proc, report, _ = lint(repo, *args)
    found = by_rule(report)
    assert "NPL204" not in found and "NPL104" not in found
    assert [f["severity"] for f in found["NPL201"]] == ["error"]
    assert [f["severity"] for f in found["NPL101"]] == ["error"]
    assert proc.returncode == 1                     # a dead route fails the run


def test_annotation_suppression_of_the_explaining_policy_releases_npl201(repo):
    text = (repo / "policies.yaml").read_text().replace(
        "metadata: {name: allow-gateway, namespace: shop}",
        "metadata:\n  name: allow-gateway\n  namespace: shop\n  annotations:\n"
        "    netpol-lint.io/ignore: NPL204\n    netpol-lint.io/ignore-reason: reviewed")
    (repo / "policies.yaml").write_text(text)
    proc, report, _ = lint(repo, ".")
    found = by_rule(report)
    assert "NPL204" not in found and [f["severity"] for f in found["NPL201"]] == ["error"]
    assert proc.returncode == 1


def test_severity_override_cannot_let_the_explained_route_pass(repo):
    (repo / ".netpol-lint.yaml").write_text("severity: {NPL204: info, NPL104: info}\n")
    proc, report, _ = lint(repo, ".")
    found = by_rule(report)
    assert [f["severity"] for f in found["NPL204"]] == ["error"]
    assert proc.returncode == 1


def test_npl203_explains_npl201(tmp_path):
    (tmp_path / "app.yaml").write_text(APP.replace("from-ingress-gateway", "from-ingressgateway"))
    (tmp_path / "policies.yaml").write_text(POLICIES.replace("{name: istio-system}",
                                                             "{kubernetes.io/metadata.name: istio-system}")
                                            .replace("- {port: 8080}", "- {port: 80}"))
    (tmp_path / "spy").mkdir()
    (tmp_path / "spy" / "spy.py").write_text(SPY)
    _, report, _ = lint(tmp_path, ".")
    found = by_rule(report)
    assert "NPL201" not in found
    (npl203,) = found["NPL203"]
    assert npl203["severity"] == "error" and "forwards to container port 8080 of Deployment shop/web" in npl203["message"]
    assert any(r["message"].startswith("NPL201 ") for r in npl203["related"])
    _, report, _ = lint(tmp_path, ".", "--ignore", "NPL203")
    assert rules_of(report) == ["NPL201"]
