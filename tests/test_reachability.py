"""Focused tests of every semantic rule of the reachability engine, and of the Istio world."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from netpol_lint.analysis.endpoints import TLS_MODE_LABEL
from netpol_lint.analysis.ipblocks import IPBlock, IPSet, selects_unknown_pod, split_atoms, to_int
from netpol_lint.analysis.portsets import ALL, EMPTY, PortSet, RulePorts, valid_port_name
from netpol_lint.analysis.reachability import EndpointError, Network, PortError
from netpol_lint.analysis.selectors import LabelIndex, parse_selector
from netpol_lint.config import Config
from netpol_lint.model.resources import ContainerPort
from netpol_lint.model.session import Session


def net(text: str, *, istio: bool = False, config: Config | None = None, assume: str | None = None, **kw) -> Network:
    session = Session.load(["-"], config or Config(), stdin_text=textwrap.dedent(text), assume_network_policies=assume)
    return Network.build(session, istio_world=istio, **kw)


def _doc(data: dict) -> str:
    return "\n---\n" + yaml.safe_dump(data, sort_keys=False)


def pod(name, ns_="default", labels=None, ports=(), host_network=False, ip=None, kind="Deployment"):
    """A workload (or bare Pod with ``ip``) as YAML text."""
    spec = {"containers": [{"name": "c", "ports": [{"name": n, "containerPort": p, "protocol": pr}
                                                   for n, p, pr in ports]}]}
    if host_network:
        spec["hostNetwork"] = True
    if kind == "Pod":
        data = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns_, "labels": dict(labels or {})}, "spec": spec}
        if ip:
            data["status"] = {"podIP": ip}
        return _doc(data)
    return _doc({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns_},
                 "spec": {"template": {"metadata": {"labels": dict(labels or {})}, "spec": spec}}})


def ns(name, labels=None):
    return _doc({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}})


def policy(name, ns_, spec: str):
    return _doc({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": name, "namespace": ns_}, "spec": yaml.safe_load(textwrap.dedent(spec))})


WORLD = ns("a", {"team": "red"}) + ns("b", {"team": "blue"}) + pod("web", "a", {"app": "web"}) + \
    pod("db", "a", {"app": "db"}) + pod("web", "b", {"app": "web"}) + pod("other", "b", {"app": "other"})


def ok(n, s, d, port=80, proto="TCP"):
    return n.allowed(s, d, port, proto).allowed


# -- selectors -------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, labels, expected", [
    ({}, {"a": "1"}, True),
    (None, {}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "x"}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"}, False),
    # malformed: matches nothing
    ("app=web", {"app": "web"}, False),
    ({"app": "web"}, {"app": "web"}, False),
    ({"matchLabels": {"a": 1}}, {"a": "1"}, False),
    ({"matchLabels": ["a"]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": "a"}, {"a": "1"}, False),
])
def test_selector_matching(raw, labels, expected):
    sel = parse_selector(raw)
    assert sel.matches(labels) is expected
    index = LabelIndex([labels, {}])
    assert bool(sel.mask(index) & 1) is expected


def test_selector_mask_agrees_with_matches():
    sets = [{"a": "1"}, {"a": "2", "b": "x"}, {}, {"b": "y"}]
    index = LabelIndex(sets)
    sel = parse_selector({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]},
                                               {"key": "b", "operator": "Exists"}]})
    assert [bool(sel.mask(index) >> i & 1) for i in range(4)] == [sel.matches(s) for s in sets] == [False, True, False, True]


# -- port sets -------------------------------------------------------------------------------
def test_portset_algebra_and_text():
    a = PortSet({"TCP": [(80, 80), (8080, 8090)], "UDP": [(53, 53)]})
    b = PortSet({"TCP": [(81, 8085)]})
    assert (a | b).to_text() == "TCP 80-8090,UDP 53"
    assert (a & b).to_text() == "TCP 8080-8085"
    assert (a & b).to_json() == {"TCP": [[8080, 8085]]}
    assert ALL.to_text() == "All Connections" and ALL.to_json() == "All Connections"
    assert EMPTY.to_text() == "No Connections" and not EMPTY
    assert (ALL & a) == a and (a | ALL).is_all
    assert PortSet({"TCP": [(1, 3), (4, 6)]}) == PortSet.of("TCP", 1, 6)
    assert PortSet({"UDP": [(9090, 9090)], "SCTP": [(7070, 7070)], "TCP": [(8080, 8081)]}).to_text() == \
        "SCTP 7070,TCP 8080-8081,UDP 9090"
    assert (8085, "TCP") in a and (53, "TCP") not in a
    assert PortSet.from_json(a.to_json()) == a and PortSet.from_json("All Connections").is_all


def test_rule_ports():
    dst = (ContainerPort("http", 8080, "TCP"), ContainerPort("dns", 53, "UDP"))
    assert RulePorts(None).resolve(dst).is_all and RulePorts([]).resolve(dst).is_all
    assert RulePorts([{"port": 80}]).resolve(dst).to_text() == "TCP 80"
    assert RulePorts([{"protocol": "UDP"}]).resolve(dst).to_text() == "UDP 1-65535"
    assert RulePorts([{"port": 8000, "endPort": 8010}]).resolve(dst).to_text() == "TCP 8000-8010"
    assert RulePorts([{"port": "http"}]).resolve(dst).to_text() == "TCP 8080"
    assert RulePorts([{"port": "dns"}]).resolve(dst).to_text() == "No Connections"      # protocol must match
    assert RulePorts([{"port": "dns", "protocol": "UDP"}]).resolve(dst).to_text() == "UDP 53"
    for bad in ({"port": "80"}, {"port": 0}, {"port": 70000}, {"port": 90, "endPort": 80}, {"port": "http", "endPort": 90},
                {"port": 80, "protocol": "ICMP"}, {"port": 80, "protocol": "tcp"}, "80", {"prot": "TCP"}):
        assert not RulePorts([bad]).resolve(dst), bad
    assert RulePorts("80").resolve(dst) == EMPTY
    assert valid_port_name("http-alt") and not valid_port_name("80") and not valid_port_name("a--b")


# -- ip blocks -------------------------------------------------------------------------------
def test_ipblock_except_and_ipv6():
    b = IPBlock({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]})
    assert b.valid and b.set.contains(to_int("10.2.3.4")) and not b.set.contains(to_int("10.1.2.3"))
    v6 = IPBlock({"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]})
    assert v6.valid and v6.set.contains(to_int("2001:db8:2::1")) and not v6.set.contains(to_int("2001:db8:1::1"))
    assert not v6.set.contains(to_int("10.0.0.1"))
    for bad in ({"cidr": "10.0.0.0/33"}, {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]},
                {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}, {"cidr": 10}, {"cidrs": "10.0.0.0/8"}):
        assert not IPBlock(bad).valid, bad


def test_split_atoms_netpol_analyzer_style():
    block = IPBlock({"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.21.0.0/16"]})
    atoms = split_atoms([block.set], IPSet.universe(ipv6=False))
    texts = [IPSet([a]).text() for a in atoms]
    assert texts == ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-172.20.255.255",
                     "172.21.0.0-172.21.255.255", "172.22.0.0-255.255.255.255"]


def test_unknown_pod_address_rules():
    everything = IPBlock({"cidr": "0.0.0.0/0"})
    public = IPBlock({"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]})
    no_private = IPBlock({"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]})
    pods = IPBlock({"cidr": "100.96.0.0/11"})
    assert selects_unknown_pod(everything, []) and selects_unknown_pod(public, [])
    assert not selects_unknown_pod(no_private, []) and not selects_unknown_pod(pods, [])
    cidrs = [IPSet.from_cidr("100.96.0.0/11")]
    assert selects_unknown_pod(pods, cidrs) and not selects_unknown_pod(IPBlock({"cidr": "100.96.0.0/12"}), cidrs)
    assert selects_unknown_pod(everything, [], host_network=True) and not selects_unknown_pod(public, [], host_network=True)


# -- isolation and policy types --------------------------------------------------------------
def test_no_policy_allows_everything_and_isolated_api():
    n = net(WORLD)
    assert ok(n, "a/web", "b/web", 1, "SCTP")
    assert n.isolated("a/web", "Ingress") == [] and n.reachable_ports("a/web", "a/db").is_all


def test_isolation_per_direction_by_policy_types():
    n = net(WORLD + policy("deny-in", "a", "podSelector: {}\npolicyTypes: [Ingress]"))
    assert not ok(n, "b/web", "a/web") and ok(n, "a/web", "b/web")
    assert [p.name for p in n.isolated("a/web", "Ingress")] == ["deny-in"] and n.isolated("a/web", "Egress") == []
    n = net(WORLD + policy("deny-out", "a", "podSelector: {}\npolicyTypes: [Egress]"))
    assert ok(n, "b/web", "a/web") and not ok(n, "a/web", "b/web")


def test_defaulted_policy_types():
    # egress rules present, no policyTypes: Ingress + Egress
    n = net(WORLD + policy("p", "a", "podSelector: {matchLabels: {app: web}}\negress: [{ports: [{port: 53}]}]"))
    assert not ok(n, "b/web", "a/web") and ok(n, "a/web", "b/web", 53) and not ok(n, "a/web", "b/web", 80)
    # egress: [] without policyTypes: API defaulting gives Ingress only
    n = net(WORLD + policy("p", "a", "podSelector: {}\negress: []"))
    assert ok(n, "a/web", "b/web") and not ok(n, "b/web", "a/web")


def test_allowed_needs_both_sides_and_policies_union():
    text = WORLD + policy("deny", "a", "podSelector: {}\npolicyTypes: [Ingress, Egress]") + \
        policy("in-db", "a", "podSelector: {matchLabels: {app: db}}\n"
                             "ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]")
    n = net(text)
    assert not ok(n, "a/web", "a/db")       # egress of a/web still isolated with no rule
    n = net(text + policy("out-web", "a", "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Egress]\negress: [{}]"))
    assert ok(n, "a/web", "a/db") and not ok(n, "a/db", "a/web")
    v = n.allowed("a/web", "a/db", 80)
    assert v.ingress.policy_names == ["a/deny", "a/in-db"] and "a/in-db ingress[0]" in v.ingress.explanation


# -- peers ------------------------------------------------------------------------------------
def isolate_db(rule: str) -> Network:
    return net(WORLD + policy("p", "a", "podSelector: {matchLabels: {app: db}}\ningress:\n" + textwrap.indent(rule, "  ")))


def test_pod_selector_alone_means_same_namespace():
    n = isolate_db("- from: [{podSelector: {matchLabels: {app: web}}}]")
    assert ok(n, "a/web", "a/db") and not ok(n, "b/web", "a/db")


def test_namespace_selector_alone_means_all_pods_there():
    n = isolate_db("- from: [{namespaceSelector: {matchLabels: {team: blue}}}]")
    assert ok(n, "b/web", "a/db") and ok(n, "b/other", "a/db") and not ok(n, "a/web", "a/db")


def test_both_selectors_in_one_peer_are_anded():
    n = isolate_db("- from: [{namespaceSelector: {matchLabels: {team: blue}}, podSelector: {matchLabels: {app: web}}}]")
    assert ok(n, "b/web", "a/db") and not ok(n, "b/other", "a/db") and not ok(n, "a/web", "a/db")


def test_two_peers_are_ored_and_namespace_name_label_is_implicit():
    n = isolate_db("- from:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}\n"
                   "  - podSelector: {matchLabels: {app: web}}")
    assert ok(n, "b/other", "a/db") and ok(n, "a/web", "a/db")


def test_empty_selectors_and_missing_or_empty_from():
    n = isolate_db("- from: [{namespaceSelector: {}}]")
    assert ok(n, "b/other", "a/db") and not ok(n, "ip:8.8.8.8", "a/db")
    n = isolate_db("- from: [{podSelector: {}}]")
    assert ok(n, "a/web", "a/db") and not ok(n, "b/web", "a/db")
    for rule in ("- {}", "- from: []", "- ports: [{port: 80}]"):
        n = isolate_db(rule)
        assert ok(n, "b/web", "a/db") and ok(n, "ip:8.8.8.8", "a/db"), rule


def test_no_rules_admit_nothing():
    n = net(WORLD + policy("p", "a", "podSelector: {matchLabels: {app: db}}\ningress: []"))
    assert not ok(n, "a/web", "a/db")


# -- ports ------------------------------------------------------------------------------------
def test_ports_protocol_endport_and_named_ports():
    text = ns("a") + pod("web", "a", {"app": "web"}) + \
        pod("db", "a", {"app": "db"}, ports=[("sql", 5432, "TCP"), ("sql", 5433, "UDP")])
    n = net(text + policy("p", "a", """
        podSelector: {matchLabels: {app: db}}
        ingress:
        - ports: [{port: sql}, {port: 7000, endPort: 7002, protocol: UDP}]"""))
    assert ok(n, "a/web", "a/db", 5432) and not ok(n, "a/web", "a/db", 5433, "UDP")
    assert ok(n, "a/web", "a/db", 7001, "UDP") and not ok(n, "a/web", "a/db", 7001)
    assert n.reachable_ports("a/web", "a/db").to_text() == "TCP 5432,UDP 7000-7002"
    assert n.allowed("a/web", "a/db", "sql").port == 5432
    with pytest.raises(PortError):
        n.allowed("a/web", "a/db", "nope")
    with pytest.raises(PortError):
        n.allowed("a/web", "a/db", 80, "ICMP")


def test_named_port_in_egress_resolves_against_destination():
    text = WORLD + pod("api", "b", {"app": "api"}, ports=[("http", 8080, "TCP")])
    n = net(text + policy("p", "a", "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Egress]\n"
                                    "egress: [{ports: [{port: http}]}]"))
    assert ok(n, "a/web", "b/api", 8080) and not ok(n, "a/web", "b/web", 8080)
    assert not ok(n, "a/web", "ip:1.2.3.4", 8080)


# -- ipBlocks ---------------------------------------------------------------------------------
IP_PODS = ns("a") + pod("db", "a", {"app": "db"}, kind="Pod", ip="10.1.0.5") + \
    pod("web", "a", {"app": "web"}, kind="Pod", ip="10.2.0.5") + pod("job", "a", {"app": "job"})


def ip_policy(block: str) -> str:
    return policy("p", "a", "podSelector: {matchLabels: {app: db}}\ningress: [{from: [{ipBlock: " + block + "}]}]")


def test_ipblock_for_external_addresses():
    n = net(IP_PODS + ip_policy("{cidr: 192.168.0.0/16, except: [192.168.1.0/24]}"))
    assert ok(n, "ip:192.168.2.1", "a/db") and not ok(n, "ip:192.168.1.1", "a/db") and not ok(n, "ip:8.8.8.8", "a/db")
    n = net(IP_PODS + ip_policy("{cidr: 'fd00::/8'}"))
    assert ok(n, "ip:fd00::1", "a/db") and not ok(n, "ip:fe80::1", "a/db")


def test_ipblock_selects_pods_by_known_address_or_never():
    text = IP_PODS + ip_policy("{cidr: 10.2.0.0/16}")
    assert ok(net(text), "a/web", "a/db") and not ok(net(text), "a/job", "a/db")
    assert not ok(net(text, ipblock_pods="never"), "a/web", "a/db")


def test_ipblock_and_pods_of_unknown_address():
    assert ok(net(IP_PODS + ip_policy("{cidr: 0.0.0.0/0, except: [169.254.0.0/16]}")), "a/job", "a/db")
    assert not ok(net(IP_PODS + ip_policy("{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}")), "a/job", "a/db")
    cfg = Config(pod_cidrs=["100.96.0.0/11"])
    assert ok(net(IP_PODS + ip_policy("{cidr: 100.64.0.0/10}"), config=cfg), "a/job", "a/db")
    assert not ok(net(IP_PODS + ip_policy("{cidr: 100.96.0.0/12}"), config=cfg), "a/job", "a/db")


# -- host network -----------------------------------------------------------------------------
def test_host_network_pods_are_outside_enforcement():
    text = WORLD + pod("agent", "a", {"app": "agent"}, host_network=True) + \
        policy("deny", "a", "podSelector: {}\npolicyTypes: [Ingress, Egress]") + \
        policy("from-agent", "a", "podSelector: {matchLabels: {app: db}}\n"
                                  "ingress: [{from: [{podSelector: {matchLabels: {app: agent}}}]}]")
    n = net(text)
    v = n.allowed("b/web", "a/agent", 80)
    assert v.allowed and "host network" in v.ingress.explanation
    assert not ok(n, "a/agent", "a/db")           # selector peers never match a host-network pod
    assert "host network" in n.allowed("a/agent", "a/db", 80).ingress.explanation
    enforced = net(text, host_network_enforced=True)
    assert not ok(enforced, "b/web", "a/agent") and ok(enforced, "a/agent", "b/web") is False


# -- malformed input --------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [
    "podSelector: {}\ningress: [{from: {podSelector: {}}}]",
    "podSelector: {}\ningress: [{from: [{}]}]",
    "podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]",
    "podSelector: {}\ningress: [{to: [{podSelector: {}}]}]",
    "podSelector: {}\ningress: ['garbage']",
    "podSelector: {}\ningress: [{ports: [{port: [80]}]}]",
    "podSelector: {}\ningress: [{from: [{podSelector: {matchLabels: {app: [web]}}}]}]",
])
def test_malformed_rule_parts_match_nothing(spec):
    n = net(WORLD + policy("p", "a", spec))
    assert not ok(n, "a/web", "a/db")
    assert "a/p" in n.allowed("a/web", "a/db", 80).ingress.explanation


@pytest.mark.parametrize("spec", ["podSelector: web", "podSelector: {matchLabels: {app: 1}}"])
def test_policy_with_invalid_pod_selector_selects_nothing(spec):
    assert ok(net(WORLD + policy("p", "a", spec)), "a/web", "a/db")


def test_policy_with_wrong_spec_type_is_ignored():
    text = WORLD + "\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec: [1]\n"
    assert ok(net(text), "a/web", "a/db")


# -- endpoints --------------------------------------------------------------------------------
def test_endpoint_ids_and_lookup():
    text = ns("a") + pod("web", "a", {"app": "web"}) + pod("web", "a", {"app": "web"}, kind="StatefulSet") + \
        pod("db", "a", {"app": "db"})
    n = net(text)
    assert sorted(e.id for e in n.endpoints) == ["a/Deployment/web", "a/StatefulSet/web", "a/db"]
    assert n.endpoint("a/statefulset/web").kind == "StatefulSet" and n.endpoint("Deployment/a/web").kind == "Deployment"
    with pytest.raises(EndpointError, match="ambiguous"):
        n.endpoint("a/web")
    with pytest.raises(EndpointError):
        n.endpoint("a/missing")
    with pytest.raises(EndpointError):
        n.endpoint("ip:not-an-ip")
    assert n.endpoint(n.endpoints[0].workload) is n.endpoints[0]


def test_dump_pods_become_one_endpoint_per_owner():
    text = ns("a") + "".join(f"""
