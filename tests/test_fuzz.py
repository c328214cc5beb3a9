"""Property tests (issue 8, part 2): whatever the input, the tool keeps its contract.

The generators and the oracle live in ``scripts/fuzz.py`` (which also runs the long
campaign, >= 10k inputs).  Here each property runs a bounded number of examples so that the
whole file stays well under a minute; regressions found by fuzzing are pinned as plain
tests at the end.
"""
from __future__ import annotations

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import ROOT

pytestmark = pytest.mark.slow     # heavy: left out of `pytest -m "not slow"` (CI runs everything)

_spec = importlib.util.spec_from_file_location("netpol_fuzz", ROOT / "scripts" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

BOUNDED = settings(max_examples=150, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True, scope="module")
def _no_plugins():
    old = os.environ.get("NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    yield
    if old is None:
        os.environ.pop("NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD", None)
    else:
        os.environ["NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD"] = old


@BOUNDED
@given(fuzz.k8s_stream())
def test_kubernetes_shaped_documents_keep_the_contract(files):
    fuzz.check_input(files)


@pytest.mark.skipif(not fuzz.corpus_files(), reason="../shared/corpus is not next to the checkout")
@BOUNDED
@given(fuzz.mutated_manifest())
def test_mutated_real_manifests_keep_the_contract(files):
    fuzz.check_input(files)


def test_the_oracle_catches_a_broken_contract(monkeypatch):
    """The checks can fail: a renderer that drops a finding from SARIF is caught."""
    from netpol_lint.report import sarif

    real = sarif.document

    def lossy(inp):
        doc = real(inp)
        doc["runs"][0]["results"] = doc["runs"][0]["results"][1:]
        return doc

    monkeypatch.setattr(sarif, "document", lossy)
    files = {"p.yaml": b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 0}]\n"}
    with pytest.raises(AssertionError):
        fuzz.check_input(files)


# -- regressions found by fuzzing ------------------------------------------------------------

@pytest.mark.parametrize("files", [
    # a flow mapping as a label key: the key is not a scalar
    {"a.yaml": b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n    ? {a: 1}\n    : x\n"},
    # every kind with junk in every field the linter reads
    {"a.yaml": b"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: []\nspec: 7\n---\n"
               b"apiVersion: v1\nkind: Service\nmetadata: {name: [1]}\nspec: {ports: {a: 1}, selector: [x]}\n---\n"
               b"apiVersion: gateway.kyma-project.io/v2\nkind: APIRule\nmetadata: {name: r}\n"
               b"spec: {service: [], rules: [null, 3, {service: 5}]}\n"},
    # integer-looking and boolean keys everywhere, a List of junk
    {"a.yaml": b"apiVersion: v1\nkind: List\nitems: [1, null, {apiVersion: v1, kind: Pod, metadata: {name: p, "
               b"labels: {80: on, true: 1}}, spec: {containers: [{name: c, ports: [{containerPort: .inf}]}]}}]\n"},
    # found by the 10k campaign (seed 1): `podIPs: true` crashed every reachability rule
    {"a.yaml": b"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nstatus: {podIPs: true, podIP: 5}\n"
               b"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: shop}\n"
               b"spec: {podSelector: {}}\n"},
], ids=["complex-key", "junk-fields", "int-keys-list", "pod-ips-bool"])
def test_fuzz_regressions(files):
    fuzz.check_input(files)
