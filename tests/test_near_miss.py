"""Issue 16 item 5: NPL201 names the policy that almost admits the gateway and the exact
difference; NPL203 and NPL204 are fixed by --fix with the same verified text edit."""
from __future__ import annotations

import textwrap

import pytest

from conftest import lint_json, run_cli

APP = """\
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
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web, networking.kyma-project.io/from-ingressgateway: allowed}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-gw, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: istio-system}
      podSelector:
        matchLabels: {istio: ingressgateway}
    ports:
    - {protocol: TCP, port: 8080}
"""

HEAD = ("Deployment shop/web is the backend of APIRule shop/web but NetworkPolicies shop/allow-gw, shop/deny isolate "
        "it for ingress and no policy of namespace shop admits istio-ingressgateway on TCP 8080; "
        "NetworkPolicy shop/allow-gw almost admits it: ")


@pytest.mark.parametrize("old, new, difference", [
    ("{istio: ingressgateway}", "{istio: ingress-gateway}",
     "from[0].podSelector istio: ingress-gateway does not select the istio-ingressgateway pods "
     "(they have istio: ingressgateway)"),
    ("{kubernetes.io/metadata.name: istio-system}", "{kubernetes.io/metadata.name: istio-sytem}",
     "from[0].namespaceSelector kubernetes.io/metadata.name: istio-sytem does not select namespace istio-system "
     "(they have kubernetes.io/metadata.name: istio-system)"),
    ("{protocol: TCP, port: 8080}", "{protocol: TCP, port: 8443}", "ingress[0] admits TCP 8443, not TCP 8080"),
    ("podSelector: {matchLabels: {app: web}}", "podSelector: {matchLabels: {app: webb}}",
     "its podSelector app: webb does not select the pods (they have app: web)"),
])
def test_npl201_names_the_near_miss_and_the_difference(tmp_path, old, new, difference):
    assert old in APP
    (tmp_path / "app.yaml").write_text(APP.replace(old, new))
    _, report = lint_json("app.yaml", "--select", "NPL201", cwd=tmp_path)
    [f] = report["findings"]
    head = HEAD
    if "its podSelector" in difference:            # then allow-gw does not isolate the pods either
        head = head.replace("NetworkPolicies shop/allow-gw, shop/deny isolate", "NetworkPolicy shop/deny isolates")
    assert f["message"] == head + difference
    assert any(r["message"].startswith("NetworkPolicy shop/allow-gw almost admits it") for r in f["related"])


def test_missing_namespace_selector_is_the_difference(tmp_path):
    text = APP.replace("    - namespaceSelector:\n        matchLabels: {kubernetes.io/metadata.name: istio-system}\n"
                       "      podSelector:", "    - podSelector:")
    (tmp_path / "app.yaml").write_text(text)
    _, report = lint_json("app.yaml", "--select", "NPL201", cwd=tmp_path)
    [f] = report["findings"]
    assert f["message"] == HEAD + ("from[0] has no namespaceSelector, so it selects pods of namespace shop only "
                                   "(add namespaceSelector kubernetes.io/metadata.name: istio-system to the same peer)")


def test_policies_for_other_traffic_are_not_near_misses(tmp_path):
    text = APP.replace("    - namespaceSelector:\n        matchLabels: {kubernetes.io/metadata.name: istio-system}\n"
                       "      podSelector:\n        matchLabels: {istio: ingressgateway}",
                       "    - podSelector: {matchLabels: {app: frontend}}")       # a peer meant for other pods
    assert text != APP
    (tmp_path / "app.yaml").write_text(text)
    _, report = lint_json("app.yaml", "--select", "NPL201", cwd=tmp_path)
    [f] = report["findings"]
    assert "almost admits" not in f["message"]
    assert f["message"].endswith("admits istio-ingressgateway on TCP 8080")


def test_npl204_is_fixed_by_fix(tmp_path):
    text = APP.replace("{kubernetes.io/metadata.name: istio-system}", "{name: istio-system}")
    (tmp_path / "app.yaml").write_text(text)
    _, report = lint_json("app.yaml", "--select", "NPL204", cwd=tmp_path)
    [f] = report["findings"]
    assert f["fixable"] is True
    proc = run_cli("lint", "app.yaml", "--fix", "--select", "NPL201,NPL203,NPL204", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "app.yaml").read_text() == APP            # exactly the intended text, nothing else


def test_npl203_is_fixed_by_fix(tmp_path):
    text = APP.replace("{protocol: TCP, port: 8080}", "{protocol: TCP, port: 80}")
    (tmp_path / "app.yaml").write_text(text)
    _, report = lint_json("app.yaml", "--select", "NPL203", cwd=tmp_path)
    [f] = report["findings"]
    assert f["fixable"] is True
    proc = run_cli("lint", "app.yaml", "--fix", "--select", "NPL201,NPL203,NPL204", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "app.yaml").read_text() == APP


def test_npl203_fix_keeps_block_layout_and_comments(tmp_path):
    text = textwrap.dedent("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-gw, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
            - from:
                - namespaceSelector:
                    matchLabels:
                      kubernetes.io/metadata.name: istio-system
                  podSelector:
                    matchLabels:
                      istio: ingressgateway
              ports:
                - protocol: TCP
                  port: 80   # the Service port
        """)
    (tmp_path / "p.yaml").write_text(text)
    (tmp_path / "app.yaml").write_text(APP.split("---\napiVersion: networking.k8s.io/v1")[0])
    proc = run_cli("lint", ".", "--fix", "--select", "NPL203", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "p.yaml").read_text() == text.replace("port: 80   #", "port: 8080   #")
