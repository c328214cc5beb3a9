"""Connectivity expectations (issue 17): the file, NPL601/NPL602 for every endpoint form and
quantifier, ``when`` against the Istio CR, invalid files, suppressions, baselines,
``--changed-only``, ``diff``, ``impact`` and the ``expect --init`` round trip.

One small Kyma repository (``world``) is the input; each case adds one expectation and states
whether it holds there.  Module policies are enabled by the Istio CR unless a test flips it.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, lint_json, run_cli
from netpol_lint.cli import main

SELECT = ("--select", "NPL601,NPL602", "--fail-on", "warning")
GW_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
           "podSelector": {"matchLabels": {"istio": "ingressgateway"}}}


def deployment(ns, name, ports, labels=None):
    pod_labels = {"app": name, **(labels or {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": pod_labels},
                                  "spec": {"containers": [{"name": name, "image": f"example/{name}:1",
                                                           "ports": ports}]}}}}


def service(ns, name, port, target, app=None):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": app or name}, "ports": [{"name": "http", "port": port, "targetPort": target}]}}


def apirule(ns, name, host, svc, port):
    return {"apiVersion": "gateway.kyma-project.io/v2", "kind": "APIRule", "metadata": {"name": name, "namespace": ns},
            "spec": {"hosts": [host], "gateway": "kyma-system/kyma-gateway", "service": {"name": svc, "port": port},
                     "rules": [{"path": "/*", "methods": ["GET"], "noAuth": True}]}}


def policy(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def istio_cr(enabled: bool):
    return {"apiVersion": "operator.kyma-project.io/v1alpha2", "kind": "Istio",
            "metadata": {"name": "default", "namespace": "kyma-system"},
            "spec": {"networkPoliciesEnabled": enabled, "components": {"egressGateway": {"enabled": True}}}}


def world(policies_enabled: bool = True) -> dict[str, list]:
    """File name -> documents."""
    return {
        "kyma-system/istio.yaml": [istio_cr(policies_enabled)],
        "shop/apps.yaml": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}},
            deployment("shop", "web", [{"name": "http", "containerPort": 8080}],
                       {"networking.kyma-project.io/from-ingressgateway": "allowed"}),
            deployment("shop", "api", [{"name": "grpc", "containerPort": 9000}], {"tier": "back"}),
            service("shop", "web", 80, "http"),
            service("shop", "api", 90, 9000),
            apirule("shop", "web", "web.example.com", "web", 80),
            apirule("shop", "api", "api.example.com", "api", 90),
        ],
        "shop/policies.yaml": [
            policy("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
            policy("shop", "allow-gateway", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                                             "ingress": [{"from": [GW_PEER], "ports": [{"port": 8080}]}]}),
            policy("shop", "web-to-api", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"],
                                          "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                                       "ports": [{"port": 9000}]}]}),
        ],
        "data/apps.yaml": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "data"}},
            deployment("data", "db", [{"name": "pg", "containerPort": 5432}]),
        ],
        "data/policies.yaml": [
            policy("data", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            policy("data", "from-api", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                                            "kubernetes.io/metadata.name": "shop"}},
                                            "podSelector": {"matchLabels": {"tier": "back"}}}],
                                            "ports": [{"port": 5432}]}]}),
        ],
        "kube-system/coredns.yaml": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"},
             "spec": {"selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                      "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                                   "spec": {"containers": [{"name": "coredns", "image": "coredns/coredns:1.11.1",
                                                            "ports": [{"name": "dns", "containerPort": 53,
                                                                       "protocol": "UDP"}]}]}}}},
        ],
    }


def write_repo(root: Path, files: dict[str, list], expectations: list | str | None = None) -> Path:
    for rel, docs in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (root / ".netpol-lint.yaml").write_text("fail_on: error\n")
    if expectations is not None:
        text = expectations if isinstance(expectations, str) else yaml.safe_dump({"expectations": expectations},
                                                                                   sort_keys=False)
        (root / ".netpol-lint-expect.yaml").write_text(text)
    return root


def cli(*args, cwd) -> tuple[int, str, str]:
    """Any subcommand in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def findings(repo, *args) -> list[dict]:
    _, rep = lint_json(*SELECT, *args, cwd=repo)
    return rep["findings"]


def rules_of(repo, *args) -> list[str]:
    return [f["rule"] for f in findings(repo, *args)]


