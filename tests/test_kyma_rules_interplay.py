"""How the Kyma rules work together: one cause one finding, related locations, NPL201's policy, the example repo."""
from __future__ import annotations

import json
import textwrap

import yaml

from conftest import ROOT, finding_lines, lint_json, run_cli

ROUTE = """\
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  gateway: kyma-system/kyma-gateway
  hosts: [web.example.com]
  service: {name: web, port: 80}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def _deployment(name: str, pod_labels: str, meta_labels: str = "") -> str:
    meta = f"  labels: {meta_labels}\n" if meta_labels else ""
    return ("---\napiVersion: apps/v1\nkind: Deployment\n"
            f"metadata:\n  name: {name}\n  namespace: shop\n{meta}"
            "spec:\n  template:\n    metadata:\n"
            f"      labels: {pod_labels}\n"
            "    spec:\n      containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]\n")


def _write(tmp_path, name: str, text: str):
    d = tmp_path / "in"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)
    return d


def test_label_problems_are_reported_once(tmp_path):
    """NPL102/NPL103/NPL104 own a broken from-ingressgateway label; NPL101 only reports a missing one."""
    text = (ROUTE
            + _deployment("on-controller", "{app: web}", "{networking.kyma-project.io/from-ingressgateway: allowed}")
            + _deployment("wrong-value", "{app: web, networking.kyma-project.io/from-ingressgateway: 'true'}")
            + _deployment("misspelt", "{app: web, networking.kyma-project.io/from-ingress-gateway: allowed}")
            + _deployment("missing", "{app: web}"))
    d = _write(tmp_path, "app.yaml", text)
    code, report = lint_json(str(d), "--select", "NPL101,NPL102,NPL103,NPL104", cwd=tmp_path)
    got = [(f["rule"], f["resource"]["name"]) for f in report["findings"]]
    assert got == [("NPL102", "on-controller"), ("NPL103", "wrong-value"), ("NPL104", "misspelt"),
                   ("NPL101", "missing")]
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["NPL102"]["message"].endswith("it is the backend of APIRule shop/web")
    assert "APIRule shop/web" in by_rule["NPL101"]["message"]
    assert "Service shop/web port 80" in by_rule["NPL101"]["message"]
    assert code == 1


def test_npl101_needs_module_policies_but_npl201_does_not(tmp_path):
    text = ROUTE + _deployment("web", "{app: web}") + textwrap.dedent("""\
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: shop}
        spec: {podSelector: {}}
        """)
    d = _write(tmp_path, "app.yaml", text)
    for mode, expected in (("enabled", ["NPL101", "NPL201"]), ("disabled", ["NPL201"])):
        _, report = lint_json(str(d), "--select", "NPL101,NPL201", "--assume-network-policies", mode, cwd=tmp_path)
        assert [f["rule"] for f in report["findings"]] == expected, mode


GATEWAY_POLICY = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: shop}}
spec:
  podSelector: {{}}
  ingress:
  - from:
    - namespaceSelector: {{matchLabels: {{{ns_label}: istio-system}}}}
      podSelector: {{matchLabels: {{istio: ingressgateway}}}}
    ports: [{{port: {port}}}]
"""


def test_policy_content_findings_replace_npl201(tmp_path):
    """The gateway is blocked in all three namespaces; the cause is reported once, where it is."""
    label = "{app: web, networking.kyma-project.io/from-ingressgateway: allowed}"
    base = ROUTE + _deployment("web", label)
    cases = {
        "service-port": GATEWAY_POLICY.format(name="gw", ns_label="kubernetes.io/metadata.name", port=80),
        "namespace-label": GATEWAY_POLICY.format(name="gw", ns_label="name", port=8080),
        "missing": GATEWAY_POLICY.format(name="gw", ns_label="kubernetes.io/metadata.name", port=9999),
    }
    results = {}
    for case, policy in cases.items():
        d = _write(tmp_path / case, "app.yaml", base + policy)
        _, report = lint_json(str(d), "--select", "NPL201,NPL203,NPL204", cwd=tmp_path / case)
        results[case] = [(f["rule"], f["resource"]["kind"], f["line"]) for f in report["findings"]]
    assert results == {
        "service-port": [("NPL203", "NetworkPolicy", 37)],
        "namespace-label": [("NPL204", "NetworkPolicy", 35)],
        "missing": [("NPL201", "Deployment", 24)],
    }


def _npl201_yaml(detail: str) -> dict:
    assert detail.rstrip().endswith("# suggested by netpol-lint NPL201"), detail
    return yaml.safe_load(detail)


