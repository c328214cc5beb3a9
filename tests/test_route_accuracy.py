"""Issue 14, route accuracy: Kyma Functions as workloads, APIRule versions, every definition of a
route source, NPL105's scope, NPL109's suggestions, related locations without repeats."""
from __future__ import annotations

import textwrap

import pytest

from conftest import lint_json, run_cli
from netpol_lint.analysis.routes import trace_routes
from netpol_lint.config import ConfigError, from_mapping
from netpol_lint.config import Config
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.load.documents import Location
from netpol_lint.model.resources import Function, FunctionService
from netpol_lint.model.session import Session

FROM = "networking.kyma-project.io/from-ingressgateway"
TO = "networking.kyma-project.io/to-egressgateway"
ISTIO_CR = """\
apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata: {name: default, namespace: kyma-system}
spec:
  networkPoliciesEnabled: true
"""
FUNCTION = """\
apiVersion: serverless.kyma-project.io/v1alpha2
kind: Function
metadata:
  name: greeter
  namespace: fn
  labels: {team: a, networking.kyma-project.io/to-egressgateway: allowed}
spec:
  runtime: nodejs22
  source: {inline: {source: x}}
  labels:
    app: greeter
    app.kubernetes.io/name: other
    serverless.kyma-project.io/function-name: spoofed
  annotations: {sidecar.istio.io/inject: "true"}
"""
APIRULE = """\
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: greeter, namespace: fn}
spec:
  gateway: kyma-system/kyma-gateway
  hosts: [greeter.example.com]
  service: {name: greeter, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
"""


def _session(tmp_path, *docs: str, config: Config | None = None) -> Session:
    f = tmp_path / "in.yaml"
    f.write_text("---\n".join(textwrap.dedent(d) for d in docs))
    return Session.load([str(f)], config or Config())


def _lint(tmp_path, *docs: str, args=()) -> tuple[int, dict]:
    (tmp_path / "in.yaml").write_text("---\n".join(textwrap.dedent(d) for d in docs))
    return lint_json(str(tmp_path / "in.yaml"), "--fail-on", "info", *args)


# -- Functions ------------------------------------------------------------------------------

def test_function_pods_carry_spec_labels_and_the_controllers_labels_which_win(tmp_path):
    s = _session(tmp_path, FUNCTION)
    [fn] = s.model.workloads
    assert isinstance(fn, Function)
    assert fn.pod_labels == {
        "app": "greeter",
        "serverless.kyma-project.io/function-name": "greeter",       # not "spoofed"
        "serverless.kyma-project.io/managed-by": "function-controller",
        "serverless.kyma-project.io/uuid": "uid-of-function-fn.greeter",
        "serverless.kyma-project.io/resource": "deployment",
        "app.kubernetes.io/name": "greeter",                          # not "other"
    }
    assert TO not in fn.pod_labels and "team" not in fn.pod_labels    # metadata.labels never reach pods
    assert fn.pod_annotations["sidecar.istio.io/inject"] == "true"
    assert fn.pod_annotations["sidecar.istio.io/nativeSidecar"] == "true"
    assert [(p.name, p.port, p.protocol) for p in fn.container_ports] == [(None, 8080, "TCP")]