# -- every endpoint form and quantifier: one expectation that holds, one that does not ---------
CASES = [
    # workloads: NS/NAME, Kind/NS/NAME, NS/Kind/NAME; numbered and named ports
    ("workload", {"from": "shop/web", "to": "shop/api", "ports": [9000], "allow": True}, True),
    ("workload-denied", {"from": "shop/api", "to": "shop/web", "ports": [8080], "allow": True}, False),
    ("kind-first", {"from": "Deployment/shop/web", "to": "shop/Deployment/api", "ports": ["grpc"], "allow": True}, True),
    ("named-port-missing", {"from": "shop/web", "to": "shop/api", "ports": ["nope"], "allow": True}, False),
    ("named-port-missing-deny", {"from": "shop/web", "to": "shop/api", "ports": ["nope"], "allow": False}, True),
    # svc: the Service port is translated to the target port
    ("svc", {"from": "ingress-gateway", "to": "svc:shop/web", "allow": True}, True),
    ("svc-port", {"from": "ingress-gateway", "to": "svc:shop/web", "ports": [80], "allow": True}, True),
    ("svc-denied", {"from": "shop/web", "to": "svc:shop/web", "allow": True}, False),
    ("svc-source", {"from": "svc:shop/api", "to": "data/db", "ports": [5432], "allow": True}, True),
    # ns:
    ("ns", {"from": "ns:data", "to": "ns:shop", "allow": False}, True),
    ("ns-denied", {"from": "ns:shop", "to": "ns:data", "ports": [5432], "allow": False}, False),
    # selectors
    ("selector", {"from": {"namespace": "shop", "matchLabels": {"tier": "back"}}, "to": "data/db", "ports": [5432],
                  "allow": True}, True),
    ("selector-ns-selector", {"from": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                                       "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
                              "to": "data/db", "ports": [5432], "allow": True}, False),
    # host: along the route
    ("host", {"to": "host:web.example.com", "allow": True}, True),
    ("host-denied", {"to": "host:api.example.com", "allow": True}, False),
    ("host-deny-holds", {"from": "ingress-gateway", "to": "host:api.example.com", "allow": False}, True),
    # Istio components and DNS
    ("ingress-gateway", {"from": "ingress-gateway", "to": "shop/api", "allow": False}, True),
    ("ingress-gateway-denied", {"from": "ingress-gateway", "to": "shop/web", "ports": [8080], "allow": False}, False),
    ("egress-gateway", {"from": "shop/web", "to": "egress-gateway", "allow": False, "when": "policies-enabled"}, True),
    ("egress-gateway-denied", {"from": "shop/web", "to": "egress-gateway", "allow": True}, False),
    ("istiod", {"from": "ns:shop", "to": "istiod", "ports": [15012], "allow": True}, True),
    ("istiod-denied", {"from": "ns:data", "to": "istiod", "ports": [15012], "allow": True}, False),
    ("kube-dns", {"from": "ns:shop", "to": "kube-dns", "ports": [53], "protocol": "UDP", "allow": True}, True),
    ("kube-dns-denied", {"from": "ns:data", "to": "kube-dns", "ports": [53], "protocol": "UDP", "allow": True}, False),
    # outside the cluster
    ("internet", {"from": "ns:data", "to": "internet", "allow": False}, True),
    ("internet-denied", {"from": "ns:shop", "to": "internet", "allow": False}, False),
    ("internet-source", {"from": "internet", "to": "ns:data", "allow": False}, True),
    ("ip", {"from": "shop/web", "to": "ip:203.0.113.0/24", "ports": [443], "allow": True}, True),
    ("ip-denied", {"from": "data/db", "to": "ip:203.0.113.7", "allow": True}, False),
    ("ip-source", {"from": "ip:198.51.100.1", "to": "shop/web", "ports": [8080], "allow": False}, True),
    # quantifiers
    ("every-default", {"from": "ns:shop", "to": "data/db", "ports": [5432], "allow": True}, False),
    ("some", {"from": "ns:shop", "to": "data/db", "ports": [5432], "allow": True, "quantifier": "some"}, True),
    ("some-deny", {"from": "ns:shop", "to": "data/db", "ports": [5432], "allow": False, "quantifier": "some"}, True),
    ("some-denied", {"from": "ns:data", "to": "ns:shop", "allow": True, "quantifier": "some"}, False),
    # protocol: nothing admits UDP to the api
    ("protocol", {"from": "shop/web", "to": "shop/api", "protocol": "UDP", "allow": False}, True),
]


@pytest.fixture(scope="module")
def world_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    write_repo(root, world())
    return root


@pytest.mark.parametrize("case,exp,holds", CASES, ids=[c[0] for c in CASES])
def test_endpoint_forms_and_quantifiers(world_repo, case, exp, holds):
    (world_repo / ".netpol-lint-expect.yaml").write_text(yaml.safe_dump({"expectations": [exp]}))
    found = findings(world_repo)
    assert [f["rule"] for f in found] == ([] if holds else ["NPL601"]), [f["message"] for f in found]
    for f in found:
        assert (f["file"], f["line"], f["column"]) == (".netpol-lint-expect.yaml", 2, 3)
        assert f["resource"] is None and f["severity"] == "error"


