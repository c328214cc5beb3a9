"""pre-commit: ``--changed-only`` semantics, and the real hooks through ``pre-commit try-repo``.

The repository used here is small but has the shape that breaks file-by-file linters: a
Service defined in one file is defined again in the file being committed (NPL004 needs both
files to see it), and an unrelated file has its own finding that must not be reported.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, lint_json

pytestmark = pytest.mark.slow     # heavy: left out of `pytest -m "not slow"` (CI runs everything)

SELECT = ("--select", "NPL004,NPL103")

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""
# The change being committed: a second copy of Service shop/web (a rename gone wrong).
WEB = SERVICE.replace("app: web\n", "app: web-v2\n")
FRONTEND = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: shop
spec:
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
        networking.kyma-project.io/from-ingressgateway: "true"
    spec:
      containers:
        - name: frontend
          image: ghcr.io/example/frontend:2.1.0
"""
CONFIG = "# duplicates fail the commit in this repository\nseverity:\n  NPL004: error\n"

DUPLICATE = "shop/web.yaml:4:9 NPL004 Service shop/web"
FRONTEND_LABEL = "shop/frontend.yaml:14:57 NPL103 Deployment shop/frontend"


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "service.yaml").write_text(SERVICE)
    (tmp_path / "shop" / "web.yaml").write_text(WEB)
    (tmp_path / "shop" / "frontend.yaml").write_text(FRONTEND)
    (tmp_path / ".netpol-lint.yaml").write_text(CONFIG)
    return tmp_path


def _lines(report) -> list[str]:
    out = []
    for f in report["findings"]:
        r = f["resource"]
        out.append(f"{f['file']}:{f['line']}:{f['column']} {f['rule']} {r['kind']} {r['namespace']}/{r['name']}")
    return out


# -- --changed-only (in-process, fast) ----------------------------------------------------------
def test_without_changed_only_everything_is_reported(repo):
    code, rep = lint_json(*SELECT, cwd=repo)
    assert _lines(rep) == [FRONTEND_LABEL, DUPLICATE] and code == 1


def test_changed_file_gets_its_cross_resource_finding_and_other_files_stay_quiet(repo):
    # only web.yaml is passed, yet the duplicate of service.yaml is found (whole-repo context)
    code, rep = lint_json(*SELECT, "--changed-only", "shop/web.yaml", cwd=repo)
    assert _lines(rep) == [DUPLICATE]
    assert rep["summary"]["findings"] == 1 and code == 1


def test_paths_are_the_changed_files_when_the_option_has_no_values(repo):
    # what the hook runs: `netpol-lint --changed-only <args> FILE...`
    code, rep = lint_json("--changed-only", *SELECT, "shop/web.yaml", cwd=repo)
    assert _lines(rep) == [DUPLICATE]


def test_finding_whose_related_location_changed_is_reported(repo):
    # the duplicate is reported on web.yaml, but editing service.yaml is half of its cause
    code, rep = lint_json(*SELECT, "--changed-only", "shop/service.yaml", cwd=repo)
    assert _lines(rep) == [DUPLICATE]
    assert rep["findings"][0]["related"][0]["file"] == "shop/service.yaml"


def test_unrelated_change_reports_nothing_else(repo):
    code, rep = lint_json(*SELECT, "--changed-only", "shop/frontend.yaml", cwd=repo)
    assert _lines(rep) == [FRONTEND_LABEL]


def test_changed_config_file_widens_the_report_to_everything(repo):
    code, rep = lint_json(*SELECT, "--changed-only", ".netpol-lint.yaml", cwd=repo)
    assert _lines(rep) == [FRONTEND_LABEL, DUPLICATE]


def test_deleted_file_is_ignored_and_context_path_is_honoured(repo):
    code, rep = lint_json(*SELECT, "shop", "--changed-only", "shop/gone.yaml", "shop/web.yaml", cwd=repo)
    assert _lines(rep) == [DUPLICATE]


def test_changed_file_outside_the_context_paths_is_still_linted(repo):
    (repo / "legacy").mkdir()
    (repo / "legacy" / "web.yaml").write_text(SERVICE.replace("port: 80", "port: 8081"))
    code, rep = lint_json(*SELECT, "shop", "--changed-only", "legacy/web.yaml", cwd=repo)
    # legacy/web.yaml sorts first, so the two shop copies are the duplicates; both are reported
    # because their related location (the first definition) is the changed file
    assert _lines(rep) == ["shop/service.yaml:4:9 NPL004 Service shop/web", DUPLICATE]
    assert {f["related"][0]["file"] for f in rep["findings"]} == {"legacy/web.yaml"}


