"""The semantic comparison with the Istio module's seven policies (NPL302, diff-managed).

Drift cases for each of the seven policies with their exact difference lines and paths;
equivalent rewrites (order, matchExpressions, string ports, default protocol, split rules,
port ranges) that must not count; tolerances; robustness against wrong types.
"""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, run_cli
from netpol_lint.analysis.managed import (
    API_SERVER_PORT_PLACEHOLDER, Ports, compare_with_module, deny_by_default_directions, diff_policies,
    module_policy, module_policy_names,
)

NAMES = module_policy_names()


def _diff(policy, port=None) -> list[tuple[str, tuple]]:
    return [(d.text, d.path) for d in compare_with_module(policy, port).differences]


def test_the_seven_policies():
    assert NAMES == (
        "kyma-project.io--istio-cni-node", "kyma-project.io--istio-ingressgateway-egress",
        "kyma-project.io--istio-egressgateway", "kyma-project.io--istio-ingressgateway",
        "kyma-project.io--allow-istio-controller-manager", "kyma-project.io--istio-pilot",
        "kyma-project.io--istio-pilot-jwks")


@pytest.mark.parametrize("name", NAMES)
def test_module_policy_equals_itself(name):
    assert _diff(module_policy(name)) == []


# -- drift, one case per policy ---------------------------------------------------------------

def _p(name):
    return module_policy(name)


def test_drift_cni_node():
    p = _p("kyma-project.io--istio-cni-node")
    p["spec"]["egress"][0]["ports"].pop(0)                       # UDP 53
    p["spec"]["podSelector"] = {"matchLabels": {"k8s-app": "istio-cni"}}
    assert _diff(p) == [
        ("podSelector: k8s-app=istio-cni instead of k8s-app=istio-cni-node", ("spec", "podSelector")),
        ("egress[0]: port UDP 53 removed", ("spec", "egress", 0, "ports")),
    ]


def test_drift_ingressgateway_egress():
    p = _p("kyma-project.io--istio-ingressgateway-egress")
    p["spec"]["egress"][0]["ports"] = [{"port": 8080}]
    del p["spec"]["egress"][0]["to"][0]["namespaceSelector"]
    assert _diff(p) == [
        ("egress[0]: peer pods networking.kyma-project.io/from-ingressgateway=allowed in any namespace removed",
         ("spec", "egress", 0, "to")),
        ("egress[0]: new peer pods networking.kyma-project.io/from-ingressgateway=allowed (same namespace)",
         ("spec", "egress", 0, "to", 0)),
    ]


def test_drift_ingressgateway_egress_ports_restricted():
    p = _p("kyma-project.io--istio-ingressgateway-egress")
    p["spec"]["egress"][0]["ports"] = [{"port": 8080}]
    assert _diff(p) == [("egress[0]: restricted to TCP 8080 (the module's rule allows all ports)",
                         ("spec", "egress", 0, "ports"))]


def test_drift_egressgateway():
    p = _p("kyma-project.io--istio-egressgateway")
    p["spec"]["egress"] = []
    p["spec"]["ingress"][1]["from"].append({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})
    assert _diff(p) == [
        ("ingress[1]: new peer 10.0.0.0/8 except 10.1.0.0/16", ("spec", "ingress", 1, "from", 3)),
        ("egress: rule to any destination removed", ("spec", "egress")),
    ]


