"""RULES.md "The platform" (issue 20): one data file with provenance, read by every command.

* the engine's components are exactly ``netpol_lint/data/platform.yaml`` (labels, ports, kind);
* the data file names its sources (repository, path, commit) and the versions it transcribes,
  and agrees with the other transcribed source in the package, the module's seven policies;
* Gardener (default) versus generic: kube-system's labels (NPL204), CoreDNS's port (NPL205),
  the API server's caller (NPL208, ``reach ... apiserver``);
* policies that select the Istio components by their other labels are understood.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import lint_json, run_cli
from netpol_lint.analysis.istio_world import module_policy_items
from netpol_lint.analysis.reachability import Network
from netpol_lint.analysis.selectors import parse_selector
from netpol_lint.config import ConfigError, from_mapping
from netpol_lint.model.index import Model
from netpol_lint.model.kyma import settings
from netpol_lint.model.platform import PLATFORMS, platform, raw_data

HEX40 = re.compile(r"^[0-9a-f]{40}$")


def network(name: str, **kw) -> Network:
    model = Model(platform=name)
    return Network.build(model, kyma=settings(model, "enabled"), **kw)


# -- item 1: the data file is the engine's single source ---------------------------------------
@pytest.mark.parametrize("name", PLATFORMS)
def test_engine_components_equal_the_data_file(name):
    n = network(name)
    data = raw_data()
    expected = [c for c in data["components"] if not c.get("optional")] + data["platforms"][name]["components"]
    for c in expected:
        e = n.endpoint(f"{c['namespace']}/{c['name']}")
        assert e.synthetic and e.kind == c["kind"]
        assert e.labels == {k: str(v) for k, v in c["labels"].items()}, c["name"]
        assert sorted((p.port, p.protocol, p.name) for p in e.ports) == \
            sorted((p["port"], p.get("protocol", "TCP"), p["name"]) for p in c.get("ports") or ())
        assert e.host_network == bool(c.get("host_network", False))
    synthetic = {e.id for e in n.endpoints if e.synthetic}
    assert synthetic == {f"{c['namespace']}/{c['name']}" for c in expected}


def test_namespace_labels_come_from_the_data_file():
    for name in PLATFORMS:
        known = Model(platform=name).known_namespaces()
        for ns, labels in platform(name).namespaces.items():
            assert known[ns] == {**labels, "kubernetes.io/metadata.name": ns}
    assert Model(platform="gardener").namespace_labels("kube-system")["gardener.cloud/purpose"] == "kube-system"
    assert Model(platform="generic").namespace_labels("kube-system") == {"kubernetes.io/metadata.name": "kube-system"}
    assert Model().namespace_labels("kyma-system")["istio-injection"] == "enabled"


def test_data_file_names_its_sources_and_versions():
    data = raw_data()
    sources = data["sources"]
    for key, src in sources.items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", src["repo"]) and HEX40.match(src["commit"]) and src["ref"], key
    assert sources["istio"]["ref"] == data["versions"]["istio"] == "1.30.2"
    assert sources["kyma-istio"]["ref"] == data["versions"]["istio-module"] == "1.30.0"
    assert sources["gardener"]["ref"] == data["versions"]["gardener"]

    def cited(entry, what):
        assert entry.get("sources"), f"{what} names no source"
        for s in entry["sources"]:
            assert s["source"] in sources and s["path"], what

    for name, ns in data["namespaces"].items():
        cited(ns, name)
    for c in data["components"]:
        cited(c, c["name"])
    for pname, p in data["platforms"].items():
        for name, ns in p["namespaces"].items():
            cited(ns, f"{pname} {name}")
        for c in p["components"]:
            cited(c, f"{pname} {c['name']}")
    cited(data["platforms"]["gardener"]["node_local_dns"], "node-local-dns")
    cited(data["platforms"]["gardener"]["apiserver"], "gardener apiserver")


def test_data_file_agrees_with_the_modules_policies():
    """The module's seven policies (transcribed separately) select the components of this file."""
    comps = {c.role: c for c in platform("gardener").components}
    selected = {}
    for item in module_policy_items():
        sel = parse_selector(item["spec"]["podSelector"])
        selected[item["metadata"]["name"]] = [c.role for c in comps.values()
                                              if c.namespace == item["metadata"]["namespace"] and sel.matches(c.labels)]
    assert selected["kyma-project.io--istio-pilot"] == ["pilot"]
    assert selected["kyma-project.io--istio-ingressgateway"] == ["ingressgateway"]
    assert selected["kyma-project.io--istio-egressgateway"] == ["egressgateway"]
    assert selected["kyma-project.io--istio-cni-node"] == ["cni"]
    assert selected["kyma-project.io--allow-istio-controller-manager"] == ["controller-manager"]
    # Services send where the pods listen: istiod's webhook 443 -> 15017, the gateway's 80 -> 8080
    istiod, igw = comps["pilot"], comps["ingressgateway"]
    assert istiod.target_port("istiod", 443) == 15017 and 15017 in {p.port for p in istiod.ports}
    assert igw.target_port("istio-ingressgateway", 80) == 8080
    assert platform("gardener").dns_ports == {"UDP": 8053, "TCP": 8053}
    assert platform("generic").dns_ports == {"UDP": 53, "TCP": 53}


