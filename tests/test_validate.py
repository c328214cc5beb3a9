"""Structural validation (netpol_lint.model.validate, rule NPL003): Kubernetes' own rules, exactly.

Each case states what the API server does with the value, so a change in a validator that
drifts from Kubernetes fails here with the reason next to it.
"""
from __future__ import annotations

import ipaddress

import pytest

from netpol_lint.load.loader import SourceFile, parse_text
from netpol_lint.model.index import Model
from netpol_lint.model.validate import (
    field_path, is_valid, label_key_problem, label_value_problem, parse_cidr, port_name_problem, problems,
)


def resources(text: str):
    return Model.build([parse_text(SourceFile("t.yaml"), text)]).resources


def only(text: str):
    (r,) = resources(text)
    return r


def policy(spec: str) -> str:
    return ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\n"
            "spec:\n" + spec)


def summary(r) -> list[tuple[str, int, int]]:
    """(field path, line, column) of each problem, located the way NPL003 reports it."""
    out = []
    for p in problems(r):
        loc = r.locate(*p.path, key=p.at_key)
        out.append((field_path(p.path), loc.line, loc.column))
    return out


# -- value checks ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["http", "h2c", "metrics-9090", "a" * 15, "x1", "grpc-web"])
def test_valid_port_names(name):
    assert port_name_problem(name) is None


@pytest.mark.parametrize("name, reason", [
    ("", "lowercase alphanumerics"),
    ("8080", "at least one letter"),
    ("HTTP", "lowercase alphanumerics"),
    ("http_web", "lowercase alphanumerics"),
    ("-http", "begin or end with a hyphen"),
    ("http-", "begin or end with a hyphen"),
    ("web--http", "consecutive hyphens"),
    ("frontend-metrics", "no more than 15 characters"),
])
def test_invalid_port_names_say_why(name, reason):
    assert reason in port_name_problem(name)


def test_quoted_number_as_port_name_gets_a_hint():
    assert "write 8080 without quotes" in port_name_problem("8080")


@pytest.mark.parametrize("key", ["app", "app.kubernetes.io/name", "networking.kyma-project.io/from-ingressgateway",
                                 "a" * 63, "example.com/" + "b" * 63, "80", "A_b.c-D"])
def test_valid_label_keys(key):
    assert label_key_problem(key) is None


@pytest.mark.parametrize("key", ["", "-app", "app-", "a" * 64, "a/b/c", "/app", "Example.com/app", "example.com/",
                                 "x" * 254 + "/app", "app name"])
def test_invalid_label_keys(key):
    assert label_key_problem(key) is not None


@pytest.mark.parametrize("value", ["", "allowed", "true", "1.4.2_rc-1", "a" * 63, "A.b-C_d"])
def test_valid_label_values(value):
    assert label_value_problem(value) is None


@pytest.mark.parametrize("value", ["production!", "-x", "x-", "a b", "a" * 64, "ä"])
def test_invalid_label_values(value):
    assert label_value_problem(value) is not None


@pytest.mark.parametrize("text, network", [
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("10.0.0.1/24", "10.0.0.0/24"),       # host bits set: accepted (the API server only warns)
    ("10.0.0.0/08", "10.0.0.0/8"),        # Go's dtoi reads leading zeros in the prefix
    ("::ffff:10.0.0.1/120", "::ffff:a00:0/120"),   # embedded IPv4 (an IPv6 network)
    ("::1.2.3.4/128", "::102:304/128"),
    ("1:2:3:4:5:6:1.2.3.4/96", "1:2:3:4:5:6::/96"),
    ("1::/16", "1::/16"),
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("::/0", "::/0"),
    ("2001:db8::1/64", "2001:db8::/64"),
    ("FE80::/10", "fe80::/10"),
])
def test_cidrs_the_api_server_accepts(text, network):
    assert parse_cidr(text) == ipaddress.ip_network(network)


@pytest.mark.parametrize("text", ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "256.0.0.0/8", "10.0.0.0/255.0.0.0",
                                  " 10.0.0.0/8", "10.0.0.0/8 ", "fe80::1%eth0/64", "2001:db8::/129", "", "/8",
                                  "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "a.b.c.d/8",
                                  # Go >= 1.17 rejects IPv4 leading zeros (ambiguous octal)
                                  "010.0.0.0/8", "10.00.0.0/16", "10.0.0.00/32", "::ffff:010.0.0.1/128",
                                  "\t10.0.0.0/8", "10.0.0.0/8\n", "1:2:3:4:5:6:7::8/64", "1.2.3.4::/64",
                                  "::1.2.3.4:0/128", "12345::/16", "1:::2/64", "١٠.0.0.0/8", "10.0.0.0/٨"])
def test_cidrs_the_api_server_rejects(text):
    assert parse_cidr(text) is None


