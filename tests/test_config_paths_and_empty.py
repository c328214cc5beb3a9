"""Issue 16 items 2 and 3: config paths are relative to the config file; nothing found is loud."""
from __future__ import annotations

import json
import textwrap

import pytest

from conftest import ROOT, run_cli

CONFIG = textwrap.dedent("""\
    exclude: ["k8s/legacy/**"]
    per_file_ignores: {"k8s/app/*.yaml": [NPL103]}
    """)
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n  bad: [\n"
DEPLOY = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d, namespace: x}
    spec:
      template:
        metadata:
          labels: {app: d, networking.kyma-project.io/from-ingressgateway: "true"}
        spec: {containers: [{name: c, image: i}]}
    """)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".netpol-lint.yaml").write_text(CONFIG)
    (tmp_path / "k8s" / "legacy").mkdir(parents=True)
    (tmp_path / "k8s" / "app").mkdir()
    (tmp_path / "k8s" / "legacy" / "broken.yaml").write_text(BROKEN)
    (tmp_path / "k8s" / "app" / "d.yaml").write_text(DEPLOY)
    return tmp_path


@pytest.mark.parametrize("where, path", [(".", "k8s"), ("k8s", "."), ("k8s/app", "."), ("k8s", "app")])
def test_config_globs_are_relative_to_the_config_file(project, where, path):
    proc = run_cli("lint", path, "--format", "json", "--fail-on", "info", cwd=project / where)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout
    assert report["findings"] == []                     # legacy/ excluded, NPL103 ignored in app/
    assert report["summary"]["suppressed"] == 1


def test_cli_exclude_stays_relative_to_the_current_directory(project):
    proc = run_cli("lint", ".", "--exclude", "app/**", "--allow-empty", "--format", "json", cwd=project / "k8s")
    assert json.loads(proc.stdout)["summary"]["resources"] == 0


def test_a_path_without_manifests_is_exit_2(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.yaml").write_text("just: data\n")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "d.yaml").write_text(DEPLOY.replace('"true"', "allowed"))
    proc = run_cli("lint", "k8s", "docs", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == ("netpol-lint: error: docs: no Kubernetes manifests found (a mistyped path? "
                           "--allow-empty accepts it)\n")
    assert run_cli("lint", "k8s", "docs", "--allow-empty", cwd=tmp_path).returncode == 0
    assert run_cli("lint", "k8s", cwd=tmp_path).returncode == 0
    # pre-commit passing only non-manifest files is fine
    assert run_cli("lint", "--changed-only", "docs/notes.yaml", cwd=tmp_path).returncode == 0


def test_an_empty_stdin_is_exit_2():
    proc = run_cli("lint", "-", stdin="")
    assert proc.returncode == 2 and "standard input: no Kubernetes manifests found" in proc.stderr


def test_unparseable_input_is_not_empty(tmp_path):
    (tmp_path / "bad.yaml").write_text(BROKEN)
    assert run_cli("lint", ".", cwd=tmp_path).returncode == 1          # NPL001, not exit 2


def test_fix_with_stdin_is_a_usage_error():
    proc = run_cli("lint", "-", "--fix", stdin=(ROOT / "examples" / "shop" / "cart.yaml").read_text())
    assert proc.returncode == 2
    assert "cannot fix standard input" in proc.stderr and proc.stdout == ""


def test_verbose_names_every_skipped_document(tmp_path):
    (tmp_path / "m.yaml").write_text(DEPLOY + "---\njust: data\n---\n- a list\n---\nkind: Foo\n")
    proc = run_cli("lint", ".", "-v", cwd=tmp_path)
    notes = [ln for ln in proc.stderr.splitlines() if "skipped m.yaml" in ln]
    assert notes == [
        "netpol-lint: note: skipped m.yaml document 2: not a Kubernetes object (no apiVersion and no kind)",
        "netpol-lint: note: skipped m.yaml document 3: not a Kubernetes object (a list, not a mapping)",
        "netpol-lint: note: skipped m.yaml document 4: not a Kubernetes object (no apiVersion)",
    ]
