"""Every rule has a bad and a good fixture with the exact findings it must produce.

Layout: ``tests/fixtures/<rule id, lower case>/`` holding ``bad/`` and ``good/`` directories
of manifests, ``expected.json`` (the snapshot: every finding of the bad input, in report
order, as rule, resource, file, line, column and message; paths relative to the fixture
directory), and optionally ``config.yaml`` (a netpol-lint config used for both runs) and
``args.txt`` (extra CLI arguments, one per line) ``README.md`` (notes) and ``policy/`` (Rego policies, REGO rules).  Only the rule under test is selected, so
each fixture states that rule's findings exactly.

Snapshots are refreshed, like ruff's insta snapshots, by running the tests with
``NETPOL_LINT_UPDATE_SNAPSHOTS=1``: the test then writes what the rule reports (and still
fails on a bad fixture with no finding); review the diff with ``git diff tests/fixtures``.

The meta-tests below keep the registry honest: every module in ``rules/`` is registered
(a forgotten ``PYTHON_RULES`` entry would silently drop the rule), every fixture directory
names a registered rule, and every rule has its fixtures.
"""
from __future__ import annotations

import json
import os
import re

import pytest

from conftest import FIXTURES, ROOT, lint_json
from netpol_lint.engine.plugins import RuleRegistry

RULES = RuleRegistry.default(autoload=False).sorted()
UPDATE = os.environ.get("NETPOL_LINT_UPDATE_SNAPSHOTS") == "1"
# fixture directories that are not a rule's: golden cases of --fix (tests/test_fix.py)
NOT_RULES = {"fix", "units"}          # scenario fixtures: --fix goldens, deployment units (tests/test_units.py)


def _fixture_args(d) -> list[str]:
    args = []
    if (d / "config.yaml").exists():
        args += ["--config", "config.yaml"]
    if (d / "args.txt").exists():
        args += [ln.strip() for ln in (d / "args.txt").read_text().splitlines() if ln.strip()]
    return args


def snapshot(report: dict) -> list[dict]:
    """The pinned part of each finding: what a user reads, and where."""
    return [{"rule": f["rule"], "resource": f["resource"], "file": f["file"], "line": f["line"],
             "column": f["column"], "message": f["message"]} for f in report["findings"]]


def check_snapshot(path, got: list[dict]) -> None:
    """``got`` equals the snapshot at ``path``; with NETPOL_LINT_UPDATE_SNAPSHOTS=1 it is written."""
    text = json.dumps(got, indent=2, ensure_ascii=False) + "\n"
    if UPDATE:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run with NETPOL_LINT_UPDATE_SNAPSHOTS=1 to write it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert got == expected, f"{path} differs (if the change is intended: NETPOL_LINT_UPDATE_SNAPSHOTS=1 pytest ...)"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_bad_fixture_gives_exact_findings(rule):
    d = FIXTURES / rule.id.lower()
    assert (d / "bad").is_dir(), f"{rule.id} has no bad fixture"
    code, report = lint_json("bad", "--select", rule.id, "--fail-on", "info", *_fixture_args(d), cwd=d)
    got = snapshot(report)
    assert got, f"{rule.id}: the bad fixture gives no finding"
    assert {f["rule"] for f in got} == {rule.id}
    check_snapshot(d / "expected.json", got)
    assert code == 1


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_good_fixture_is_clean(rule):
    d = FIXTURES / rule.id.lower()
    assert (d / "good").is_dir(), f"{rule.id} has no good fixture"
    code, report = lint_json("good", "--select", rule.id, "--fail-on", "info", *_fixture_args(d), cwd=d)
    assert snapshot(report) == []
    assert code == 0


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert rule.summary and rule.rationale and rule.fix_text, rule.id
    assert rule.bad_example and rule.good_example, rule.id


# -- meta-tests: the registry, the modules and the fixtures agree ----------------------------

def test_every_rules_module_is_registered():
    """A module in rules/ that is not registered is a rule nobody runs (and no test notices)."""
    import netpol_lint.rules as pack

    registered = set(pack.PYTHON_RULES)
    modules = {p.stem for p in (ROOT / "rules").glob("*.py") if not p.stem.startswith("_")}
    assert modules - registered == set(), "rules/ modules missing from rules.PYTHON_RULES"
    assert registered - modules == set(), "rules.PYTHON_RULES names modules that do not exist"
    ids = {r.id for r in RULES}
    for name in sorted(modules):
        rule_id = name.split("_", 1)[0].upper()
        assert rule_id in ids, f"rules/{name}.py: {rule_id} is not in the default registry"
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        assert path.stem.split("_", 1)[0].upper() in ids, f"rules/{path.name} is not in the default registry"


def test_every_module_name_matches_its_rule():
    for name in sorted(__import__("netpol_lint.rules", fromlist=["PYTHON_RULES"]).PYTHON_RULES):
        module = __import__(f"netpol_lint.rules.{name}", fromlist=["RULE"])
        rule = module.RULE
        assert name.startswith(rule.id.lower() + "_"), f"rules/{name}.py holds {rule.id}"
        assert name == f"{rule.id.lower()}_{rule.name.replace('-', '_')}", f"rules/{name}.py: rule name {rule.name}"


def test_every_fixture_directory_names_a_rule():
    ids = {r.id.lower() for r in RULES}
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert dirs - ids - NOT_RULES == set(), "fixture directories that name no registered rule"
    assert ids - dirs == set(), "rules without a fixture directory"
    for name in sorted(dirs - NOT_RULES):
        leftovers = sorted(p.name for p in (FIXTURES / name).iterdir()
                           if p.name not in ("bad", "good", "expected.json", "config.yaml", "args.txt", "README.md", "policy",
                                             "expect.yaml"))      # NPL601/NPL602: the expectations
        assert not leftovers, f"tests/fixtures/{name}: unexpected {leftovers}"


def test_snapshot_mechanism_fails_on_a_changed_message(tmp_path):
    """A test that cannot fail is a defect: a snapshot whose message differs fails."""
    path = tmp_path / "expected.json"
    got = [{"rule": "NPL101", "resource": None, "file": "bad/a.yaml", "line": 1, "column": 1, "message": "m"}]
    path.write_text(json.dumps([{**got[0], "message": "other"}]))
    if UPDATE:
        pytest.skip("snapshots are being written")
    with pytest.raises(AssertionError, match="differs"):
        check_snapshot(path, got)
    assert re.search(r"NETPOL_LINT_UPDATE_SNAPSHOTS", check_snapshot.__doc__)