def test_function_service_is_in_the_model_and_selects_only_that_function(tmp_path):
    twin = FUNCTION.replace("name: greeter\n  namespace: fn", "name: greeter2\n  namespace: fn")
    s = _session(tmp_path, FUNCTION, twin)
    svc = s.model.service("fn", "greeter")
    assert isinstance(svc, FunctionService) and svc.function.name == "greeter"
    assert svc.spec["ports"] == [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    assert set(svc.selector) == {"serverless.kyma-project.io/function-name", "serverless.kyma-project.io/managed-by",
                                 "serverless.kyma-project.io/uuid", "serverless.kyma-project.io/resource"}
    assert [w.name for w in s.model.workloads_selected("fn", svc.selector)] == ["greeter"]
    assert svc not in s.model.resources           # not a document: no NPL003/NPL004/NPL301 on it


def test_the_uid_of_a_cluster_dump_is_used(tmp_path):
    s = _session(tmp_path, FUNCTION.replace("  namespace: fn\n", "  namespace: fn\n  uid: 1234-abcd\n", 1))
    [fn] = s.model.workloads
    assert fn.pod_labels["serverless.kyma-project.io/uuid"] == "1234-abcd"
    assert s.model.service("fn", "greeter").selector["serverless.kyma-project.io/uuid"] == "1234-abcd"


def test_a_route_to_a_function_reaches_its_pods_on_8080(tmp_path):
    s = _session(tmp_path, FUNCTION, APIRULE)
    [route] = trace_routes(s).routes
    [b] = route.backends
    assert (b.workload.kind, b.workload.name, b.service_port, b.target_port) == ("Function", "greeter", 80, 8080)
    messages = [r.message for r in route.related()]
    assert "Service fn/greeter (created by serverless for Function fn/greeter) selects the Function's pods" in messages


def test_function_of_another_version_is_not_a_workload(tmp_path):
    s = _session(tmp_path, FUNCTION.replace("v1alpha2", "v1alpha1"), APIRULE)
    assert s.model.workloads == []
    [route] = trace_routes(s).routes
    assert route.service is None and route.provider is not None   # known, not traced, not NPL109


def test_npl101_on_a_function_points_at_spec_labels(tmp_path):
    code, rep = _lint(tmp_path, ISTIO_CR, FUNCTION, APIRULE, args=("--select", "NPL101"))
    [f] = rep["findings"]
    assert (f["line"], f["column"], f["resource"]["kind"]) == (17, 5, "Function")
    assert f["message"].startswith("Function fn/greeter is the backend of APIRule fn/greeter (Service fn/greeter "
                                   f"port 80) but its spec.labels lacks {FROM}: allowed")


def test_npl102_on_a_function_says_to_move_the_label(tmp_path):
    code, rep = _lint(tmp_path, FUNCTION, args=("--select", "NPL102"))
    [f] = rep["findings"]
    assert f["message"] == (f"{TO} is set on the Function's metadata.labels but not in its spec.labels, so the pods "
                            "do not carry it (serverless puts only spec.labels on the Function's pods); move it to "
                            "spec.labels")


def test_reach_and_connectivity_see_the_function(tmp_path):
    (tmp_path / "in.yaml").write_text(ISTIO_CR + "---\n" + FUNCTION + "---\n" + APIRULE)
    r = run_cli("reach", str(tmp_path / "in.yaml"), "--from", "istio-system/istio-ingressgateway",
                "--to", "fn/greeter", "--port", "8080")
    assert "fn/greeter TCP 8080: DENIED" in r.stdout, r.stdout + r.stderr
    fixed = FUNCTION.replace("    app: greeter\n", f"    app: greeter\n    {FROM}: allowed\n")
    (tmp_path / "in.yaml").write_text(ISTIO_CR + "---\n" + fixed + "---\n" + APIRULE)
    r = run_cli("reach", str(tmp_path / "in.yaml"), "--from", "istio-system/istio-ingressgateway",
                "--to", "fn/greeter", "--port", "8080")
    assert "fn/greeter TCP 8080: ALLOWED" in r.stdout, r.stdout + r.stderr
    r = run_cli("connectivity", str(tmp_path / "in.yaml"), "--format", "json")
    assert "fn/greeter" in r.stdout


# -- APIRule versions -----------------------------------------------------------------------

V1ALPHA1 = """\
apiVersion: gateway.kyma-project.io/v1alpha1
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  gateway: kyma-gateway.kyma-system.svc.cluster.local
  service: {name: web, port: 80, host: web.example.com, namespace: ignored}
  rules: [{path: /.*, methods: [GET], accessStrategies: [{handler: noop}], service: {name: ignored, port: 1}}]
"""


def test_apirule_v1alpha1_is_traced_from_spec_service_in_its_namespace(tmp_path):
    [route] = trace_routes(_session(tmp_path, V1ALPHA1)).routes
    assert (route.host.namespace, route.host.name, route.port, route.serves) == ("shop", "web", 80, "ingress")
    assert [g.ref for g in route.gateways] == ["kyma-system/kyma-gateway"]


def test_npl110_names_the_release_and_the_v2_equivalent(tmp_path):
    v1beta1 = V1ALPHA1.replace("v1alpha1", "v1beta1").replace("name: web, namespace: shop", "name: api, namespace: shop")
    code, rep = _lint(tmp_path, V1ALPHA1, v1beta1, args=("--select", "NPL110"))
    assert code == 1
    a, b = rep["findings"]
    assert a["message"].startswith("APIRule shop/web: gateway.kyma-project.io/v1alpha1 was removed in API Gateway "
                                   "1.9.0 (2023-09): the API server no longer serves it, so the resource does not "
                                   "apply; migrate to gateway.kyma-project.io/v2 (spec.service.host becomes "
                                   "spec.hosts: [<host>]")
    assert b["message"].startswith("APIRule shop/api: gateway.kyma-project.io/v1beta1 is no longer available since "
                                   "API Gateway 3.4.0")
    assert "not reconciled since 3.10.0" in b["message"]
    assert (a["line"], a["column"]) == (1, 13)


def test_an_unrecognised_version_is_a_note_and_verbose_lists_it(tmp_path):
    future = V1ALPHA1.replace("v1alpha1", "v9")
    vs = "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: x, namespace: shop}\n"
    (tmp_path / "in.yaml").write_text(future + "---\n" + vs)
    s = Session.load([str(tmp_path / "in.yaml")], Config())
    assert [(r.kind, r.api_version) for r in s.model.unrecognised] == [
        ("APIRule", "gateway.kyma-project.io/v9"), ("VirtualService", "networking.istio.io/v2")]
    assert trace_routes(s).routes == []
    r = run_cli(str(tmp_path / "in.yaml"))
    assert ("Note: 2 route sources of an apiVersion the linter does not understand were not traced: "
            "APIRule gateway.kyma-project.io/v9, VirtualService networking.istio.io/v2; --verbose lists the "
            "documents.") in r.stdout
    r = run_cli(str(tmp_path / "in.yaml"), "-v")
    assert "not traced: " in r.stderr and "in.yaml:1: APIRule shop/web (apiVersion gateway.kyma-project.io/v9" in r.stderr
    assert "in.yaml:9: VirtualService shop/x (apiVersion networking.istio.io/v2" in r.stderr


def test_known_versions_are_no_note(tmp_path):
    (tmp_path / "in.yaml").write_text(V1ALPHA1)
    assert "not understand" not in run_cli(str(tmp_path / "in.yaml")).stdout


# -- every definition of a route source -----------------------------------------------------

def test_every_istio_cr_definition_contributes_its_authorizers(tmp_path):
    first = ISTIO_CR + "  config:\n    authorizers:\n    - {name: a, service: a.auth.svc.cluster.local, port: 80}\n"
    second = ISTIO_CR + "  config:\n    authorizers:\n    - {name: b, service: b.auth.svc.cluster.local, port: 80}\n"
    routes = trace_routes(_session(tmp_path, first, second)).routes
    assert sorted(r.label for r in routes) == ["authorizer a", "authorizer b"]


def test_a_gateway_defined_twice_counts_when_any_definition_is_served_by_the_ingress_gateway(tmp_path):
    gw = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: shop}\n"
    other = gw + "spec:\n  selector: {app: something-else}\n"
    ingress = gw + "spec:\n  selector: {istio: ingressgateway}\n"
    vs = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  gateways: [public]\n  http:\n  - route: [{destination: {host: web}}]\n")
    for order in ((other, ingress), (ingress, other)):
        [route] = trace_routes(_session(tmp_path, *order, vs)).routes
        assert route.serves == "ingress"


