"""The speed-ups of issue 7 change nothing but speed: each is compared with the plain way.

Parallel parsing (``--jobs``) against reading in-process, the indent-2 JSON encoder against
``json.dumps``, the label-pair index of ``Model.workloads_selected`` against a scan, and the
console script's exit (which leaves freeing the run's objects to the operating system)
against the output and exit code users rely on.  Timings live in benchmarks/bench.py.
"""
from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netpol_lint.load import parallel
from netpol_lint.load.loader import Limits, SkippedPath, discover, read_file
from netpol_lint.model.index import Model
from netpol_lint.report.fastjson import dumps_indent2

from conftest import FIXTURES, run_cli


def _snapshot(files):
    return [(f.path, f.skipped, f.text, [(d.index, d.data, d.origin, type(d).__name__) for d in f.documents],
             [(p.kind, p.message, p.location) for p in f.problems], [d.start for d in f.documents]) for f in files]


@pytest.fixture()
def small_parallel(monkeypatch):
    """Make the fixtures tree big enough for worker processes (the real threshold is 2 MB)."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "_MIN_BATCH_BYTES", 1)


def test_parallel_reading_gives_the_same_files_in_the_same_order(small_parallel):
    paths, _ = discover([str(FIXTURES)])
    assert len(paths) > 50
    plan = parallel._plan(paths, 2)
    assert plan is not None and len(plan) > 2            # really split over workers
    assert _snapshot(parallel.read_files(paths, 2, Limits())) == _snapshot([read_file(p) for p in paths])


def test_positions_of_parallel_documents_are_found_in_the_parent(small_parallel):
    paths, _ = discover([str(FIXTURES)])
    files = parallel.read_files(paths, 2, Limits())
    here = [read_file(p) for p in paths]
    for a, b in zip(files, here):
        for da, db in zip(a.documents, b.documents):
            assert da.locate(("metadata", "name")) == db.locate(("metadata", "name"))
            assert da.locate(("spec",), key=True) == db.locate(("spec",), key=True)


def test_a_failing_worker_costs_time_not_results(small_parallel, monkeypatch):
    paths, _ = discover([str(FIXTURES)])

    def broken(batch, limits, finish=None):
        raise RuntimeError("worker died")

    monkeypatch.setattr(parallel, "_read_batch", broken)
    assert _snapshot(parallel.read_files(paths, 2, Limits())) == _snapshot([read_file(p) for p in paths])


def test_stdin_skipped_paths_and_small_inputs_stay_in_process(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    skipped = SkippedPath(str(tmp_path / "link.yaml"), "broken symlink")
    paths = ["-", str(tmp_path / "a.yaml"), skipped]
    assert parallel._plan(paths, 4) is None               # far below MIN_PARALLEL_BYTES
    files = parallel.read_files(paths, 4, Limits(), stdin_text="apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n")
    assert [f.path for f in files][0] == "-"
    assert files[0].documents[0].data["metadata"]["name"] == "s"
    assert files[2].skipped == "broken symlink"


def test_default_jobs_is_the_usable_cpu_count():
    assert parallel.default_jobs() >= 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=2) | st.tuples(inner, inner),
    max_leaves=30,
)


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_report_encoder_writes_what_json_dumps_writes(value):
    assert dumps_indent2(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert dumps_indent2(value, end="\n") == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_the_report_encoder_leaves_errors_to_json_dumps():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError):
        dumps_indent2(loop)
    with pytest.raises(TypeError):
        dumps_indent2({"x": object()})


def _model(n_workloads: int) -> Model:
    from netpol_lint.load.documents import Document
    from netpol_lint.load.loader import SourceFile

    src = SourceFile("m.yaml")
    for i in range(n_workloads):
        labels = {"app": f"a{i % 5}", "tier": ["web", "db"][i % 2]}
        if i % 3 == 0:
            labels["extra"] = "yes"
        src.documents.append(Document("m.yaml", i, {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"w{i}", "namespace": "ns"},
            "spec": {"template": {"metadata": {"labels": labels}}}}))
    return Model.build([src])


@pytest.mark.parametrize("selector", [{}, {"app": "a1"}, {"app": "a1", "tier": "db"}, {"extra": "yes", "tier": "web"},
                                      {"app": "nope"}, {"app": ["unhashable"]}])
def test_workloads_selected_uses_an_index_with_the_scan_s_answer(selector):
    model = _model(60)
    expected = [w for w in model.workloads_by_ns["ns"] if all(w.pod_labels.get(k) == v for k, v in selector.items())]
    assert model.workloads_selected("ns", selector) == expected
    assert model.workloads_selected("other", selector) == []


BAD = textwrap.dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        metadata:
          labels:
            app: web
            networking.kyma-project.io/from-ingressgateway: "true"
    """)


