"""``netpol-lint impact``: the blast radius of ``networkPoliciesEnabled: true``.

Fixture repos under ``tests/data/impact/``:

* ``shop/`` — the flag is off; an APIRule and a VirtualService reach pods without the
  from-ingressgateway label (one has it on the Deployment's own metadata only), a workload
  routes its outbound traffic through the egress gateway without the to-egressgateway label,
  a configured OpenTelemetry collector and a Prometheus CR scrape the Istio metrics ports.
* ``prepared/`` — the same storefront, labelled: nothing the input needs breaks.

``*.expected.txt`` / ``*.expected.md`` are the exact outputs (also the README examples).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "impact"
SHOP = DATA / "shop"
PREPARED = DATA / "prepared"


def impact(cwd: Path, *args: str):
    return run_cli("impact", ".", *args, cwd=cwd)


def impact_json(cwd: Path, *args: str) -> tuple[int, dict]:
    proc = impact(cwd, "--format", "json", *args)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_shop_text_output_is_exact():
    proc = impact(SHOP)
    assert proc.stderr == ""
    assert proc.returncode == 1
    assert proc.stdout == (DATA / "shop.expected.txt").read_text()


def test_shop_markdown_output_is_exact():
    proc = impact(SHOP, "--format", "markdown")
    assert proc.returncode == 1
    assert proc.stdout == (DATA / "shop.expected.md").read_text()
    # a short summary table comes first, the noise is folded away
    lines = proc.stdout.splitlines()
    assert lines[4:6] == ["| change | connections | fix |", "|---|---:|---|"]
    assert "<details><summary>Other changes" in proc.stdout


def _breaking(doc: dict) -> list[tuple]:
    out = []
    for g in doc["groups"]:
        for e in g["entries"]:
            if e["breaks"]:
                fixes = [f"{f['file']}:{f['line']}:{f['column']} {f['resource']['kind']} "
                         f"{f['resource']['namespace']}/{f['resource']['name']} {list(f['label'].items())[0]}"
                         for f in e["fixes"]]
                out.append((g["id"], e["from"], e["to"], e["breaks"], fixes))
    return out


def test_shop_groups_name_each_break_and_the_label_and_file_that_fix_it():
    code, doc = impact_json(SHOP)
    assert code == 1
    igw, egw, istiod = "istio-system/istio-ingressgateway", "istio-system/istio-egressgateway", "istio-system/istiod"
    fig = ("networking.kyma-project.io/from-ingressgateway", "allowed")
    teg = ("networking.kyma-project.io/to-egressgateway", "allowed")
    ms = ("networking.kyma-project.io/metrics-scraping", "allowed")
    otel_fix = [f"monitoring/otel-collector.yaml:13:9 Deployment monitoring/otel-collector {ms}"]
    assert _breaking(doc) == [
        ("routes", igw, "shop/catalog", "TCP 8081", [f"apps/shop/catalog.yaml:15:9 Deployment shop/catalog {fig}"]),
        ("routes", igw, "shop/reviews", "TCP 9080", [f"apps/shop/reviews.yaml:16:9 Deployment shop/reviews {fig}"]),
        ("egress-gateway", "payments/payments-api", egw, "All Connections",
         [f"apps/payments/payments-api.yaml:14:9 Deployment payments/payments-api {teg}"]),
        ("scrapers", "monitoring/otel-collector", egw, "TCP 15020-15021,15090", otel_fix),
        ("scrapers", "monitoring/otel-collector", igw, "TCP 15020-15021,15090", otel_fix),
        ("scrapers", "monitoring/otel-collector", istiod, "TCP 15014", otel_fix),
        ("scrapers", "Prometheus monitoring/k8s", "istio-system metrics endpoints", "TCP 15014,15020-15021,15090",
         [f"monitoring/prometheus.yaml:13:7 Prometheus monitoring/k8s {ms}"]),
    ]
    assert doc["istio_cr"] == {"namespace": "kyma-system", "name": "default", "file": "kyma/istio.yaml", "line": 8,
                               "network_policies_enabled": False}
    assert doc["summary"] == {"breaking": 7, "already_broken": 0, "other": 67, "changed_connections": 73, "routes": 2,
                              "egress-gateway": 1, "scrapers": 4, "sidecars": 0}


def test_label_on_controller_metadata_is_fixed_by_copying_it_into_the_template():
    _, doc = impact_json(SHOP)
    routes = next(g for g in doc["groups"] if g["id"] == "routes")["entries"]
    reviews = next(e for e in routes if e["to"] == "shop/reviews")
    assert reviews["fixes"][0]["action"] == ("copy networking.kyma-project.io/from-ingressgateway: allowed "
                                             "from metadata.labels into the pod template labels")
    assert reviews["reasons"] == ["VirtualService shop/reviews → Service shop/reviews port 9080 (container port TCP 9080)"]
    assert reviews["connection"]["lost"].startswith("SCTP 1-65535,TCP 1-52,54-65535")


def test_prepared_repo_breaks_nothing_and_exits_0():
    proc = impact(PREPARED)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout == (DATA / "prepared.expected.txt").read_text()
    code, doc = impact_json(PREPARED)
    assert code == 0
    assert all(not e["breaks"] for g in doc["groups"] for e in g["entries"])
    # the labelled route backend keeps every port: no line about it at all
    assert not any(e["to"] == "shop/storefront" and e["from"].endswith("istio-ingressgateway")
                   for g in doc["groups"] for e in g["entries"])


def test_impact_compares_both_states_whatever_the_cr_or_option_says(tmp_path):
    """The flag already on, or --assume-network-policies: still the blast radius of the flag."""
    for p in PREPARED.iterdir():
        (tmp_path / p.name).write_text(p.read_text().replace("networkPoliciesEnabled: false",
                                                             "networkPoliciesEnabled: true"))
    on = impact(tmp_path)
    assert "networkPoliciesEnabled is true already" in on.stdout
    base = impact_json(PREPARED)[1]["groups"]
    assert impact_json(tmp_path)[1]["groups"] == base
    assert impact_json(PREPARED, "--assume-network-policies", "disabled")[1]["groups"] == base


def test_output_is_deterministic():
    a, b = impact(SHOP, "--format", "json"), impact(SHOP, "--format", "json")
    assert a.stdout == b.stdout


def test_suppressed_prometheus_finding_is_not_listed(tmp_path):
    import shutil

    shutil.copytree(SHOP, tmp_path / "shop")
    prom = tmp_path / "shop" / "monitoring" / "prometheus.yaml"
    prom.write_text(prom.read_text().replace("  namespace: monitoring\nspec:\n  replicas: 2",
                                             "  namespace: monitoring\n  annotations:\n"
                                             "    netpol-lint.io/ignore: NPL106\nspec:\n  replicas: 2", 1))
    _, doc = impact_json(tmp_path / "shop")
    scrapers = next(g for g in doc["groups"] if g["id"] == "scrapers")["entries"]
    assert [e["from"] for e in scrapers] == ["monitoring/otel-collector"] * 3


BAD_INPUT = """
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: broken, namespace: shop}
spec: {gateway: 7, service: [not, a, mapping], rules: "nope"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: "app=web", ports: {port: 80}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: [a, b]}, spec: {containers: "x"}}}
---
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec: {networkPoliciesEnabled: "true", config: {authorizers: [{service: 5, port: "x"}]}}
"""


def test_bad_input_never_crashes(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD_INPUT)
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    for fmt in ("text", "json", "markdown"):
        proc = impact(tmp_path, "--format", fmt)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_missing_path_is_exit_2():
    proc = run_cli("impact", "does-not-exist", cwd=DATA)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "netpol-lint: error: path not found: does-not-exist"


# -- grouping of sidecars (engine-level) -------------------------------------------------------
SIDECAR = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop}
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata:
      labels: {app: legacy, security.istio.io/tlsMode: disabled}
    spec: {containers: [{name: app, image: example/legacy:1}]}
"""