def test_violation_message_and_related_locations(world_repo):
    (world_repo / ".netpol-lint-expect.yaml").write_text(
        "expectations:\n- name: api reaches web\n  from: shop/api\n  to: shop/web\n  ports: [8080]\n  allow: true\n")
    (f,) = findings(world_repo)
    assert f["message"] == (
        "expectation 'api reaches web' is violated with module policies enabled and disabled: for shop/api -> "
        "shop/web TCP 8080: denied, must be allowed; egress of shop/api: allowed (no NetworkPolicy selects shop/api "
        "for egress: all egress allowed); ingress of shop/web: denied (isolated by shop/allow-gateway, "
        "shop/default-deny; no ingress rule admits from shop/api on TCP 8080)")
    related = [(r["file"], r["line"], r["message"]) for r in f["related"]]
    assert related == [
        ("shop/policies.yaml", 18, "NetworkPolicy shop/allow-gateway isolates shop/web for ingress"),
        ("shop/policies.yaml", 7, "NetworkPolicy shop/default-deny isolates shop/web for ingress"),
        ("shop/apps.yaml", 42, "Deployment shop/api (source)"),
        ("shop/apps.yaml", 20, "Deployment shop/web (destination)"),
    ]


def test_allowed_but_must_be_denied_names_the_admitting_rule(world_repo):
    (world_repo / ".netpol-lint-expect.yaml").write_text(
        "expectations:\n- from: ns:shop\n  to: ns:data\n  allow: false\n")
    (f,) = findings(world_repo)
    assert f["message"].startswith(
        "expectation ns:shop -> ns:data is violated with module policies enabled and disabled: for shop/api -> "
        "data/db any port: allowed, must be denied; TCP port 5432 is open: egress of shop/api: ")
    assert "admitted by data/from-api ingress[0]" in f["message"]
    assert [(r["file"], r["message"]) for r in f["related"]][0] == (
        "data/policies.yaml", "NetworkPolicy data/from-api admits it (ingress)")


def test_host_violation_relates_the_route(world_repo):
    (world_repo / ".netpol-lint-expect.yaml").write_text("expectations:\n- to: host:api.example.com\n  allow: true\n")
    (f,) = findings(world_repo)
    assert "istio-system/istio-ingressgateway -> shop/api TCP 9000: denied" in f["message"]
    assert ("shop/apps.yaml", "APIRule shop/api routes to Service shop/api port 90") in \
        [(r["file"], r["message"]) for r in f["related"]]


# -- NPL602 ------------------------------------------------------------------------------------
EMPTY = [
    ({"from": "shop/nope", "to": "shop/web", "allow": False}, "from", "no workload shop/nope in the input"),
    ({"from": "shop/web", "to": "svc:shop/nope", "allow": True}, "to", "no Service shop/nope in the input"),
    ({"from": "ns:nope", "to": "shop/web", "allow": False}, "from", "no workload in namespace nope"),
    ({"from": {"namespace": "shop", "matchLabels": {"app": "nope"}}, "to": "shop/web", "allow": False}, "from",
     "selector namespace shop, pods app=nope selects no pod template of the input"),
    ({"to": "host:www.example.com", "allow": True}, "to", "no route of istio-ingressgateway serves host www.example.com"),
]


@pytest.mark.parametrize("exp,side,why", EMPTY, ids=[e[1] + "-" + str(i) for i, e in enumerate(EMPTY)])
def test_side_selecting_nothing_is_npl602_not_a_pass(world_repo, exp, side, why):
    (world_repo / ".netpol-lint-expect.yaml").write_text(yaml.safe_dump({"expectations": [exp]}))
    (f,) = findings(world_repo)
    assert f["rule"] == "NPL602" and f["severity"] == "warning"
    assert f"'{side}'" in f["message"] and why in f["message"]


def test_npl602_points_at_the_side(world_repo):
    (world_repo / ".netpol-lint-expect.yaml").write_text(
        "expectations:\n  - from: ns:shop\n    to: ns:shpo\n    allow: false\n")
    (f,) = findings(world_repo)
    assert (f["line"], f["column"], f["end_column"]) == (3, 9, 16)
    assert f["message"] == ("expectation ns:shop -> ns:shpo: 'to' ns:shpo selects no endpoint: no workload in "
                            "namespace shpo; the expectation is not checked")


# -- when: evaluated against both networks, whatever the Istio CR says -------------------------
WHEN = {"from": "shop/web", "to": "egress-gateway", "ports": [8443], "allow": True}


@pytest.mark.parametrize("cr", [True, False], ids=["cr-enabled", "cr-disabled"])
@pytest.mark.parametrize("when,violated_in", [("always", "enabled"), ("policies-enabled", "enabled"),
                                              ("policies-disabled", None)])
def test_when_is_independent_of_the_istio_cr(tmp_path, cr, when, violated_in):
    # off: the egress gateway is not isolated and web's egress is open; on: the module's policy
    # admits only pods labelled to-egressgateway
    repo = write_repo(tmp_path, world(policies_enabled=cr), [dict(WHEN, when=when)])
    found = findings(repo)
    if violated_in is None:
        assert found == []
    else:
        (f,) = found
        assert f["rule"] == "NPL601"
        assert f"is violated with module policies {violated_in}: " in f["message"]
    # the command-line override changes nothing either
    assert rules_of(repo, "--assume-network-policies", "disabled") == [f["rule"] for f in found]


