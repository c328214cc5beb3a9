"""Issue 16 item 1: ``text`` is one line per finding, ``full`` shows source, notes and the fix,
and the long detail (NPL201's policy) lives in ``detail`` (JSON) instead of the message."""
from __future__ import annotations

import re

import yaml

from conftest import ROOT, lint_json, run_cli
from netpol_lint.engine.findings import Finding
from netpol_lint.load.documents import Location
from netpol_lint.report.full import snippet
from netpol_lint.report.text import finding_line

LINE = re.compile(r"^[^:\s]+:\d+:\d+: [A-Z]+\d+ \[(error|warning|info)\]( \[\*\])? \S.*$")


def test_text_is_exactly_one_line_per_finding():
    _, report = lint_json("examples", "--fail-on", "never", cwd=ROOT)
    out = run_cli("lint", "examples", "--quiet", "--color", "never", cwd=ROOT).stdout
    lines = out.splitlines()
    assert len(lines) == len(report["findings"]) > 5
    assert all(LINE.match(line) for line in lines), lines
    assert any(f["rule"] == "NPL201" for f in report["findings"])


def test_resource_is_not_repeated_when_the_message_names_it():
    out = run_cli("lint", "examples", "--quiet", "--color", "never", cwd=ROOT).stdout
    by_rule = {line.split()[1]: line for line in out.splitlines()}
    assert by_rule["NPL101"].endswith("drops that traffic")                 # names Deployment shop/cart
    assert by_rule["NPL204"].endswith("(NetworkPolicy auth/allow-ingressgateway)")   # does not name it


def test_a_multi_line_message_still_prints_one_line():
    f = Finding("X1", "x", "error", "first line\n  second\n", Location("a.yaml", 3, 4, 3, 9))
    assert finding_line(f) == "a.yaml:3:4: X1 [error] first line second"


def test_npl201_policy_is_the_detail_in_json_and_not_in_the_message():
    _, report = lint_json("examples/shop", "--select", "NPL201", cwd=ROOT)
    [f] = [g for g in report["findings"] if g["resource"]["name"] == "orders"]
    assert "\n" not in f["message"]
    assert yaml.safe_load(f["detail"])["kind"] == "NetworkPolicy"
    assert all("detail" not in g for g in lint_json("examples/shop", "--select", "NPL101", cwd=ROOT)[1]["findings"])


def test_full_shows_source_caret_notes_and_fix():
    text = run_cli("lint", "examples/shop", "--quiet", "--format", "full", "--select", "NPL203", cwd=ROOT).stdout
    header, *rest = text.splitlines()
    concise = run_cli("lint", "examples/shop", "--quiet", "--select", "NPL203", "--color", "never", cwd=ROOT).stdout
    assert header == concise.rstrip("\n")                 # the first line is the text line
    assert rest[:5] == ["   |", "92 |         - protocol: TCP", "93 |           port: 80", "   |                 ^^",
                        "   |"]
    assert "   = note: examples/shop/catalog.yaml:35:7: Service shop/catalog port 80 -> targetPort 9000" in rest
    assert any(line.startswith("   = fix: ") for line in rest)


def test_full_prints_npl201_policy_after_fix():
    text = run_cli("lint", "examples/shop", "--quiet", "--format", "full", "--select", "NPL201", cwd=ROOT).stdout
    [block] = [b for b in text.split("\n\n") if b.startswith("examples/shop/orders.yaml")]
    fix = block.split("   = fix: ", 1)[1].split("\n", 1)[1]
    policy = yaml.safe_load("\n".join(line[5:] for line in fix.splitlines()))
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 3000}]


def test_snippet_underlines_the_span_and_survives_odd_locations():
    lines = ["a: 1", "b:", "\tc: 2", "d: 4"]
    assert snippet(lines, Location("f", 3, 2, 3, 3)) == ["  |", "2 | b:", "3 |  c: 2", "  |  ^", "4 | d: 4", "  |"]
    assert snippet(lines, Location("f", 9, 1, 9, 2)) == []
    assert snippet(None, Location("f", 1, 1, 1, 2)) == []


def test_diff_prints_findings_in_the_lint_format():
    out = run_cli("diff", "label-removed/before", "label-removed/after", cwd=ROOT / "tests" / "data" / "diff").stdout
    [line] = [ln for ln in out.splitlines() if "NPL101" in ln]
    assert LINE.match(line.strip()), line


def test_docs_output_md_shows_concise_and_full_for_the_same_input():
    doc = (ROOT / "docs" / "output.md").read_text()
    assert "$ netpol-lint examples/shop\n" in doc and "$ netpol-lint examples/shop --format full\n" in doc
    # tests/test_doc_commands.py checks that what is shown is what they print


def test_json_format_doc_names_every_field_the_report_has():
    doc = (ROOT / "docs" / "json-format.md").read_text()
    _, report = lint_json("examples", "--fail-on", "never", cwd=ROOT)
    keys = set(report) | set(report["summary"]) | {k for f in report["findings"] for k in f}
    missing = [k for k in sorted(keys) if f"`{k}`" not in doc]
    assert not missing, missing
    assert "docs/json-format.md" in (ROOT / "README.md").read_text()


def test_short_output_option_and_jobs_below_one(tmp_path):
    proc = run_cli("lint", "examples/shop", "-o", str(tmp_path / "r.json"), "--format", "json", cwd=ROOT)
    assert proc.returncode == 1 and proc.stdout == ""
    assert (tmp_path / "r.json").read_text().startswith("{")
    proc = run_cli("lint", "examples/shop", "--jobs", "0", cwd=ROOT)
    assert proc.returncode == 2 and "--jobs: expected a positive integer" in proc.stderr


def test_no_rule_writes_a_multi_line_message():
    """Every rule's bad fixture: messages are one line (long text goes to ``detail``)."""
    import json
    proc = run_cli("lint", "tests/fixtures", "--format", "json", "--fail-on", "never", "--allow-empty", cwd=ROOT)
    findings = json.loads(proc.stdout)["findings"]
    assert len({f["rule"] for f in findings}) > 20
    assert [f["rule"] for f in findings if "\n" in f["message"] or "\r" in f["message"]] == []
