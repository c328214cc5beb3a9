"""A generated repository of 30 workloads (5 namespaces x 6) for the connectivity explorer.

Deterministic: every namespace has a default-deny ingress policy, policies admitting the web
tier, one neighbouring namespace and istio-ingressgateway; each namespace exposes its frontend
through an APIRule, the odd ones without the ``from-ingressgateway`` label (so the module's
policies deny those routes: needed but denied), and an Istio CR turns the module's policies on.  Used by the explorer tests and ``benchmarks/explorer.py``.
"""
from __future__ import annotations

from pathlib import Path

NAMESPACES = ("shop", "payments", "catalog", "identity", "search")
APPS = ("frontend", "api", "worker", "cache", "db", "metrics-exporter-with-a-long-name")


def write_repo(root: Path, namespaces=NAMESPACES, apps=APPS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "istio.yaml").write_text(
        "apiVersion: operator.kyma-project.io/v1alpha2\nkind: Istio\n"
        "metadata: {name: default, namespace: kyma-system}\n"
        "spec: {networkPoliciesEnabled: true}\n")
    for n, ns in enumerate(namespaces):
        docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{istio-injection: enabled}}}}\n"]
        for i, app in enumerate(apps):
            labels = {"app": app, "tier": "web" if i < 2 else "backend"}
            if app == "frontend" and n % 2 == 0:
                labels["networking.kyma-project.io/from-ingressgateway"] = "allowed"
            lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
            port = 8080 + i
            docs.append(
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}, namespace: {ns}}}\n"
                f"spec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n"
                f"    metadata: {{labels: {{{lab}}}}}\n"
                f"    spec: {{containers: [{{name: main, image: example/{app}:1, ports: [{{name: http, containerPort: {port}}}]}}]}}\n")
            docs.append(
                f"apiVersion: v1\nkind: Service\nmetadata: {{name: {app}, namespace: {ns}}}\n"
                f"spec: {{selector: {{app: {app}}}, ports: [{{name: http, port: 80, targetPort: {port}}}]}}\n")
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: {ns}}}\n"
            "spec: {podSelector: {}, policyTypes: [Ingress]}\n")
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: web-to-backend, namespace: {ns}}}\n"
            "spec:\n  podSelector: {matchLabels: {tier: backend}}\n"
            "  ingress: [{from: [{podSelector: {matchLabels: {tier: web}}}], ports: [{port: 8082}, {port: 8083}, {port: 8084}, {port: 8085}]}]\n")
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: allow-ingressgateway, namespace: {ns}}}\n"
            "spec:\n  podSelector: {matchLabels: {app: frontend}}\n"
            "  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}},"
            " podSelector: {matchLabels: {istio: ingressgateway}}}]}]\n")
        peer = namespaces[(n + 1) % len(namespaces)]
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: from-{peer}, namespace: {ns}}}\n"
            "spec:\n  podSelector: {matchLabels: {app: api}}\n"
            f"  ingress: [{{from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {peer}}}}}}}], ports: [{{port: 8081}}]}}]\n")
        docs.append(
            f"apiVersion: gateway.kyma-project.io/v2\nkind: APIRule\nmetadata: {{name: frontend, namespace: {ns}}}\n"
            f"spec:\n  hosts: [{ns}.example.com]\n  gateway: kyma-system/kyma-gateway\n"
            "  service: {name: frontend, port: 80}\n  rules: [{path: /*, methods: [GET], noAuth: true}]\n")
        (root / f"{ns}.yaml").write_text("---\n".join(docs))
    return root