def test_drift_ingressgateway():
    p = _p("kyma-project.io--istio-ingressgateway")
    p["spec"]["ingress"][0]["ports"].pop(1)                      # TCP 8443
    p["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
    assert _diff(p) == [
        ("ingress[0]: port TCP 8443 removed", ("spec", "ingress", 0, "ports")),
        ("egress: new rule to 0.0.0.0/0", ("spec", "egress", 2)),
    ]


def test_drift_controller_manager():
    p = _p("kyma-project.io--allow-istio-controller-manager")
    p["spec"]["policyTypes"] = ["Egress", "Ingress"]
    p["metadata"]["namespace"] = "istio-system"
    assert _diff(p) == [
        ("metadata.namespace: istio-system, but the module creates this policy in kyma-system",
         ("metadata", "namespace")),
        ("policyTypes: Ingress added", ("spec", "policyTypes")),
    ]


def test_drift_pilot():
    p = _p("kyma-project.io--istio-pilot")
    p["spec"]["ingress"][0]["ports"][0]["port"] = 15013
    p["spec"]["ingress"][0]["from"].pop(2)                       # istio: egressgateway
    del p["spec"]["ingress"][2]["ports"]                          # 15017 from anywhere -> all ports
    p["spec"]["policyTypes"] = ["Ingress"]
    assert _diff(p) == [
        ("policyTypes: Egress removed (the pods are no longer isolated for egress)", ("spec", "policyTypes")),
        ("ingress[0]: peer pods istio=egressgateway (same namespace) removed", ("spec", "ingress", 0, "from")),
        ("ingress[0]: port TCP 15012 changed to TCP 15013", ("spec", "ingress", 0, "ports", 0)),
        ("ingress[2]: now all ports (the module's rule: TCP 15017)", ("spec", "ingress", 2)),
    ]


def test_drift_pilot_jwks():
    p = _p("kyma-project.io--istio-pilot-jwks")
    p["spec"]["egress"][0]["ports"][0]["port"] = 8443
    assert _diff(p) == [("egress[0]: port TCP 80 changed to TCP 8443", ("spec", "egress", 0, "ports", 0))]


def test_sources_restricted_and_opened():
    p = _p("kyma-project.io--istio-ingressgateway")
    p["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {"matchLabels": {"team": "edge"}}}]
    del p["spec"]["egress"][0]["to"]
    assert _diff(p) == [
        ("ingress[0]: restricted to all pods in namespaces team=edge (the module's rule admits any source)",
         ("spec", "ingress", 0, "from")),
        ("egress[0]: now admits any destination (the module's rule: pods istio=pilot (same namespace))",
         ("spec", "egress", 0)),
    ]


def test_unknown_name():
    p = _p("kyma-project.io--istio-pilot")
    p["metadata"]["name"] = "kyma-project.io--istio-pilot-extra"
    cmp = compare_with_module(p)
    assert (cmp.known, cmp.differences) == (False, [])


# -- tolerances and equivalences ------------------------------------------------------------

@pytest.mark.parametrize("port", [443, 6443, 8443, API_SERVER_PORT_PLACEHOLDER])
@pytest.mark.parametrize("name", ["kyma-project.io--istio-cni-node", "kyma-project.io--allow-istio-controller-manager",
                                  "kyma-project.io--istio-pilot"])
def test_api_server_port_is_tolerated(name, port):
    p = module_policy(name, port)
    assert _diff(p, 8443) == []
    assert any(t.startswith("API-server port") for t in compare_with_module(p, 8443).tolerated)


def test_api_server_port_is_not_tolerated_elsewhere():
    p = _p("kyma-project.io--istio-cni-node")
    p["spec"]["egress"][1]["ports"][0]["port"] = 8443              # not configured, not 443/6443
    assert _diff(p) == [("egress[1]: port TCP 443 changed to TCP 8443", ("spec", "egress", 1, "ports", 0))]
    jwks = _p("kyma-project.io--istio-pilot-jwks")
    jwks["spec"]["egress"][0]["ports"][1]["port"] = 6443           # jwks' 443 is not the API server
    assert _diff(jwks) == [("egress[0]: port TCP 443 changed to TCP 6443", ("spec", "egress", 0, "ports", 1))]


def test_metadata_tolerances():
    p = _p("kyma-project.io--istio-pilot")
    p["metadata"]["labels"]["app.kubernetes.io/version"] = "dev"
    p["metadata"]["labels"]["team"] = "platform"
    p["metadata"]["annotations"] = {"owner": "me"}
    cmp = compare_with_module(p)
    assert cmp.differences == []
    assert cmp.tolerated == [
        "label app.kubernetes.io/version: 'dev' (the module sets its own version)",
        "annotation istios.operator.kyma-project.io/managed-by-disclaimer absent (the module adds it)",
        "extra labels: team", "extra annotations: owner", "API-server port 443"]


def _equivalent_rewrite(policy: dict, rnd) -> dict:
    """Rewrite a policy without changing what it admits."""
    p = copy.deepcopy(policy)
    spec = p["spec"]

    def selector(sel):
        if not isinstance(sel, dict) or not sel.get("matchLabels") or rnd.random() < 0.5:
            return sel
        exprs = [{"key": k, "operator": "In", "values": [v]} for k, v in sel["matchLabels"].items()]
        return {"matchExpressions": exprs + list(sel.get("matchExpressions", []))}

    spec["podSelector"] = selector(spec["podSelector"])
    for field, peer_field in (("ingress", "from"), ("egress", "to")):
        rules = spec.get(field)
        if not rules:
            continue
        out = []
        for rule in rules:
            rule = dict(rule)
            if rule.get(peer_field):
                peers = [{k: selector(v) if k != "ipBlock" else v for k, v in peer.items()} for peer in rule[peer_field]]
                rnd.shuffle(peers)
                rule[peer_field] = peers
            if rule.get("ports"):
                ports = []
                for entry in rule["ports"]:
                    entry = dict(entry)
                    if entry.get("protocol") == "TCP" and rnd.random() < 0.5:
                        del entry["protocol"]
                    if isinstance(entry.get("port"), int) and rnd.random() < 0.3:
                        entry["port"] = str(entry["port"])
                    ports.append(entry)
                rnd.shuffle(ports)
                if len(ports) > 1 and rnd.random() < 0.5:             # split into one rule per port
                    for entry in ports:
                        out.append({**rule, "ports": [entry]})
                    continue
                rule["ports"] = ports
            out.append(rule)
        rnd.shuffle(out)
        spec[field] = out
    if "policyTypes" in spec:
        spec["policyTypes"] = list(reversed(spec["policyTypes"]))
    return p


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.randoms(use_true_random=False))
def test_equivalent_rewrites_are_no_difference(name, rnd):
    assert _diff(_equivalent_rewrite(module_policy(name), rnd)) == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_removing_any_port_is_a_difference(name, data):
    p = module_policy(name)
    spots = [(f, i, j) for f in ("ingress", "egress") for i, r in enumerate(p["spec"].get(f) or ())
             for j, _ in enumerate(r.get("ports") or ())]
    if not spots:
        return
    f, i, j = data.draw(st.sampled_from(spots))
    removed = p["spec"][f][i]["ports"].pop(j)
    diffs = _diff(p)
    assert diffs, (f, i, removed)
    proto, port = removed.get("protocol", "TCP"), removed["port"]
    assert any(f"{proto} {port}" in text for text, _ in diffs)


JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["from", "to", "ports", "port", "protocol", "endPort", "podSelector",
                                         "namespaceSelector", "ipBlock", "cidr", "except", "matchLabels",
                                         "matchExpressions", "key", "operator", "values", "ingress", "egress",
                                         "policyTypes"]), inner, max_size=4), max_leaves=12)


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(["podSelector", "policyTypes", "ingress", "egress"]), JUNK)
def test_wrong_types_never_raise(name, field, junk):
    p = module_policy(name)
    p["spec"][field] = junk
    for d in compare_with_module(p, 6443).differences:
        assert d.text and isinstance(d.path, tuple)