def test_sidecar_that_loses_istiod_is_grouped_and_breaks(tmp_path, monkeypatch):
    """Istio's injector keeps an explicit ``security.istio.io/tlsMode`` value; the module's istiod
    policy admits 15012 only from ``tlsMode: istio``.  The engine currently always writes
    ``istio``; this test models the injector's rule to check the grouping of such a sidecar."""
    from netpol_lint.analysis import reachability
    from netpol_lint.analysis.impact import SIDECARS, analyse
    from netpol_lint.model.session import Session

    real = reachability.build_endpoints

    def injector_keeps_explicit_tls_mode(workloads, namespace_labels, synthetic=(), istio=True):
        eps = real(workloads, namespace_labels, synthetic, istio=istio)
        for e in eps:
            explicit = e.workload.pod_labels.get("security.istio.io/tlsMode") if e.workload else None
            if e.sidecar and explicit:
                e.labels["security.istio.io/tlsMode"] = explicit
        return eps

    monkeypatch.setattr(reachability, "build_endpoints", injector_keeps_explicit_tls_mode)
    (tmp_path / "app.yaml").write_text(SIDECAR)
    report = analyse(Session.load([str(tmp_path / "app.yaml")]))
    side = report.group(SIDECARS)
    assert [(e.source, e.target, e.breaks.to_text()) for e in side] == [
        ("shop/legacy", "istio-system/istiod", "TCP 15012")]
    assert [f.action for f in side[0].fixes] == [
        "set security.istio.io/tlsMode: istio in the pod template labels (now 'disabled')"]
    assert report.breaks


def test_sidecar_with_the_injected_label_keeps_istiod(tmp_path):
    from netpol_lint.analysis.impact import SIDECARS, analyse
    from netpol_lint.model.session import Session

    (tmp_path / "app.yaml").write_text(SIDECAR.replace(", security.istio.io/tlsMode: disabled", ""))
    report = analyse(Session.load([str(tmp_path / "app.yaml")]))
    assert report.group(SIDECARS) == []
    assert not report.breaks
    xds = [e for e in report.entries if e.source == "shop/legacy" and e.target == "istio-system/istiod"]
    assert [e.change.after.to_text() for e in xds] == ["TCP 15012,15017"]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_every_format_runs_on_the_ci_repo(fmt):
    proc = run_cli("impact", "tests/data/ci-repo", "--format", fmt, cwd=ROOT)
    assert proc.returncode in (0, 1)
    assert proc.stderr == ""
