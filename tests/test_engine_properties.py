"""Properties of the engine over random clusters (hypothesis).

* Allow rules only add: once every pod is isolated both ways, adding policies never removes a
  connection or a port.
* A deny-by-default policy never adds a connection.
* The result does not depend on the order of the input documents.
"""
from __future__ import annotations

import random

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpol_lint.analysis.reachability import Network
from netpol_lint.config import Config
from netpol_lint.model.session import Session

pytestmark = pytest.mark.slow     # property runs: left out of `pytest -m "not slow"` (CI runs everything)

NAMESPACES = ("ns0", "ns1", "ns2")
LABEL_VALUES = ("a", "b")
EXTERNAL = ("ip:10.1.2.3", "ip:8.8.8.8", "ip:192.168.0.9")

labels = st.dictionaries(st.sampled_from(("app", "tier")), st.sampled_from(LABEL_VALUES), max_size=2)
selector = st.one_of(
    st.just({}),
    st.builds(lambda m: {"matchLabels": m}, labels),
    st.builds(lambda k, op, v: {"matchExpressions": [
        {"key": k, "operator": op, **({"values": [v]} if op in ("In", "NotIn") else {})}]},
              st.sampled_from(("app", "tier", "team")), st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
              st.sampled_from(LABEL_VALUES)),
)
peer = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selector),
    st.builds(lambda s: {"namespaceSelector": s}, selector),
    st.builds(lambda a, b: {"podSelector": a, "namespaceSelector": b}, selector, selector),
    st.builds(lambda c: {"ipBlock": {"cidr": c}}, st.sampled_from(("10.0.0.0/8", "0.0.0.0/0", "192.168.0.0/16"))),
    st.just({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}),
)
port = st.one_of(
    st.builds(lambda p, proto: {"port": p, "protocol": proto}, st.sampled_from((80, 443, 8080)), st.sampled_from(("TCP", "UDP"))),
    st.builds(lambda p: {"port": p, "endPort": p + 10}, st.sampled_from((80, 8080))),
    st.just({"port": "http"}),
    st.just({"protocol": "SCTP"}),
)


def _rule(peers, ports, field):
    r = {}
    if peers is not None:
        r[field] = peers
    if ports is not None:
        r["ports"] = ports
    return r


rule_parts = st.tuples(st.one_of(st.none(), st.lists(peer, max_size=2)),
                       st.one_of(st.none(), st.lists(port, min_size=1, max_size=2)))


@st.composite
def policies(draw, name_prefix="p"):
    out = []
    for i in range(draw(st.integers(0, 4))):
        spec = {"podSelector": draw(selector)}
        types = draw(st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"], None)))
        ingress = [_rule(p, q, "from") for p, q in draw(st.lists(rule_parts, max_size=2))]
        egress = [_rule(p, q, "to") for p, q in draw(st.lists(rule_parts, max_size=2))]
        if types:
            spec["policyTypes"] = types
        if types is None or "Ingress" in types:
            spec["ingress"] = ingress
        if types is None or "Egress" in types:
            spec["egress"] = egress
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": f"{name_prefix}{i}", "namespace": draw(st.sampled_from(NAMESPACES))},
                    "spec": spec})
    return out


@st.composite
def clusters(draw):
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": draw(st.dictionaries(
        st.just("team"), st.sampled_from(LABEL_VALUES), max_size=1))}} for n in NAMESPACES]
    for i in range(draw(st.integers(1, 5))):
        ports = [{"name": "http", "containerPort": draw(st.sampled_from((80, 8080, 9090)))}] if draw(st.booleans()) else []
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": f"w{i}", "namespace": draw(st.sampled_from(NAMESPACES))},
                     "spec": {"template": {"metadata": {"labels": draw(labels)},
                                           "spec": {"containers": [{"name": "c", "ports": ports}]}}}})
    return docs


def _network(docs: list[dict]) -> Network:
    text = yaml.safe_dump_all(docs, sort_keys=False)
    return Network.build(Session.load(["-"], Config(), stdin_text=text), istio_world=False)


def _reach(n: Network) -> dict:
    out = {(c.src.id, c.dst.id): c.ports for c in n.connections(include_external=False)}
    for e in n.endpoints:
        for ip in EXTERNAL:
            for pair in ((ip, e.id), (e.id, ip)):
                ports = n.reachable_ports(*pair)
                if ports:
                    out[pair] = ports
    return out


def _included(small: dict, big: dict) -> bool:
    return all(k in big and (ports & big[k]) == ports for k, ports in small.items())


def _deny_all(ns: str, name: str = "zz-deny") -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(clusters(), policies("a"), policies("b"))
def test_allow_policies_only_add_once_isolated(cluster, base, extra):
    denies = [_deny_all(n) for n in NAMESPACES]
    before = _reach(_network(cluster + denies + base))
    after = _reach(_network(cluster + denies + base + extra))
    assert _included(before, after)


@SETTINGS
@given(clusters(), policies(), st.sampled_from(NAMESPACES), st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"])))
def test_deny_by_default_never_adds(cluster, pols, ns, types):
    deny = _deny_all(ns)
    deny["spec"]["policyTypes"] = types
    before = _reach(_network(cluster + pols))
    after = _reach(_network(cluster + pols + [deny]))
    assert _included(after, before)


@SETTINGS
@given(clusters(), policies(), st.randoms(use_true_random=False))
def test_independent_of_document_order(cluster, pols, rnd: random.Random):
    docs = cluster + pols
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    a, b = _network(docs), _network(shuffled)
    assert [c.to_json() for c in a.connections()] == [c.to_json() for c in b.connections()]


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.sampled_from(("", "TCP", "10.0.0.0/8", "http", "x"))),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(("podSelector", "namespaceSelector", "ipBlock", "from", "to",
                                                             "ports", "port", "endPort", "protocol", "cidr", "except",
                                                             "matchLabels", "matchExpressions", "key", "operator",
                                                             "values", "app")), inner, max_size=3)),
    max_leaves=12)
SPEC_PATHS = (("podSelector",), ("policyTypes",), ("ingress",), ("egress",), ("ingress", 0), ("egress", 0),
              ("ingress", 0, "from"), ("egress", 0, "to"), ("ingress", 0, "ports"), ("ingress", 0, "from", 0),
              ("egress", 0, "to", 0, "ipBlock"), ("ingress", 0, "ports", 0), ("podSelector", "matchExpressions"))


@SETTINGS
@given(clusters(), st.lists(st.tuples(st.sampled_from(SPEC_PATHS), json_values), min_size=1, max_size=4))
def test_never_crashes_on_malformed_policies(cluster, mutations):
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 80}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
    for path, value in mutations:
        cur = spec
        for step in path[:-1]:
            nxt = cur[step] if isinstance(cur, dict) and step in cur else (
                cur[step] if isinstance(cur, list) and isinstance(step, int) and step < len(cur) else None)
            if not isinstance(nxt, (dict, list)):
                break
            cur = nxt
        else:
            if isinstance(cur, dict):
                cur[path[-1]] = value
            elif isinstance(cur, list) and isinstance(path[-1], int) and path[-1] < len(cur):
                cur[path[-1]] = value
    docs = cluster + [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": "fuzz", "namespace": "ns0"}, "spec": spec}]
    n = _network(docs)
    _reach(n)
    for e in n.endpoints:
        for other in ("ip:10.0.0.1", n.endpoints[0].id):
            v = n.allowed(e.id, other, 80)
            assert isinstance(v.explanation, str) and isinstance(v.to_json(), dict)
