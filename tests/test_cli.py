"""The real console script: exit codes, one-line errors, rules/explain, packaging.

Exit codes, one-line errors and the absence of tracebacks are checked on a real process
(``run_cli_subprocess``: the console entry point, its flush and exit); the rest runs the CLI
in process (``run_cli``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, run_cli, run_cli_in_process, run_cli_subprocess
from netpol_lint import __version__
from netpol_lint.engine.plugins import RuleRegistry

BAD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: n\n  labels:\n"
       "    networking.kyma-project.io/from-ingressgateway: 'true'\n")
GOOD = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path


def test_version_console_script_and_module():
    exe = shutil.which("netpol-lint")
    assert exe, "console script not installed"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"netpol-lint {__version__}"
    assert run_cli_subprocess("--version").stdout.strip() == f"netpol-lint {__version__}"


def test_exit_0_on_clean_input(tree):
    proc = run_cli_subprocess("good.yaml", cwd=tree)
    assert proc.returncode == 0, proc.stderr
    assert "Found 0 findings" in proc.stdout


def test_exit_1_on_findings_with_text_format(tree):
    proc = run_cli_subprocess("bad.yaml", cwd=tree)
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    assert first.startswith("bad.yaml:7:53: NPL103 [error] [*] label networking.kyma-project.io/from-ingressgateway")
    assert first.endswith("(Pod n/p)")
    assert "\033[" not in proc.stdout  # no colour when not a TTY


def test_lint_is_the_default_command_and_explicit_works(tree):
    assert run_cli("lint", "bad.yaml", cwd=tree).stdout == run_cli("bad.yaml", cwd=tree).stdout


def test_fail_on_never_and_warning(tree):
    assert run_cli("bad.yaml", "--fail-on", "never", cwd=tree).returncode == 0


def test_unparseable_input_is_exit_1_not_a_crash(tree):
    (tree / "broken.yaml").write_text("a: [\n")
    proc = run_cli_subprocess("broken.yaml", cwd=tree)
    assert proc.returncode == 1 and "NPL001" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, fragment", [
    (["nope.yaml"], "path not found: nope.yaml"),
    (["good.yaml", "--bogus"], "unrecognized arguments: --bogus"),
    (["good.yaml", "--format", "xml"], "invalid choice"),
    (["good.yaml", "--select", "NPL999"], "unknown rule 'NPL999'"),
    (["explain", "NPL999"], "unknown rule 'NPL999'"),
    (["good.yaml", "--rules", "no-such-dir"], "rule directory not found"),
])
def test_usage_errors_exit_2_one_line_no_traceback(tree, args, fragment):
    proc = run_cli_subprocess(*args, cwd=tree)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("args, stdin", [
    (["bad.yaml"], None),
    (["bad.yaml", "good.yaml", "--format", "json", "--statistics"], None),
    (["-", "--format", "sarif"], BAD),
    (["good.yaml", "--bogus"], None),
    (["explain", "--help"], None),
    (["reach", "bad.yaml", "--from", "n/p", "--to", "n/p", "--port", "80"], None),
], ids=["text", "json", "stdin-sarif", "usage-error", "help", "reach"])
def test_in_process_runs_print_what_the_console_script_prints(tree, args, stdin):
    """Most tests run the CLI in process (``run_cli``): it must stand for the real process --
    the same exit code and the same stdout and stderr."""
    real = run_cli_subprocess(*args, cwd=tree, stdin=stdin)
    here = run_cli_in_process(*args, cwd=tree, stdin=stdin)
    assert real.stdout or real.stderr
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)


def test_select_and_ignore_by_name(tree):
    rep = json.loads(run_cli("bad.yaml", "--format", "json", "--ignore", "invalid-networking-label-value", cwd=tree).stdout)
    assert rep["findings"] == []
    rep = json.loads(run_cli("bad.yaml", "--format", "json", "--select", "NPL104", cwd=tree).stdout)
    assert rep["findings"] == []


def test_rules_command_lists_every_registered_rule():
    registry = RuleRegistry.default(autoload=False)
    listed = json.loads(run_cli("rules", "--format", "json").stdout)
    assert [r["id"] for r in listed] == sorted(registry.rules)
    for r in listed:
        assert r["name"] and r["severity"] in ("error", "warning", "info") and isinstance(r["enabled"], bool)
    text = run_cli("rules").stdout.splitlines()
    assert len(text) == len(listed) and text[0].startswith(listed[0]["id"])


def test_explain_by_id_and_by_name_text_and_json():
    by_id = run_cli("explain", "NPL103").stdout
    by_name = run_cli("explain", "invalid-networking-label-value").stdout
    assert by_id == by_name
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix"):
        assert section in by_id
    doc = json.loads(run_cli("explain", "NPL103", "--format", "json").stdout)
    assert doc["id"] == "NPL103" and doc["fixable"] is True


def test_output_file(tree):
    proc = run_cli("bad.yaml", "--format", "json", "--output", "out.json", cwd=tree)
    assert proc.returncode == 1 and proc.stdout == ""
    assert json.loads((tree / "out.json").read_text())["findings"][0]["rule"] == "NPL103"


@pytest.mark.slow
def test_installed_wheel_outside_checkout_lists_every_rule(tmp_path):
    """setuptools would silently drop the top-level rules/ pack; the wheel must carry it."""
    wheel_dir = tmp_path / "wheel"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0 and "No matching distribution" in build.stderr:
        pytest.skip("build backend not available offline")
    assert build.returncode == 0, build.stderr
    wheel = next(wheel_dir.glob("netpol_lint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "netpol_lint/rules/__init__.py" in names
    assert "netpol_lint/rules/npl103_invalid_networking_label_value.yaml" in names
    assert any(n.startswith("netpol_lint-") and n.endswith("entry_points.txt") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    # -I would drop PYTHONPATH; -P keeps cwd off sys.path so the checkout cannot leak in
    out = subprocess.run([sys.executable, "-P", "-m", "netpol_lint", "rules", "--format", "json"], cwd=elsewhere,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    installed = [r["id"] for r in json.loads(out.stdout)]
    assert installed == sorted(RuleRegistry.default(autoload=False).rules)
    origin = subprocess.run([sys.executable, "-P", "-c", "import netpol_lint.rules as r; print(r.__file__)"],
                            cwd=elsewhere, env=env, capture_output=True, text=True)
    assert origin.stdout.startswith(str(target))


def test_select_and_ignore_by_id_prefix_like_ruff():
    ex = ROOT / "examples"
    def rules(*args):
        return sorted({f["rule"] for f in json.loads(run_cli(".", "--format", "json", *args, cwd=ex).stdout)["findings"]})
    everything = rules()
    assert rules("--select", "NPL2") == [r for r in everything if r.startswith("NPL2")] != []
    assert rules("--select", "NPL", "--ignore", "NPL2,NPL1") == [r for r in everything if r[3] not in "12"]
    proc = run_cli(".", "--select", "NPL9", cwd=ex)
    assert proc.returncode == 2 and "unknown rule 'NPL9'" in proc.stderr
