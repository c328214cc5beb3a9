"""Route tracing (netpol_lint/analysis/routes.py, hosts.py): every hop as Istio and Kyma read it."""
from __future__ import annotations

import textwrap

import pytest

from netpol_lint.analysis.hosts import parse_authorizer_service, parse_destination_host, resolve_gateway_ref
from netpol_lint.analysis.routes import trace_routes
from netpol_lint.config import Config
from netpol_lint.engine.linter import LintContext
from netpol_lint.model.session import Session

KNOWN = {"shop", "edge", "istio-system", "kyma-system", "kube-system"}


# -- host and gateway name forms ----------------------------------------------------------

@pytest.mark.parametrize("host, expected", [
    ("web", ("service", "edge", "web")),                                    # short: the VS's namespace
    ("web.shop.svc.cluster.local", ("service", "shop", "web")),             # FQDN
    ("web.shop", ("unexpanded", "shop", "web")),                            # not expanded by Istio
    ("web.shop.svc", ("unexpanded", "shop", "web")),
    ("api.example.com", ("external", None, None)),
    ("example.com", ("external", None, None)),                              # 'com' is no known namespace
    ("*.example.com", ("wildcard", None, None)),
    ("", ("invalid", None, None)),
    (42, ("invalid", None, None)),
])
def test_destination_host_forms(host, expected):
    ref = parse_destination_host(host, "edge", KNOWN)
    assert (ref.form, ref.namespace, ref.name) == expected


def test_unexpanded_host_suggests_fqdn():
    assert parse_destination_host("web.shop", "edge", KNOWN).suggestion == "web.shop.svc.cluster.local"
    assert parse_destination_host("web.shop.svc", "edge", KNOWN).suggestion == "web.shop.svc.cluster.local"


@pytest.mark.parametrize("service, expected", [
    ("oauth2-proxy.auth.svc.cluster.local", ("service", "auth", "oauth2-proxy")),
    ("auth/oauth2-proxy.auth.svc.cluster.local", ("service", "auth", "oauth2-proxy")),
    ("other/oauth2-proxy.auth.svc.cluster.local", ("invalid", None, None)),  # namespace filter excludes it
    ("oauth2-proxy.shop", ("unexpanded", "shop", "oauth2-proxy")),
    ("auth/oauth2-proxy", ("unexpanded", "auth", "oauth2-proxy")),           # looked up verbatim: no such host
    ("oauth2-proxy", ("unexpanded", None, "oauth2-proxy")),
    ("auth.example.com", ("external", None, None)),
    (None, ("invalid", None, None)),
])
def test_authorizer_service_forms(service, expected):
    ref = parse_authorizer_service(service, KNOWN | {"auth"})
    assert (ref.form, ref.namespace, ref.name) == expected


@pytest.mark.parametrize("ref, legacy, expected", [
    ("kyma-system/kyma-gateway", False, ("kyma-system", "kyma-gateway")),
    ("./my-gateway", False, ("shop", "my-gateway")),
    ("my-gateway", True, ("shop", "my-gateway")),
    ("kyma-gateway.kyma-system", True, ("kyma-system", "kyma-gateway")),
    ("kyma-gateway.kyma-system.svc.cluster.local", True, ("kyma-system", "kyma-gateway")),
    ("my-gateway", False, None),                       # APIRule v2: namespace/name only
    ("kyma-gateway.kyma-system", False, None),
    ("a/b/c", True, None),
    ("", True, None),
    (["x"], True, None),
])
def test_gateway_reference_forms(ref, legacy, expected):
    assert resolve_gateway_ref(ref, "shop", legacy_forms=legacy) == expected


# -- tracing over manifests ---------------------------------------------------------------

def _session(tmp_path, text: str, *more: str) -> Session:
    """A session over ``text`` (dedented) followed by ``more`` documents (already flush left)."""
    f = tmp_path / "in.yaml"
    f.write_text(textwrap.dedent(text) + "".join(more))
    return Session.load([str(f)], Config())


