"""Per-rule options (yamllint-style): declared on the rule with a default and a check, set in
the config under ``rule_options`` (by rule id or name), validated when the rules are loaded,
shown by ``explain``; NPL106's ``scrapers`` is one, and the old top-level ``scrapers:`` key
still works with a deprecation note."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli

SCRAPER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: otel, namespace: monitoring}
spec:
  selector: {matchLabels: {app: otel}}
  template:
    metadata: {labels: {app: otel}}
    spec: {containers: [{name: c, image: i}]}
"""
SCRAPERS = "[{namespace: monitoring, matchLabels: {app: otel}}]"


def _lint(tmp_path, config: str):
    (tmp_path / "m.yaml").write_text(SCRAPER)
    (tmp_path / ".netpol-lint.yaml").write_text(config)
    return run_cli("lint", "m.yaml", "--select", "NPL106", "--format", "json", cwd=tmp_path)


@pytest.mark.parametrize("config", [f"rule_options: {{NPL106: {{scrapers: {SCRAPERS}}}}}\n",
                                    f"rule_options: {{missing-metrics-label: {{scrapers: {SCRAPERS}}}}}\n"])
def test_option_under_the_rule(tmp_path, config):
    proc = _lint(tmp_path, config)
    assert [f["rule"] for f in json.loads(proc.stdout)["findings"]] == ["NPL106"]
    assert proc.stderr == ""


def test_default_is_used_without_config(tmp_path):
    proc = _lint(tmp_path, "fail_on: error\n")
    assert json.loads(proc.stdout)["findings"] == []


def test_old_key_still_works_with_a_deprecation_note(tmp_path):
    proc = _lint(tmp_path, f"scrapers: {SCRAPERS}\n")
    assert [f["rule"] for f in json.loads(proc.stdout)["findings"]] == ["NPL106"]
    assert "'scrapers' is deprecated" in proc.stderr and "rule_options: {NPL106: {scrapers:" in proc.stderr


@pytest.mark.parametrize("config, message", [
    ("rule_options: {NPL106: {scraper: []}}\n", "rule_options.NPL106: NPL106 has no option 'scraper' (options: scrapers)"),
    ("rule_options: {NPL106: {scrapers: [{namespace: 1}]}}\n", "rule_options.NPL106.scrapers: [0].namespace must be a string"),
    ("rule_options: {NPL106: {scrapers: {}}}\n", "rule_options.NPL106.scrapers: must be a list"),
    ("rule_options: {NPL999: {}}\n", "'rule_options': unknown rule 'NPL999'"),
    ("rule_options: {NPL101: {x: 1}}\n", "NPL101 has no option 'x' (options: none)"),
    ("scrapers: [{nmespace: a}]\n", "rule_options.NPL106.scrapers: [0] takes only 'namespace' and 'matchLabels'"),
])
def test_bad_options_are_config_errors(tmp_path, config, message):
    proc = _lint(tmp_path, config)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_explain_shows_options():
    proc = run_cli("explain", "NPL106")
    assert "Options (config: rule_options: {NPL106: {NAME: VALUE}})" in proc.stdout
    assert "  scrapers (default []): extra metrics scrapers" in proc.stdout
    doc = json.loads(run_cli("explain", "NPL106", "--format", "json").stdout)
    assert doc["options"]["scrapers"]["default"] == []
    assert "options" not in json.loads(run_cli("explain", "NPL101", "--format", "json").stdout)
