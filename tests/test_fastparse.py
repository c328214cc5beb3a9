"""The loader's fast path (load/fastparse.py) gives exactly what the general path gives.

Two promises are tested here: (1) for every file, the documents' data, indexes, origins, the
problems and the document start offsets are the same whether the fast path or the general
path (``Composer`` + ``Builder``) read it, and the fast path gives up on everything it does
not handle; (2) ``StreamedDocument.locate`` returns, for every path (present, absent, key
or value, through aliases or not), the location the composed node tree gives.
"""
from __future__ import annotations

import textwrap

import pytest

from netpol_lint.load import fastparse, loader
from netpol_lint.load.documents import Document, Location
from netpol_lint.load.loader import Limits, SourceFile, parse_text, read_file

from conftest import SHARED


def _general(text: str, path: str = "m.yaml", limits: Limits = Limits()) -> SourceFile:
    """Parse with the fast path switched off."""
    original = loader.fast_parse
    loader.fast_parse = lambda *a, **k: False
    try:
        return parse_text(SourceFile(path), text, limits)
    finally:
        loader.fast_parse = original


def _fast_taken(text: str, limits: Limits = Limits()) -> bool:
    return fastparse.fast_parse(SourceFile("m.yaml"), text, limits, None)


def _paths(data, base=()):
    yield base
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, base + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, base + (i,))


def _same(fast: SourceFile, general: SourceFile) -> None:
    assert [(d.index, d.data, d.origin) for d in fast.documents] == \
           [(d.index, d.data, d.origin) for d in general.documents]
    assert [(p.kind, p.message, p.location) for p in fast.problems] == \
           [(p.kind, p.message, p.location) for p in general.problems]
    assert [d.start for d in fast.documents] == [d.start for d in general.documents]


def _same_positions(src: SourceFile) -> int:
    """Every path of every document, plus absent ones: streamed == composed.  Returns the count."""
    checked = 0
    for doc in src.documents:
        paths = list(_paths(doc.data))
        paths += [p + ("absent",) for p in paths[:40]] + [p + (10_000,) for p in paths[:40]] + [p + (-1,) for p in paths[:10]]
        for path in paths:
            for key in (False, True):
                composed = Document.locate(doc, path, key)
                doc._cache = None
                assert doc.locate(path, key) == composed, (doc.index, path, key)
                checked += 1
    return checked