BACKEND = """
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: admin, port: 9000}
  - {name: metrics, port: 9090, targetPort: 19090}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        ports:
        - {name: http, containerPort: 8080}
"""


def _only(table):
    assert len(table.routes) == 1, table.routes
    return table.routes[0]


@pytest.mark.parametrize("version, gateway, serves", [
    ("v2", "kyma-system/kyma-gateway", "ingress"),
    ("v2alpha1", "kyma-system/kyma-gateway", "ingress"),
    ("v1beta1", "kyma-gateway.kyma-system.svc.cluster.local", "ingress"),
    ("v1beta1", "kyma-gateway.kyma-system", "ingress"),
    ("v2", "kyma-gateway.kyma-system.svc.cluster.local", "none"),   # v2 accepts namespace/name only
    ("v1beta1", "other-ns/other-gateway", "unknown"),               # not in the input, not the default
])
def test_apirule_gateway_forms(tmp_path, version, gateway, serves):
    s = _session(tmp_path, f"""
        apiVersion: gateway.kyma-project.io/{version}
        kind: APIRule
        metadata: {{name: web, namespace: shop}}
        spec:
          gateway: {gateway}
          service: {{name: web, port: 80}}
        """, BACKEND)
    r = _only(trace_routes(s))
    assert r.serves == serves
    assert r.name == "APIRule shop/web"


def test_apirule_rule_service_overrides_and_namespace_precedence(tmp_path):
    s = _session(tmp_path, """
        apiVersion: gateway.kyma-project.io/v2
        kind: APIRule
        metadata: {name: api, namespace: edge}
        spec:
          gateway: kyma-system/kyma-gateway
          service: {name: web, namespace: shop, port: 80}
          rules:
          - path: /a
          - path: /b
            service: {name: web, port: 9000}                 # namespace from spec.service
          - path: /c
            service: {name: other, namespace: edge, port: 80}  # its own namespace
          - path: /d                                         # spec.service again: one route
        """, BACKEND)
    routes = trace_routes(s).routes
    assert [(r.host.namespace, r.host.name, r.port, r.path) for r in routes] == [
        ("shop", "web", 80, ("spec", "service")),
        ("shop", "web", 9000, ("spec", "rules", 1, "service")),
        ("edge", "other", 80, ("spec", "rules", 2, "service")),
    ]
    assert routes[0].location.line == 7 and routes[1].location.line == 11


def test_apirule_without_service_namespace_uses_its_own(tmp_path):
    s = _session(tmp_path, """
        apiVersion: gateway.kyma-project.io/v1beta1
        kind: APIRule
        metadata: {name: web, namespace: shop}
        spec:
          gateway: kyma-system/kyma-gateway
          service: {name: web, port: 80}
        """, BACKEND)
    r = _only(trace_routes(s))
    assert (r.host.namespace, r.host.name) == ("shop", "web")
    [b] = r.backends
    assert (b.workload.name, b.service_port, b.target_port, b.translated) == ("web", 80, 8080, True)


def test_target_port_forms(tmp_path):
    """Named (containerPort name), default (= port) and numeric targetPort."""
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: shop}
        spec:
          gateways: [kyma-system/kyma-gateway]
          http:
          - route:
            - destination: {host: web, port: {number: 80}}
            - destination: {host: web, port: {number: 9000}}
            - destination: {host: web, port: {number: 9090}}
            - destination: {host: web, port: {number: 1234}}
        """, BACKEND)
    targets = [(r.port, [(b.service_port, b.target_port) for b in r.backends]) for r in trace_routes(s).routes]
    assert targets == [(80, [(80, 8080)]), (9000, [(9000, 9000)]), (9090, [(9090, 19090)]),
                       (1234, [(1234, None)])]      # no such Service port: backend known, port not


def test_named_target_port_missing_on_pod_does_not_resolve(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: shop}
        spec:
          gateways: [kyma-system/kyma-gateway]
          http:
          - route:
            - destination: {host: web}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          selector: {app: web}
          ports:
          - {port: 80, targetPort: web-http}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          containers:
          - name: web
            ports: [{name: http, containerPort: 8080}]
        """)
    [b] = _only(trace_routes(s)).backends
    assert (b.service_port, b.target_port) == (80, None)