# -- NetworkPolicy ---------------------------------------------------------------------

def test_endport_rules():
    r = only(policy("  podSelector: {}\n  ingress:\n  - ports:\n"
                    "    - {port: 8000, endPort: 8000}\n"       # equal: fine
                    "    - {port: 8000, endPort: 7999}\n"       # below port
                    "    - {port: http, endPort: 8080}\n"       # named port
                    "    - {endPort: 8080}\n"                   # no port
                    "    - {port: 1, endPort: 65536}\n"         # out of range
                    "    - {port: 8000, endPort: '9000'}\n"))   # wrong type
    msgs = [p.message for p in problems(r)]
    assert len(msgs) == 5
    assert "greater than or equal to port 8000" in msgs[0]
    assert "port is a name" in msgs[1]
    assert "without a numeric port" in msgs[2]
    assert "between 1 and 65535" in msgs[3]
    assert "integer port number" in msgs[4]


def test_ipblock_excepts_must_be_strictly_inside_the_block():
    r = only(policy("  podSelector: {}\n  egress:\n  - to:\n"
                    "    - ipBlock: {cidr: 10.0.0.1/24, except: [10.0.0.0/25, 10.0.0.128/25]}\n"  # host bits + inside
                    "    - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.0/24, 10.0.1.0/25, '::/1', nope]}\n"
                    "    - ipBlock: {except: [10.0.0.0/25]}\n"
                    "    - ipBlock: {cidr: ''}\n"))
    assert [(field_path(p.path), p.message.split(": ", 1)[1]) for p in problems(r)] == [
        ("spec.egress[0].to[1].ipBlock.except[0]", "except '10.0.0.0/24' must be a strict subset of cidr '10.0.0.0/24'"),
        ("spec.egress[0].to[1].ipBlock.except[1]", "except '10.0.1.0/25' must be a strict subset of cidr '10.0.0.0/24'"),
        ("spec.egress[0].to[1].ipBlock.except[2]", "except '::/1' must be a strict subset of cidr '10.0.0.0/24'"),
        ("spec.egress[0].to[1].ipBlock.except[3]", "'nope' is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
        ("spec.egress[0].to[2].ipBlock", "cidr is required"),
        ("spec.egress[0].to[3].ipBlock.cidr", "cidr is required"),
    ]


def test_peers_empty_null_and_mixed_with_ipblock():
    r = only(policy("  podSelector: {}\n  ingress:\n  - from:\n"
                    "    - {}\n"
                    "    -\n"
                    "    - {podSelector: null}\n"
                    "    - {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}\n"
                    "    - {namespaceSelector: {}, podSelector: {}}\n"))
    assert summary(r) == [("spec.ingress[0].from[0]", 10, 7), ("spec.ingress[0].from[1]", 11, 6),
                          ("spec.ingress[0].from[2]", 12, 7), ("spec.ingress[0].from[3]", 13, 7)]


def test_null_and_empty_rules_are_valid_they_admit_everything():
    assert is_valid(only(policy("  podSelector: {}\n  ingress:\n  -\n  - {}\n  - from: []\n    ports: []\n")))


def test_policy_types_unknown_and_too_many():
    r = only(policy("  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n"))
    assert [p.message for p in problems(r)] == [
        "spec.policyTypes: may not list more than two policyTypes (got 3)"]
    r = only(policy("  podSelector: {}\n  policyTypes: [Both, 1]\n"))
    assert [field_path(p.path) for p in problems(r)] == ["spec.policyTypes[0]", "spec.policyTypes[1]"]


def test_selector_operators_and_values():
    r = only(policy("  podSelector:\n    matchExpressions:\n"
                    "    - {key: a, operator: in, values: [x]}\n"
                    "    - {key: b, operator: NotIn, values: []}\n"
                    "    - {key: c, operator: DoesNotExist, values: [x]}\n"
                    "    - {key: d, operator: Exists, values: []}\n"     # empty list: fine
                    "    - {key: e, operator: In, values: [ok, 'bad value']}\n"
                    "    - {operator: Exists}\n"
                    "    -\n"))
    assert [field_path(p.path) for p in problems(r)] == [
        "spec.podSelector.matchExpressions[0].operator", "spec.podSelector.matchExpressions[1].values",
        "spec.podSelector.matchExpressions[2].values", "spec.podSelector.matchExpressions[4].values[1]",
        "spec.podSelector.matchExpressions[5]", "spec.podSelector.matchExpressions[6]"]


def test_unknown_fields_point_at_the_key_and_suggest_the_field():
    r = only(policy("  podselector: {}\n  ingress:\n  - form: []\n"))
    ps = problems(r)
    assert [(p.path, p.at_key) for p in ps] == [(("spec", "podselector"), True), (("spec", "ingress", 0, "form"), True)]
    assert "did you mean 'podSelector'?" in ps[0].message and "did you mean 'from'?" in ps[1].message
    assert summary(r) == [("spec.podselector", 7, 3), ("spec.ingress[0].form", 9, 5)]


def test_wrong_types_are_reported_once_and_not_guessed_into():
    r = only(policy("  podSelector: []\n  ingress:\n  - ports: 80\n    from: {podSelector: {}}\n"))
    assert [(field_path(p.path), p.message.split(": ", 1)[1]) for p in problems(r)] == [
        ("spec.podSelector", "must be a mapping, got list"),
        ("spec.ingress[0].ports", "must be a list, got integer 80"),
        ("spec.ingress[0].from", "must be a list, got mapping"),
    ]


# -- labels and YAML 1.1 ----------------------------------------------------------------

def test_yaml_11_booleans_and_numbers_as_label_values_say_how_to_fix():
    r = only("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n"
             "    a: yes\n    b: 'yes'\n    c: 8080\n    d: 1.5\n    e: ~\n")
    assert [p.message for p in problems(r)] == [
        "metadata.labels.a: label value must be a string, got boolean true (YAML 1.1 reads the unquoted 'yes' "
        "as a boolean; quote it)",
        "metadata.labels.c: label value must be a string, got integer 8080 (quote it)",
        "metadata.labels.d: label value must be a string, got number 1.5 (quote it)",
    ]  # e: null decodes to "" and is valid


def test_integer_looking_label_keys_are_strings_like_kubectl_makes_them():
    r = only("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    80: web\n    true: x\n")
    assert r.data["metadata"]["labels"] == {"80": "web", "true": "x"}
    assert is_valid(r)


def test_annotation_values_must_be_strings():
    r = only("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/inject: true\n")
    assert summary(r) == [('metadata.annotations["sidecar.istio.io/inject"]', 6, 30)]


# -- workloads and Services --------------------------------------------------------------

def test_container_ports():
    r = only("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
             "  - name: a\n    ports:\n    - {name: http, containerPort: 80}\n    - {name: http, containerPort: 81}\n"
             "    - {containerPort: 70000, protocol: HTTP}\n    - {name: x}\n"
             "  - name: b\n    ports:\n    - {name: http, containerPort: 80}\n")  # same name, other container: fine
    assert [field_path(p.path) for p in problems(r)] == [
        "spec.containers[0].ports[1].name", "spec.containers[0].ports[2].containerPort",
        "spec.containers[0].ports[2].protocol", "spec.containers[0].ports[3]"]


def test_service_target_port_forms():
    r = only("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n"
             "  - {name: a, port: 80, targetPort: 0}\n"        # defaulted to port
             "  - {name: b, port: 81, targetPort: ''}\n"       # defaulted to port
             "  - {name: c, port: 82, targetPort: http}\n"
             "  - {name: d, port: 83, targetPort: '8080'}\n"
             "  - {name: e, port: 84, targetPort: 65536}\n"
             "  - {name: f, port: 80}\n"                       # same port/protocol twice
             "  - {name: G, port: 86}\n")                      # not a DNS label
    assert [field_path(p.path) for p in problems(r)] == [
        "spec.ports[3].targetPort", "spec.ports[4].targetPort", "spec.ports[5].port", "spec.ports[6].name"]


def test_pod_ips_of_cluster_dumps():
    r = only("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  podIP: 10.1.2.3\n"
             "  podIPs: [{ip: 10.1.2.3}, {ip: 'fd00::5'}, {ip: 10.1.2.300}]\n")
    assert [field_path(p.path) for p in problems(r)] == ["status.podIPs[2].ip"]


def test_template_path_of_a_cronjob():
    r = only("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n"
             "      template: []\n")
    assert [p.message for p in problems(r)] == ["spec.jobTemplate.spec.template: must be a mapping, got list"]


# -- scope -------------------------------------------------------------------------------

def test_kinds_the_linter_does_not_read_are_not_judged():
    assert problems(only("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {a: yes}\n")) == []


def test_istio_cr_flag_is_left_to_npl401():
    r = only("apiVersion: operator.kyma-project.io/v1alpha2\nkind: Istio\nmetadata: {name: default, "
             "namespace: kyma-system}\nspec:\n  networkPoliciesEnabled: 'true'\n")
    assert is_valid(r)


def test_list_items_are_located_inside_the_list():
    (r,) = resources("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
                     "  metadata: {name: s}\n  spec:\n    ports:\n    - port: 0\n")
    assert summary(r) == [("spec.ports[0].port", 9, 13)]


def test_problems_are_cached_and_copied():
    r = only(policy("  podSelector: []\n"))
    first = problems(r)
    first.clear()
    assert len(problems(r)) == 1 and not is_valid(r)
