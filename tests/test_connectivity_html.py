"""``connectivity --format html``: self-contained, and it really draws in a browser.

The browser test runs headless Chromium (Debian package ``chromium``) on the generated file
with networking off, dumps the DOM after the page's script ran, and checks that every
endpoint and every connection was drawn.  It is skipped only when no Chromium is installed.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import run_cli

INPUT = """
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
metadata: {name: "backend-<b>&", namespace: shop}
spec:
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: app}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("html")
    (d / "in.yaml").write_text(INPUT)
    html = run_cli("connectivity", str(d / "in.yaml"), "--format", "html", cwd=d)
    assert html.returncode == 0, html.stderr
    data = run_cli("connectivity", str(d / "in.yaml"), "--format", "json", cwd=d)
    (d / "page.html").write_text(html.stdout)
    return d / "page.html", html.stdout, json.loads(data.stdout)


def test_page_is_self_contained(page):
    _, text, _ = page
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}          # the SVG namespace name, never fetched
    assert "<b>&" not in text                               # names are escaped inside the data block


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.nodes, self.edges, self.summary = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "g" and "node" in classes:
            self.nodes.append(a.get("data-id"))
        elif tag == "path" and "edge" in classes:
            self.edges.append((a.get("data-from"), a.get("data-to"), a.get("data-ports")))
        elif a.get("id") == "summary":
            self.summary = a


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (Debian: apt-get install -y chromium)")
def test_every_endpoint_and_edge_is_drawn_in_headless_chromium(page, tmp_path):
    path, _, connections = page
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    assert dom.summary is not None and dom.summary.get("data-rendered") == "true"
    expected_nodes = {c[k] for c in connections for k in ("from", "to")} | {"shop/frontend", "shop/backend-<b>&"}
    assert expected_nodes <= set(dom.nodes)
    assert int(dom.summary["data-nodes"]) == len(dom.nodes)
    assert sorted(dom.edges) == sorted((c["from"], c["to"], c["text"]) for c in connections)
    assert int(dom.summary["data-edges"]) == len(connections) > 0
    assert ("shop/frontend", "shop/backend-<b>&", "All Connections") in dom.edges
    assert any(n.startswith("istio-system/") for n in dom.nodes)
