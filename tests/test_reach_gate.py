"""Issue 16 item 4: ``reach`` gates CI (exit 0 allowed / 1 denied, --expect, per-probe expect
with a summary, an unknown endpoint fails its probe only, 1-based probe numbers, svc: and host:)."""
from __future__ import annotations

import json

from conftest import ROOT, run_cli

IGW = "istio-system/istio-ingressgateway"


def reach(*args, stdin=None):
    return run_cli("reach", "examples", *args, cwd=ROOT, stdin=stdin)


def test_exit_code_is_the_answer():
    assert reach("--from", "shop/storefront", "--to", "shop/cart", "--port", "8080").returncode == 0
    assert reach("--from", IGW, "--to", "shop/orders", "--port", "3000").returncode == 1


def test_expect_flips_the_gate():
    assert reach("--from", IGW, "--to", "shop/orders", "--port", "3000", "--expect", "deny").returncode == 0
    r = reach("--from", IGW, "--to", "shop/orders", "--port", "3000", "--expect", "allow")
    assert r.returncode == 1 and "expected: allow: NO" in r.stdout


def test_probes_with_expectations_unknown_endpoints_and_a_summary(tmp_path):
    probes = [{"from": IGW, "to": "shop/orders", "port": 3000, "expect": "deny"},
              {"from": "shop/storefront", "to": "shop/cart", "port": 8080, "expect": "allow"},
              {"from": "shop/nowhere", "to": "shop/cart", "port": 8080, "expect": "allow"},
              {"from": IGW, "to": "shop/orders", "port": 3000, "expect": "allow"}]
    (tmp_path / "p.json").write_text(json.dumps(probes))
    r = reach("--probes", str(tmp_path / "p.json"))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[2] == ("ERROR   probe 3: no workload 'shop/nowhere' in the input (use NAMESPACE/NAME, ip:ADDRESS or apiserver)"
                        "  [expected allow: NOT AS EXPECTED]")
    assert lines[-1] == "4 probes: 1 allowed, 2 denied, 1 could not be asked; 2 of 4 as expected (not: probes 3, 4)."
    out = json.loads(reach("--probes", str(tmp_path / "p.json"), "--format", "json").stdout)
    assert [o.get("as_expected") for o in out] == [True, True, False, False]
    assert out[2]["allowed"] is None and "shop/nowhere" in out[2]["error"]
    ok = [p for p in probes if p["from"] != "shop/nowhere"][:2]
    assert reach("--probes", "-", stdin=json.dumps(ok)).returncode == 0        # every answer as expected


def test_svc_endpoint_translates_the_service_port():
    r = reach("--from", IGW, "--to", "svc:shop/catalog", "--port", "80", "--format", "json")
    out = json.loads(r.stdout)
    assert out["to"] == "shop/catalog" and out["port"] == 9000          # Service port 80 -> targetPort 9000
    assert out["via"] == [{"from": IGW, "to": "shop/catalog", "port": 9000, "allowed": False}]
    assert reach("--from", IGW, "--to", "svc:shop/nope", "--port", "80").returncode == 2


def test_host_endpoint_follows_the_route():
    r = reach("--to", "host:orders.example.com", "--format", "json")       # --from defaults to the gateway
    out = json.loads(r.stdout)
    assert r.returncode == 1 and out["from"] == IGW and out["to"] == "shop/orders" and out["port"] == 3000
    r = reach("--to", "host:nothing.example.com")
    assert r.returncode == 2 and "no ingress route serves host nothing.example.com" in r.stderr