def test_every_virtualservice_definition_is_traced(tmp_path):
    vs = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  gateways: [kyma-system/kyma-gateway]\n  http:\n  - route: [{destination: {host: %s}}]\n")
    routes = trace_routes(_session(tmp_path, vs % "web", vs % "web-v2")).routes
    assert [r.host.name for r in routes] == ["web", "web-v2"]


# -- NPL105 scope ---------------------------------------------------------------------------

EGRESS_NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ledger\n  labels: {istio-injection: enabled}\n"
EGRESS_VS = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: out, namespace: ledger}
spec:
  hosts: [rates.example.net]
  gateways: [mesh]
  http:
  - route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local}}]
"""
POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ledger}
spec:
  template:
    metadata:
      labels: {app: app}
"""


def _npl105(tmp_path, *docs) -> list[str]:
    code, rep = _lint(tmp_path, ISTIO_CR, *docs, args=("--select", "NPL105"))
    return [f"{f['resource']['kind']} {f['resource']['namespace']}/{f['resource']['name']}" for f in rep["findings"]]


def test_npl105_reports_a_mesh_route_to_the_modules_egress_gateway(tmp_path):
    assert _npl105(tmp_path, EGRESS_NS, EGRESS_VS, POD) == ["Deployment ledger/app"]