def test_non_mapping_policy():
    assert [d.text for d in diff_policies("text", module_policy(NAMES[0]))] == ["not a mapping"]
    p = module_policy(NAMES[0])
    p["spec"] = ["x"]
    assert [d.text for d in diff_policies(p, module_policy(NAMES[0]))] == ["spec: not a mapping"]


def test_ports_algebra():
    a = Ports.parse([{"port": 80}, {"port": 90, "endPort": 100, "protocol": "UDP"}])
    b = Ports.parse([{"port": "80"}])
    assert (a - b).describe() == "UDP 90-100"
    assert (b - a).describe() == "no ports"
    assert Ports.parse(None).is_all and Ports.parse([]).is_all
    assert Ports.parse([{"protocol": p} for p in ("TCP", "UDP", "SCTP")]).is_all
    assert Ports.parse([{"port": "http"}]).describe() == "TCP 'http'"


# -- deny-by-default ----------------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ({"podSelector": {}}, ("Ingress",)),
    ({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, ("Ingress", "Egress")),
    ({"podSelector": {"matchLabels": {}}, "policyTypes": ["Egress"], "egress": []}, ("Egress",)),
    ({"podSelector": {}, "egress": [{}]}, ("Ingress",)),          # egress defaulted in, but it has a rule
    ({"podSelector": {}, "egress": []}, ("Ingress",)),            # egress: [] does not default Egress in
    ({"podSelector": {"matchLabels": {"app": "x"}}}, ()),
    ({"podSelector": {}, "ingress": [{}]}, ()),
    ("junk", ()),
])
def test_deny_by_default(spec, expected):
    assert deny_by_default_directions(spec) == expected


