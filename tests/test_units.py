"""Deployment units (issue 14 item 5; RULES.md "Namespaces", CONTRACT.md config ``units``).

The fixture tree ``tests/fixtures/units`` holds what used to relate wrongly: two samples with
the same namespace-less names (``samples/``), a kustomization that sets a namespace and a
name prefix and patches a Deployment (``kustomized/``), and a directory of routes beside two
variants of an app (``routes-only/``).  Before units, linting it gave seven NPL004 (every
sample's ``web`` "also defined" in another), an NPL201 on ``samples/shop``'s web (the route
of ``samples/orders`` reaching it through ``shop``'s deny-all) and no finding for the
kustomized Deployment its route reaches under the name kustomize gives it.
"""
from __future__ import annotations

import json
import pickle

import pytest

from conftest import FIXTURES, lint_json
from netpol_lint.config import ConfigError, from_mapping
from netpol_lint.model.units import MAIN, UnitNamespace, assign, split_roots, unit_namespace

UNITS = FIXTURES / "units"
NPL101 = ("{kind} {ref} is the backend of VirtualService {vs} (Service {svc} port 80) but its pod template "
          "lacks networking.kyma-project.io/from-ingressgateway: allowed; the module's egress policy "
          "istio-system/kyma-project.io--istio-ingressgateway-egress drops that traffic")


def _findings(report) -> list[tuple]:
    return [(f["rule"], f["file"], f["line"], f["column"], f["message"]) for f in report["findings"]]


def _npl101(file, line, ref="default/web", vs="default/web", svc="default/web"):
    return ("NPL101", file, line, 24, NPL101.format(kind="Deployment", ref=ref, vs=vs, svc=svc))


def test_fixture_tree_relates_only_what_is_deployed_together():
    code, report = lint_json(".", "--fail-on", "info", cwd=UNITS)
    assert _findings(report) == [
        _npl101("kustomized/app/api.yaml", 7, ref="shop/prod-api", vs="shop/api", svc="shop/prod-api"),
        _npl101("routes-only/app/web.yaml", 7),       # the routes-only directory: both nearest
        _npl101("routes-only/copy/web.yaml", 7),      # variants are checked
        _npl101("samples/orders/app.yaml", 8),
    ]
    assert code == 1


def test_each_directory_alone_gives_the_same_findings():
    whole = _findings(lint_json(".", "--fail-on", "info", cwd=UNITS)[1])
    parts = []
    for d in ("kustomized", "routes-only", "samples"):
        parts += _findings(lint_json(d, "--fail-on", "info", cwd=UNITS)[1])
    assert sorted(parts) == whole


def test_units_off_ties_the_samples_again(tmp_path):
    """``units: []`` turns the automatic split off: everything namespace-less is one default
    namespace again (kustomization roots still apply)."""
    (tmp_path / "off.yaml").write_text("units: []\n")
    _, report = lint_json("samples", "--config", str(tmp_path / "off.yaml"), "--fail-on", "info", cwd=UNITS)
    rules = [(f["rule"], f["file"], f["line"]) for f in report["findings"]]
    assert ("NPL004", "samples/shop/app.yaml", 5) in rules and ("NPL201", "samples/shop/app.yaml", 9) in rules


SAMPLE = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}, networking.kyma-project.io/from-ingressgateway: allowed}}}}
    spec: {{containers: [{{name: c, image: i, ports: [{{containerPort: 8080}}]}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8080}}]}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}}}
spec:
  hosts: [{name}.example.com]
  gateways: [kyma-system/kyma-gateway]
  http: [{{route: [{{destination: {{host: {name}, port: {{number: 80}}}}}}]}}]
"""
DENY_ALL = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec: {podSelector: {}}\n"


def test_config_units_separate_samples_nothing_else_tells_apart(tmp_path):
    """Two samples without a common name: only config ``units`` (globs relative to the config
    file) says that the deny-all of one does not isolate the other's pods."""
    (tmp_path / "samples" / "a").mkdir(parents=True)
    (tmp_path / "samples" / "b").mkdir()
    (tmp_path / "samples" / "a" / "app.yaml").write_text(SAMPLE.format(name="orders"))
    (tmp_path / "samples" / "b" / "app.yaml").write_text(SAMPLE.format(name="cart") + "---\n" + DENY_ALL)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / ".netpol-lint.yaml").write_text('units: ["../samples/*"]\n')
    _, plain = lint_json("samples", "--select", "NPL201", cwd=tmp_path)
    assert [(f["rule"], f["file"], f["line"]) for f in plain["findings"]] == [
        ("NPL201", "samples/a/app.yaml", 7), ("NPL201", "samples/b/app.yaml", 7)]
    code, units = lint_json("samples", "--select", "NPL201", "--config", "conf/.netpol-lint.yaml", cwd=tmp_path)
    assert [(f["rule"], f["file"], f["line"]) for f in units["findings"]] == [("NPL201", "samples/b/app.yaml", 7)]
    assert code == 1


def test_kustomization_patch_is_a_skip_note_not_a_resource():
    _, report = lint_json("kustomized", "--fail-on", "info", cwd=UNITS)
    assert [f["file"] for f in report["findings"]] == ["kustomized/app/api.yaml"]


def test_config_units_must_be_a_list_of_strings():
    assert from_mapping({"units": ["a/*", "b"]}, "x").units == ["a/*", "b"]
    assert from_mapping({}, "x").units is None
    with pytest.raises(ConfigError, match="'units' must be a list of strings"):
        from_mapping({"units": [1]}, "x")


def test_unit_namespace_shows_as_its_name_and_compares_with_its_unit():
    a, b = unit_namespace("default", "/r/a"), unit_namespace("default", "/r/b")
    assert unit_namespace("default", MAIN) == "default" and type(unit_namespace("default", MAIN)) is str
    assert f"{a}/web" == "default/web" and repr(a) == "'default'" and json.dumps(a) == '"default"'
    assert a != b and a != "default" and "default" != a and a == unit_namespace("default", "/r/a")
    assert len({a, b, "default"}) == 3 and isinstance(a, UnitNamespace)
    assert pickle.loads(pickle.dumps(a)) is a


def test_split_roots_and_assignment():
    defs = {("apps", "Deployment", "web"): ["/r/s/a/web.yaml", "/r/s/b/x/web.yaml", "/r/t/web.yaml"],
            ("", "Service", "db"): ["/r/one/db.yaml", "/r/one/db2.yaml"]}     # one directory: no split
    roots = split_roots(defs)
    assert roots == {"/r/s", "/r/t", "/r/s/a", "/r/s/b"}
    units = assign(["/r/s/a/web.yaml", "/r/s/b/x/web.yaml", "/r/t/web.yaml", "/r/one/db.yaml", "/r/s/c.yaml"], roots)
    assert units == {"/r/s/a/web.yaml": "/r/s/a", "/r/s/b/x/web.yaml": "/r/s/b", "/r/t/web.yaml": "/r/t",
                     "/r/one/db.yaml": MAIN, "/r/s/c.yaml": "/r/s"}