@pytest.mark.parametrize("change, why", [
    (lambda ns, vs, pod: (ns, vs.replace("istio-egressgateway.istio-system", "own-egress.egress"), pod),
     "a user's own egress gateway"),
    (lambda ns, vs, pod: (ns, vs, pod.replace("labels: {app: app}", "labels: {app: app, istio: egressgateway}")),
     "a gateway pod"),
    (lambda ns, vs, pod: (ns, vs, pod.replace("      labels: {app: app}", "      labels: {app: app}\n"
                                              "      annotations: {inject.istio.io/templates: gateway}")),
     "Istio's gateway injection template"),
    (lambda ns, vs, pod: (ns.replace("istio-injection: enabled", "team: x"), vs, pod),
     "a namespace known not to inject"),
    (lambda ns, vs, pod: (ns, vs, pod.replace("labels: {app: app}", "labels: {app: app, sidecar.istio.io/inject: 'false'}")),
     "an opted-out pod"),
    (lambda ns, vs, pod: (ns, vs.replace("gateways: [mesh]", "gateways: [mesh]\n  exportTo: [other]"), pod),
     "a namespace the VirtualService is not exported to"),
    (lambda ns, vs, pod: (ns, vs.replace("  - route:", "  - match: [{gateways: [shop/egress]}]\n    route:"), pod),
     "a route entry that does not apply to mesh"),
])
def test_npl105_out_of_scope(tmp_path, change, why):
    assert _npl105(tmp_path, *change(EGRESS_NS, EGRESS_VS, POD)) == [], why


def test_npl105_pods_without_a_known_namespace_are_still_reported(tmp_path):
    assert _npl105(tmp_path, EGRESS_VS, POD) == ["Deployment ledger/app"]


def test_npl105_text_summary_counts_per_route(tmp_path):
    pods = [POD.replace("name: app,", f"name: app{i},") for i in range(3)]
    (tmp_path / "in.yaml").write_text("---\n".join([ISTIO_CR, EGRESS_NS, EGRESS_VS, *pods]))
    r = run_cli(str(tmp_path / "in.yaml"), "--select", "NPL105")
    assert "NPL105 by cause: VirtualService ledger/out (3 findings)" in r.stdout


# -- NPL109 ---------------------------------------------------------------------------------

def _svc(ns, name):
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{app: x}}\n"


def _vs_to(host):
    return ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
            f"spec:\n  gateways: [kyma-system/kyma-gateway]\n  http:\n  - route: [{{destination: {{host: {host}}}}}]\n")


