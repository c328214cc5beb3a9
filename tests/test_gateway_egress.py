"""A route backend the ingress gateway cannot reach because of the GATEWAY's egress policies
(RULES.md NPL201, "A broken route must never pass"): an edited copy of the module's
``kyma-project.io--istio-ingressgateway-egress`` narrowed to TCP 8080 kills the route to a
correctly labelled backend on 9090.  NPL302 reports the edit and carries the route (one cause,
one finding); when NPL302 is not reported, NPL201 reports the route on the workload.  A user's
own policy in istio-system does the same while the module's policies are off; a deny-by-default
one there is NPL303's."""
from __future__ import annotations

import shutil

from conftest import ROOT, lint_json
from netpol_lint.cli import main

DATA = ROOT / "tests" / "data" / "gateway_egress"
EDITED = "istio-system/kyma-project.io--istio-ingressgateway-egress"
NPL301 = (f"NetworkPolicy {EDITED} carries the managed labels kyma-project.io/module: istio and "
          "kyma-project.io/managed-by: kyma: the Istio module owns it and overwrites it on every reconcile, so it "
          "must not live in (or be edited through) the repository")
NPL302 = (f"NetworkPolicy {EDITED} differs from the policy the Istio module creates, which reverts it at its next "
          "reconcile (up to 10 h): egress[0]: restricted to TCP 8080 (the module's rule allows all ports)")
NOTE = "; it keeps istio-ingressgateway from Deployment shop/api, the backend of APIRule shop/api, on TCP 9090"
NPL201 = ("Deployment shop/api is the backend of APIRule shop/api but istio-ingressgateway "
          "(istio-system/istio-ingressgateway) cannot send to it on TCP 9090: NetworkPolicies "
          f"istio-system/kyma-project.io--istio-ingressgateway, {EDITED} isolate the gateway for egress and none "
          "admits that traffic")


def _lint(tmp_path, name="repo.yaml", *args, text=None):
    """(exit code, [(rule, severity, line, column, message)]) of a default run over a copy."""
    src = (DATA / name).read_text()
    (tmp_path / name).write_text(text(src) if text else src)
    rc, rep = lint_json(name, *args, cwd=tmp_path)
    return rc, [(f["rule"], f["severity"], f["line"], f["column"], f["message"]) for f in rep["findings"]]


def test_the_edit_carries_the_dead_route(tmp_path):
    rc, got = _lint(tmp_path)
    assert (rc, got) == (1, [("NPL301", "warning", 16, 5, NPL301), ("NPL302", "error", 31, 9, NPL302 + NOTE)])
    _, rep = lint_json("repo.yaml", "--select", "NPL201,NPL302", cwd=tmp_path)
    (f,) = rep["findings"]
    assert [(r["line"], r["column"], r["message"]) for r in f["related"]] == [(57, 9, "NPL201" + NOTE[1:])]


def test_npl302_ignored_the_route_reports(tmp_path):
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL302")
    assert (rc, got) == (1, [("NPL301", "warning", 16, 5, NPL301), ("NPL201", "error", 57, 9, NPL201)])
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL301,NPL302")
    assert (rc, got) == (1, [("NPL201", "error", 57, 9, NPL201)])