def test_when_policies_disabled_checks_the_network_without_module_policies(tmp_path):
    deny = dict(WHEN, allow=False, when="policies-disabled")
    repo = write_repo(tmp_path, world(policies_enabled=True), [deny])
    (f,) = findings(repo)
    assert "violated with module policies disabled" in f["message"]


# -- the file: discovery, validation (exit 2), schema ------------------------------------------
def test_file_is_found_beside_the_config_when_run_from_a_subdirectory(tmp_path):
    repo = write_repo(tmp_path, world(), [{"from": "shop/api", "to": "shop/web", "ports": [8080], "allow": True}])
    code, rep = lint_json(*SELECT, "..", cwd=repo / "shop")
    assert [f["rule"] for f in rep["findings"]] == ["NPL601"]
    # outside the current directory: relative with ../, as every path (CONTRACT.md)
    assert rep["findings"][0]["file"] == "../.netpol-lint-expect.yaml"


def test_without_a_config_the_file_is_looked_up_to_the_repository_root(tmp_path):
    repo = write_repo(tmp_path, world(), [{"from": "shop/api", "to": "shop/web", "ports": [8080], "allow": True}])
    (repo / ".netpol-lint.yaml").unlink()
    (repo / ".git").mkdir()
    code, rep = lint_json(*SELECT, "..", cwd=repo / "data")
    assert [f["rule"] for f in rep["findings"]] == ["NPL601"]


def test_config_key_is_relative_to_the_config_file(tmp_path):
    repo = write_repo(tmp_path, world())
    (repo / "policy").mkdir()
    (repo / "policy" / "intent.yaml").write_text(
        "expectations:\n- {from: shop/api, to: shop/web, ports: [8080], allow: true}\n")
    (repo / ".netpol-lint.yaml").write_text("expectations: policy/intent.yaml\n")
    code, rep = lint_json(*SELECT, ".", cwd=repo)
    assert [(f["rule"], f["file"]) for f in rep["findings"]] == [("NPL601", "policy/intent.yaml")]
    code, rep = lint_json(*SELECT, "..", "--config", "../.netpol-lint.yaml", cwd=repo / "shop")
    assert [(f["rule"], f["file"]) for f in rep["findings"]] == [("NPL601", "../policy/intent.yaml")]


def test_config_naming_a_missing_file_is_exit_2(tmp_path):
    repo = write_repo(tmp_path, world())
    (repo / ".netpol-lint.yaml").write_text("expectations: nope.yaml\n")
    code, out, err = cli(".", cwd=repo)
    assert code == 2 and err == "netpol-lint: error: .netpol-lint.yaml: 'expectations': file not found: nope.yaml\n"


INVALID = [
    ("expectations:\n- from: shop/web\n  to: shop/api\n  allow: yes please\n", "4:10",
     "expectations[0].allow: must be true or false"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n", "2:3", "expectations[0]: 'allow' is required"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n  allow: true\n  when: sometimes\n", "5:9",
     "expectations[0].when: must be one of always, policies-enabled, policies-disabled"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n  allow: true\n  quantifier: most\n", "5:15",
     "expectations[0].quantifier: must be one of every, some"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n  allow: true\n  colour: red\n", "5:3",
     "expectations[0].colour: unknown key 'colour'"),
    ("expectations:\n- from: web\n  to: shop/api\n  allow: true\n", "2:9",
     "expectations[0].from: 'web' is not an endpoint: use NAMESPACE/NAME"),
    ("expectations:\n- from: pod:shop/web\n  to: shop/api\n  allow: true\n", "2:9",
     "expectations[0].from: unknown endpoint prefix 'pod:'"),
    ("expectations:\n- from: host:shop.example.com\n  to: shop/api\n  allow: true\n", "2:9",
     "expectations[0].from: host: is a destination only"),
    ("expectations:\n- to: host:shop.example.com\n  ports: [80]\n  allow: true\n", "3:10",
     "expectations[0].ports: a host: destination takes its port from the route"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n  ports: [0]\n  allow: true\n", "4:11",
     "expectations[0].ports[0]: 0 is not a port number"),
    ("expectations:\n- from: ip:300.1.1.1\n  to: shop/api\n  allow: true\n", "2:9",
     "expectations[0].from: 'ip:300.1.1.1': ip: takes an address or a CIDR"),
    ("expectations:\n- from: internet\n  to: ip:10.0.0.0/8\n  allow: true\n", "2:3",
     "expectations[0]: both sides are outside the cluster"),
    ("expectations:\n- from: {namespace: shop, podSelector: {}}\n  to: shop/api\n  allow: true\n", "2:27",
     "expectations[0].from.podSelector: unknown selector key 'podSelector'"),
    ("expectations:\n- from: shop/web\n  to: shop/api\n  protocol: HTTP\n  allow: true\n", "4:13",
     "expectations[0].protocol: must be one of TCP, UDP, SCTP"),
    ("expect:\n- from: shop/web\n", "1:1", "unknown key 'expect'"),
    ("- from: shop/web\n", "1:1", "an expectations file is a mapping"),
    ("expectations:\n- from: [shop/web\n", "3:1", "YAML syntax error"),
]


