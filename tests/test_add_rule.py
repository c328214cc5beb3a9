"""scripts/add_rule.py scaffolds a rule in a copy of the checkout: module, registration,
fixtures and regenerated docs (the copy's own rule classes are documented)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def _copy(tmp_path):
    dst = tmp_path / "checkout"
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", "out", ".*cache"))
    return dst


def test_add_rule_scaffolds_module_registration_fixtures_and_docs(tmp_path):
    root = _copy(tmp_path)
    proc = subprocess.run([sys.executable, str(root / "scripts" / "add_rule.py"), "NPL990", "service-without-policy",
                           "--severity", "info", "--summary", "Checks for Services whose pods no policy selects."],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    module = root / "rules" / "npl990_service_without_policy.py"
    text = module.read_text()
    assert 'id = "NPL990"' in text and 'name = "service-without-policy"' in text and 'severity = "info"' in text
    assert "class ServiceWithoutPolicy(Rule):" in text and "RULE = ServiceWithoutPolicy" in text
    assert '    "npl990_service_without_policy",\n)' in (root / "rules" / "__init__.py").read_text()
    for kind in ("bad", "good"):
        assert "kind: Deployment" in (root / "tests" / "fixtures" / "npl990" / kind / "example.yaml").read_text()
    docs = (root / "docs" / "rules.md").read_text()
    assert "## NPL990 service-without-policy" in docs and "Checks for Services whose pods no policy selects." in docs
    assert docs.count("\n## ") == (ROOT / "docs" / "rules.md").read_text().count("\n## ") + 1
    # the original checkout is untouched
    assert not (ROOT / "rules" / "npl990_service_without_policy.py").exists()
    _examples_meet_the_meta_test_once_check_is_written(tmp_path, text)

    again = subprocess.run([sys.executable, str(root / "scripts" / "add_rule.py"), "NPL990", "other-name"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert again.returncode == 2 and "exists already" in again.stderr


def _examples_meet_the_meta_test_once_check_is_written(tmp_path, module_text: str) -> None:
    """The scaffold's examples are full manifests: the good one is clean under every rule (the
    new one included, loaded as a ``--rules`` plugin); the bad one fires nothing until the
    author writes ``check`` and edits it, and tests/test_rule_examples.py says so."""
    from test_rule_examples import lint_example, test_bad_example_fires_exactly_its_rule

    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "npl990.py").write_text(module_text + "\n\nfrom netpol_lint.engine.hookspecs import hookimpl\n\n\n"
                                      "@hookimpl\ndef netpol_lint_rules():\n    return [RULE]\n")
    namespace: dict = {}
    exec(compile(module_text, "npl990_service_without_policy.py", "exec"), namespace)
    rule = namespace["RULE"]()
    assert lint_example(rule.good_example, "--select", "all", "--rules", str(plugin)) == []
    assert lint_example(rule.bad_example, "--select", "all", "--rules", str(plugin)) == []
    with pytest.raises(AssertionError, match="NPL990: its bad_example fires nothing of its own"):
        test_bad_example_fires_exactly_its_rule(rule)


def test_add_rule_refuses_bad_ids_and_names(tmp_path):
    root = _copy(tmp_path)
    for args in (["npl99", "x-y"], ["NPL991", "Not_Kebab"]):
        proc = subprocess.run([sys.executable, str(root / "scripts" / "add_rule.py"), *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "must" in proc.stderr