def test_virtualservice_gateway_refs_and_sections(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: public, namespace: edge}
        spec:
          selector: {istio: ingressgateway}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: private, namespace: edge}
        spec:
          selector: {app: private-gateway}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: kyma-gateway, namespace: kyma-system}
        spec:
          selector: {app: custom}          # the input redefines the default gateway
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a, namespace: edge}
        spec:
          gateways: [public]               # bare name: the VirtualService's namespace
          tcp:
          - route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]
          tls:
          - route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: b, namespace: edge}
        spec:
          gateways: [edge/private, mesh]
          http:
          - route: [{destination: {host: web.shop.svc.cluster.local}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: c, namespace: edge}
        spec:
          gateways: [kyma-system/kyma-gateway]
          http:
          - route: [{destination: {host: web.shop.svc.cluster.local}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: d, namespace: edge}
        spec:                               # no gateways: mesh only, not a gateway route
          http:
          - route: [{destination: {host: web.shop.svc.cluster.local}}]
        """, BACKEND)
    table = trace_routes(s)
    assert [(r.name, r.serves, r.path[1]) for r in table.routes] == [
        ("VirtualService edge/a", "ingress", "tcp"),
        ("VirtualService edge/a", "ingress", "tls"),
        ("VirtualService edge/b", "other", "http"),
        ("VirtualService edge/c", "other", "http"),
    ]
    assert [r.name for r in table.ingress_routes()] == ["VirtualService edge/a"] * 2


def test_match_gateways_narrow_the_route(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: split, namespace: shop}
        spec:
          gateways: [mesh, kyma-system/kyma-gateway]
          http:
          - match: [{gateways: [mesh]}]
            route: [{destination: {host: internal}}]
          - match: [{gateways: [kyma-system/kyma-gateway]}]
            route: [{destination: {host: web}}]
        """, BACKEND)
    assert [(r.host.name, r.serves) for r in trace_routes(s).routes] == [("web", "ingress")]


def test_default_gateway_and_egress_routes(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: egress, namespace: shop}
        spec:
          selector: {istio: egressgateway}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: out, namespace: shop}
        spec:
          hosts: [api.example.com]
          exportTo: [".", billing]
          gateways: [mesh, egress]
          tls:
          - match: [{gateways: [mesh], sniHosts: [api.example.com]}]
            route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: out-no-mesh, namespace: crm}
        spec:
          gateways: [shop/egress]
          tls:
          - route: [{destination: {host: api.example.com}}]
        """)
    table = trace_routes(s)
    [e] = table.egress_routes
    assert (e.name, e.gateway.serves, sorted(e.namespaces)) == ("VirtualService shop/out", "egress", ["billing", "shop"])
    assert (e.gateway_location.line, e.gateway_location.column) == (14, 20)
    assert table.egress_routes_for("crm") == []


def test_authorizers_of_the_effective_istio_cr(tmp_path):
    s = _session(tmp_path, """
        apiVersion: operator.kyma-project.io/v1alpha2
        kind: Istio
        metadata: {name: default, namespace: kyma-system}
        spec:
          config:
            authorizers:
            - {name: oauth2-proxy, service: web.shop.svc.cluster.local, port: "80"}
            - {name: broken, service: web.shop, port: 80}
        """, BACKEND)
    routes = trace_routes(s).routes
    assert [(r.name, r.serves, r.host.form, r.port) for r in routes] == [
        ("Istio kyma-system/default authorizer oauth2-proxy", "ingress", "service", 80),
        ("Istio kyma-system/default authorizer broken", "ingress", "unexpanded", 80),
    ]
    assert [b.target_port for b in routes[0].backends] == [8080]
    assert routes[0].location.line == 8


def test_istio_cr_outside_kyma_system_contributes_no_authorizer(tmp_path):
    s = _session(tmp_path, """
        apiVersion: operator.kyma-project.io/v1alpha2
        kind: Istio
        metadata: {name: default, namespace: default}
        spec:
          config:
            authorizers: [{name: a, service: web.shop.svc.cluster.local, port: 80}]
        """, BACKEND)
    assert trace_routes(s).routes == []


def test_external_name_and_selectorless_services_have_no_backends(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: v, namespace: shop}
        spec:
          gateways: [kyma-system/kyma-gateway]
          http:
          - route: [{destination: {host: ext}}, {destination: {host: manual}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext, namespace: shop}
        spec: {type: ExternalName, externalName: example.com, selector: {app: web}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: manual, namespace: shop}
        spec: {ports: [{port: 80}]}
        """, BACKEND)
    assert [(r.host.name, r.service is not None, r.backends) for r in trace_routes(s).routes] == [
        ("ext", True, ()), ("manual", True, ())]