# -- the diff-managed command ---------------------------------------------------------------

def test_diff_managed_text():
    proc = run_cli("diff-managed", "bad/ingressgateway.yaml", "bad/unknown.yaml", cwd=FIXTURES / "npl302")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.startswith("istio-system/kyma-project.io--istio-ingressgateway (bad/ingressgateway.yaml:5): "
                          "2 differences from the module's policy\n"
                          "  bad/ingressgateway.yaml:36:9  ingress[0]: port TCP 8443 removed\n"
                          "  bad/ingressgateway.yaml:31:7  egress: new rule to 0.0.0.0/0\n")
    assert "    -    ports: TCP 8080, TCP 8443\n    +    ports: TCP 8080\n" in out
    assert ("istio-system/kyma-project.io--allow-prometheus (bad/unknown.yaml:4): carries the managed labels "
            "but is not a policy the module creates\n") in out
    assert out.rstrip().endswith("Module policies not in the input: kyma-project.io--istio-cni-node, "
                                 "kyma-project.io--istio-ingressgateway-egress, kyma-project.io--istio-egressgateway, "
                                 "kyma-project.io--allow-istio-controller-manager, kyma-project.io--istio-pilot, "
                                 "kyma-project.io--istio-pilot-jwks")


def test_diff_managed_clean_input_exits_0():
    proc = run_cli("diff-managed", "good", "--format", "json", cwd=FIXTURES / "npl302")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["missing"] == []
    assert [(p["name"], p["differences"], p["managed"]) for p in report["policies"]] == [(n, [], True) for n in NAMES]
    assert report["policies"][0]["tolerated"][-1] == "API-server port 6443"


def test_diff_managed_includes_unlabelled_copies(tmp_path):
    p = module_policy("kyma-project.io--istio-pilot-jwks")
    del p["metadata"]["labels"]
    p["spec"]["egress"][0]["ports"].pop(0)
    (tmp_path / "copy.json").write_text(json.dumps(p))
    proc = run_cli("diff-managed", "copy.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("istio-system/kyma-project.io--istio-pilot-jwks (copy.json:1) [no managed labels]: "
                                  "1 difference from the module's policy\n")
    assert "egress[0]: port TCP 80 removed" in proc.stdout


def test_namespace_from_the_default_namespace():
    p = module_policy("kyma-project.io--istio-pilot-jwks")
    del p["metadata"]["namespace"]
    assert _diff(p) == [("metadata.namespace: not set, but the module creates this policy in istio-system",
                         ("metadata",))]
    assert compare_with_module(p, None, "istio-system").differences == []
    assert [d.text for d in compare_with_module(p, None, "default").differences] == [
        "metadata.namespace: default (by default), but the module creates this policy in istio-system"]
