"""The typed rule contract is checked: ``mypy`` with the ``[tool.mypy]`` configuration of
pyproject.toml (strict for the packages it lists) finds nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


# ~3 s with a fresh cache (compiled mypy), so not marked slow
def test_mypy_finds_nothing(tmp_path):
    pytest.importorskip("mypy", reason="mypy (test extra) type-checks the engine")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_strict_modules_are_strict():
    """The configuration says strict for the engine and analysis packages: neither can drift
    back to untyped without the test above failing, and a new module of them is checked at
    once (``files`` names the package directories, not their modules)."""
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = [o for o in cfg["overrides"] if o.get("strict")]
    assert strict and {"netpol_lint.engine.*", "netpol_lint.analysis.*"} <= set(strict[0]["module"])
    assert all((ROOT / f).exists() for f in cfg["files"])
    assert {"netpol_lint/engine", "netpol_lint/analysis"} <= set(cfg["files"])