def test_the_console_script_exit_keeps_output_and_exit_code(tmp_path):
    (tmp_path / "d.yaml").write_text(BAD)
    proc = run_cli("d.yaml", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert [f["rule"] for f in report["findings"]] == ["NPL103"]
    clean = run_cli("d.yaml", "--ignore", "NPL103", "-q", cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, "")


_field = st.sampled_from(["a", "b", "labels", "x.y", "k/v"])
_data = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_field, inner, max_size=4),
                     max_leaves=20)


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(st.lists(_field, min_size=1, max_size=4), _data)
def test_declarative_field_chains_find_what_jsonpath_finds(steps, data):
    from netpol_lint.engine.declarative import compiled_path, match_path, named_steps

    query = compiled_path(".".join(f"'{s}'" for s in steps))
    assert named_steps(query) == tuple(steps)
    expected = [(match_path(m), m.value) for m in query.find(data)]
    value, found = data, True
    for s in steps:
        if type(value) is not dict or s not in value:
            found = False
            break
        value = value[s]
    assert expected == ([(tuple(steps), value)] if found else [])


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(st.lists(_field, min_size=1, max_size=3), _data)
def test_declarative_trailing_wildcards_find_what_jsonpath_finds_on_mappings(steps, data):
    from netpol_lint.engine.declarative import compiled_path, match_path, wildcard_prefix

    query = compiled_path(".".join(f"'{s}'" for s in steps) + ".*")
    assert wildcard_prefix(query) == tuple(steps)
    value = data
    for s in steps:
        value = value.get(s) if type(value) is dict else None
    if type(value) is dict or value is None:     # where the rule answers without jsonpath-ng
        expected = [(match_path(m), m.value) for m in query.find(data)]
        assert expected == [(tuple(steps) + (k,), v) for k, v in (value or {}).items()]


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(json_values, st.lists(json_values, max_size=4), st.sampled_from(["top", "nested"]))
def test_the_streaming_report_encoder_writes_what_json_dumps_writes(value, items, where):
    from netpol_lint.report.fastjson import Stream, iter_indent2

    def build(stream: bool):
        arr = Stream(iter(items)) if stream else list(items)
        return {"a": value, "items": arr, "z": [1]} if where == "top" else {"runs": [{"x": value, "results": arr}]}

    assert "".join(iter_indent2(build(True), end="\n")) == json.dumps(build(False), indent=2, ensure_ascii=False) + "\n"


_LABELISH = st.text(alphabet="abcXYZ019-_./ üeyONnul~", min_size=1, max_size=12) | st.sampled_from(
    ["true", "on", "y", "null", "1.0", "0x1F", "1e3", "1_000", "2026-11-26", "~", "-", "app", "a" * 90,
     "example.com/" + "k" * 70])


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=300, deadline=None)
@given(selector=st.dictionaries(_LABELISH, _LABELISH, max_size=4),
       ports=st.lists(st.integers(1, 65535), max_size=3),
       namespace=st.sampled_from(["shop", "ns-c12", "on", "1"]))
def test_npl201_policy_text_is_exactly_what_safe_dump_writes(selector, ports, namespace):
    """NPL201's suggested policy is written without PyYAML's slow emitter when its strings are
    simple; whatever the strings, the text is byte for byte ``yaml.safe_dump``'s."""
    import yaml

    from netpol_lint.analysis.gateway_checks import _policy_text
    name = "allow-istio-ingressgateway-to-web"
    doc = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"podSelector": {"matchLabels": dict(sorted(selector.items()))}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                                           "podSelector": {"matchLabels": {"istio": "ingressgateway"}}}],
                                 "ports": [{"protocol": "TCP", "port": p} for p in sorted(set(ports))]}]}}
    assert _policy_text(doc) == yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def test_the_cli_exits_normally_under_a_profiler(tmp_path):
    """The console script exits at once, leaving memory to the OS -- except under a profiler
    or coverage tool, whose results are written at a normal exit (docs/performance.md)."""
    import subprocess
    import sys
    out = tmp_path / "lint.prof"
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "netpol_lint",
                           str(FIXTURES / "npl004" / "bad"), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr                 # warnings only: exit 0, as without a profiler
    assert json.loads(proc.stdout)["findings"] and out.stat().st_size > 0
