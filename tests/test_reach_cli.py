"""``reach`` and ``connectivity`` through the CLI (``run_cli``: in process; the real
``python -m netpol_lint`` with ``NETPOL_LINT_TEST_CLI=subprocess``, as CI runs it)."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli

SHOP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  template:
    metadata: {labels: {app: frontend, networking.kyma-project.io/from-ingressgateway: allowed}}
    spec: {containers: [{name: app, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: shop}
spec:
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: app, ports: [{name: http, containerPort: 9090}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: shop, labels: {app: probe}}
spec: {containers: [{name: c}]}
status: {podIP: 10.8.0.9}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-backend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}, {ipBlock: {cidr: 10.8.0.0/16}}]
    ports: [{port: http}]
"""
IGW = "istio-system/istio-ingressgateway"


@pytest.fixture()
def shop(tmp_path):
    (tmp_path / "shop.yaml").write_text(SHOP)
    return tmp_path


def reach(shop, *args, stdin=None):
    return run_cli("reach", str(shop / "shop.yaml"), *args, cwd=shop, stdin=stdin)


def test_single_probe_json_has_the_contract_shape(shop):
    r = reach(shop, "--from", IGW, "--to", "shop/frontend", "--port", "8080", "--format", "json")
    assert r.returncode == 1, r.stderr                     # denied (CONTRACT.md: 0 allowed, 1 denied)
    out = json.loads(r.stdout)
    assert list(out) == ["from", "to", "port", "protocol", "allowed", "egress", "ingress"]
    assert out["from"] == IGW and out["to"] == "shop/frontend" and out["port"] == 8080 and out["protocol"] == "TCP"
    assert out["allowed"] is False
    assert out["egress"]["allowed"] is True and out["egress"]["isolated"] is True
    assert "istio-system/kyma-project.io--istio-ingressgateway-egress" in out["egress"]["policies"]
    assert out["ingress"] == {**out["ingress"], "allowed": False, "isolated": True, "policies": ["shop/deny-all"]}
    assert set(out["ingress"]) == {"allowed", "isolated", "policies", "explanation"}


def test_text_names_the_admitting_rule_and_the_isolating_policy(shop):
    r = reach(shop, "--from", "shop/frontend", "--to", "shop/backend", "--port", "http")
    assert r.returncode == 0
    assert "ALLOWED" in r.stdout and "shop/allow-backend ingress[0]" in r.stdout and "TCP 9090 (http)" in r.stdout
    r = reach(shop, "--from", "shop/backend", "--to", "shop/frontend", "--port", "8080")
    assert r.returncode == 1 and "DENIED" in r.stdout and "isolated by shop/deny-all" in r.stdout
    assert "no Istio CR in the input" in r.stdout


def test_batch_probes_from_file_and_stdin_keep_order(shop):
    probes = [{"from": "shop/frontend", "to": "shop/backend", "port": 9090, "protocol": "TCP"},
              {"from": "shop/backend", "to": "shop/frontend", "port": 8080},
              {"from": "ip:10.8.1.1", "to": "shop/backend", "port": 9090, "protocol": "TCP"},
              {"from": "ip:10.9.1.1", "to": "shop/backend", "port": 9090, "protocol": "UDP"}]
    (shop / "probes.json").write_text(json.dumps(probes))
    for args, stdin in ((("--probes", str(shop / "probes.json")), None), (("--probes", "-"), json.dumps(probes))):
        r = reach(shop, *args, "--format", "json", stdin=stdin)
        assert r.returncode == 1, r.stderr                 # two are denied
        out = json.loads(r.stdout)
        assert [o["allowed"] for o in out] == [True, False, True, False]
        assert [(o["from"], o["to"]) for o in out] == [(p["from"], p["to"]) for p in probes]
        assert out[1]["protocol"] == "TCP"
    r = reach(shop, "--probes", str(shop / "probes.json"))
    assert r.returncode == 1 and r.stdout.count("\n") >= 4 and r.stdout.startswith("ALLOWED")


