"""Equal parts of documents become one object (load/share.py), and nothing changes for it.

Sharing is only sound if it keeps values exactly (types included, order included) and if no
rule writes into the data it reads; both are checked here, the second over every fixture
and the examples with every built-in rule.
"""
from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netpol_lint.engine import linter, pipeline
from netpol_lint.load import share as share_mod
from netpol_lint.load.share import forget, share
from netpol_lint.model.resources import Workload
from netpol_lint.model.session import Session

from conftest import FIXTURES, ROOT, lint_json


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget()
    yield
    forget()


def _typed(value):
    """``value`` with every scalar's type spelled out: equality that tells 1 from True."""
    if isinstance(value, dict):
        return ("map", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(v) for v in value])
    return (type(value).__name__, value)


def test_equal_mappings_and_lists_become_one_object_root_kept():
    a = {"metadata": {"labels": {"app": "web"}}, "spec": {"selector": {"app": "web"}, "ports": [80, 443]}}
    b = {"metadata": {"labels": {"app": "web"}}, "spec": {"selector": {"app": "web"}, "ports": [80, 443]}}
    share(a)
    share(b)
    assert a is not b                                   # each document keeps its own root
    assert a["metadata"]["labels"] is a["spec"]["selector"] is b["metadata"]["labels"]
    assert a["spec"]["ports"] is b["spec"]["ports"]
    assert a["spec"] is b["spec"] and a["metadata"] is b["metadata"]   # parents of shared children


def test_types_and_order_decide_equality():
    docs = [{"x": {"v": 1}}, {"x": {"v": True}}, {"x": {"v": 1.0}}, {"x": {"v": "1"}},
            {"x": {"a": "1", "b": "2"}}, {"x": {"b": "2", "a": "1"}}, {"x": [1, 2]}, {"x": [2, 1]},
            {"x": {}}, {"x": []}, {"x": {"v": None}}, {"x": {"v": None}}]
    for d in docs:
        share(d)
    # bool, float and null are never shared (1 == True == 1.0 in Python); order counts
    assert docs[0]["x"] is not docs[1]["x"] and docs[0]["x"] is not docs[2]["x"]
    assert docs[4]["x"] is not docs[5]["x"] and docs[6]["x"] is not docs[7]["x"]
    assert docs[8]["x"] is not docs[9]["x"]                # {} is not []
    assert docs[10]["x"] is not docs[11]["x"]
    assert [_typed(d) for d in docs] == [_typed(d) for d in [
        {"x": {"v": 1}}, {"x": {"v": True}}, {"x": {"v": 1.0}}, {"x": {"v": "1"}},
        {"x": {"a": "1", "b": "2"}}, {"x": {"b": "2", "a": "1"}}, {"x": [1, 2]}, {"x": [2, 1]},
        {"x": {}}, {"x": []}, {"x": {"v": None}}, {"x": {"v": None}}]]


def test_children_of_unshareable_values_are_still_shared():
    a = {"spec": {"replicas": 1.5, "template": {"labels": {"app": "web"}}}}
    b = {"spec": {"replicas": None, "template": {"labels": {"app": "web"}}}}
    share(a)
    share(b)
    assert a["spec"] is not b["spec"]
    assert a["spec"]["template"] is b["spec"]["template"]


def test_a_child_named_by_identity_never_equals_a_scalar():
    inner = {"k": "v"}
    share({"x": inner})
    a = {"y": [inner, 5]}
    b = {"y": [id(inner), 5]}              # the same number, as data
    share(a)
    share(b)
    assert a["y"] is not b["y"] and b["y"][0] == id(inner)


def test_deep_documents_are_left_as_they_are_below_the_bound():
    deep: dict = {"v": "x"}
    for _ in range(share_mod._MAX_DEPTH + 10):
        deep = {"n": deep}
    twin = eval(repr(deep))  # noqa: S307 - an equal copy of test data built above
    share({"a": deep})
    share({"a": twin})
    assert _typed(deep) == _typed(twin)


def test_an_emptied_cache_never_confuses_objects(monkeypatch):
    monkeypatch.setattr(share_mod, "_LIMIT", 3)
    docs = [{"m": {"k": str(i % 5)}, "l": [str(i % 5), {"k": str(i % 5)}]} for i in range(40)]
    expected = [_typed(d) for d in docs]
    for d in docs:
        share(d)
    assert [_typed(d) for d in docs] == expected


_scalars = st.one_of(st.integers(-3, 3), st.booleans(), st.none(), st.sampled_from(["a", "1", "on", ""]),
                     st.floats(allow_nan=False, min_value=-2, max_value=2))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "b", "c", "1"]), inner, max_size=4)),
    max_leaves=25)


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "spec"]), _values, max_size=4), max_size=6))
def test_sharing_keeps_every_value_type_and_order(docs):
    forget()
    expected = [_typed(d) for d in docs]
    for d in docs:
        share(d)
    assert [_typed(d) for d in docs] == expected


def test_documents_read_from_files_share_their_repeated_parts(tmp_path):
    (tmp_path / "a.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: c, image: nginx, resources: {limits: {cpu: 100m}}}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, namespace: shop, labels: {app: web}}
        spec:
          template:
            spec: {containers: [{name: c, image: nginx, resources: {limits: {cpu: 100m}}}]}
        """))
    session = Session.load([str(tmp_path)], jobs=1)
    web, api = sorted(session.model.workloads, key=lambda w: w.name, reverse=True)
    assert web.labels is web.pod_labels is api.labels
    assert web.pod_spec["containers"] is api.pod_spec["containers"]
    assert isinstance(web, Workload) and web.data is not api.data


def _data_snapshot(session) -> list:
    return [(r.ref, _typed(r.data)) for r in session.model.resources]


@pytest.mark.parametrize("root", [FIXTURES, ROOT / "examples"], ids=["fixtures", "examples"])
def test_no_rule_writes_into_the_data_it_reads(root, monkeypatch):
    """The premise of sharing: after every built-in rule ran, every resource's data is what
    was parsed."""
    seen = {}
    real_run = pipeline.run

    def run(session, *args, **kwargs):
        seen["before"] = _data_snapshot(session)
        result = real_run(session, *args, **kwargs)
        seen["after"] = _data_snapshot(session)
        return result

    monkeypatch.setattr(pipeline, "run", run)
    lint_json(str(root), "--assume-network-policies", "enabled")
    assert len(seen["before"]) > 20 and seen["after"] == seen["before"]


def test_large_collections_are_kept_but_their_items_shared():
    big = [{"k": "v"} for _ in range(share_mod._MAX_ITEMS + 1)]
    twin = [{"k": "v"} for _ in range(share_mod._MAX_ITEMS + 1)]
    share({"a": big})
    share({"a": twin})
    assert big is not twin and big[0] is twin[-1] is big[-1]