def test_hops_as_related_locations(tmp_path):
    s = _session(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: public, namespace: shop}
        spec:
          selector: {istio: ingressgateway}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: shop}
        spec:
          gateways: [public]
          http:
          - route: [{destination: {host: web, port: {number: 80}}}]
        """, BACKEND)
    r = _only(trace_routes(s))
    rel = [(x.location.line, x.message) for x in r.related()]
    assert rel == [
        (14, "VirtualService shop/web routes to Service shop/web port 80"),
        (12, "VirtualService shop/web is bound to gateway shop/public (served by istio-ingressgateway)"),
        (6, "Gateway shop/public selects istio-ingressgateway"),
        (21, "Service shop/web selects the backend pods"),
    ]


def test_context_routes_to_names_ingress_routes(tmp_path):
    s = _session(tmp_path, """
        apiVersion: gateway.kyma-project.io/v2
        kind: APIRule
        metadata: {name: web, namespace: shop}
        spec:
          gateway: kyma-system/kyma-gateway
          service: {name: web, port: 80}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: internal, namespace: shop}
        spec:
          gateways: [shop/not-in-input]
          http:
          - route: [{destination: {host: web}}]
        """, BACKEND)
    ctx = LintContext(s, None)
    [w] = s.model.workloads
    assert ctx.routes_to(w) == ["APIRule shop/web"]
    assert ctx.routes.routes_to(w, ingress_only=False) == ["APIRule shop/web", "VirtualService shop/internal"]


@pytest.mark.parametrize("junk", [
    "spec: 5",
    "spec: {gateway: [1], service: [], rules: {a: b}}",
    "spec: {gateway: kyma-system/kyma-gateway, service: {name: 5, port: {x: 1}}, rules: [null, 3, {service: 7}]}",
])
def test_malformed_apirules_do_not_crash(tmp_path, junk):
    s = _session(tmp_path, "apiVersion: gateway.kyma-project.io/v2\nkind: APIRule\n"
                           "metadata: {name: x, namespace: shop}\n" + junk + "\n")
    assert trace_routes(s).routes == []


@pytest.mark.parametrize("junk", [
    "spec: {gateways: mesh}",
    "spec: {gateways: [5, null, {a: b}], http: [{route: [{destination: {host: [x]}}]}]}",
    "spec: {gateways: [kyma-system/kyma-gateway], http: 7, tcp: [null], tls: [{route: 3}]}",
    "spec: {gateways: [kyma-system/kyma-gateway], http: [{match: 3, route: [{destination: {host: web, port: {number: yes}}}]}]}",
])
def test_malformed_virtualservices_do_not_crash(tmp_path, junk):
    s = _session(tmp_path, "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                           "metadata: {name: x, namespace: shop}\n" + junk + "\n", BACKEND)
    table = trace_routes(s)
    assert all(r.host.form in ("service", "invalid") for r in table.routes)