def test_ipblock_pods_option(shop):
    args = ("--from", "shop/probe", "--to", "shop/backend", "--port", "9090", "--format", "json")
    assert json.loads(reach(shop, *args).stdout)["allowed"] is True
    assert json.loads(reach(shop, *args, "--ipblock-pods", "never").stdout)["allowed"] is False


@pytest.mark.parametrize("args, message", [
    (("--from", "shop/nope", "--to", "shop/backend", "--port", "80"), "no workload 'shop/nope'"),
    (("--from", "shop/frontend", "--to", "shop/backend", "--port", "grpc"), "no container port named 'grpc'"),
    (("--from", "shop/frontend", "--to", "shop/backend"), "--port"),
    (("--from", IGW, "--to", "shop/backend", "--port", "80", "--no-istio"), "no workload"),
    (("--probes", "missing.json"), "cannot read probe file"),
])
def test_bad_endpoint_or_port_exits_2_with_one_line(shop, args, message):
    r = reach(shop, *args)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("content", ["{not json", '{"from": "a"}', '[{"from": "shop/frontend"}]', '[1]'])
def test_bad_probe_file_exits_2(shop, content):
    (shop / "bad.json").write_text(content)
    r = reach(shop, "--probes", str(shop / "bad.json"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_connectivity_formats(shop):
    path = str(shop / "shop.yaml")
    text = run_cli("connectivity", path, cwd=shop)
    assert text.returncode == 0
    assert "shop/frontend => shop/backend : TCP 9090" in text.stdout
    assert f"shop/frontend => {IGW}" in text.stdout
    data = json.loads(run_cli("connectivity", path, "--format", "json", cwd=shop).stdout)
    pair = next(c for c in data if (c["from"], c["to"]) == ("shop/frontend", "shop/backend"))
    assert pair == {"from": "shop/frontend", "to": "shop/backend", "connections": {"TCP": [[9090, 9090]]},
                    "text": "TCP 9090", "egress_policies": [], "ingress_policies": ["shop/allow-backend"]}
    assert not any(c["from"] == c["to"] for c in data)
    dot = run_cli("connectivity", path, "--format", "dot", cwd=shop).stdout
    assert dot.startswith("digraph") and '"shop/frontend" -> "shop/backend" [label="TCP 9090"]' in dot
    mermaid = run_cli("connectivity", path, "--format", "mermaid", cwd=shop).stdout
    assert mermaid.startswith("flowchart LR") and '|"TCP 9090"|' in mermaid and "classDef istio" in mermaid


def test_connectivity_focus_and_no_istio(shop):
    path = str(shop / "shop.yaml")
    data = json.loads(run_cli("connectivity", path, "--format", "json", "--focus", "shop/backend", cwd=shop).stdout)
    assert data and all("shop/backend" in (c["from"], c["to"]) for c in data)
    data = json.loads(run_cli("connectivity", path, "--format", "json", "--no-istio", cwd=shop).stdout)
    assert not any(c["from"].startswith("istio-system/") or c["to"].startswith("istio-system/") for c in data)
    r = run_cli("connectivity", path, "--focus", "nowhere", cwd=shop)
    assert r.returncode == 2 and "nowhere" in r.stderr and "Traceback" not in r.stderr


TLS_MODE = """
apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: mesh}
spec:
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: mesh}
spec:
  template:
    metadata: {labels: {app: server}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-meshed, namespace: mesh}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{podSelector: {matchLabels: {security.istio.io/tlsMode: istio}}}]}]
"""


def test_no_istio_adds_no_injected_label(tmp_path):
    """--no-istio is plain Kubernetes: the injector's tlsMode label is not added, so a policy
    admitting only meshed pods admits no pod of the input (with Istio it admits the client)."""
    (tmp_path / "mesh.yaml").write_text(TLS_MODE)
    probe = ("reach", "mesh.yaml", "--from", "mesh/client", "--to", "mesh/server", "--port", "8080",
             "--format", "json")
    with_istio = json.loads(run_cli(*probe, cwd=tmp_path).stdout)
    plain = json.loads(run_cli(*probe, "--no-istio", cwd=tmp_path).stdout)
    assert with_istio["allowed"] is True
    assert plain["allowed"] is False and plain["ingress"]["policies"] == ["mesh/only-meshed"]
