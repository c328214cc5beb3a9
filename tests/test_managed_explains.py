"""One cause, one finding for edited module policies (RULES.md): an edited copy of the Istio
module's ``kyma-project.io--istio-pilot`` policy that drops the webhook rule is NPL302's
finding; NPL208's blocked webhook exists only because of the edit, so NPL302 carries it --
unless NPL302 is switched off, ignored or suppressed, when NPL208 reports on its own."""
from __future__ import annotations

import shutil

from conftest import ROOT, lint_json
from netpol_lint.cli import main

DATA = ROOT / "tests" / "data" / "edited_managed_policy"
SELECT = ("--select", "NPL208,NPL302", "--fail-on", "info")
NPL302 = ("NetworkPolicy istio-system/kyma-project.io--istio-pilot differs from the policy the Istio module creates, "
          "which reverts it at its next reconcile (up to 10 h): ingress: rule from pods kyma-project.io/module in any "
          "namespace, pods networking.kyma-project.io/istio-metrics=allowed in any namespace, pods "
          "networking.kyma-project.io/metrics-scraping=allowed in any namespace on TCP 15014 removed; and 1 more")
NOTE = ("; the edit blocks the Istio module's webhooks (sidecar injection and Istio configuration validation): the API "
        "server cannot reach TCP 15017 of istiod (istio-system/istiod)")
NPL208 = ("the Istio module's webhooks (sidecar injection and Istio configuration validation) call Service "
          "istio-system/istiod port 443, which sends to TCP 15017 of istiod (istio-system/istiod); "
          "istio-system/kyma-project.io--istio-pilot isolates it for ingress and no policy admits the API server (its "
          "calls come through the VPN from kube-system/vpn-shoot on Gardener) there: pods are created without "
          "sidecars or rejected, and Istio resources are not validated")


def _lint(tmp_path, *args, text=None):
    shutil.copy(DATA / "repo.yaml", tmp_path / "repo.yaml")
    if text is not None:
        (tmp_path / "repo.yaml").write_text(text(tmp_path.joinpath("repo.yaml").read_text()))
    _, rep = lint_json("repo.yaml", *SELECT, *args, cwd=tmp_path)
    return [(f["rule"], f["severity"], f["line"], f["message"]) for f in rep["findings"]]


def test_the_edit_explains_the_blocked_webhook(tmp_path):
    _, rep = lint_json("repo.yaml", *SELECT, cwd=DATA)
    (f,) = rep["findings"]
    assert (f["rule"], f["severity"], f["line"], f["message"]) == ("NPL302", "error", 34, NPL302 + NOTE)
    assert (f["related"][-1]["line"], f["related"][-1]["message"]) == (19, "NPL208" + NOTE.replace(";", "", 1))


def test_explaining_rule_ignored_or_not_selected_the_webhook_reports(tmp_path):
    assert _lint(tmp_path, "--ignore", "NPL302") == [("NPL208", "error", 19, NPL208)]
    _, rep = lint_json("repo.yaml", "--select", "NPL208", cwd=DATA)
    assert [(f["rule"], f["message"]) for f in rep["findings"]] == [("NPL208", NPL208)]


def test_explaining_finding_suppressed_the_webhook_reports(tmp_path):
    got = _lint(tmp_path, text=lambda t: t.replace("  ingress:\n", "  ingress:   # netpol-lint: disable=NPL302\n"))
    assert got == [("NPL208", "error", 19, NPL208)]


def test_explaining_finding_baselined_the_webhook_reports(tmp_path, monkeypatch, capsys):
    """A baseline taken with NPL302 alone accounts for NPL302's finding, not for what it carries."""
    shutil.copy(DATA / "repo.yaml", tmp_path / "repo.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "repo.yaml", "--select", "NPL302", "--write-baseline", "base.json"]) == 0
    assert "wrote 1 finding to baseline" in capsys.readouterr().err
    assert _lint(tmp_path, "--baseline", "base.json") == [("NPL208", "error", 19, NPL208)]


def test_merged_finding_takes_the_higher_severity(tmp_path):
    (tmp_path / "config.yaml").write_text("severity:\n  NPL302: info\n")
    assert _lint(tmp_path, "--config", "config.yaml") == [("NPL302", "error", 34, NPL302 + NOTE)]
    (tmp_path / "config.yaml").write_text("severity:\n  NPL208: info\n")
    assert _lint(tmp_path, "--config", "config.yaml") == [("NPL302", "error", 34, NPL302 + NOTE)]


def test_a_webhook_blocked_by_something_else_is_not_the_edits(tmp_path):
    """A user's webhook blocked by its own namespace's deny-all would be blocked with the
    module's policy too: NPL208 reports it on its own, next to NPL302 (which still carries
    istiod's webhook)."""
    hook = ("\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: "
            "{name: orders}\nwebhooks:\n- name: orders.example.com\n  clientConfig:\n    service: {namespace: shop, "
            "name: orders, port: 443}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: orders, namespace: shop}\n"
            "spec:\n  selector: {app: orders}\n  ports: [{port: 443, targetPort: 9443}]\n---\napiVersion: apps/v1\n"
            "kind: Deployment\nmetadata: {name: orders, namespace: shop}\nspec:\n  template:\n    metadata:\n"
            "      labels: {app: orders}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: "
            "{name: deny-all, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n")
    got = _lint(tmp_path, text=lambda t: t + hook)
    assert [(r, line) for r, _, line, _ in got] == [("NPL302", 34), ("NPL208", 71)]
    assert got[0][3] == NPL302 + NOTE
    assert got[1][3].startswith("ValidatingWebhookConfiguration orders")


# -- NPL206: sidecars cut off from istiod by the edit -------------------------------------------
NPL302_PILOT = ("NetworkPolicy istio-system/kyma-project.io--istio-pilot differs from the policy the Istio module "
                "creates, which reverts it at its next reconcile (up to 10 h): ingress: rule from pods "
                "istio=egressgateway (same namespace), pods istio=ingressgateway (same namespace), pods "
                "security.istio.io/tlsMode=istio in any namespace on TCP 15012 removed; and 1 more")
NOTE_206 = ("; the edit keeps the sidecars of Deployment shop/web from istiod (TCP 15012): they get no "
            "configuration")
NPL206 = ("Deployment shop/web is sidecar-injected and isolated for egress, but cannot reach istiod "
          "(istio-system/istiod) on TCP 15012: istiod's ingress policy istio-system/kyma-project.io--istio-pilot "
          "does not admit it; the sidecar gets no configuration and the pod never becomes ready")


def _sidecars(*args):
    _, rep = lint_json("sidecars.yaml", "--select", "NPL206,NPL302", *args, cwd=DATA)
    return [(f["rule"], f["severity"], f["line"], f["message"]) for f in rep["findings"]]


def test_the_edit_explains_the_sidecars_cut_off_from_istiod():
    assert _sidecars() == [("NPL302", "error", 35, NPL302_PILOT + NOTE_206)]
    assert _sidecars("--ignore", "NPL302") == [("NPL206", "error", 18, NPL206)]


def test_a_sidecar_its_own_policy_cuts_off_is_not_the_edits(tmp_path):
    """The pod's own egress policy denies 15012 as well: fixing the edit alone would not help."""
    text = (DATA / "sidecars.yaml").read_text().replace("{protocol: TCP, port: 15012}, ", "")
    (tmp_path / "sidecars.yaml").write_text(text)
    _, rep = lint_json("sidecars.yaml", "--select", "NPL206,NPL302", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in rep["findings"]] == [("NPL206", 18), ("NPL302", 35)]
    assert rep["findings"][1]["message"] == NPL302_PILOT
