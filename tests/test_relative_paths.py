"""CONTRACT.md: paths are relative to the current directory, with ``/`` -- files outside it as
``../x.yaml`` in every format (SARIF: a relative URI with ``uriBaseId: %SRCROOT%``), and
baselines keyed by such paths keep matching the absolute keys older versions wrote."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

from conftest import lint_json, run_cli

SELECT = ("--select", "NPL001,NPL102")
DEPLOY = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n"
          "    networking.kyma-project.io/from-ingressgateway: allowed\nspec:\n  template:\n    metadata:\n"
          "      labels:\n        app: web\n")


def _repo(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "web.yaml").write_text(DEPLOY)
    (tmp_path / "manifests" / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def _out(cwd, fmt):
    proc = run_cli("../manifests", *SELECT, "--format", fmt, cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_every_format_prints_paths_outside_the_current_directory_relative(tmp_path):
    cwd = _repo(tmp_path)
    want = ["../manifests/broken.yaml", "../manifests/web.yaml"]
    code, rep = lint_json("../manifests", *SELECT, cwd=cwd)
    assert sorted({f["file"] for f in rep["findings"]}) == want

    sarif = json.loads(_out(cwd, "sarif"))
    locations = [loc["physicalLocation"]["artifactLocation"]
                 for run in sarif["runs"] for res in run["results"] for loc in res["locations"]]
    assert sorted({a["uri"] for a in locations}) == want
    assert all(a.get("uriBaseId") == "%SRCROOT%" for a in locations)

    github = _out(cwd, "github").splitlines()
    assert sorted({ln.split("file=", 1)[1].split(",", 1)[0] for ln in github if ln.startswith("::")}) == want

    junit = ET.fromstring(_out(cwd, "junit"))
    classes = {tc.get("classname") for tc in junit.iter("testcase")}
    assert classes and all(c.startswith("../manifests/") for c in classes), classes

    for fmt in ("text", "full"):
        out = _out(cwd, fmt)
        lines = [ln for ln in out.splitlines() if ".yaml:" in ln and ": NPL" in ln]
        assert lines and all(ln.startswith(("../manifests/broken.yaml:", "../manifests/web.yaml:"))
                             for ln in lines), fmt
    for out in (_out(cwd, f) for f in ("text", "full", "json", "sarif", "github", "junit")):
        assert str(tmp_path) not in out and "file://" not in out


def test_baseline_of_files_outside_the_current_directory_is_relative_and_matches(tmp_path):
    cwd = _repo(tmp_path)
    proc = run_cli("../manifests", *SELECT, "--write-baseline", "baseline.json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    text = (cwd / "baseline.json").read_text()
    assert str(tmp_path) not in text                       # portable: no machine's absolute path
    entries = json.loads(text)["findings"]
    assert sorted(e["file"] for e in entries) == ["../manifests/broken.yaml", "../manifests/web.yaml"]
    assert any(e["fingerprint"].endswith("@../manifests/broken.yaml") for e in entries)
    code, rep = lint_json("../manifests", *SELECT, "--baseline", "baseline.json", cwd=cwd)
    assert code == 0 and rep["findings"] == []


def test_a_baseline_written_with_absolute_paths_still_matches(tmp_path):
    """Before paths outside the current directory were printed relative, a resource-less
    finding's baseline key held the absolute path: such files keep working."""
    cwd = _repo(tmp_path)
    run_cli("../manifests", *SELECT, "--write-baseline", "baseline.json", cwd=cwd)
    absolute = os.path.abspath(cwd / ".." / "manifests" / "broken.yaml").replace(os.sep, "/")
    legacy = (cwd / "baseline.json").read_text().replace("../manifests/broken.yaml", absolute)
    assert absolute in legacy
    (cwd / "legacy.json").write_text(legacy)
    code, rep = lint_json("../manifests", *SELECT, "--baseline", "legacy.json", cwd=cwd)
    assert code == 0 and rep["findings"] == []
    # a key for another file does not match
    (cwd / "other.json").write_text(legacy.replace(absolute, absolute.replace("broken", "other")))
    code, rep = lint_json("../manifests", *SELECT, "--baseline", "other.json", cwd=cwd)
    assert [f["rule"] for f in rep["findings"]] == ["NPL001"]