def test_changed_directory_reports_everything_under_it(repo):
    code, rep = lint_json(*SELECT, "--changed-only", "shop", cwd=repo)
    assert _lines(rep) == [FRONTEND_LABEL, DUPLICATE]


# -- the real hooks ---------------------------------------------------------------------------
def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=netpol-lint-tests", "-c", "user.email=tests@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _snapshot_checkout(dest: Path) -> Path:
    """The working tree as it is now (tracked and new files) as a committed git repository.

    ``try-repo`` on the checkout itself would leave out untracked files, i.e. anything not yet
    committed; a snapshot tests exactly what is on disk.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        for rel in filter(None, listed.stdout.split("\0")):
            src = ROOT / rel
            if src.is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
    else:
        shutil.copytree(ROOT, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"))
    _git("init", "-q", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if importlib.util.find_spec("pre_commit") is None:   # the real package, from the test extra
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return _snapshot_checkout(tmp_path_factory.mktemp("netpol-lint-checkout"))


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(hook_repo, pre_commit_home, target, *args):
    env = dict(os.environ, PRE_COMMIT_HOME=str(pre_commit_home), PRE_COMMIT_COLOR="never")
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *args],
                          cwd=target, capture_output=True, text=True, env=env, timeout=900)


def _finding_lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ": NPL" in ln and ln.split(":", 1)[0].endswith(".yaml")]


def test_pre_commit_hook_reports_the_changed_file_with_whole_repo_context(repo, hook_repo, pre_commit_home):
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    proc = _try_repo(hook_repo, pre_commit_home, repo, "netpol-lint", "--files", "shop/web.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "netpol-lint" in out and "Failed" in out
    lines = _finding_lines(out)
    assert "shop/web.yaml:4:9: NPL004 [error] Service/shop/web is also defined at shop/service.yaml:4" in lines, out
    # findings in files that were not passed (frontend's NPL103, anything in service.yaml) stay out
    assert all(ln.startswith("shop/web.yaml:") for ln in lines), out


def test_pre_commit_hook_passes_when_the_changed_file_is_clean(repo, hook_repo, pre_commit_home):
    (repo / "shop" / "web.yaml").unlink()
    (repo / "shop" / "worker.yaml").write_text(FRONTEND.replace("frontend", "worker").replace('"true"', "allowed"))
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    proc = _try_repo(hook_repo, pre_commit_home, repo, "netpol-lint", "--files", "shop/worker.yaml")
    out = proc.stdout + proc.stderr
    # frontend.yaml still has its NPL103 error, but it was not changed
    assert proc.returncode == 0, out
    assert "Passed" in out


def test_pre_commit_whole_repository_hook_reports_everything(repo, hook_repo, pre_commit_home):
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    proc = _try_repo(hook_repo, pre_commit_home, repo, "netpol-lint-all", "--files", "shop/web.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    lines = _finding_lines(out)
    assert any(ln.startswith("shop/web.yaml:4:9: NPL004 [error]") for ln in lines), out
    assert any(ln.startswith("shop/frontend.yaml:14:57: NPL103 [error]") for ln in lines), out


# -- connectivity expectations (issue 17) -----------------------------------------------------
def test_pre_commit_reports_an_expectation_a_policy_edit_breaks(tmp_path, hook_repo, pre_commit_home):
    """The commit touches only a NetworkPolicy; the expectation it breaks lives in the unchanged
    .netpol-lint-expect.yaml and is still reported (its related locations are the policy)."""
    from test_expectations import world, write_repo

    repo = write_repo(tmp_path, world(), "expectations:\n"
                                         "  - name: web is reachable through its APIRule\n"
                                         "    to: host:web.example.com\n"
                                         "    allow: true\n")
    (repo / ".netpol-lint.yaml").write_text("select: [NPL601, NPL602]\n")
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "state of today", cwd=repo)
    clean = _try_repo(hook_repo, pre_commit_home, repo, "netpol-lint", "--files", "shop/policies.yaml")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    policies = repo / "shop" / "policies.yaml"
    policies.write_text(policies.read_text().replace("port: 8080", "port: 8081"))
    _git("add", "-A", cwd=repo)
    proc = _try_repo(hook_repo, pre_commit_home, repo, "netpol-lint", "--files", "shop/policies.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    lines = _finding_lines(out)
    assert len(lines) == 1, out
    assert lines[0].startswith(".netpol-lint-expect.yaml:2:5: NPL601 [error] expectation 'web is reachable through "
                               "its APIRule' is violated with module policies enabled and disabled: for "
                               "istio-system/istio-ingressgateway -> shop/web TCP 8080: denied, must be allowed"), out