# -- the false findings: Istio components selected by their other labels -------------
FULL_LABELS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, networking.kyma-project.io/from-ingressgateway: allowed}
    spec:
      containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  gateway: kyma-system/kyma-gateway
  service: {name: web, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: lockdown, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
          podSelector: {matchLabels: {app.kubernetes.io/name: istio-ingressgateway}}
      ports: [{port: 8080}]
  egress:
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
          podSelector: {matchLabels: {app.kubernetes.io/name: istiod}}
      ports: [{port: 15012}]
    - to:
        - namespaceSelector: {matchLabels: {gardener.cloud/purpose: kube-system}}
          podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}, {port: 8053, protocol: UDP}, {port: 8053, protocol: TCP}]
"""


def test_components_selected_by_their_full_labels(tmp_path):
    (tmp_path / "app.yaml").write_text(FULL_LABELS)
    code, report = lint_json(".", "--assume-network-policies", "enabled", cwd=tmp_path)
    assert [f["rule"] for f in report["findings"]] == []
    assert code == 0
    # on plain Kubernetes kube-system has no gardener.cloud/purpose label: the DNS peer selects nothing
    code, report = lint_json(".", "--assume-network-policies", "enabled", "--platform", "generic", cwd=tmp_path)
    assert [(f["rule"], f["message"]) for f in report["findings"]] == [
        ("NPL205", "Deployment shop/web is isolated for egress by shop/lockdown and cannot reach DNS: no rule admits "
                   "UDP 53 and TCP 53 to the CoreDNS pods (kube-system/coredns) or port 53 outside the pod network "
                   "(node-local DNS); name lookups fail"),
        ("NPL204", "namespaceSelector gardener.cloud/purpose: kube-system selects no namespace known to the linter "
                   "(namespace kube-system does not carry that label); use kubernetes.io/metadata.name: kube-system"),
    ]


# -- item 2: config key and option -----------------------------------------------------------
def test_platform_config_key():
    assert from_mapping({"platform": "generic"}, "cfg").platform == "generic"
    assert from_mapping({}, "cfg").platform == "gardener"
    with pytest.raises(ConfigError, match="'platform' must be one of gardener, generic"):
        from_mapping({"platform": "eks"}, "cfg")


def test_platform_from_config_file_and_option(tmp_path):
    (tmp_path / "app.yaml").write_text(FULL_LABELS)
    (tmp_path / ".netpol-lint.yaml").write_text("platform: generic\n")
    code, report = lint_json(".", "--assume-network-policies", "enabled", "--select", "NPL204", cwd=tmp_path)
    assert [f["rule"] for f in report["findings"]] == ["NPL204"]
    code, report = lint_json(".", "--assume-network-policies", "enabled", "--select", "NPL204",
                             "--platform", "gardener", cwd=tmp_path)
    assert report["findings"] == []


@pytest.mark.parametrize("name,caller,port,allowed", [
    ("gardener", "kube-system/vpn-shoot", 8053, True),
    ("generic", "apiserver", 53, False),      # the gardener.cloud/purpose peer selects nothing there
])
def test_reach_names_the_platforms_endpoints(tmp_path, name, caller, port, allowed):
    (tmp_path / "app.yaml").write_text(FULL_LABELS)
    proc = run_cli("reach", ".", "--platform", name, "--from", "shop/web", "--to", "kube-system/coredns",
                   "--port", str(port), "--protocol", "UDP", "--format", "json", cwd=tmp_path)
    assert json.loads(proc.stdout)["allowed"] is allowed, proc.stdout + proc.stderr
    proc = run_cli("reach", ".", "--platform", name, "--from", "apiserver", "--to", "shop/web", "--port", "8080",
                   "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert doc["from"] == caller and doc["allowed"] is False
    proc = run_cli("reach", ".", "--platform", name, "--from", "istio-system/istiod", "--to", "apiserver",
                   "--port", "443", "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert doc["to"] == "apiserver" and doc["allowed"] is True      # the module's port-only rule


WEBHOOK_POD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: hook, namespace: ops}
spec:
  selector: {matchLabels: {app: hook}}
  template:
    metadata: {labels: {app: hook}}
    spec: {containers: [{name: hook, image: hook:1}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-block, namespace: ops}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: BLOCK}], ports: [{port: 9443}]}]
"""