@pytest.mark.parametrize("text,where,message", INVALID, ids=[f"invalid-{i}" for i in range(len(INVALID))])
def test_invalid_file_is_one_line_exit_2_with_its_position(tmp_path, text, where, message):
    repo = write_repo(tmp_path, world(), text)
    for command in (["lint", "."], ["reach", ".", "--from", "shop/web", "--to", "shop/api", "--port", "9000"]):
        code, out, err = cli(*command, cwd=repo)
        assert code == 2, (command, err)
        assert err.startswith(f"netpol-lint: error: .netpol-lint-expect.yaml:{where}: "), err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_file_over_the_size_limit_is_exit_2(tmp_path):
    repo = write_repo(tmp_path, world(), "expectations:\n" + "# padding\n" * 200)
    code, _, err = cli(".", "--max-file-size", "1K", cwd=repo)
    assert code == 2 and "over the 1024-byte limit" in err


def test_empty_file_means_no_expectations(tmp_path):
    repo = write_repo(tmp_path, world(), "# nothing yet\nexpectations:\n")
    assert rules_of(repo) == []


# -- the JSON Schema -----------------------------------------------------------------------------
def _schema():
    from importlib import resources
    return json.loads(resources.files("netpol_lint").joinpath("data", "expectations.schema.json").read_text())


def _valid_documents() -> list:
    docs = [yaml.safe_load((FIXTURES / r / "expect.yaml").read_text()) for r in ("npl601", "npl602")]
    docs.append({"expectations": [c[1] for c in CASES]})
    docs.append({"expectations": [dict(WHEN, when=w, name="n", reason="r") for w in
                                  ("always", "policies-enabled", "policies-disabled")]})
    docs.append({"expectations": None})
    return docs


def test_schema_accepts_what_the_loader_accepts():
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for doc in _valid_documents():
        jsonschema.validate(doc, schema)


@pytest.mark.parametrize("text", [t for t, _, _ in INVALID if "YAML syntax" not in _],
                         ids=[f"invalid-{i}" for i, (_, _, m) in enumerate(INVALID) if "YAML syntax" not in m])
def test_schema_rejects_what_the_loader_rejects(text):
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), _schema())


def test_schema_ships_in_the_package():
    import tomllib
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "*.json" in pyproject["tool"]["setuptools"]["package-data"]["netpol_lint.data"]


# -- suppressions and baselines ------------------------------------------------------------------
def test_comment_in_the_expectations_file_suppresses(tmp_path):
    repo = write_repo(tmp_path, world(), (
        "expectations:\n"
        "# netpol-lint: disable=NPL601  (known: tracked in TICKET-1)\n"
        "- {from: shop/api, to: shop/web, ports: [8080], allow: true}\n"
        "- {from: ns:nope, to: shop/web, allow: false}  # netpol-lint: disable=expectation-matches-nothing\n"
        "- {from: shop/api, to: shop/web, ports: [8080], allow: true, name: still reported}\n"))
    code, rep = lint_json(*SELECT, cwd=repo)
    assert [(f["rule"], f["line"]) for f in rep["findings"]] == [("NPL601", 5)]
    assert rep["summary"].get("suppressed") == 2


def test_baseline_keeps_a_known_violation_quiet_until_another_breaks(tmp_path):
    repo = write_repo(tmp_path, world(), [{"from": "shop/api", "to": "shop/web", "ports": [8080], "allow": True}])
    code, _, _ = cli(".", *SELECT, "--write-baseline", "baseline.json", cwd=repo)
    assert (repo / "baseline.json").is_file()
    assert rules_of(repo, "--baseline", "baseline.json") == []
    # the same expectation now fails with another pair: still the baselined finding
    (repo / "shop" / "policies.yaml").write_text(
        (repo / "shop" / "policies.yaml").read_text().replace("port: 8080", "port: 8081"))
    assert rules_of(repo, "--baseline", "baseline.json") == []
    with (repo / ".netpol-lint-expect.yaml").open("a") as fh:
        fh.write("- {from: ns:shop, to: ns:data, allow: false}\n")
    assert rules_of(repo, "--baseline", "baseline.json") == ["NPL601"]


# -- --changed-only: a policy edit breaks an expectation in an unchanged file ------------------
def _break_web_policy(repo: Path) -> None:
    p = repo / "shop" / "policies.yaml"
    p.write_text(p.read_text().replace("port: 8080", "port: 8081"))


def test_changed_only_reports_a_violation_caused_by_a_changed_policy(tmp_path):
    repo = write_repo(tmp_path, world(), [{"name": "web is reachable", "to": "host:web.example.com", "allow": True}])
    assert rules_of(repo, "--changed-only", "shop/policies.yaml") == []
    _break_web_policy(repo)
    found = findings(repo, "--changed-only", "shop/policies.yaml")
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [("NPL601", ".netpol-lint-expect.yaml", 2)]
    assert "shop/policies.yaml" in {r["file"] for r in found[0]["related"]}
    # an unrelated change does not report it
    assert rules_of(repo, "--changed-only", "data/apps.yaml") == []
    # a change to the expectations file itself does
    assert rules_of(repo, "--changed-only", ".netpol-lint-expect.yaml") == ["NPL601"]


