"""An Istio CR without metadata.namespace is read as meant for kyma-system (the only namespace
the module reconciles: kyma-project/istio internal/controller/istio_controller.go), and NPL401
asks for the namespace; a kustomization's namespace still places it."""
from __future__ import annotations

import json

from conftest import run_cli

CR = "apiVersion: operator.kyma-project.io/v1alpha2\nkind: Istio\nmetadata:\n  name: default\n" \
     "spec:\n  networkPoliciesEnabled: false\n"


def test_namespace_less_cr_is_the_modules_and_reported(tmp_path):
    (tmp_path / "istio.yaml").write_text(CR)
    out = run_cli("istio.yaml", "--format", "json", cwd=tmp_path)
    report = json.loads(out.stdout)
    assert [(f["rule"], f["line"], f["resource"]["namespace"], f["message"]) for f in report["findings"]] == [
        ("NPL401", 4, "kyma-system",
         "Istio CR default has no metadata.namespace: read as meant for kyma-system, the only namespace where "
         "the module reconciles it; applied without one it lands in the current namespace and the module stops "
         "with 'istio CR is not in kyma-system namespace'. Write `namespace: kyma-system`")]
    # its networkPoliciesEnabled: false is what the run assumes (not the "no Istio CR" default)
    assert report["summary"]["network_policies_enabled"] is False


def test_kustomization_namespace_places_the_cr(tmp_path):
    (tmp_path / "istio.yaml").write_text(CR)
    (tmp_path / "kustomization.yaml").write_text("namespace: shop\nresources: [istio.yaml]\n")
    report = json.loads(run_cli(".", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["rule"], f["resource"]["namespace"], f["message"]) for f in report["findings"]] == [
        ("NPL401", "shop", "Istio CR default is in namespace 'shop'; the module only reconciles the Istio CR "
                           "in kyma-system, so this one has no effect")]
    assert report["summary"]["network_policies_enabled"] is True        # ignored by the module: absent


def test_summary_note_says_an_ignored_cr_counts_as_absent(tmp_path):
    (tmp_path / "istio.yaml").write_text(CR.replace("  name: default\n", "  name: default\n  namespace: shop\n"))
    out = run_cli("istio.yaml", cwd=tmp_path).stdout
    assert out.splitlines()[-1] == (
        "Note: no Istio CR in the input that the module would reconcile and nothing configured: assuming the "
        "Istio module's network policies are enabled (set --assume-network-policies or config "
        "network_policies to change).")


def test_default_namespace_kyma_system_places_a_namespace_less_cr(tmp_path):
    (tmp_path / "istio.yaml").write_text(CR)
    report = json.loads(run_cli("istio.yaml", "--format", "json", "--default-namespace", "kyma-system",
                                cwd=tmp_path).stdout)
    assert report["findings"] == [] and report["summary"]["network_policies_enabled"] is False


def test_istio_cr_in_a_unit_is_in_the_clusters_kyma_system(tmp_path):
    """Deployment units give each unit its own default namespace; with the default namespace
    kyma-system the Istio CR of a unit was put in that unit's own 'kyma-system' and ignored."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "istio.yaml").write_text(CR)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                                             "spec: {selector: {app: web}, ports: [{port: 80}]}\n")
    (tmp_path / ".netpol-lint.yaml").write_text('units: ["a", "b"]\n')
    report = json.loads(run_cli(".", "--format", "json", "--default-namespace", "kyma-system",
                                cwd=tmp_path).stdout)
    assert report["findings"] == [] and report["summary"]["network_policies_enabled"] is False