---
apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  namespace: a
  labels: {{app: web}}
  ownerReferences: [{{kind: ReplicaSet, name: web-7d9, controller: true}}]
status: {{podIP: 10.0.0.{i}}}
""" for i in (1, 2)) + """
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-node1
  namespace: a
  ownerReferences: [{kind: Node, name: node1, controller: true}]
"""
    n = net(text)
    assert sorted((e.id, e.kind) for e in n.endpoints) == [("a/etcd-node1", "Pod"), ("a/web-7d9", "ReplicaSet")]
    assert n.endpoint("a/web-7d9").ips == ("10.0.0.1", "10.0.0.2")


def test_typed_list_items_without_kind_are_read():
    text = """
apiVersion: v1
kind: PodList
items:
- metadata: {name: lone, namespace: a, labels: {app: lone}}
  spec: {containers: [{name: c}]}
"""
    assert [e.id for e in net(text).endpoints] == ["a/lone"]


# -- connections ------------------------------------------------------------------------------
def test_connections_fold_ports_and_split_external_ranges():
    n = net(WORLD + policy("p", "a", """
        podSelector: {matchLabels: {app: db}}
        ingress:
        - from: [{podSelector: {matchLabels: {app: web}}}]
          ports: [{port: 5432}, {port: 5433}]
        - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
          ports: [{port: 22}]"""))
    conns = {(c.src.id, c.dst.id): c for c in n.connections()}
    assert conns[("a/web", "a/db")].ports.to_text() == "TCP 5432-5433"
    assert conns[("a/web", "a/db")].ingress_policies == ("a/p",)
    assert ("b/web", "a/db") not in conns and ("a/db", "a/db") not in conns
    assert conns[("ip:10.0.0.0-10.255.255.255", "a/db")].ports.to_text() == "TCP 22"
    assert ("ip:0.0.0.0-9.255.255.255", "a/db") not in conns
    assert conns[("ip:0.0.0.0-9.255.255.255", "a/web")].ports.is_all
    assert conns[("a/db", "ip:0.0.0.0-255.255.255.255")].ports.is_all


# -- the Istio world --------------------------------------------------------------------------
APP = ns("shop", {"istio-injection": "enabled"}) + \
    pod("front", "shop", {"app": "front", "networking.kyma-project.io/from-ingressgateway": "allowed"}) + \
    pod("back", "shop", {"app": "back"}) + ns("plain") + pod("legacy", "plain", {"app": "legacy"})
IGW, ISTIOD = "istio-system/istio-ingressgateway", "istio-system/istiod"


def test_istio_world_components_and_switch():
    n = net(APP, istio=True)
    ids = {e.id for e in n.endpoints}
    assert {IGW, ISTIOD, "istio-system/istio-cni-node", "kyma-system/istio-controller-manager"} <= ids
    assert "istio-system/istio-egressgateway" not in ids
    assert all(n.endpoint(i).synthetic for i in (IGW, ISTIOD))
    # Kyma runs Istio in sidecar mode: the CNI agent is on the pod network (data/platform.yaml)
    assert not n.endpoint("istio-system/istio-cni-node").host_network
    # the platform's own endpoints (Gardener by default): CoreDNS and the API server's VPN caller
    assert {"kube-system/coredns", "kube-system/vpn-shoot"} <= ids
    assert not any(e.synthetic for e in net(APP).endpoints)


def test_policies_enabled_gateway_reaches_only_labelled_pods():
    n = net(APP, istio=True, assume="enabled")
    assert ok(n, IGW, "shop/front", 8080) and ok(n, IGW, "shop/front", 1234, "UDP")
    v = n.allowed(IGW, "shop/back", 8080)
    assert not v.allowed and not v.egress.allowed and v.ingress.allowed
    assert "kyma-project.io--istio-ingressgateway-egress" in " ".join(v.egress.policy_names)
    assert ok(n, "ip:203.0.113.7", IGW, 8443) and not ok(n, "ip:203.0.113.7", IGW, 15021)
    off = net(APP, istio=True, assume="disabled")
    assert ok(off, IGW, "shop/back", 8080) and off.isolated(IGW, "Egress") == []


def test_sidecar_pods_reach_istiod_only_with_tls_mode_label():
    n = net(APP, istio=True, assume="enabled")
    assert n.endpoint("shop/back").labels.get(TLS_MODE_LABEL) == "istio" and n.endpoint("shop/back").sidecar
    assert ok(n, "shop/back", ISTIOD, 15012) and not ok(n, "plain/legacy", ISTIOD, 15012)
    assert ok(n, "plain/legacy", ISTIOD, 15017) and not ok(n, "shop/back", ISTIOD, 15014)


def test_user_deny_all_in_istio_system_composes_with_module_policies():
    deny = policy("deny-all", "istio-system", "podSelector: {}\npolicyTypes: [Ingress, Egress]")
    n = net(APP + deny, istio=True, assume="enabled")
    assert ok(n, "ip:198.51.100.1", IGW, 8080)          # the module's rule still admits it: union
    assert ok(n, IGW, "shop/front", 8080) and ok(n, "shop/back", ISTIOD, 15012)
    v = n.allowed("ip:198.51.100.1", IGW, 15090)
    assert not v.allowed and "istio-system/deny-all" in v.ingress.policy_names
    off = net(APP + deny, istio=True, assume="disabled")
    assert not ok(off, "ip:198.51.100.1", IGW, 8080) and not ok(off, IGW, "shop/front", 8080)


def test_egress_gateway_when_enabled_or_selected():
    cr = """
