"""Config discovery, validation (exit 2 naming file and key), and its effect on linting."""
from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_cli

DEPLOY = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        metadata:
          labels:
            app: web
            networking.kyma-project.io/from-ingress-gateway: allowed
            networking.kyma-project.io/to-egressgateway: "true"
""")


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "deploy.yaml").write_text(DEPLOY)
    return tmp_path


def _rules(proc):
    return sorted(f["rule"] for f in json.loads(proc.stdout)["findings"])


def test_config_discovered_in_parent_directory(repo):
    (repo / ".netpol-lint.yaml").write_text("ignore: [NPL104]\n")
    proc = run_cli(".", "--format", "json", cwd=repo / "apps")
    assert _rules(proc) == ["NPL103"]


def test_pyproject_table_is_used(repo):
    (repo / "pyproject.toml").write_text('[tool.netpol-lint]\nselect = ["NPL104"]\n')
    assert _rules(run_cli("apps", "--format", "json", cwd=repo)) == ["NPL104"]


def test_severity_override_and_fail_on(repo):
    (repo / ".netpol-lint.yaml").write_text("severity: {NPL103: info}\nignore: [unknown-networking-label]\nfail_on: warning\n")
    proc = run_cli("apps", "--format", "json", cwd=repo)
    report = json.loads(proc.stdout)
    assert [f["severity"] for f in report["findings"]] == ["info"]
    assert proc.returncode == 0
    assert run_cli("apps", "--fail-on", "info", cwd=repo).returncode == 1


def test_per_file_ignores(repo):
    (repo / ".netpol-lint.yaml").write_text('per_file_ignores: {"apps/**": [NPL103]}\n')
    proc = run_cli("apps", "--format", "json", cwd=repo)
    assert _rules(proc) == ["NPL104"]
    assert json.loads(proc.stdout)["summary"]["suppressed"] == 1


@pytest.mark.parametrize("content, fragment", [
    ("bogus: 1\n", "unknown key 'bogus'"),
    ("ignore: [NPL999]\n", "unknown rule 'NPL999'"),
    ("fail_on: sometimes\n", "'fail_on'"),
    ("severity: {NPL103: fatal}\n", "'severity.NPL103'"),
    ("pod_cidrs: [not-a-cidr]\n", "'pod_cidrs'"),
    ("api_server_port: 70000\n", "'api_server_port'"),
    ("namespaces: {shop: {istio-injection: true}}\n", "'namespaces.shop'"),
    ("- a\n- b\n", "must be a mapping"),
    ("a: [\n", "invalid YAML"),
])
def test_config_errors_exit_2_with_one_line(repo, content, fragment):
    (repo / ".netpol-lint.yaml").write_text(content)
    proc = run_cli("apps", cwd=repo)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ".netpol-lint.yaml" in lines[0] and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_explicit_config_missing_is_exit_2(repo):
    proc = run_cli("apps", "--config", "nope.yaml", cwd=repo)
    assert proc.returncode == 2 and "nope.yaml" in proc.stderr


def test_cli_overrides_config_default_namespace(repo):
    (repo / "apps" / "deploy.yaml").write_text(DEPLOY.replace(", namespace: shop", ""))
    (repo / ".netpol-lint.yaml").write_text("default_namespace: team-a\n")
    ns = {f["resource"]["namespace"] for f in json.loads(run_cli("apps", "--format", "json", cwd=repo).stdout)["findings"]}
    assert ns == {"team-a"}
    ns = {f["resource"]["namespace"] for f in json.loads(
        run_cli("apps", "--format", "json", "--default-namespace", "team-b", cwd=repo).stdout)["findings"]}
    assert ns == {"team-b"}


def test_default_namespace_must_be_a_namespace_name(repo):
    proc = run_cli("apps", "--default-namespace", "Team_A", cwd=repo)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        "netpol-lint: error: argument --default-namespace: expected a namespace name (lowercase letters, digits "
        "and '-', at most 63 characters), got 'Team_A' (see 'netpol-lint lint --help')\n"))
    (repo / ".netpol-lint.yaml").write_text("default_namespace: team.a\n")
    proc = run_cli("apps", cwd=repo)
    assert (proc.returncode, proc.stderr) == (2, (
        "netpol-lint: error: .netpol-lint.yaml: 'default_namespace' must be a namespace name (lowercase letters, "
        "digits and '-', at most 63 characters), got 'team.a'\n"))