@pytest.mark.parametrize("block,allowed", [
    ({"cidr": "0.0.0.0/0"}, True),
    ({"cidr": "10.0.0.0/8"}, False),
    ({"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}, False),
])
def test_api_server_of_unknown_address_is_admitted_only_by_a_whole_family_block(tmp_path, block, allowed):
    (tmp_path / "app.yaml").write_text(WEBHOOK_POD.replace("BLOCK", json.dumps(block)))
    proc = run_cli("reach", ".", "--platform", "generic", "--from", "apiserver", "--to", "ops/hook",
                   "--port", "9443", "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert (doc["from"], doc["ingress"]["allowed"]) == ("apiserver", allowed), proc.stdout + proc.stderr


# -- item 3: NPL208 messages and the NPL303 boundary ------------------------------------------
def test_npl208_messages_are_exact():
    from conftest import FIXTURES
    code, report = lint_json("bad", "--select", "NPL208", "--fail-on", "info", cwd=FIXTURES / "npl208")
    got = [(f["file"], f["severity"], f["message"]) for f in report["findings"]]
    vpn = "the API server (its calls come through the VPN from kube-system/vpn-shoot on Gardener)"
    assert got == [
        ("bad/billing.yaml", "warning",
         "MutatingWebhookConfiguration billing-defaults webhook defaults.billing.example.com calls Service "
         "billing/billing-webhook port 443, which sends to TCP 8443 of Deployment billing/billing-webhook; "
         f"billing/allow-apiserver isolates it for ingress and no policy admits {vpn} there: the webhook is "
         "silently skipped (failurePolicy: Ignore)"),
        ("bad/catalog.yaml", "error",
         "CustomResourceDefinition products.catalog.example.com conversion webhook calls Service "
         "catalog/catalog-controller port 443, which sends to TCP 9443 of Deployment catalog/catalog-controller; "
         f"catalog/same-namespace-only isolates it for ingress and no policy admits {vpn} there: requests that "
         "need a conversion between the CRD's versions fail"),
        ("bad/istio-system.yaml", "error",
         "the Istio module's webhooks (sidecar injection and Istio configuration validation) call Service "
         "istio-system/istiod port 443, which sends to TCP 15017 of istiod (istio-system/istiod); "
         f"istio-system/istiod-xds-only isolates it for ingress and no policy admits {vpn} there: pods are "
         "created without sidecars or rejected, and Istio resources are not validated"),
        ("bad/shop.yaml", "error",
         "ValidatingWebhookConfiguration orders-validator webhook orders.shop.example.com calls Service "
         "shop/orders-webhook port 443, which sends to TCP 9443 of Deployment shop/orders-webhook; shop/deny-all "
         f"isolates it for ingress and no policy admits {vpn} there: every API request the webhook handles is "
         "rejected"),
    ]
    related = {r["message"] for f in report["findings"] for r in f.get("related", [])}
    assert "ValidatingWebhookConfiguration orders-validator webhook orders.shop.example.com" in related


def test_npl208_generic_caller_is_outside_the_pod_network():
    from conftest import FIXTURES
    _, report = lint_json("good", "--select", "NPL208", "--platform", "generic", cwd=FIXTURES / "npl208")
    # the vpn-shoot peer means nothing on plain Kubernetes; the rules without `from` still admit
    assert [(f["file"], f["resource"]["name"]) for f in report["findings"]] == [
        ("good/billing.yaml", "billing-webhook"), ("good/shop.yaml", "orders-webhook")]


def test_deny_all_in_istio_system_is_npl303_not_npl208():
    from conftest import FIXTURES
    _, report = lint_json("bad", "--select", "NPL208,NPL303", cwd=FIXTURES / "npl303")
    assert {f["rule"] for f in report["findings"]} == {"NPL303"}
    istio = [f for f in report["findings"] if f["resource"]["namespace"] == "istio-system"]
    assert istio[0]["message"].endswith("; the API server cannot call istiod's webhooks on TCP 15017 "
                                        "(sidecar injection, validation)")


# -- item 4: impact shows what is already broken ---------------------------------------------
def test_impact_lists_already_broken_routes_with_their_fix():
    from conftest import ROOT
    cwd = ROOT / "tests" / "data" / "impact"
    proc = run_cli("impact", "already-broken", cwd=cwd)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    start = lines.index("Needed connections already broken (denied before and after the flip) (1); dead today, "
                        "whatever the flag says")
    assert lines[start + 1:start + 6] == [
        "  istio-system/istio-ingressgateway => shop/orders",
        "    denied TCP 3000",
        "    because APIRule shop/orders → Service shop/orders port 80 (container port TCP 3000): ingress denied, "
        "isolated by shop/deny-all-ingress; no ingress rule admits from istio-system/istio-ingressgateway on TCP 3000",
        "    fix already-broken/apps.yaml:60:16 NetworkPolicy shop/deny-all-ingress: admit istio-ingressgateway "
        "(namespace istio-system, pods istio: ingressgateway) on TCP 3000 for shop/orders's ingress: add a "
        "NetworkPolicy in namespace shop (or a rule to one of shop/deny-all-ingress)",
        "    fix already-broken/apps.yaml:48:9 Deployment shop/orders: add "
        "networking.kyma-project.io/from-ingressgateway: allowed to the pod template labels",
    ]
    # web's policy admits the gateway by app.kubernetes.io/name: only the flip breaks it
    assert "  istio-system/istio-ingressgateway => shop/web : TCP 8080 -> No Connections" in lines
    assert lines[-1].endswith("1 needed connection is already broken, with or without the flag: fix it too.")
    doc = json.loads(run_cli("impact", "already-broken", "--format", "json", cwd=cwd).stdout)
    assert doc["summary"]["already_broken"] == 1 and doc["summary"]["breaking"] == 1
    group = next(g for g in doc["groups"] if g["id"] == "already-broken")
    assert [(e["from"], e["to"], e["breaks"]) for e in group["entries"]] == [
        ("istio-system/istio-ingressgateway", "shop/orders", "TCP 3000")]
    assert group["entries"][0]["fixes"][0]["label"] is None
    md = run_cli("impact", "already-broken", "--format", "markdown", cwd=cwd).stdout
    assert "| Needed connections already broken (denied before and after the flip) | 1 | a policy admitting the peer |" in md
    assert "| `istio-system/istio-ingressgateway` | `shop/orders` | denied → denied | TCP 3000 |" in md


def test_docs_show_the_real_reach_output():
    from conftest import ROOT
    doc = (ROOT / "docs" / "platform.md").read_text()
    block = doc.split("$ cd examples && netpol-lint reach . --from apiserver --to istio-system/istiod --port 15017\n", 1)[1]
    shown = block.split("```", 1)[0]
    proc = run_cli("reach", ".", "--from", "apiserver", "--to", "istio-system/istiod", "--port", "15017",
                   cwd=ROOT / "examples")
    assert proc.stdout == shown


def test_invalid_dns_rule_is_not_guessed(tmp_path):
    """A DNS rule with an unrendered CIDR is NPL003's; NPL205 reports only the protocol it never names."""
    (tmp_path / "app.yaml").write_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 53, protocol: UDP}]
      to: [{ipBlock: {cidr: "${KUBE_DNS_ADDRESS}/32"}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
""")
    _, report = lint_json(".", "--select", "NPL003,NPL205", cwd=tmp_path)
    assert [(f["rule"], f["message"].split(":")[0]) for f in report["findings"]] == [
        ("NPL003", "spec.egress[0].to[0].ipBlock.cidr"),
        ("NPL205", "Deployment shop/web is isolated for egress by shop/dns and cannot reach DNS over TCP")]


def test_npl208_on_an_istiod_the_input_defines(tmp_path):
    (tmp_path / "a.yaml").write_text("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istiod, istio: pilot}}
  template:
    metadata: {labels: {app: istiod, istio: pilot}}
    spec: {containers: [{name: discovery, image: pilot:1, ports: [{containerPort: 15017}, {containerPort: 15012}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pilot-xds, namespace: istio-system}
spec:
  podSelector: {matchLabels: {istio: pilot}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 15012}]}]
""")
    code, report = lint_json(".", "--select", "NPL208", "--assume-network-policies", "disabled", cwd=tmp_path)
    assert [(f["line"], f["resource"]["kind"], f["related"]) for f in report["findings"]] == [
        (8, "Deployment", [{"file": "a.yaml", "line": 15, "column": 16, "message":
                            "NetworkPolicy istio-system/pilot-xds isolates the pods"}])]
    assert code == 1
    # with the module's policies on, its istiod policy admits 15017 from anywhere
    _, report = lint_json(".", "--select", "NPL208", "--assume-network-policies", "enabled", cwd=tmp_path)
    assert report["findings"] == []
