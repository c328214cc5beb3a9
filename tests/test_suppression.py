"""Suppressions of each kind: annotation (resource and pod template), inline comments, file."""
from __future__ import annotations

import json

from conftest import run_cli

BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop{meta_ann}
spec:
  template:
    metadata:{tpl_ann}
      labels:
        app: web
        networking.kyma-project.io/to-egressgateway: "true"{inline}
"""


def _lint(tmp_path, text, *args):
    (tmp_path / "d.yaml").write_text(text)
    proc = run_cli("d.yaml", "--format", "json", *args, cwd=tmp_path)
    return proc, json.loads(proc.stdout)


def _fmt(meta_ann="", tpl_ann="", inline=""):
    return BASE.format(meta_ann=meta_ann, tpl_ann=tpl_ann, inline=inline)


def test_unsuppressed_baseline(tmp_path):
    proc, rep = _lint(tmp_path, _fmt())
    assert [f["rule"] for f in rep["findings"]] == ["NPL103"] and proc.returncode == 1


def test_annotation_on_resource_by_id_and_by_name(tmp_path):
    for value in ("NPL103", "invalid-networking-label-value", "all", "NPL101, NPL103"):
        ann = f"\n  annotations:\n    netpol-lint.io/ignore: \"{value}\"\n    netpol-lint.io/ignore-reason: legacy"
        proc, rep = _lint(tmp_path, _fmt(meta_ann=ann))
        assert rep["findings"] == [] and rep["summary"]["suppressed"] == 1, value
        assert proc.returncode == 0


def test_annotation_on_pod_template(tmp_path):
    ann = "\n      annotations:\n        netpol-lint.io/ignore: NPL103"
    _, rep = _lint(tmp_path, _fmt(tpl_ann=ann))
    assert rep["findings"] == []


def test_annotation_for_other_rule_does_not_suppress(tmp_path):
    ann = "\n  annotations:\n    netpol-lint.io/ignore: NPL101"
    _, rep = _lint(tmp_path, _fmt(meta_ann=ann))
    assert [f["rule"] for f in rep["findings"]] == ["NPL103"]


def test_inline_comment_on_the_line(tmp_path):
    _, rep = _lint(tmp_path, _fmt(inline="  # netpol-lint: disable=NPL103"))
    assert rep["findings"] == []


def test_inline_comment_on_the_line_above(tmp_path):
    text = _fmt().replace('        networking.kyma-project.io/to-egressgateway',
                          '        # netpol-lint: disable=invalid-networking-label-value\n'
                          '        networking.kyma-project.io/to-egressgateway')
    _, rep = _lint(tmp_path, text)
    assert rep["findings"] == []


def test_inline_comment_two_lines_above_does_not_apply(tmp_path):
    text = _fmt().replace('        app: web', '        # netpol-lint: disable=NPL103\n        app: web')
    _, rep = _lint(tmp_path, text)
    assert [f["rule"] for f in rep["findings"]] == ["NPL103"]


def test_disable_file(tmp_path):
    _, rep = _lint(tmp_path, "# netpol-lint: disable-file\n" + _fmt())
    assert rep["findings"] == [] and rep["summary"]["suppressed"] == 1


def test_unused_suppression_reported_with_verbose(tmp_path):
    ann = "\n  annotations:\n    netpol-lint.io/ignore: NPL101"
    (tmp_path / "d.yaml").write_text(_fmt(meta_ann=ann))
    proc = run_cli("d.yaml", "--verbose", cwd=tmp_path)
    assert "suppression matches nothing" in proc.stderr and "netpol-lint.io/ignore" in proc.stderr
    assert "suppression" not in run_cli("d.yaml", cwd=tmp_path).stderr


def test_npl005_messages_and_a_typo_suppresses_nothing():
    """NPL005: each unknown reference is a finding at its annotation (the value) or comment
    (the reference itself), with the closest rule or the prefix explained."""
    from conftest import FIXTURES, lint_json
    code, report = lint_json("bad", "--select", "NPL005", "--fail-on", "info", cwd=FIXTURES / "npl005")
    got = [(f["line"], f["column"], f["end_column"], f["message"]) for f in report["findings"]]
    ann = "suppression annotation netpol-lint.io/ignore names"
    assert got == [
        (7, 28, 71, f"{ann} 'NPL10l', which is no rule: it suppresses nothing; did you mean 'NPL101'?"),
        (7, 28, 71, f"{ann} 'missing-from-ingress-label', which is no rule: it suppresses nothing; "
                    "did you mean 'missing-from-ingressgateway-label'?"),
        (14, 32, 36, f"{ann} 'NPL2', a rule prefix: suppressions take rule ids or names (or all), so it "
                     "suppresses nothing; list the rules (NPL201,NPL202,NPL203,...)"),
        (21, 51, 74, "suppression comment names 'unresolvable-route-hots', which is no rule: it suppresses "
                     "nothing; did you mean 'unresolvable-route-host'?"),
    ]
    assert code == 1
