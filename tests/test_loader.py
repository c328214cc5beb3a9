"""Loader: every input form, positions, and problems that do not stop the rest of the input."""
from __future__ import annotations

import json

from conftest import run_cli
from netpol_lint.load.loader import Limits, SourceFile, discover, parse_text, read_file
from netpol_lint.model.index import Model


def _parse(text: str, path: str = "t.yaml") -> SourceFile:
    return parse_text(SourceFile(path), text)


def test_positions_are_one_based_for_keys_values_and_collections():
    src = _parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    app: web\n")
    doc = src.documents[0]
    assert (doc.locate(("metadata", "name")).line, doc.locate(("metadata", "name")).column) == (4, 9)
    key = doc.locate(("metadata", "name"), key=True)
    assert (key.line, key.column, key.end_column) == (4, 3, 7)
    labels = doc.locate(("metadata", "labels"))
    assert (labels.line, labels.column) == (6, 5)
    # a missing path falls back to the nearest existing parent
    assert doc.locate(("metadata", "labels", "nope")).line == 6


def test_multi_document_with_broken_third_document_keeps_the_others():
    text = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\ndata: {a: [1, 2}\n---\n"
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n")
    src = _parse(text)
    assert [d.data["metadata"]["name"] for d in src.documents] == ["a", "b", "d"]
    assert [(p.kind, p.location.line) for p in src.problems] == [("syntax", 11)]
    assert src.documents[2].locate(("metadata", "name")).line == 15


def test_empty_and_comment_only_documents_are_skipped():
    src = _parse("---\n# only a comment\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n")
    assert len(src.documents) == 1 and not src.problems


def test_kind_list_items_become_resources_with_item_positions():
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s1, namespace: x}\n"
            "- apiVersion: v1\n  kind: ServiceList\n  items: []\n- not-a-resource\n")
    m = Model.build([_parse(text)])
    assert [r.ref for r in m.resources] == ["Service/x/s1"]
    assert m.resources[0].locate("metadata", "name").line == 6


def test_non_kubernetes_documents_are_counted_not_linted():
    m = Model.build([_parse("foo: bar\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")])
    assert m.non_kubernetes_documents == 1 and len(m.resources) == 1


def test_duplicate_keys_are_npl001_at_the_second_key():
    src = _parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n")
    assert [(p.kind, p.location.line, p.location.column) for p in src.problems] == [("syntax", 5, 3)]
    assert src.documents[0].data["metadata"]["name"] == "b"


def test_custom_tags_are_data_never_code():
    src = _parse("apiVersion: v1\nkind: ConfigMap\nmetadata: !!python/object:os.system {name: x}\n"
                 "data: {a: !!python/name:os.system ''}\n")
    assert not src.problems
    assert src.documents[0].data["metadata"] == {"name": "x"}


def test_yaml_11_semantics_like_kubectl():
    data = _parse("a: yes\nb: on\nc: 0755\nd: '1'\n").documents[0].data
    assert data == {"a": True, "b": True, "c": 493, "d": "1"}


def test_json_file_positions_and_strict_json(tmp_path):
    good = tmp_path / "ns.json"
    good.write_text(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}, indent=2))
    src = read_file(str(good))
    assert src.documents[0].locate(("metadata", "name")).line == 5
    bad = tmp_path / "bad.json"
    bad.write_text('{"apiVersion": "v1",}')
    assert [(p.kind, p.location.line) for p in read_file(str(bad)).problems] == [("syntax", 1)]


def test_tabs_and_bad_encoding_are_npl001(tmp_path):
    (tmp_path / "tab.yaml").write_text("a:\n\tb: c\n")
    (tmp_path / "latin1.yaml").write_bytes("a: caf\xe9\n".encode("latin-1"))
    probs = {p.name: read_file(str(p)).problems for p in tmp_path.iterdir()}
    assert probs["tab.yaml"][0].kind == "syntax" and probs["tab.yaml"][0].location.line == 2
    assert probs["latin1.yaml"][0].kind == "encoding" and "UTF-8" in probs["latin1.yaml"][0].message


def test_utf16_with_bom_is_read(tmp_path):
    p = tmp_path / "u16.yaml"
    p.write_bytes("apiVersion: v1\nkind: Namespace\nmetadata: {name: u}\n".encode("utf-16"))
    assert read_file(str(p)).documents[0].data["metadata"]["name"] == "u"


