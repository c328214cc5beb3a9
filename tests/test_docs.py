"""Rule documentation: docs/rules.md is generated and current, anchors match SARIF helpUri,
and ``explain`` works for every rule."""
from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from conftest import ROOT, run_cli
from netpol_lint.report import docsgen
from netpol_lint.cli import main
from netpol_lint.engine.plugins import RuleRegistry
from netpol_lint.report.sarif import DOCS_URI, help_uri

DOC = ROOT / "docs" / "rules.md"
WORKFLOWS = ROOT / "docs" / "workflows.md"
RULES = RuleRegistry.default(autoload=False).sorted()


def github_anchor(heading: str) -> str:
    """GitHub's heading slug (github-slugger): lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> list[str]:
    """Anchors of the Markdown headings (lines starting with '#' inside code fences are not headings)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return [github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", prose, re.M)]


def test_rules_md_is_not_stale():
    assert DOC.is_file(), f"docs/rules.md is missing: run `{docsgen.REGENERATE}`"
    assert DOC.read_text(encoding="utf-8") == docsgen.render(), \
        f"docs/rules.md is stale (a rule was added or its documentation changed): run `{docsgen.REGENERATE}`"


def test_check_mode_reports_a_stale_file(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text(docsgen.render().replace("## NPL001", "## NPL000"))
    assert docsgen.main(["--check", "--output", str(stale)]) == 1
    assert docsgen.main(["--output", str(stale)]) == 0
    assert docsgen.main(["--check", "--output", str(stale)]) == 0


def test_every_rule_has_a_section_whose_anchor_is_the_sarif_help_uri():
    text = DOC.read_text(encoding="utf-8")
    anchors = _anchors(text)
    assert len(anchors) == len(set(anchors)), "duplicate headings make GitHub number the anchors"
    for rule in RULES:
        uri = help_uri(rule)
        base, fragment = uri.split("#", 1)
        assert base == DOCS_URI and base.endswith("/docs/rules.md")
        assert fragment in anchors, f"{rule.id}: {uri} has no heading in docs/rules.md"
        assert f"[{rule.id}](#{fragment})" in text, f"{rule.id} missing from the index table"


def test_sarif_rules_point_at_existing_anchors():
    proc = run_cli("tests/data/ci-repo", "--format", "sarif", cwd=ROOT)
    anchors = set(_anchors(DOC.read_text(encoding="utf-8")))
    rules = json.loads(proc.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {r.id for r in RULES}
    for r in rules:
        assert r["helpUri"].split("#", 1)[1] in anchors, r["id"]


def test_section_carries_every_documentation_field():
    text = docsgen.render()
    for rule in RULES:
        section = text.split(f"## {rule.id} {rule.name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"Default severity: **{rule.severity}**" in section
        assert f"Fixable: **{'yes' if rule.fixable else 'no'}**" in section
        assert " ".join(rule.summary.split()) in section
        assert " ".join(rule.rationale.split()) in section
        assert rule.bad_example.rstrip() in section and rule.good_example.rstrip() in section
        assert " ".join(rule.fix_text.split()) in section


def _explain(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["explain", *args])
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_explain_works_for_every_rule_by_id_and_name(rule):
    code, text = _explain(rule.id)
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0] == f"{rule.id} {rule.name}"
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix"):
        assert heading in lines, f"{rule.id}: explain has no '{heading}' section"
    assert " ".join(rule.summary.split()) in " ".join(text.split())
    assert _explain(rule.name) == (code, text)


def test_explain_unknown_rule_is_exit_2():
    code, text = _explain("NPL999")
    assert code == 2 and "unknown rule 'NPL999'" in text


def _quoted(proc) -> list[str]:
    return [ln for ln in proc.stdout.splitlines() if ln and not ln.startswith("Note:")]


def test_workflows_doc_quotes_the_real_outputs():
    """docs/workflows.md shows what users see; these are the same runs."""
    import shutil

    doc = WORKFLOWS.read_text(encoding="utf-8")
    data = ROOT / "tests" / "data"
    runs = [
        run_cli("--format", "github", cwd=data / "ci-repo"),
        run_cli("-", stdin=(data / "helm" / "shop-rendered.yaml").read_text(), cwd=data / "helm"),
        run_cli("bad", "--policy", "policy", cwd=ROOT / "tests" / "fixtures" / "rego001"),
    ]
    if shutil.which("kubectl"):
        runs.append(run_cli("--kustomize", "overlays/prod", cwd=data / "kustomize"))
    for proc in runs:
        assert proc.returncode == 1, proc.stderr
        for line in _quoted(proc):
            assert line in doc, f"docs/workflows.md does not show: {line}"