# -- diff: expectations broken / repaired by a change --------------------------------------------
def test_diff_reports_an_expectation_the_change_breaks_and_one_it_repairs(tmp_path):
    exps = [{"name": "web is reachable", "to": "host:web.example.com", "allow": True},
            {"name": "api reaches web", "from": "shop/api", "to": "shop/web", "ports": [8081], "allow": True}]
    old = write_repo(tmp_path / "old", world())
    new = write_repo(tmp_path / "new", world())
    _break_web_policy(new)
    p = new / "shop" / "policies.yaml"
    p.write_text(p.read_text().replace("- from:\n    - namespaceSelector", "- from:\n    - podSelector: {}\n    - namespaceSelector", 1))
    (tmp_path / ".netpol-lint-expect.yaml").write_text(yaml.safe_dump({"expectations": exps}, sort_keys=False))
    (tmp_path / ".netpol-lint.yaml").write_text("fail_on: error\n")
    code, out, err = cli("diff", "old", "new", "--select", "NPL601", "--format", "json", cwd=tmp_path)
    doc = json.loads(out)
    introduced = [f["message"].split(" is violated")[0] for f in doc["findings"]["introduced"]]
    fixed = [f["message"].split(" is violated")[0] for f in doc["findings"]["fixed"]]
    assert introduced == ["expectation 'web is reachable'"] and fixed == ["expectation 'api reaches web'"]
    assert code == 1


# -- impact: the expectations the flag flip breaks ---------------------------------------------
def test_impact_lists_the_expectations_the_flip_breaks(tmp_path):
    repo = write_repo(tmp_path, world(policies_enabled=False), [dict(WHEN, name="web uses the egress gateway")])
    code, out, err = cli("impact", ".", cwd=repo)
    assert code == 1
    section = out.split("Connectivity expectations the flip breaks (1):\n", 1)[1].splitlines()[0]
    assert section.startswith("  .netpol-lint-expect.yaml:2:3 expectation 'web uses the egress gateway': "
                              "shop/web -> istio-system/istio-egressgateway TCP 8443 denied (")
    code, out, err = cli("impact", ".", "--format", "json", cwd=repo)
    doc = json.loads(out)
    assert [e["name"] for e in doc["expectations"]["broken"]] == ["web uses the egress gateway"]
    assert doc["expectations"]["repaired"] == []
    code, out, err = cli("impact", ".", "--format", "markdown", cwd=repo)
    assert "#### Connectivity expectations the flip breaks" in out


def test_impact_without_expectations_has_no_section(tmp_path):
    repo = write_repo(tmp_path, world(policies_enabled=False))
    code, out, _ = cli("impact", ".", "--format", "json", cwd=repo)
    assert "expectations" not in json.loads(out)
    assert "Connectivity expectations" not in cli("impact", ".", cwd=repo)[1]


# -- expect --init -------------------------------------------------------------------------------
def _init_round_trip(src: Path, tmp_path: Path, *lint_args) -> str:
    work = tmp_path / "repo"
    shutil.copytree(src, work)
    code, out, err = cli("expect", "--init", ".", "--output", ".netpol-lint-expect.yaml", *lint_args, cwd=work)
    assert code == 0, err
    text = (work / ".netpol-lint-expect.yaml").read_text()
    code, rep = lint_json(*SELECT, ".", *lint_args, cwd=work)
    assert rep["findings"] == [] and code == 0
    return text


def test_init_round_trip_on_the_examples(tmp_path):
    text = _init_round_trip(ROOT / "examples", tmp_path)
    # the examples' routes are broken on purpose: written, but commented out with the reason
    assert "# violated today: istio-system/istio-ingressgateway -> shop/cart TCP 8080" in text
    assert '# - name: "shop.example.com is reachable through the ingress gateway"' in text
    assert '- name: "nothing in shop reaches payments"\n  from: ns:shop\n  to: ns:payments\n  allow: false' in text
    assert ('- name: "sidecars in shop reach istiod"\n  from: {namespace: shop, matchLabels: '
            '{security.istio.io/tlsMode: istio}}\n  to: istiod\n  ports: [15012]\n  allow: true') in text


