"""Every rule has a bad and a good fixture with the exact findings it must produce.

Layout: ``tests/fixtures/<rule id, lower case>/`` holding ``bad/`` and ``good/`` directories
of manifests, ``expected.txt`` (one ``file:line:col RULE Kind ns/name`` line per finding of
the bad input, paths relative to the fixture directory), and optionally ``config.yaml``
(a netpol-lint config used for both runs) and ``args.txt`` (extra CLI arguments, one per line).
Only the rule under test is selected, so each fixture states that rule's findings exactly.
"""
from __future__ import annotations

import pytest

from conftest import FIXTURES, finding_lines, lint_json
from netpol_lint.engine.plugins import RuleRegistry

RULES = RuleRegistry.default(autoload=False).sorted()


def _fixture_args(d) -> list[str]:
    args = []
    if (d / "config.yaml").exists():
        args += ["--config", "config.yaml"]
    if (d / "args.txt").exists():
        args += [ln.strip() for ln in (d / "args.txt").read_text().splitlines() if ln.strip()]
    return args


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_bad_fixture_gives_exact_findings(rule):
    d = FIXTURES / rule.id.lower()
    assert (d / "bad").is_dir() and (d / "expected.txt").is_file(), f"{rule.id} has no bad fixture"
    code, report = lint_json("bad", "--select", rule.id, "--fail-on", "info", *_fixture_args(d), cwd=d)
    expected = [ln.strip() for ln in (d / "expected.txt").read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    assert expected, f"{rule.id}: expected.txt lists no finding"
    assert finding_lines(report) == expected
    assert code == 1


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_good_fixture_is_clean(rule):
    d = FIXTURES / rule.id.lower()
    assert (d / "good").is_dir(), f"{rule.id} has no good fixture"
    code, report = lint_json("good", "--select", rule.id, "--fail-on", "info", *_fixture_args(d), cwd=d)
    assert finding_lines(report) == []
    assert code == 0


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert rule.summary and rule.rationale and rule.fix_text, rule.id
    assert rule.bad_example and rule.good_example, rule.id