---
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
  components: {egressGateway: {enabled: true}}
"""
    gw = """
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress, namespace: istio-system}
spec: {selector: {istio: egressgateway}}
"""
    for extra in (cr, gw):
        n = net(APP + extra, istio=True)
        egw = n.endpoint("istio-system/istio-egressgateway")
        assert egw.synthetic and egw.labels["istio"] == "egressgateway"
    n = net(APP + cr + pod("out", "shop", {"networking.kyma-project.io/to-egressgateway": "allowed"}), istio=True)
    egw = "istio-system/istio-egressgateway"
    assert ok(n, "shop/out", egw, 443) and not ok(n, "shop/back", egw, 443)


def test_input_defined_components_and_policies_win():
    own = pod("istiod", "istio-system", {"app": "istiod", "istio": "pilot", "custom": "yes"})
    mod = policy("kyma-project.io--istio-pilot", "istio-system",
                 "podSelector: {matchLabels: {istio: pilot}}\npolicyTypes: [Ingress]")
    n = net(APP + own + mod, istio=True, assume="enabled")
    assert not n.endpoint(ISTIOD).synthetic and n.endpoint(ISTIOD).labels["custom"] == "yes"
    assert n.world.replaced_policies == ["istio-system/kyma-project.io--istio-pilot"]
    assert not ok(n, "shop/back", ISTIOD, 15012)        # the input's version of the policy is live


def test_api_server_port_substitution():
    cfg = Config(api_server_port=6443)
    n = net(APP, istio=True, assume="enabled", config=cfg)
    cm = "kyma-system/istio-controller-manager"
    assert ok(n, cm, "ip:10.0.0.1", 6443) and not ok(n, cm, "ip:10.0.0.1", 443)
    default = net(APP, istio=True, assume="enabled")
    assert ok(default, cm, "ip:10.0.0.1", 443) and not ok(default, cm, "ip:10.0.0.1", 6443)