def test_helm_template_is_npl002_not_npl001():
    src = _parse("{{- if .Values.on }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n{{- end }}\n")
    assert [p.kind for p in src.problems] == ["template"] and not src.documents


def test_quoted_placeholder_names_are_npl002_and_nothing_else(tmp_path):
    """Issue 14 item 6: every default rule over the NPL002 bad fixture's quoted placeholders
    reports NPL002 once per file and never NPL003/NPL004 about '{{ .Values.name }}'."""
    from conftest import FIXTURES, lint_json
    _, report = lint_json("bad/quoted-names.yaml", "bad/quoted-selector.yaml", "--select", "NPL",
                          cwd=FIXTURES / "npl002")
    assert [(f["rule"], f["file"]) for f in report["findings"]] == [
        ("NPL002", "bad/quoted-names.yaml"), ("NPL002", "bad/quoted-selector.yaml")]


def test_quoted_markers_elsewhere_keep_the_manifest():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {a: '{{ .X }}'}\n"
            "data: {t: '{{ .Name }}'}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"
            "spec:\n  template:\n    metadata: {labels: {app: w}, annotations: {t: '{{ .Y }}'}}\n"
            "    spec: {containers: [{name: c, args: ['{{.Level}}']}]}\n")
    src = _parse(text)
    assert src.problems == [] and len(src.documents) == 2
    for field in ("metadata: {name: w, labels: {app: '{{ .A }}'}}",
                  "metadata: {name: w}\nspec: {template: {spec: {containers: [{ports: [{name: '{{ .P }}'}]}]}}}",
                  "metadata: {name: w}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {a: '{{.B}}'}}}}}}"):
        src = _parse("apiVersion: batch/v1\nkind: CronJob\n" + field + "\n")
        assert [p.kind for p in src.problems] == ["template"] and not src.documents, field


def test_values_yaml_and_tool_json_are_not_manifests(tmp_path):
    """No apiVersion/kind: a values.yaml (even one the markers make unreadable) and a broken
    package.json are skip notes, not NPL001/NPL002; a broken JSON that looks like a manifest
    is still NPL001."""
    (tmp_path / "values.yaml").write_text("name: {{ .Release.Name }}\ntag: '{{ .Chart.AppVersion }}'\n")
    (tmp_path / "quoted-values.yaml").write_text("tag: '{{ .Chart.AppVersion }}'\n")
    (tmp_path / "package.json").write_text('{"name": "x",}\n')
    (tmp_path / "svc.json").write_text('{"kind": "Service",}\n')
    got = {p.name: read_file(str(p)) for p in tmp_path.iterdir()}
    assert got["values.yaml"].problems == [] and "not a manifest" in got["values.yaml"].skipped
    assert got["quoted-values.yaml"].problems == [] and got["quoted-values.yaml"].skipped is None
    assert got["package.json"].problems == [] and "not a manifest" in got["package.json"].skipped
    assert [p.kind for p in got["svc.json"].problems] == ["syntax"] and got["svc.json"].skipped is None


def test_discover_walks_recursively_skips_hidden_and_excluded(tmp_path):
    for rel in ("a.yaml", "b.yml", "c.json", "d.txt", ".hidden/e.yaml", "sub/f.yaml", "charts/x/g.yaml"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("a: 1\n")
    files, missing = discover([str(tmp_path)], ["charts/**"], cwd=str(tmp_path))
    names = sorted(p.replace(str(tmp_path) + "/", "") for p in files)
    assert names == ["a.yaml", "b.yml", "c.json", "sub/f.yaml"] and missing == []
    assert discover([str(tmp_path / "nope")])[1] == [str(tmp_path / "nope")]


def test_stdin_is_read_as_one_stream():
    proc = run_cli("-", "--format", "json", stdin=(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n, labels: "
        "{networking.kyma-project.io/from-ingressgateway: 'yes'}}\n"))
    report = json.loads(proc.stdout)
    assert [(f["rule"], f["file"], f["line"]) for f in report["findings"]] == [("NPL103", "-", 3)]


def test_file_over_size_limit_is_reported_not_read(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text("a: " + "x" * 2000 + "\n")
    src = read_file(str(p), limits=Limits(max_file_bytes=1000))
    assert src.problems[0].kind == "unreadable" and "limit" in src.problems[0].message


def test_merge_keys_and_anchors():
    data = _parse("base: &b {app: web, tier: fe}\nlabels:\n  <<: *b\n  tier: be\n").documents[0].data
    assert data["labels"] == {"app": "web", "tier": "be"}


