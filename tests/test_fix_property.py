"""Property tests of the fixer: fix, then parse, equals the original data plus exactly the labels.

Hypothesis writes Deployments in many styles (block and flow labels, missing ``labels`` or
``metadata``, null labels, quoting, comments, indentation 2/4, CRLF, several documents, no
newline at the end) and asks for label changes (set, overwrite, rename).  Every fix must be
applied, verify, keep every comment line, and be idempotent.  The last test runs the fixer
over the whole shared corpus.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpol_lint.engine.findings import Finding, LabelFix
from netpol_lint.engine.fix import FixError, apply_fixes, apply_to_data, render_scalar, same
from netpol_lint.load.documents import Location
from netpol_lint.load.loader import read_file
from netpol_lint.model.session import Session

pytestmark = pytest.mark.slow     # heavy: left out of `pytest -m "not slow"` (CI runs everything)

KEYS = ["app", "tier", "version", "networking.kyma-project.io/from-ingressgateway",
        "networking.kyma-project.io/to-egress-gateway", "app.kubernetes.io/name"]
VALUES = ["web", "true", "123", "yes", "Allowed", "allowed", "v1.2", "null", "a-b_c.d"]
NEW_KEYS = ["networking.kyma-project.io/from-ingressgateway", "networking.kyma-project.io/to-egressgateway",
            "networking.kyma-project.io/istio-metrics", "sidecar.istio.io/inject"]
NEW_VALUES = ["allowed", "true", "false", "42"]


def _value_text(value: str, style: str) -> str:
    if style == "'":
        return f"'{value}'"
    if style == '"' or render_scalar(value) != value:
        return f'"{value}"'
    return value


@st.composite
def manifests(draw):
    """(text, doc_count, target doc index, key path, label changes)."""
    step = draw(st.sampled_from([2, 4]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    docs = []
    n_docs = draw(st.integers(1, 3))
    target = draw(st.integers(0, n_docs - 1))
    plan = None
    for i in range(n_docs):
        shape = draw(st.sampled_from(["block", "flow", "flow-multiline", "empty-flow", "null-empty", "null-tilde",
                                      "no-labels", "no-metadata"]))
        labels = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), min_size=1, max_size=4))
        styles = {k: draw(st.sampled_from([None, "'", '"'])) for k in labels}
        comments = draw(st.booleans())
        ind = " " * step
        lines = [f"# document {i}" if comments else None, "apiVersion: apps/v1", "kind: Deployment",
                 "metadata:", f"{ind}name: app{i}", "spec:", f"{ind}template:"]
        meta = ind * 2
        inner = ind * 3
        entries = [f"{k}: {_value_text(v, styles[k])}" for k, v in labels.items()]
        if shape == "block":
            lines += [f"{meta}metadata:", f"{inner}labels:"]
            for j, e in enumerate(entries):
                lines.append(f"{inner}{ind}{e}" + (f"   # note {j}" if comments else ""))
            if comments:
                lines.append(f"{inner}# after the labels")
        elif shape == "flow":
            lines += [f"{meta}metadata:", f"{inner}labels: {{{', '.join(entries)}}}"]
        elif shape == "flow-multiline":
            lines += [f"{meta}metadata:", f"{inner}labels: {{"]
            lines += [f"{inner}{ind}{e}," for e in entries[:-1]] + [f"{inner}{ind}{entries[-1]}", f"{inner}}}"]
        elif shape == "empty-flow":
            lines += [f"{meta}metadata:", f"{inner}labels: {{}}"]
            labels = {}
        elif shape == "null-empty":
            lines += [f"{meta}metadata:", f"{inner}labels:" + ("  # to do" if comments else "")]
            labels = {}
        elif shape == "null-tilde":
            lines += [f"{meta}metadata:", f"{inner}labels: ~"]
            labels = {}
        elif shape == "no-labels":
            lines += [f"{meta}metadata:", f"{inner}name: pod{i}"]
            labels = {}
        else:
            labels = {}
        lines += [f"{meta}spec:", f"{inner}containers:", f"{inner}- name: c", f"{inner}  image: nginx"]
        docs.append(nl.join(line for line in lines if line is not None))
        if i == target:
            sets = draw(st.dictionaries(st.sampled_from(NEW_KEYS), st.sampled_from(NEW_VALUES), min_size=1,
                                        max_size=2))
            rename = None
            typo = "networking.kyma-project.io/to-egress-gateway"
            if typo in labels and draw(st.booleans()):
                rename = (typo, "networking.kyma-project.io/to-egressgateway", labels[typo])
            plan = (sets, rename)
    sep = draw(st.sampled_from([nl + "---" + nl, nl + "..." + nl + "---" + nl]))
    text = sep.join(docs) + draw(st.sampled_from([nl, "", nl + "---" + nl]))
    return text, target, plan


def _finding(path: str, doc: int, fx_path: tuple, sets: tuple, remove: tuple = ()) -> Finding:
    return Finding("NPL999", "test", "error", "m", Location(path, 1, 1, 1, 1), None, True,
                   LabelFix(path, doc, fx_path, set=sets, remove=remove))


def _comment_lines(text: str) -> list[str]:
    """The comment of every line that has one (values here never contain '#')."""
    return [ln[ln.index("#"):].strip() for ln in text.splitlines() if "#" in ln]


LABELS_PATH = ("spec", "template", "metadata", "labels")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests())
def test_fix_then_parse_is_original_plus_labels(case):
    text, target, (sets, rename) = case
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "m.yaml"
        p.write_bytes(text.encode("utf-8"))
        with contextlib.chdir(tmp):
            original = read_file("m.yaml")
            assert not original.problems, original.problems
            index = [d.index for d in original.documents][target]
            findings = [_finding("m.yaml", index, LABELS_PATH, tuple(sets.items()))]
            expected = {d.index: d.data for d in original.documents}
            expected[index] = apply_to_data(expected[index], LABELS_PATH, sets, ())
            if rename and rename[1] not in sets:
                old, new, value = rename
                findings.append(_finding("m.yaml", index, LABELS_PATH, ((new, value),), (old,)))
                expected[index] = apply_to_data(expected[index], LABELS_PATH, {new: value}, (old,))
            session = Session.load(["m.yaml"])
            report = apply_fixes(findings, session.files)
            result = report.files[0]
            assert result.status in ("fixed", "unchanged"), (result.message, result.notes)
            assert not result.notes
            new_text = p.read_bytes().decode("utf-8")
            fixed = read_file("m.yaml")
            assert not fixed.problems
            assert same({d.index: d.data for d in fixed.documents}, expected)
            assert _comment_lines(new_text) == _comment_lines(text)
            if "\r\n" in text:
                assert new_text.count("\n") == new_text.count("\r\n")
            # idempotent: the same fixes again change nothing
            again = apply_fixes(findings, Session.load(["m.yaml"]).files)
            assert again.files[0].status == "unchanged"
            assert p.read_bytes().decode("utf-8") == new_text


def test_whole_corpus_fix_keeps_data_and_comments(shared_dir, tmp_path):
    """Add from-ingressgateway to every pod template of the corpus (what NPL101 would ask)."""
    work = tmp_path / "corpus"
    shutil.copytree(shared_dir / "corpus", work)
    for root, dirs, files in os.walk(work):          # the shared tree is read-only
        for name in dirs + files:
            full = os.path.join(root, name)
            os.chmod(full, os.stat(full).st_mode | 0o200)
    with contextlib.chdir(work):
        session = Session.load(["."])
        before = {f.path: f.text for f in session.files}
        raw_before = {f.path: Path(f.path).read_bytes() for f in session.files}
        docs_before = {f.path: {d.index: d.data for d in f.documents} for f in session.files}
        findings, expected = [], {}
        for w in session.model.workloads:
            path = w.base + w.labels_path                   # spec.labels for a Function
            sets = {"networking.kyma-project.io/from-ingressgateway": "allowed"}
            per_file = expected.setdefault(w.file, dict(docs_before[w.file]))
            try:
                per_file[w.doc.index] = apply_to_data(per_file[w.doc.index], path, sets, ())
            except FixError:
                continue        # labels written as a placeholder string (a design doc's Function): no fix
            findings.append(_finding(w.file, w.doc.index, path, tuple(sets.items())))
        report = apply_fixes(findings, session.files)
        by_status = {}
        for f in report.files:
            by_status.setdefault(f.status, []).append(f)
        skipped = {f.path: f.message for f in by_status.get("skipped", [])}
        # only files that do not parse cleanly are refused
        assert all("does not parse cleanly" in m for m in skipped.values()), skipped
        assert len(by_status["fixed"]) > 700
        for f in by_status["fixed"]:
            new = read_file(f.path)
            assert not new.problems, f.path
            assert same({d.index: d.data for d in new.documents}, expected[f.path]), f.path
            assert _comment_lines(new.text) == _comment_lines(before[f.path]), f.path
        untouched = set(before) - {f.path for f in by_status["fixed"]}
        for path in untouched:
            assert Path(path).read_bytes() == raw_before[path], path