CASES = {
    "block": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web   # a comment
          namespace: shop
          labels: {app: web, tier: "front"}
        spec:
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
                - name: web
                  image: nginx
                  ports:
                    - containerPort: 8080
                      name: http
                - name: sidecar
                  args: [a, 'b', "c"]
        """,
    "multi-doc": """
        # leading comment
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        ---
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: b
        spec:
          ports:
          - port: 80
            targetPort: 8080

        ...
        --- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {k: v}}
        """,
    "scalars": """
        a: yes
        b: 0755
        c: 1.5
        d: ~
        e: 2020-01-01
        f: !!str 80
        g: "80"
        80: eighty
        true: t
        1.0: f
        h: |
          line one
          line two
        i: >-
          folded
          text
        j: !custom tagged
        k: ! bang
        l: [[1, 2], [3, {x: y}]]
        m: {}
        n: []
        """,
    "nested-end-clamp": """
        a:
          b:
            c:
              d: deep


        e: after
        """,
    "non-ascii": """
        metadata:
          name: café
          annotations: {note: "ünïcode ✓"}
        """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_matches_the_general_path(name):
    text = textwrap.dedent(CASES[name]).lstrip("\n")
    assert _fast_taken(text)
    fast = parse_text(SourceFile("m.yaml"), text)
    assert all(isinstance(d, fastparse.StreamedDocument) for d in fast.documents)
    _same(fast, _general(text))
    assert _same_positions(fast) > 20


GIVES_UP = {
    "anchor and alias": "a: &x {k: v}\nb: *x\n",
    "merge key": "base: &b {k: v}\nc:\n  <<: *b\n  z: 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "null key": "? ~\n: v\n",
    "collection key": "? [a, b]\n: v\n",
    "syntax error": "a: [1, 2\nb: 3\n",
    "second document broken": "a: 1\n---\nb: [\n---\nc: 3\n",
}


@pytest.mark.parametrize("name", sorted(GIVES_UP))
def test_the_fast_path_gives_up_and_the_general_path_answers(name):
    text = GIVES_UP[name]
    assert not _fast_taken(text)
    src = parse_text(SourceFile("m.yaml"), text)      # through the normal entry point
    _same(src, _general(text))
    _same_positions(src)


def test_limits_send_documents_to_the_general_path():
    deep = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 12)) + "  " * 12 + "x\n"
    assert not _fast_taken(deep, Limits(max_depth=5))
    assert not _fast_taken("[" + ", ".join(["1"] * 50) + "]\n", Limits(max_nodes_per_document=20))
    for text, limits in ((deep, Limits(max_depth=5)), ("[" + ", ".join(["1"] * 50) + "]\n", Limits(max_nodes_per_document=20))):
        src = parse_text(SourceFile("m.yaml"), text, limits)
        assert src.problems and src.problems[0].kind == "syntax"
        _same(src, _general(text, limits=limits))


def test_positions_through_aliases_fall_back_to_the_composed_tree():
    text = textwrap.dedent("""
        metadata:
          labels: &labels
            app: web
        spec:
          selector:
            matchLabels: *labels
          other: x
        """).lstrip("\n")
    src = parse_text(SourceFile("m.yaml"), text)
    doc = src.documents[0]
    assert isinstance(doc, fastparse.StreamedDocument)      # general path, streamed positions
    # the alias resolves to the anchored mapping (from its anchor), exactly like the node tree
    assert doc.locate(("spec", "selector", "matchLabels")) == Location("m.yaml", 2, 11, 3, 13)
    assert doc.locate(("spec", "selector", "matchLabels", "app")) == Location("m.yaml", 3, 10, 3, 13)
    assert _same_positions(src) > 10


def test_documents_after_a_broken_one_keep_streamed_positions():
    text = "a: 1\n---\nb: [\n---\nkind: X\nmetadata:\n  name: late\n"
    src = parse_text(SourceFile("m.yaml"), text)
    assert [d.index for d in src.documents] == [0, 2]
    late = src.documents[1]
    assert late.locate(("metadata", "name")) == Location("m.yaml", 7, 9, 7, 13)
    _same_positions(src)


def test_documents_with_duplicate_keys_are_not_streamed():
    src = parse_text(SourceFile("m.yaml"), "a: 1\na: 2\n")
    assert type(src.documents[0]) is Document
    assert src.documents[0].locate(("a",)) == Location("m.yaml", 2, 4, 2, 5)   # the last one, as the data


def test_helm_sources_become_origins():
    text = ("---\n# Source: chart/templates/a.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
            "---\n# Source: chart/templates/b.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n")
    assert _fast_taken(text)
    src = parse_text(SourceFile("-"), text)
    assert [d.origin for d in src.documents] == ["chart/templates/a.yaml", "chart/templates/b.yaml"]
    _same(src, _general(text, "-"))


CORPUS = SHARED / "corpus"


@pytest.mark.slow      # reads the corpus: CI runs it, `pytest -m "not slow"` does not
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not next to the checkout")
def test_a_sample_of_the_corpus_reads_and_locates_the_same_both_ways():
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    sample = files[::9]
    fast_files = 0
    for path in sample:
        src = read_file(str(path))
        text = src.text or ""
        if src.skipped or not text:
            continue
        general = _general(text, src.path)
        if not path.name.endswith(".json"):
            _same(src, general)
        fast_files += any(isinstance(d, fastparse.StreamedDocument) for d in src.documents)
        for doc in src.documents:
            paths = list(_paths(doc.data))[:60]
            for p in paths + [p + ("absent",) for p in paths[:5]]:
                composed = Document.locate(doc, p, False)
                doc._cache = None
                assert doc.locate(p, False) == composed, (path, doc.index, p)
    assert fast_files > len(sample) * 0.8


@pytest.mark.slow      # every corpus document: CI runs it, `pytest -m "not slow"` does not
def test_positions_noted_while_parsing_are_where_the_events_lead():
    """The fast path notes metadata.name's position and a pod template's labels mapping as it
    parses; each must be the location the event walk finds, on every corpus document."""
    from netpol_lint.load.fastparse import NAME_PATH, _stream_locate
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("shared corpus not available")
    names = labels = 0
    for path in sorted(corpus.rglob("*.y*ml")):
        src = read_file(str(path))
        for doc in src.documents:
            if getattr(doc, "name_at", None) is not None:
                assert doc.locate(NAME_PATH) == _stream_locate(doc, NAME_PATH, False), (path, doc.index)
                names += 1
            if getattr(doc, "labels_at", None) is not None:
                where = doc.labels_at[0]
                assert doc.locate(where) == _stream_locate(doc, where, False), (path, doc.index)
                labels += 1
    assert names > 3000 and labels > 500


def test_noted_positions_cover_block_flow_and_cronjob_templates():
    text = textwrap.dedent("""\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: "nightly"
        spec:
          jobTemplate:
            spec:
              template:
                metadata:
                  labels:
                    app: nightly
                    tier: batch

                spec: {containers: [{name: c, image: x}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec: {template: {metadata: {labels: {app: web}}}}
        """)
    src = parse_text(SourceFile("m.yaml"), text)
    cron, web = src.documents
    assert cron.labels_at[0] == ("spec", "jobTemplate", "spec", "template", "metadata", "labels")
    assert web.labels_at[0] == ("spec", "template", "metadata", "labels")
    assert cron.locate(("metadata", "name")) == Location("m.yaml", 4, 9, 4, 18)
    assert cron.locate(cron.labels_at[0]) == Location("m.yaml", 11, 13, 14, 9)   # libyaml ends it at "spec"
    assert web.locate(web.labels_at[0]) == Location("m.yaml", 19, 38, 19, 48)
    for doc in (cron, web):
        for where in (("metadata", "name"), doc.labels_at[0]):
            assert doc.locate(where) == Document.locate(doc, where)   # composed, the reference