def test_init_round_trip_on_a_repository_with_working_routes(tmp_path):
    files = world(policies_enabled=False)
    # a route that works only while the module's policies are off (no from-ingressgateway label)
    files["blog/apps.yaml"] = [deployment("blog", "blog", [{"containerPort": 2368}]), service("blog", "blog", 80, 2368),
                               apirule("blog", "blog", "blog.example.com", "blog", 80)]
    src = write_repo(tmp_path / "src", files)
    text = _init_round_trip(src, tmp_path)
    entries = yaml.safe_load(text)["expectations"]
    assert {"name": "web.example.com is reachable through the ingress gateway", "to": "host:web.example.com",
            "allow": True} in entries
    assert {"name": "blog.example.com is reachable through the ingress gateway", "to": "host:blog.example.com",
            "allow": True, "when": "policies-disabled"} in entries
    assert {"name": "nothing in data reaches shop", "from": "ns:data", "to": "ns:shop", "allow": False} in entries
    assert {"name": "pods in shop reach DNS", "from": "ns:shop", "to": "kube-dns", "ports": [53], "protocol": "UDP",
            "allow": True} in entries
    assert ("# holds only with module policies disabled: with them enabled, istio-system/istio-ingressgateway "
            "-> blog/blog TCP 2368 is denied (see `netpol-lint impact`)") in text
    # what holds today only, so flipping the flag would be flagged by lint (the 'when' says why)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(yaml.safe_load(text), _schema())


def test_init_round_trip_on_the_npl601_fixture(tmp_path):
    _init_round_trip(FIXTURES / "npl601" / "good", tmp_path)


def test_init_never_overwrites_and_is_deterministic(tmp_path):
    repo = write_repo(tmp_path, world())
    first = cli("expect", "--init", ".", cwd=repo)[1]
    assert first == cli("expect", "--init", ".", cwd=repo)[1]
    (repo / "out.yaml").write_text("mine\n")
    code, _, err = cli("expect", "--init", ".", "--output", "out.yaml", cwd=repo)
    assert code == 2 and "out.yaml exists" in err and (repo / "out.yaml").read_text() == "mine\n"
    code, _, err = cli("expect", ".", cwd=repo)
    assert code == 2 and "expect needs --init" in err


# -- bad input never crashes -------------------------------------------------------------------
@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
def test_arbitrary_expectation_files_give_expectations_or_one_clear_error(tmp_path_factory):
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from netpol_lint.model.expectations import ITEM_KEYS, ExpectationsError, read_expectations

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=12),
                        st.sampled_from(["shop/web", "ns:shop", "svc:a/b", "host:x.example.com", "ip:10.0.0.0/8",
                                         "internet", "kube-dns", "host:", "ip:", "a/b/c/d", "Deployment/a/b"]))
    values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                          max_leaves=8)
    items = st.dictionaries(st.sampled_from(ITEM_KEYS + ("namespace", "matchLabels")), values, max_size=7)
    docs = st.one_of(st.fixed_dictionaries({"expectations": st.lists(items, max_size=3)}), values)
    path = tmp_path_factory.mktemp("fuzz") / "e.yaml"

    @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
    @hypothesis.given(docs)
    def check(doc):
        path.write_text(yaml.safe_dump(doc))
        try:
            exps = read_expectations(str(path))
        except ExpectationsError as exc:
            shown = os.path.relpath(path).replace(os.sep, "/")          # as every path is shown
            assert "\n" not in str(exc) and str(exc).startswith((path.name, shown))
            return
        for e in exps:
            assert e.location is not None and e.dst_location is not None

    check()


def test_any_valid_expectation_is_evaluated_without_error(world_repo):
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from netpol_lint.analysis.expectations import Evaluator
    from netpol_lint.config import Config
    from netpol_lint.model.expectations import parse_document
    from netpol_lint.model.session import Session
    from netpol_lint.load.documents import Document

    session = Session.load([str(world_repo)], Config())
    ev = Evaluator(session)
    sides = st.sampled_from(["shop/web", "shop/api", "data/db", "kube-system/coredns", "ns:shop", "ns:data",
                             "ns:istio-system", "svc:shop/web", "svc:shop/api", "ingress-gateway", "egress-gateway",
                             "istiod", "kube-dns", "internet", "ip:203.0.113.0/24", "ip:10.1.2.3",
                             {"namespace": "shop", "matchLabels": {"tier": "back"}},
                             {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}])
    item = st.fixed_dictionaries(
        {"from": sides, "to": st.one_of(sides, st.sampled_from(["host:web.example.com", "host:api.example.com"])),
         "allow": st.booleans()},
        optional={"ports": st.lists(st.sampled_from([53, 80, 8080, 9000, 5432, 15012, "http", "grpc", "dns"]),
                                    min_size=1, max_size=3),
                  "protocol": st.sampled_from(["TCP", "UDP"]),
                  "when": st.sampled_from(["always", "policies-enabled", "policies-disabled"]),
                  "quantifier": st.sampled_from(["every", "some"])})

    @hypothesis.settings(max_examples=200, deadline=None, derandomize=True)
    @hypothesis.given(item)
    def check(exp):
        if str(exp["to"]).startswith("host:"):
            exp.pop("ports", None)
            exp["from"] = "ingress-gateway"
        if str(exp["from"]).startswith(("internet", "ip:")) and str(exp["to"]).startswith(("internet", "ip:")):
            return
        (e,) = parse_document(Document("e.yaml", 0, {"expectations": [exp]}))
        out = ev.outcome(e)
        assert bool(out.empty) + bool(out.failures) <= 1
        for f in out.failures:
            assert f.detail and "\n" not in f.detail and f.allowed != e.allow

    check()