def test_npl302_suppressed_or_baselined_the_route_reports(tmp_path, monkeypatch, capsys):
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL301",
                    text=lambda t: t.replace("      ports:\n", "      ports:   # netpol-lint: disable=NPL302\n"))
    assert (rc, got) == (1, [("NPL201", "error", 57, 9, NPL201)])
    shutil.copy(DATA / "repo.yaml", tmp_path / "repo.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "repo.yaml", "--select", "NPL302", "--write-baseline", "base.json"]) == 0
    capsys.readouterr()
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL301", "--baseline", "base.json")
    assert (rc, got) == (1, [("NPL201", "error", 57, 9, NPL201)])


def test_merged_finding_keeps_the_higher_severity(tmp_path):
    (tmp_path / "config.yaml").write_text("severity:\n  NPL302: info\n")
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL301", "--config", "config.yaml")
    assert (rc, got) == (1, [("NPL302", "error", 31, 9, NPL302 + NOTE)])


def test_an_edit_that_leaves_the_routes_port_open_is_only_npl302(tmp_path):
    rc, got = _lint(tmp_path, "repo.yaml", "--ignore", "NPL301",
                    text=lambda t: t.replace("          port: 8080\n",
                                             "          port: 8080\n        - protocol: TCP\n          port: 9090\n"))
    assert rc == 1
    assert [(r, line) for r, _, line, _, _ in got] == [("NPL302", 31)]
    assert NOTE not in got[0][4] and "shop/api" not in got[0][4]


def test_a_backend_without_the_label_is_npl101s(tmp_path):
    """Policies on and the label missing: NPL101 (the label) reports, not NPL201 as well."""
    text = (DATA / "repo.yaml").read_text()
    api = text.index("name: api, namespace: shop}\nspec:\n  template:")
    label = "        networking.kyma-project.io/from-ingressgateway: allowed\n"
    text = text[:api] + text[api:].replace(label, "", 1)
    rc, got = _lint(tmp_path, "repo.yaml", "--select", "NPL101,NPL201", text=lambda _: text)
    assert rc == 1
    assert [(r, line) for r, _, line, _, _ in got] == [("NPL101", 57)]


USER_NPL201 = ("Deployment shop/api is the backend of APIRule shop/api but istio-ingressgateway "
               "(istio-system/istio-ingressgateway) cannot send to it on TCP 9090: NetworkPolicy "
               "istio-system/gateway-egress isolates the gateway for egress and it does not admit that traffic")
NPL402 = ("Istio CR kyma-system/default leaves networkPoliciesEnabled false while 2 workloads carry Kyma networking "
          "labels (e.g. Deployment shop/api): the module creates no network policies, so the labels have no effect "
          "yet")


def test_a_users_policy_restricting_the_gateways_egress(tmp_path):
    rc, got = _lint(tmp_path, "user.yaml")
    assert (rc, got) == (1, [("NPL402", "info", 7, 27, NPL402), ("NPL201", "error", 45, 9, USER_NPL201)])


def test_a_users_policy_admitting_the_routes_port_is_nothing(tmp_path):
    rc, got = _lint(tmp_path, "user.yaml", text=lambda t: t.replace("ports: [{protocol: TCP, port: 8080}]",
                                                                    "ports: [{protocol: TCP, port: 8080}, "
                                                                    "{protocol: TCP, port: 9090}]"))
    assert (rc, got) == (0, [("NPL402", "info", 7, 27, NPL402)])


DENY_ALL = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: gateway-egress, namespace: "
            "istio-system}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n")


def _deny_all(text: str) -> str:
    start = text.index("apiVersion: networking.k8s.io/v1")
    end = text.index("---", start)
    return text[:start] + DENY_ALL + text[end:]


def test_a_deny_all_in_istio_system_while_policies_are_off_is_npl303s(tmp_path):
    rc, got = _lint(tmp_path, "user.yaml", "--select", "NPL201,NPL303", text=_deny_all)
    assert rc == 1
    ((rule, severity, line, _, message),) = got
    assert (rule, severity, line) == ("NPL303", "error", 13)
    assert message.endswith("; it keeps istio-ingressgateway from Deployment shop/api, the backend of APIRule "
                            "shop/api, on TCP 9090; it keeps istio-ingressgateway from Deployment shop/web, the "
                            "backend of APIRule shop/web, on TCP 8080")
    rc, got = _lint(tmp_path, "user.yaml", "--select", "NPL201", text=_deny_all)
    assert rc == 1
    assert [(r, line, m.split(":")[0]) for r, _, line, _, m in got] == [
        ("NPL201", 39, "Deployment shop/api is the backend of APIRule shop/api but istio-ingressgateway "
                       "(istio-system/istio-ingressgateway) cannot send to it on TCP 9090"),
        ("NPL201", 65, "Deployment shop/web is the backend of APIRule shop/web but istio-ingressgateway "
                       "(istio-system/istio-ingressgateway) cannot send to it on TCP 8080")]
