"""The library API (netpol_lint.api): what tools that embed the linter call."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import netpol_lint
from netpol_lint import api
from netpol_lint.errors import ConfigError, InputError, NetpolLintError, UsageError
from netpol_lint.options import Options

from conftest import ROOT, lint_json

EXAMPLES = ROOT / "examples"


def test_lint_returns_what_the_cli_reports(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = netpol_lint.lint(["examples"], assume_network_policies="enabled")
    _, report = lint_json("examples", "--assume-network-policies", "enabled")
    assert [(f.location.file, f.location.line, f.location.column, f.rule, f.message) for f in result.findings] == \
        [(f["file"], f["line"], f["column"], f["rule"], f["message"]) for f in report["findings"]]
    assert len(result.findings) > 5


def test_lint_options_select_and_ignore(monkeypatch):
    monkeypatch.chdir(ROOT)
    only = netpol_lint.lint("examples", select="NPL1", ignore=["NPL105"], assume_network_policies="enabled")
    assert only.findings and {f.rule[:4] for f in only.findings} == {"NPL1"}
    assert "NPL105" not in {f.rule for f in only.findings}


def test_findings_are_immutable(monkeypatch):
    monkeypatch.chdir(ROOT)
    f = netpol_lint.lint("examples", assume_network_policies="enabled").findings[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.severity = "info"


def test_reach(monkeypatch):
    monkeypatch.chdir(ROOT)
    v = netpol_lint.reach(["examples"], "istio-system/istio-ingressgateway", "istio-system/istiod", 15012,
                          assume_network_policies="enabled")
    assert v.allowed is True
    with pytest.raises(ValueError):
        netpol_lint.reach(["examples"], "nope/nothing", "istio-system/istiod", 15012)


def test_errors_are_netpol_lint_errors_with_exit_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as exc:
        netpol_lint.lint(["missing-dir"])
    assert isinstance(exc.value, NetpolLintError) and exc.value.exit_code == 2
    with pytest.raises(ConfigError):
        netpol_lint.lint(["."], config_file="nope.yaml")
    with pytest.raises(UsageError):
        netpol_lint.lint(["."], select="NPL999")
    with pytest.raises(UsageError):
        Options(jobs=0)


def test_one_options_object_from_argparse():
    from netpol_lint.cli import build_parser

    args = build_parser("lint").parse_args(["lint", "a", "b", "--select", "NPL1,NPL2", "--max-depth", "7",
                                             "--changed-only", "x.yaml", "--jobs", "3"])
    o = Options.from_args(args)
    assert o.paths == ("a", "b") and o.select == ("NPL1", "NPL2") and o.limits.max_depth == 7
    assert o.changed_only == ("x.yaml",) and o.jobs == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.paths = ()


def test_every_command_reads_with_the_same_limits(tmp_path):
    """--max-file-size applies to diff and --kustomize too (they used to read with defaults)."""
    from conftest import run_cli

    big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '" + "x" * 4000 + "'}\n"
    for d in ("old", "new"):
        (tmp_path / d).mkdir()
    (tmp_path / "old" / "cm.yaml").write_text(big.replace("x" * 4000, "x"))
    (tmp_path / "new" / "cm.yaml").write_text(big)
    proc = run_cli("diff", "old", "new", "--max-file-size", "1K", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1 and "NPL001" in proc.stdout, proc.stdout + proc.stderr


def test_api_is_exported():
    assert netpol_lint.lint is api.lint and netpol_lint.reach is api.reach
    assert set(api.__all__) >= {"lint", "reach", "run", "load_session", "Options"}
