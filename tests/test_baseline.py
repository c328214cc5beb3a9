"""Baselines: record today's findings, then fail only on new ones, robust to unrelated edits."""
from __future__ import annotations

import json

from conftest import finding_lines, lint_json, run_cli

FROM = "networking.kyma-project.io/from-ingressgateway"


def _deploy(name: str, ns: str = "shop") -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n"
            f"    {FROM}: allowed\nspec:\n  template:\n    metadata:\n      labels:\n        app: {name}\n")


def _repo(tmp_path):
    (tmp_path / "apps.yaml").write_text(_deploy("web") + "---\n" + _deploy("api"))
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    return tmp_path


def test_write_then_use_baseline(tmp_path):
    _repo(tmp_path)
    proc = run_cli(".", "--select", "NPL001,NPL102", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == "netpol-lint: wrote 3 findings to baseline baseline.json\n"
    data = json.loads((tmp_path / "baseline.json").read_text())
    assert data["version"] == 1
    assert [(e["rule"], e["file"], e["resource"]) for e in data["findings"]] == [
        ("NPL102", "apps.yaml", "Deployment shop/api"), ("NPL102", "apps.yaml", "Deployment shop/web"),
        ("NPL001", "broken.yaml", "")]
    code, report = lint_json(".", "--select", "NPL001,NPL102", "--baseline", "baseline.json", cwd=tmp_path)
    assert (code, report["findings"], report["summary"]["suppressed"]) == (0, [], 3)


def test_baseline_survives_unrelated_edits_and_reports_new_findings(tmp_path):
    _repo(tmp_path)
    run_cli(".", "--select", "NPL001,NPL102", "--write-baseline", "baseline.json", cwd=tmp_path)
    # move everything down, reorder documents, add a new offender
    (tmp_path / "apps.yaml").write_text("# owned by team shop\n\n" + _deploy("api") + "---\n" + _deploy("web")
                                        + "---\n" + _deploy("cart"))
    code, report = lint_json(".", "--select", "NPL001,NPL102", "--baseline", "baseline.json", cwd=tmp_path)
    assert code == 1
    assert finding_lines(report) == ["apps.yaml:35:5 NPL102 Deployment shop/cart"]
    assert report["summary"]["suppressed"] == 3


def test_baseline_counts_repeated_fingerprints(tmp_path):
    (tmp_path / "a.yaml").write_text(_deploy("web"))
    run_cli(".", "--select", "NPL102", "--write-baseline", "baseline.json", cwd=tmp_path)
    (tmp_path / "b.yaml").write_text(_deploy("web"))           # same resource identity, same node
    code, report = lint_json(".", "--select", "NPL102", "--baseline", "baseline.json", cwd=tmp_path)
    assert (code, finding_lines(report)) == (1, ["b.yaml:7:5 NPL102 Deployment shop/web"])


def test_resource_less_findings_are_keyed_by_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    run_cli(".", "--select", "NPL001", "--write-baseline", "baseline.json", cwd=tmp_path)
    (tmp_path / "other.yaml").write_text("apiVersion: v1\nkind: [\n")
    code, report = lint_json(".", "--select", "NPL001", "--baseline", "baseline.json", cwd=tmp_path)
    assert (code, finding_lines(report)) == (1, ["other.yaml:3:1 NPL001 -"])


def test_bad_baseline_is_exit_2(tmp_path):
    _repo(tmp_path)
    proc = run_cli(".", "--baseline", "missing.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2, "netpol-lint: error: baseline file not found: missing.json (create it with --write-baseline)\n")
    (tmp_path / "bad.json").write_text('{"findings": {}}')
    proc = run_cli(".", "--baseline", "bad.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "netpol-lint: error: bad.json is not a netpol-lint baseline "
                                                 "(version 1)\n")


def test_baseline_file_is_deterministic(tmp_path):
    _repo(tmp_path)
    run_cli(".", "--write-baseline", "one.json", cwd=tmp_path)
    run_cli(".", "--write-baseline", "two.json", cwd=tmp_path)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_fix_applies_only_to_findings_not_in_the_baseline(tmp_path):
    (tmp_path / "a.yaml").write_text(_deploy("web"))
    run_cli(".", "--select", "NPL102", "--write-baseline", "baseline.json", cwd=tmp_path)
    (tmp_path / "b.yaml").write_text(_deploy("api"))
    proc = run_cli(".", "--select", "NPL102", "--baseline", "baseline.json", "--fix", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed 1 finding in 1 file." in proc.stdout
    assert (tmp_path / "a.yaml").read_text() == _deploy("web")
    assert (tmp_path / "b.yaml").read_text() == _deploy("api") + f"        {FROM}: allowed\n"


def test_baseline_records_the_findings_an_explaining_finding_carries(tmp_path):
    """NPL102 explains NPL101 (one cause, one finding); baselining NPL102 releases NPL101, so
    the baseline records it too: the run right after --write-baseline reports nothing."""
    (tmp_path / "a.yaml").write_text(
        _deploy("web") + "---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n---\n"
        "apiVersion: gateway.kyma-project.io/v2\nkind: APIRule\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  hosts: [web.example.com]\n  gateway: kyma-system/kyma-gateway\n"
        "  service: {name: web, port: 80}\n  rules: [{path: /*, methods: [GET], noAuth: true}]\n")
    code, report = lint_json(".", cwd=tmp_path)
    assert [f["rule"] for f in report["findings"]] == ["NPL102"]
    proc = run_cli(".", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert proc.stderr == "netpol-lint: wrote 2 findings to baseline baseline.json\n"
    data = json.loads((tmp_path / "baseline.json").read_text())
    assert sorted(e["rule"] for e in data["findings"]) == ["NPL101", "NPL102"]
    code, report = lint_json(".", "--baseline", "baseline.json", cwd=tmp_path)
    assert (code, report["findings"], report["summary"]["suppressed"]) == (0, [], 2)