def test_npl201_policy_is_applicable_and_fixes_the_finding(tmp_path):
    text = ROUTE.replace("targetPort: 8080", "targetPort: http") + textwrap.dedent("""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata:
              labels: {app: web, tier: frontend, networking.kyma-project.io/from-ingressgateway: allowed}
            spec:
              containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: default-deny, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
          egress: [{ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]
        """)
    d = _write(tmp_path, "app.yaml", text)
    _, report = lint_json(str(d), "--select", "NPL201", cwd=tmp_path)
    [finding] = report["findings"]
    assert "\n" not in finding["message"]                      # the policy is the detail, not the message
    policy = _npl201_yaml(finding["detail"])
    assert policy == {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "allow-istio-ingressgateway-to-web", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},          # the Service's selector
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{                                           # ONE peer: both selectors
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                    "podSelector": {"matchLabels": {"istio": "ingressgateway"}},
                }],
                "ports": [{"protocol": "TCP", "port": 8080}],       # the target port, not 80
            }],
        },
    }
    # Added to the input, it makes NPL201 (and every other gateway rule) go away.
    (d / "allow.yaml").write_text(finding["detail"])
    _, after = lint_json(str(d), "--select", "NPL201,NPL202,NPL203,NPL204,NPL501", cwd=tmp_path)
    assert after["findings"] == []


def test_npl201_policy_is_in_full_output_and_text_stays_one_line(tmp_path):
    """``text`` prints one line; ``full`` prints the policy, indented, after ``= fix:``."""
    text = ROUTE + _deployment("web", "{app: web}") + textwrap.dedent("""\
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-istio-ingressgateway-to-web, namespace: shop}
        spec: {podSelector: {matchLabels: {app: nothing}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: shop}
        spec: {podSelector: {}}
        """)
    d = _write(tmp_path, "app.yaml", text)
    out = run_cli("lint", str(d), "--select", "NPL201", "--quiet", "--color", "never", cwd=tmp_path)
    assert len(out.stdout.splitlines()) == 1 and out.stdout.startswith("in/app.yaml:24:15: NPL201 [error]")
    full = run_cli("lint", str(d), "--select", "NPL201", "--quiet", "--format", "full", cwd=tmp_path).stdout
    fix = full.split("   = fix: ", 1)[1].split("\n", 1)[1]
    policy = _npl201_yaml(textwrap.dedent(fix))
    assert policy["metadata"]["name"] == "allow-istio-ingressgateway-to-web-2"   # no clash with an existing name
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]


def _sarif_results(path: str) -> list[dict]:
    out = run_cli("lint", path, "--format", "sarif", "--fail-on", "never", cwd=ROOT)
    return json.loads(out.stdout)["runs"][0]["results"]


def _related(result) -> list[tuple[str, int]]:
    return [(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"])
            for r in result.get("relatedLocations", [])]


def test_sarif_related_locations_name_route_gateway_service_and_policy():
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
               for r in _sarif_results("examples")}
    npl101 = results[("NPL101", "examples/shop/cart.yaml")]
    assert _related(npl101) == [("examples/shop/storefront.yaml", 21),    # the rule's service override
                                ("examples/shop/storefront.yaml", 7),     # spec.gateway
                                ("examples/shop/cart.yaml", 8)]           # the Service's selector
    npl201 = results[("NPL201", "examples/shop/orders.yaml")]
    assert _related(npl201) == [("examples/shop/orders.yaml", 10), ("examples/shop/orders.yaml", 7),
                                ("examples/shop/orders.yaml", 28),
                                ("examples/shop/network-policies.yaml", 19),   # the isolating policies
                                ("examples/shop/network-policies.yaml", 8),
                                ("examples/shop/network-policies.yaml", 75)]   # the near miss's podSelector
    npl203 = results[("NPL203", "examples/shop/network-policies.yaml")]
    assert ("examples/shop/catalog.yaml", 35) in _related(npl203)             # Service port -> targetPort


def test_example_repository_findings():
    """README's first command: the example repo shows real findings across the Kyma rules."""
    code, report = lint_json("examples", cwd=ROOT)
    assert finding_lines(report) == [
        "examples/auth/oauth2-proxy.yaml:63:15 NPL204 NetworkPolicy auth/allow-ingressgateway",
        "examples/monitoring/prometheus.yaml:15:7 NPL106 Prometheus monitoring/k8s",
        "examples/payments/network-policies.yaml:30:11 NPL202 NetworkPolicy payments/allow-from-storefront",
        "examples/payments/payments.yaml:25:9 NPL205 Deployment payments/payments",
        "examples/payments/payments.yaml:25:9 NPL207 Deployment payments/payments",
        "examples/payments/payments.yaml:48:9 NPL105 Deployment payments/fraud-check",
        "examples/payments/payments.yaml:48:9 NPL205 Deployment payments/fraud-check",
        "examples/shop/cart.yaml:25:9 NPL101 Deployment shop/cart",
        "examples/shop/catalog.yaml:17:19 NPL109 VirtualService shop/catalog-api",
        "examples/shop/catalog.yaml:46:5 NPL102 Deployment shop/catalog",
        "examples/shop/network-policies.yaml:93:17 NPL203 NetworkPolicy shop/allow-ingressgateway",
        "examples/shop/orders.yaml:1:13 NPL110 APIRule shop/orders",          # v1beta1: retired
        "examples/shop/orders.yaml:46:9 NPL201 Deployment shop/orders",
    ]
    assert code == 1
