"""``--fix``: golden before/after files, data preservation, idempotence, ``--diff``, safety.

Golden cases live in ``tests/fixtures/fix/<case>/`` as ``before/`` (input), ``after/``
(exact bytes expected after ``--fix``) and ``args.txt`` (the rules selected).  Every case is
also checked semantically: the fixed files parse to the original data plus exactly the
label changes the findings asked for.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES
from netpol_lint.engine import fix as fixmod
from netpol_lint.cli import main
from netpol_lint.engine.fix import FixError, apply_fixes, apply_to_data, same
from netpol_lint.engine.findings import Finding, LabelFix
from netpol_lint.load.documents import Location
from netpol_lint.load.loader import read_file
from netpol_lint.model.session import Session

CASES = sorted(p.name for p in (FIXTURES / "fix").iterdir() if p.is_dir())
FROM = "networking.kyma-project.io/from-ingressgateway"


def _args(case: str) -> list[str]:
    return [ln.strip() for ln in (FIXTURES / "fix" / case / "args.txt").read_text().splitlines() if ln.strip()]


def _run(cwd, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["lint", *args])
    return code, out.getvalue(), err.getvalue()


def _copy_case(case: str, tmp_path: Path) -> Path:
    work = tmp_path / case
    shutil.copytree(FIXTURES / "fix" / case / "before", work)
    return work


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _fixes(case_dir: Path, args: list[str]) -> list[Finding]:
    """The findings (with fixes) the linter reports on ``case_dir``, in-process."""
    from netpol_lint.engine import linter, pipeline
    from netpol_lint.config import Config
    from netpol_lint.engine.plugins import RuleRegistry

    with contextlib.chdir(case_dir):
        registry = RuleRegistry.default()
        session = Session.load(["."], Config())
        select = args[args.index("--select") + 1].split(",")
        result = pipeline.run(session, registry, linter.selected_rules(registry, Config(), select))
        return [f for f in result.findings if f.fix is not None]


@pytest.mark.parametrize("case", CASES)
def test_golden_fix(case, tmp_path):
    work = _copy_case(case, tmp_path)
    code, out, err = _run(work, ".", *_args(case), "--fix", "--fail-on", "never")
    assert code == 0, err
    assert "Fixed " in out
    assert _files(work) == _files(FIXTURES / "fix" / case / "after")


@pytest.mark.parametrize("case", CASES)
def test_golden_fix_is_idempotent(case, tmp_path):
    work = tmp_path / case
    shutil.copytree(FIXTURES / "fix" / case / "after", work)
    before = _files(work)
    code, out, _ = _run(work, ".", *_args(case), "--fix", "--fail-on", "never")
    assert _files(work) == before
    assert code == 0
    assert "Fixed 0 findings in 0 files." in out


@pytest.mark.parametrize("case", CASES)
def test_fixed_data_is_original_plus_exactly_the_labels(case, tmp_path):
    before_dir = FIXTURES / "fix" / case / "before"
    after_dir = FIXTURES / "fix" / case / "after"
    fixes = _fixes(before_dir, _args(case))
    assert fixes, "the case must exercise at least one fix"
    for name in _files(before_dir):
        old = read_file(str(before_dir / name))
        new = read_file(str(after_dir / name))
        assert not new.problems
        expected = {d.index: d.data for d in old.documents}
        applied = 0
        for f in fixes:
            if Path(f.fix.file).as_posix() == name and name != "shared-anchor.yaml":
                expected[f.fix.doc_index] = apply_to_data(expected[f.fix.doc_index], f.fix.path,
                                                          dict(f.fix.set), f.fix.remove)
                applied += 1
        got = {d.index: d.data for d in new.documents}
        assert same(got, expected), name


def test_comments_are_kept_in_golden_files():
    for case in CASES:
        for name, data in _files(FIXTURES / "fix" / case / "before").items():
            old = [ln for ln in data.decode("utf-8-sig").splitlines() if "#" in ln]
            new_text = (FIXTURES / "fix" / case / "after" / name).read_text(encoding="utf-8-sig")
            for line in old:
                comment = line[line.index("#"):]
                assert comment in new_text, (case, name, comment)


def test_crlf_case_really_is_crlf():
    raw = (FIXTURES / "fix" / "crlf" / "after" / "windows.yaml").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 30


def test_diff_prints_a_patch_and_writes_nothing(tmp_path):
    work = _copy_case("npl103-values", tmp_path)
    before = _files(work)
    code, out, err = _run(work, ".", "--select", "NPL103", "--fix", "--diff")
    assert code == 1
    assert _files(work) == before
    assert out.startswith("--- a/values.yaml\n+++ b/values.yaml\n@@ ")
    assert '-        networking.kyma-project.io/to-egressgateway: \'Allowed\'\n' in out
    assert "+        networking.kyma-project.io/to-egressgateway: 'allowed'\n" in out
    assert "Would fix 4 findings in 1 file." in err
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=work, check=True)
        proc = subprocess.run(["git", "apply", "-"], cwd=work, input=out, text=True, capture_output=True)
        assert proc.returncode == 0, proc.stderr
        assert _files(work) == _files(FIXTURES / "fix" / "npl103-values" / "after") | {
            k: v for k, v in _files(work).items() if k.startswith(".git/")}


def test_diff_without_changes_exits_0(tmp_path):
    work = tmp_path / "w"
    shutil.copytree(FIXTURES / "fix" / "npl103-values" / "after", work)
    code, out, err = _run(work, ".", "--select", "NPL103", "--fix", "--diff")
    assert (code, out, err) == (0, "", "Would fix 0 findings in 0 files.\n")


def test_fix_reports_what_remains(tmp_path):
    work = _copy_case("anchors", tmp_path)
    code, out, err = _run(work, ".", "--select", "NPL102,NPL103", "--fix")
    assert code == 1                         # the shared-anchor finding remains
    assert "shared-anchor.yaml:9:5: NPL102" in out
    assert "Fixed 3 findings in 1 file." in out
    assert ("shared-anchor.yaml: not fixed: Deployment shop/ratings: the labels mapping is anchored (&ratings) "
            "and reused elsewhere") in err


def test_json_output_keeps_stdout_clean(tmp_path):
    work = _copy_case("npl104-rename", tmp_path)
    code, out, err = _run(work, ".", "--select", "NPL104", "--fix", "--format", "json")
    import json
    assert code == 0
    assert json.loads(out)["findings"] == []
    assert "Fixed 2 findings in 1 file." in err


# -- safety -----------------------------------------------------------------------------

def _deployment(tmp_path: Path, name: str = "web.yaml") -> Path:
    p = tmp_path / name
    p.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
                 f"    {FROM}: allowed\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n")
    return p


def test_read_only_file_is_left_alone(tmp_path):
    p = _deployment(tmp_path)
    p.chmod(0o444)
    try:
        before = p.read_bytes()
        code, out, err = _run(tmp_path, ".", "--select", "NPL102", "--fix")
        assert p.read_bytes() == before
        assert "web.yaml: not fixed: read-only; not touched" in err
        assert "Fixed 0 findings in 0 files." in out
        assert code == 1
    finally:
        p.chmod(0o644)


def test_mode_is_preserved(tmp_path):
    p = _deployment(tmp_path)
    p.chmod(0o640)
    _run(tmp_path, ".", "--select", "NPL102", "--fix")
    assert f"        {FROM}: allowed\n" in p.read_text()
    assert stat.S_IMODE(p.stat().st_mode) == 0o640


def test_symlink_is_written_through(tmp_path):
    (tmp_path / "data").mkdir()
    real = _deployment(tmp_path / "data", "real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    code, out, err = _run(tmp_path, ".", "--select", "NPL102", "--fix")
    assert code == 0
    assert link.is_symlink()
    assert f"        {FROM}: allowed\n" in real.read_text()
    assert "Fixed 1 finding in 1 file." in out
    assert err == "netpol-lint: link.yaml: not fixed: same file as data/real.yaml (fixed there)\n"


def test_file_changed_since_linting_is_left_alone(tmp_path):
    p = _deployment(tmp_path)
    with contextlib.chdir(tmp_path):
        session = Session.load(["."])
        findings = _synthetic_fixes(session)
        p.write_text(p.read_text() + "# edited meanwhile\n")
        report = apply_fixes(findings, session.files)
    assert [(f.status, f.message) for f in report.files] == [("skipped", "changed since it was linted; not touched")]
    assert p.read_text().endswith("# edited meanwhile\n")


def test_file_changed_during_the_run_is_left_alone(tmp_path, monkeypatch):
    p = _deployment(tmp_path)
    real_read = fixmod._read
    calls = []

    def racing_read(path):
        calls.append(path)
        data = real_read(path)
        return data if len(calls) == 1 else data + b"# someone saved\n"
    monkeypatch.setattr(fixmod, "_read", racing_read)
    before = p.read_bytes()
    code, out, err = _run(tmp_path, ".", "--select", "NPL102", "--fix")
    assert p.read_bytes() == before
    assert "web.yaml: not fixed: changed during the run; not touched" in err
    assert (code, "Fixed 0 findings in 0 files." in out) == (1, True)


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_crash_while_writing_leaves_the_old_file(tmp_path, monkeypatch, exc):
    p = _deployment(tmp_path)
    before = p.read_bytes()

    def boom(src, dst):
        raise exc
    monkeypatch.setattr(os, "replace", boom)
    with contextlib.chdir(tmp_path):
        session = Session.load(["."])
        if isinstance(exc, KeyboardInterrupt):
            with pytest.raises(KeyboardInterrupt):
                apply_fixes(_synthetic_fixes(session), session.files)
        else:
            report = apply_fixes(_synthetic_fixes(session), session.files)
            assert report.files[0].status == "skipped"
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["web.yaml"]       # no temporary file left


def test_crash_after_rename_leaves_the_new_file(tmp_path, monkeypatch):
    p = _deployment(tmp_path)
    real_replace = os.replace

    def replace_then_die(src, dst):
        real_replace(src, dst)
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", replace_then_die)
    with contextlib.chdir(tmp_path):
        session = Session.load(["."])
        with pytest.raises(KeyboardInterrupt):
            apply_fixes(_synthetic_fixes(session), session.files)
    assert f"        {FROM}: allowed\n" in p.read_text()
    assert sorted(os.listdir(tmp_path)) == ["web.yaml"]


def test_unparseable_file_is_never_touched(tmp_path):
    p = _deployment(tmp_path)
    p.write_text(p.read_text() + "---\nkind: [unclosed\n")
    before = p.read_bytes()
    code, out, err = _run(tmp_path, ".", "--select", "NPL102", "--fix")
    assert p.read_bytes() == before
    assert "web.yaml: not fixed: the file does not parse cleanly (NPL001/NPL002); not touched" in err
    assert (code, "Fixed 0 findings in 0 files." in out) == (1, True)


def test_stdin_is_not_fixed(tmp_path, monkeypatch):
    text = _deployment(tmp_path).read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, err = _run(tmp_path, "-", "--select", "NPL102", "--fix")
    assert "--fix edits files in place and cannot fix standard input" in err     # a usage error (issue 16)
    assert code == 2
    assert out == ""


def test_conflicting_fixes_are_refused(tmp_path):
    p = _deployment(tmp_path)
    with contextlib.chdir(tmp_path):
        session = Session.load(["."])
        base = _synthetic_fixes(session)[0]
        other = Finding("X1", "x", "error", "m", base.location, base.resource, True,
                        LabelFix(base.fix.file, 0, base.fix.path, set=((FROM, "other"),)))
        report = apply_fixes([base, other], session.files)
    assert report.files[0].status == "skipped"
    assert "conflicting fixes for label" in report.files[0].message
    assert "allowed" not in p.read_text().split("template")[1]


def test_non_mapping_labels_are_refused(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [a, b]\n")
    with contextlib.chdir(tmp_path):
        session = Session.load(["."])
        f = Finding("X1", "x", "error", "m", Location("x.yaml", 1, 1, 1, 1), None, True,
                    LabelFix("x.yaml", 0, ("metadata", "labels"), set=((FROM, "allowed"),)))
        report = apply_fixes([f], session.files)
    assert report.files[0].status == "skipped"
    assert "the labels are not a mapping" in report.files[0].message


def _synthetic_fixes(session) -> list[Finding]:
    """A from-ingressgateway fix for every workload (what NPL101 would ask for)."""
    out = []
    for w in session.model.workloads:
        out.append(Finding("NPL101", "missing-from-ingressgateway-label", "error", "m",
                           Location(w.file, 1, 1, 1, 1), w.identity(), True, LabelFix.set_pod_label(w, FROM)))
    return out


def test_same_is_type_strict():
    assert same({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not same({"a": 1}, {"a": True})
    assert not same({"a": "1"}, {"a": 1})
    assert same(float("nan"), float("nan"))


def test_apply_to_data_never_mutates():
    shared = {"app": "web"}
    data = {"spec": {"selector": {"matchLabels": shared}, "template": {"metadata": {"labels": shared}}}}
    out = apply_to_data(data, ("spec", "template", "metadata", "labels"), {FROM: "allowed"}, ())
    assert shared == {"app": "web"}
    assert out["spec"]["selector"]["matchLabels"] == {"app": "web"}
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "web", FROM: "allowed"}
    with pytest.raises(FixError):
        apply_to_data({"metadata": "text"}, ("metadata", "labels"), {FROM: "allowed"}, ())


# -- small edits, exact text ----------------------------------------------------------------

def _fix_text(tmp_path, text: str, path: tuple, sets=(), remove=(), doc=0, name="m.yaml") -> tuple[str, str]:
    p = tmp_path / name
    p.write_bytes(text.encode())
    with contextlib.chdir(tmp_path):
        session = Session.load([name])
        f = Finding("X1", "x", "error", "m", Location(name, 1, 1, 1, 1), None, True,
                    LabelFix(name, doc, path, set=tuple(sets), remove=tuple(remove)))
        result = apply_fixes([f], session.files).files[0]
    return p.read_bytes().decode(), result.message or "; ".join(result.notes)


LABELS = ("spec", "template", "metadata", "labels")
HEAD = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  template:\n"


@pytest.mark.parametrize("before, path, sets, remove, after", [
    # metadata created above the comments that introduce the pod spec
    (HEAD + "    # the pod\n    spec:\n      containers: []\n", LABELS, [(FROM, "allowed")], (),
     HEAD + f"    metadata:\n      labels:\n        {FROM}: allowed\n    # the pod\n    spec:\n      containers: []\n"),
    # rename keeps position and comment, value re-rendered as the string asked for
    (HEAD + "    metadata:\n      labels:\n        x/from-ingress-gateway: yes  # bool\n        a: b\n",
     LABELS, [("x/from-ingressgateway", "true")], ("x/from-ingress-gateway",),
     HEAD + '    metadata:\n      labels:\n        x/from-ingressgateway: "true"  # bool\n        a: b\n'),
    # plain removal, block and flow
    (HEAD + "    metadata:\n      labels:\n        a: x  # keep\n        b: y  # drop\n        c: z\n",
     LABELS, (), ("b",), HEAD + "    metadata:\n      labels:\n        a: x  # keep\n        c: z\n"),
    (HEAD + "    metadata:\n      labels: {a: x, b: y, c: z}\n", LABELS, (), ("b",),
     HEAD + "    metadata:\n      labels: {a: x, c: z}\n"),
    (HEAD + "    metadata:\n      labels: {a: x, b: y}\n", LABELS, (), ("b",),
     HEAD + "    metadata:\n      labels: {a: x}\n"),
    # values the loader (like kubectl) would not read back as strings are quoted
    (HEAD + "    metadata:\n      labels:\n        a: x\n", LABELS, [("t", "true"), ("o", "0755"), ("s", "a b")], (),
     HEAD + '    metadata:\n      labels:\n        a: x\n        t: "true"\n        o: "0755"\n        s: "a b"\n'),
    # no newline at the end of the file stays that way
    (HEAD + "    metadata:\n      labels:\n        a: x", LABELS, [("b", "v")], (),
     HEAD + "    metadata:\n      labels:\n        a: x\n        b: v"),
    # a multi-line plain scalar as the last value
    (HEAD + "    metadata:\n      labels:\n        a: one\n          two\n    spec: {}\n", LABELS, [("b", "v")], (),
     HEAD + "    metadata:\n      labels:\n        a: one\n          two\n        b: v\n    spec: {}\n"),
    # a Pod inside a List: labels created after name/namespace, at the item's indentation
    ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    namespace: ns\n"
     "    annotations: {a: b}\n  spec: {}\n", ("items", 0, "metadata", "labels"), [("b", "v")], (),
     "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    namespace: ns\n"
     "    labels:\n      b: v\n    annotations: {a: b}\n  spec: {}\n"),
    # four-space indentation is followed when creating mappings
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: w\nspec:\n    template:\n        spec: {}\n",
     LABELS, [("b", "v")], (),
     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: w\nspec:\n    template:\n        metadata:\n"
     "            labels:\n                b: v\n        spec: {}\n"),
])
def test_small_edits(tmp_path, before, path, sets, remove, after):
    text, why = _fix_text(tmp_path, before, path, sets, remove)
    assert (text, why) == (after, "")


def test_plain_or_quoted_follows_the_loader():
    from netpol_lint.engine.fix import render_scalar
    from netpol_lint.load.loader import SourceFile, parse_text
    for value in ("allowed", "true", "yes", "y", "n", "0755", "1e3", "0o17", "null", "~", "a b", "x:y", "-"):
        text = render_scalar(value)
        data = parse_text(SourceFile("t"), f"k: {text}\n").documents[0].data
        assert data == {"k": value}, (value, text)


@pytest.mark.parametrize("before, remove, reason", [
    (HEAD + "    metadata:\n      labels:\n        a: x\n", ("a",), "removing the only label would leave an empty mapping"),
    (HEAD + "    metadata: *m\n", (), "is a YAML alias"),
])
def test_small_edits_refused(tmp_path, before, remove, reason):
    if "*m" in before:
        before = "x: &m {labels: {a: b}}\n" + before
    text, why = _fix_text(tmp_path, before, LABELS, [] if remove else [("b", "y")], remove)
    assert text == before
    assert reason in why
