"""The memory savings of issue 7 change nothing but memory: each is checked against the
plain behaviour it replaces.

* ``Session``'s ``compact`` step drops a file's text after parsing (read back, checked, for
  positions and suppression comments) and packs documents no built-in analysis reads beyond
  their metadata (``Document.pack``): data read later is equal to what was parsed, the model
  sees the same resources, and findings and positions are the same as without compacting.
* Resources keep computed accessors in slots (``lazy``), shared empty mappings are read-only,
  and findings of one resource share its identity mapping.
"""
from __future__ import annotations

from functools import partial
import pickle
import textwrap

import pytest

from netpol_lint.load import parallel
from netpol_lint.load.documents import Head
from netpol_lint.load.loader import Limits, discover, read_file
from netpol_lint.model.index import Model
from netpol_lint.model.resources import EMPTY, Workload, packable
from netpol_lint.load.reader import compact
from netpol_lint.model.session import Session

from conftest import FIXTURES, lint_json

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a",
             "labels": {"team": "x"}}, "data": {"k": "v", "n": "1"}}


def _write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_packable_takes_plain_resources_only():
    assert packable(CONFIGMAP)
    assert not packable({**CONFIGMAP, "kind": "Service"})                       # analysed
    assert not packable({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": {}})
    assert not packable({"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {}, "items": []})
    assert not packable({"apiVersion": "serverless.kyma-project.io/v1alpha2", "kind": "Function",
                         "metadata": {}, "spec": {}})                         # routes read its spec
    assert not packable({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})  # nothing to save
    assert not packable(["a", "list"]) and not packable({"kind": 3, "apiVersion": "v1", "a": 1, "b": 2})
    # a custom resource that carries pod labels is kept: NPL501 reads them
    sandbox = {"apiVersion": "agents.x-k8s.io/v1alpha1", "kind": "SandboxTemplate", "metadata": {"name": "s"},
               "spec": {"podTemplate": {"metadata": {"labels": {"app": "agent"}}}}}
    assert not packable(sandbox)
    assert packable({**sandbox, "spec": {"replicas": 2}})


def test_a_packed_document_unpacks_to_equal_data_once(tmp_path):
    p = _write(tmp_path, "cm.yaml", """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c, namespace: a, labels: {team: x}}
        data: {k: v, n: "1"}
        """)
    src = read_file(str(p))
    compact(src, packable)
    doc = src.documents[0]
    assert doc.packed and type(doc.head) is Head
    assert doc.head == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": CONFIGMAP["metadata"]}
    model = Model.build([src])
    (r,) = model.resources
    assert (r.kind, r.namespace, r.name, r.labels) == ("ConfigMap", "a", "c", {"team": "x"})
    assert doc.packed                                   # identity and labels did not unpack it
    assert r.data == CONFIGMAP and not doc.packed
    assert r.data is doc.data is r.data                 # unpacked once, the same objects after
    copy = pickle.loads(pickle.dumps(src))              # what a parse worker sends back
    assert copy.documents[0].data == CONFIGMAP


def test_data_marshal_cannot_write_is_left_unpacked():
    from netpol_lint.load.documents import Document
    import datetime
    doc = Document("x.yaml", 0, {**CONFIGMAP, "data": {"k": datetime.date(2026, 11, 26)}})
    assert not doc.pack() and not doc.packed


def test_dropped_text_is_read_back_and_checked(tmp_path):
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
    p = _write(tmp_path, "svc.yaml", text)
    src = read_file(str(p))
    compact(src, packable)
    assert src._text is None and src.text == text
    assert src.documents[0].locate(("metadata", "name")).line == 4
    p.write_text(text.replace("web", "api"))            # changed since it was read
    fresh = read_file(str(p))
    compact(fresh)
    p.write_text(text + "# more\n")
    assert fresh.text is None                           # never the wrong text
    assert fresh.documents[0].locate(("metadata", "namespace")).line == 1   # the file, not a wrong line
    assert fresh.documents[0].locate(("metadata", "name")).line == 4   # noted while parsing


def test_fix_refuses_a_file_changed_after_its_text_was_dropped(tmp_path, monkeypatch):
    from netpol_lint.engine import fix as fixmod
    p = _write(tmp_path, "web.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata:
              labels: {app: web, networking.kyma-project.io/from-ingressgateway: "true"}
            spec: {containers: [{name: web, image: nginx}]}
        """)
    session = Session.load([str(p)], jobs=1)
    p.write_text(p.read_text() + "# edited meanwhile\n")
    src = session.files[0]
    with pytest.raises(fixmod.FixError, match="changed since it was linted"):
        fixmod._fix_file(str(p), src, [], write=False)


def test_compacted_sessions_report_exactly_what_plain_ones_do(tmp_path, monkeypatch):
    """Every fixture: findings (rule, file, line, column, message, related) are identical with
    and without compacting, which is the whole contract of the memory work."""
    from netpol_lint.load import reader
    _, with_compact = lint_json(str(FIXTURES), "--format", "json", "--assume-network-policies", "enabled")
    monkeypatch.setattr(reader, "compact", lambda src, packable=None: None)
    _, plain = lint_json(str(FIXTURES), "--format", "json", "--assume-network-policies", "enabled")
    assert with_compact["findings"] == plain["findings"] and len(plain["findings"]) > 100
    assert with_compact["summary"] == plain["summary"]


def test_suppression_comments_work_in_files_whose_text_was_dropped(tmp_path):
    _write(tmp_path, "a.yaml", """\
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        ---
        apiVersion: v1
        kind: Service
        # netpol-lint: disable=NPL004
        metadata: {name: web, namespace: shop}
        """)
    code, report = lint_json(str(tmp_path), "--format", "json")
    assert report["findings"] == [] and report["summary"]["suppressed"] == 1


def test_parallel_workers_send_compacted_files(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "_MIN_BATCH_BYTES", 1)
    paths, _ = discover([str(FIXTURES)])
    files = parallel.read_files(paths, 2, Limits(), finish=partial(compact, packable=packable))
    here = [read_file(p) for p in paths]
    packed = 0
    for a, b in zip(files, here):
        assert a._text is None and a.text == b.text
        for da, db in zip(a.documents, b.documents):
            packed += da.packed
            assert da.data == db.data
            assert da.locate(("metadata", "name")) == db.locate(("metadata", "name"))
    assert packed > 5


def test_lazy_accessors_are_computed_once_and_plugins_can_still_attach_attributes(tmp_path):
    from netpol_lint.load.loader import SourceFile, parse_text
    src = parse_text(SourceFile("w.yaml"), textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec: {template: {metadata: {labels: {app: web}}}}
        """))
    (w,) = Model.build([src]).resources
    assert isinstance(w, Workload) and w.pod_labels == {"app": "web"}
    assert w.pod_labels is w.pod_labels and w.labels is EMPTY
    w.plugin_note = "kept"                               # __dict__ is still there
    assert w.plugin_note == "kept"
    with pytest.raises(AttributeError):
        w.no_such_accessor
    assert w.identity() is w.identity()
    with pytest.raises(TypeError):
        EMPTY["x"] = "y"                                 # shared, so it must not change
    assert EMPTY == {} and isinstance(EMPTY, dict)


def test_pods_of_custom_resources_still_count_for_npl501(tmp_path):
    """A custom resource that embeds pod labels is not packed, so NPL501 still sees them;
    without it (the last document) the policy selects nothing."""
    base = """\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: agents, namespace: ai}
        spec: {podSelector: {matchLabels: {app: agent}}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: ai}
        spec: {template: {metadata: {labels: {app: web}}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: ai}
        data: {mode: fast}
        """
    sandbox = """\
        ---
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: SandboxTemplate
        metadata: {name: agent, namespace: ai}
        spec: {podTemplate: {metadata: {labels: {app: agent}}}}
        """
    _write(tmp_path, "ai.yaml", textwrap.dedent(base) + textwrap.dedent(sandbox))
    _, report = lint_json(str(tmp_path), "--format", "json", "--select", "NPL501")
    assert report["findings"] == []
    _write(tmp_path, "ai.yaml", base)
    _, report = lint_json(str(tmp_path), "--format", "json", "--select", "NPL501")
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("NPL501", 4)]


def test_findings_of_one_cause_share_their_parts(tmp_path):
    """NPL004's findings of one group share the first definition's related location and hint;
    fixes share their labels path and label pair; findings without related locations share
    one empty value.  (Large inputs have tens of thousands of such findings.)"""
    from netpol_lint.engine import linter, pipeline
    from netpol_lint.config import Config
    from netpol_lint.engine.findings import LabelFix
    from netpol_lint.engine.plugins import RuleRegistry

    service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    _write(tmp_path, "a.yaml", "---\n".join([service] * 3))
    _write(tmp_path, "b.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: a, namespace: shop}
        spec: {template: {metadata: {labels: {app: a}}}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: b, namespace: shop}
        spec: {template: {metadata: {labels: {app: b}}}}
        """)
    registry = RuleRegistry.default()
    session = Session.load([str(tmp_path)], Config(), jobs=1)
    result = pipeline.run(session, registry, linter.selected_rules(registry, Config(), ["NPL004", "NPL501"]))
    dups = [f for f in result.findings if f.rule == "NPL004"]
    assert [f.location.line for f in dups] == [7, 11]
    assert dups[0].related is dups[1].related and dups[0].node_hint is dups[1].node_hint
    assert dups[0].related[0].location.line == 3
    a, b = sorted(session.model.workloads, key=lambda w: w.name)
    fa, fb = LabelFix.set_pod_label(a, "x", "allowed"), LabelFix.set_pod_label(b, "x", "allowed")
    assert fa.path == ("spec", "template", "metadata", "labels") and fa.path is fb.path and fa.set is fb.set
    shared = (dups[0].related[0],)                       # NPL105 passes its namespace's tuple
    assert RuleRegistry.default().resolve("NPL105").finding(a, a.locate(), "m", related=shared).related is shared
    lone = RuleRegistry.default().resolve("NPL004").finding(a, a.locate(), "m")
    assert lone.related == () and lone.related is RuleRegistry.default().resolve("NPL003").finding(b, b.locate(), "m").related