@pytest.mark.parametrize("host, services, hint", [
    ("storefornt", [("shop", "storefront")], "; did you mean 'storefront'?"),
    ("ratings", [("shop", "tracing")], ""),                           # three edits: no typo
    ("web", [("shop", "api"), ("other", "web")], ""),                  # never another namespace
    ("cart", [("shop", "carts")], "; did you mean 'carts'?"),
])
def test_npl109_suggests_only_close_names_of_the_same_namespace(tmp_path, host, services, hint):
    code, rep = _lint(tmp_path, _vs_to(host), *[_svc(ns, n) for ns, n in services], args=("--select", "NPL109"))
    [f] = rep["findings"]
    assert f["message"].endswith(f"although other Services of namespace shop are{hint}")


def test_npl109_external_services_are_never_reported(tmp_path):
    (tmp_path / ".netpol-lint.yaml").write_text("external_services: [shop/grafana]\n")
    code, rep = _lint(tmp_path, _vs_to("grafana"), _svc("shop", "web"),
                      args=("--select", "NPL109", "--config", str(tmp_path / ".netpol-lint.yaml")))
    assert rep["findings"] == []


@pytest.mark.parametrize("value", [["grafana"], ["shop/"], ["Shop/grafana"], [1], "a/b/c", {"shop": "grafana"}])
def test_external_services_config_is_validated(value):
    with pytest.raises(ConfigError, match="external_services"):
        from_mapping({"external_services": value}, "cfg.yaml")


def test_external_services_config_accepts_namespace_name():
    assert from_mapping({"external_services": ["monitoring/grafana"]}, "cfg.yaml").external_services == [
        "monitoring/grafana"]


# -- related locations ----------------------------------------------------------------------

def test_related_locations_repeat_no_message_of_the_same_file():
    class R(Rule):
        id, name, summary = "X001", "x", "x"

    loc = [Location("a.yaml", n, 1, n, 2) for n in range(1, 5)]
    other = Location("b.yaml", 1, 1, 1, 2)
    related = [Related(loc[0], "route"), Related(loc[1], "gateway"), Related(loc[2], "route"),
               Related(other, "route"), Related(loc[3], "gateway")]
    f = R().finding(None, loc[0], "m", related=related)
    assert f.related == [related[0], related[1], related[3]]
    unique = (Related(loc[0], "a"), Related(loc[1], "b"))
    assert R().finding(None, loc[0], "m", related=unique).related is unique     # shared, not copied


def test_a_route_with_weighted_destinations_is_named_once(tmp_path):
    vs = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  gateways: [kyma-system/kyma-gateway]\n  http:\n  - route:\n"
          "    - {destination: {host: web, subset: v1}, weight: 50}\n"
          "    - {destination: {host: web, subset: v2}, weight: 50}\n")
    pod = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n"
           "    metadata:\n      labels: {app: web}\n")
    svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n"
    code, rep = _lint(tmp_path, ISTIO_CR, vs, pod, svc, args=("--select", "NPL101"))
    [f] = rep["findings"]
    messages = [r["message"] for r in f["related"]]
    assert len(messages) == len(set(messages)), messages
    assert messages.count("VirtualService shop/web routes to Service shop/web") == 1


def test_npl109_a_functions_service_alone_does_not_make_a_namespace_complete(tmp_path):
    code, rep = _lint(tmp_path, _vs_to("httpbin"), FUNCTION.replace("namespace: fn", "namespace: shop"),
                      args=("--select", "NPL109"))
    assert rep["findings"] == []
    code, rep = _lint(tmp_path, _vs_to("greeterr"), FUNCTION.replace("namespace: fn", "namespace: shop"),
                      _svc("shop", "web"), args=("--select", "NPL109"))
    [f] = rep["findings"]
    assert f["message"].endswith("; did you mean 'greeter'?")        # a Function's Service is a candidate