def test_diff_against_a_git_revision_reports_the_broken_expectation(tmp_path):
    import subprocess
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = write_repo(tmp_path, world(), [{"name": "web is reachable", "to": "host:web.example.com", "allow": True}])
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=repo, check=True)
    subprocess.run(git + ["add", "-A"], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-qm", "base"], cwd=repo, check=True)
    _break_web_policy(repo)
    code, out, err = cli("diff", "--base", "HEAD", "--select", "NPL601", "--format", "json", cwd=repo)
    doc = json.loads(out)
    assert [(f["rule"], f["file"], f["line"]) for f in doc["findings"]["introduced"]] == [
        ("NPL601", ".netpol-lint-expect.yaml", 2)]
    assert doc["findings"]["fixed"] == [] and code == 1


def test_egress_gateway_endpoint_missing_without_an_istio_cr_says_so(tmp_path):
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: c, image: x}]}\n")
    (tmp_path / ".netpol-lint-expect.yaml").write_text(
        "expectations:\n  - name: egress gw\n    from: shop/web\n    to: egress-gateway\n    allow: true\n")
    out = run_cli("app.yaml", "--quiet", cwd=tmp_path).stdout
    assert out == (".netpol-lint-expect.yaml:4:9: NPL602 [warning] expectation 'egress gw': 'to' egress-gateway "
                   "selects no endpoint: no egress-gateway in the input (no Istio CR in the input enables it and "
                   "no Gateway in the input selects it); the expectation is not checked\n")


# -- a port-less expectation says in words what is open (or that nothing is) ------------------
VIOLATED = "is violated with module policies enabled and disabled: for"
PORTLESS = [
    ("web is isolated from db", "shop/web -> data/db any port: allowed, must be denied; TCP ports 5432 and 9000-9200 "
     "are open, e.g. TCP 5432 (pg): egress of shop/web: allowed (no NetworkPolicy selects shop/web for egress: all "
     "egress allowed); ingress of data/db: allowed (admitted by data/db-in ingress[0] (any source; ports[0]: TCP "
     "'pg'))"),
    ("nothing reaches web", "data/db -> shop/web any port: allowed, must be denied; all ports and protocols are "
     "open: egress of data/db: allowed (no NetworkPolicy selects data/db for egress: all egress allowed); ingress of "
     "shop/web: allowed (no NetworkPolicy selects shop/web for ingress: all ingress allowed)"),
    ("web does not reach dns", "shop/web -> infra/dns any port: allowed, must be denied; TCP port 53 and UDP port 53 "
     "are open, e.g. TCP 53: egress of shop/web: allowed (no NetworkPolicy selects shop/web for egress: all egress "
     "allowed); ingress of infra/dns: allowed (admitted by infra/dns-in ingress[0] (any source; ports[1]: TCP 53))"),
    ("no UDP to dns", "shop/web -> infra/dns any UDP port: allowed, must be denied; UDP port 53 is open: egress of "
     "shop/web: allowed (no NetworkPolicy selects shop/web for egress: all egress allowed); ingress of infra/dns: "
     "allowed (admitted by infra/dns-in ingress[0] (any source; ports[0]: UDP 53))"),
    ("no SCTP to sig", "shop/web -> tel/sig any port: allowed, must be denied; SCTP port 3868 is open: egress of "
     "shop/web: allowed (no NetworkPolicy selects shop/web for egress: all egress allowed); ingress of tel/sig: "
     "allowed (admitted by tel/sig-in ingress[0] (any source; ports[0]: SCTP 3868))"),
    ("web reaches locked", "shop/web -> vault/locked any port: denied, must be allowed; no port is open; egress of "
     "shop/web: not isolated; ingress of vault/locked: admits nothing (isolated by vault/deny)"),
    ("web reaches dns over SCTP", "shop/web -> infra/dns any SCTP port: denied, must be allowed; no SCTP port is "
     "open; egress of shop/web: not isolated; ingress of infra/dns: admits TCP port 53 and UDP port 53 (isolated by "
     "infra/dns-in)"),
]


def test_portless_expectation_says_what_is_open():
    repo = ROOT / "tests" / "data" / "portless_expectations"
    _, rep = lint_json("repo.yaml", "--config", "config.yaml", "--select", "NPL601", cwd=repo)
    assert [f["message"] for f in rep["findings"]] == [
        f"expectation {name!r} {VIOLATED} {text}" for name, text in PORTLESS]


def test_expect_init_says_a_portless_outcome_in_words():
    from types import SimpleNamespace as NS

    from netpol_lint.commands.expect import _outcome

    a, b = NS(id="shop/web"), NS(id="data/db")
    assert _outcome(NS(src=a, dst=b, port="any port", allowed=True)) == "shop/web -> data/db is allowed on some port"
    assert (_outcome(NS(src=a, dst=b, port="any UDP port", allowed=False))
            == "shop/web -> data/db is denied on every UDP port")
    assert _outcome(NS(src=a, dst=b, port="TCP 5432", allowed=False)) == "shop/web -> data/db TCP 5432 is denied"
