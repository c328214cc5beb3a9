"""Scanning a repository never runs Python from it (issue 8, part 3; docs/security.md).

The hostile repository below has a config that names a rule directory with a Python rule
file, which writes a marker file when imported, next to a harmless declarative rule.  Data
(the declarative rule) loads; code (the Python file) runs only with ``--trust-config`` or
when the user names the directory with ``--rules``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import finding_lines

EVIL_RULE = '''\
import pathlib
pathlib.Path(__file__).with_name("IMPORTED").write_text("repository code ran")

from netpol_lint import hookimpl
from netpol_lint.engine.rulebase import Rule


class Evil(Rule):
    id = "EVIL001"
    name = "evil-rule"
    summary = "Checks for nothing; proves the file was imported."

    def check(self, ctx):
        return []


@hookimpl
def netpol_lint_rules():
    return [Evil]
'''

DATA_RULE = """\
id: ACME001
name: no-host-network
severity: warning
summary: Checks for pods on the host network.
rationale: Host-network pods bypass NetworkPolicies.
bad_example: "spec: {hostNetwork: true}"
good_example: "spec: {}"
fix: Remove hostNetwork.
match: {kinds: [Pod]}
select: spec.hostNetwork
where: {equals: true}
message: "{kind} {namespace}/{name} uses the host network"
"""

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  hostNetwork: true\n"


def console_script() -> str:
    """The installed ``netpol-lint`` script: what pre-commit and CI run."""
    exe = Path(sysconfig.get_path("scripts")) / "netpol-lint"
    if not exe.exists():
        pytest.skip("console script not installed")
    return str(exe)


def run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([console_script(), ".", "--format", "json", "--fail-on", "never", *args], cwd=repo,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD": "1"})


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "evil.py").write_text(EVIL_RULE)
    (tmp_path / "policy" / "acme.yaml").write_text(DATA_RULE)
    (tmp_path / ".netpol-lint.yaml").write_text("rules: [./policy]\n")
    (tmp_path / "pod.yaml").write_text(POD)
    return tmp_path


def marker(repo: Path) -> Path:
    return repo / "policy" / "IMPORTED"


def rules_in(proc) -> set[str]:
    assert proc.returncode == 0, proc.stderr
    return {line.split()[1] for line in finding_lines(json.loads(proc.stdout))}


def test_config_python_rules_are_not_imported_but_declarative_rules_load(repo):
    proc = run(repo, "--select", "ACME001")
    assert not marker(repo).exists()
    assert rules_in(proc) == {"ACME001"}
    assert "note: not importing policy/evil.py: Python rules named by a config file run only with --trust-config" \
        in proc.stderr


def test_an_unimported_rule_is_unknown_to_select(repo):
    proc = run(repo, "--select", "EVIL001")
    assert proc.returncode == 2 and "unknown rule 'EVIL001'" in proc.stderr
    assert not marker(repo).exists()


def test_trust_config_imports_them(repo):
    proc = run(repo, "--trust-config", "--select", "EVIL001,ACME001")
    assert marker(repo).exists()
    assert rules_in(proc) == {"ACME001"}


def test_rules_named_on_the_command_line_are_trusted(repo):
    (repo / ".netpol-lint.yaml").unlink()
    proc = run(repo, "--rules", "policy", "--select", "EVIL001")
    assert marker(repo).exists() and proc.returncode == 0


def test_pyproject_config_is_held_to_the_same_rule(repo):
    (repo / ".netpol-lint.yaml").unlink()
    (repo / "pyproject.toml").write_text('[tool.netpol-lint]\nrules = ["policy"]\n')
    proc = run(repo, "--select", "ACME001")
    assert not marker(repo).exists() and rules_in(proc) == {"ACME001"}


def test_config_in_a_parent_directory_is_held_to_the_same_rule(repo):
    (repo / "apps").mkdir()
    (repo / "apps" / "pod.yaml").write_text(POD)
    proc = subprocess.run([console_script(), ".", "--format", "json", "--select", "ACME001"], cwd=repo / "apps",
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert not marker(repo).exists()
    assert proc.returncode == 0 and finding_lines(json.loads(proc.stdout)) == ["pod.yaml:7:16 ACME001 Pod shop/p"]


def test_python_files_in_the_scanned_tree_are_never_imported(repo):
    """Modules that shadow what netpol-lint imports, and Python files among the manifests."""
    (repo / ".netpol-lint.yaml").unlink()
    payload = f"import pathlib; pathlib.Path({str(marker(repo))!r}).write_text('shadowed')\n"
    for name in ("yaml.py", "pluggy.py", "tomllib.py", "jsonpath_ng.py", "sitecustomize.py", "usercustomize.py",
                 "regopy.py", "conftest.py", "setup.py", "manifests.py"):
        (repo / name).write_text(payload)
    (repo / "netpol_lint").mkdir()
    (repo / "netpol_lint" / "__init__.py").write_text(payload)
    (repo / "netpol_lint" / "__main__.py").write_text(payload)
    (repo / "rules").mkdir()
    (repo / "rules" / "__init__.py").write_text(payload)
    proc = run(repo, "--select", "all")
    assert proc.returncode == 0, proc.stderr
    assert not marker(repo).exists()


def test_python_dash_m_from_inside_a_repository_is_the_documented_exception(repo):
    """``python -m`` puts the current directory first on sys.path (Python's rule, not ours):
    docs/security.md says to run the console script, or ``python -P -m netpol_lint``."""
    (repo / ".netpol-lint.yaml").unlink()
    (repo / "netpol_lint").mkdir()
    (repo / "netpol_lint" / "__init__.py").write_text(
        f"import pathlib; pathlib.Path({str(marker(repo))!r}).write_text('shadowed')\n")
    proc = subprocess.run([sys.executable, "-P", "-m", "netpol_lint", ".", "--format", "json"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert not marker(repo).exists()


def test_a_fifo_in_a_config_rule_directory_does_not_block(repo):
    import os

    os.mkfifo(repo / "policy" / "blocked.yaml")
    proc = run(repo, "--select", "ACME001")
    assert rules_in(proc) == {"ACME001"}
