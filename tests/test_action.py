"""Issue 16 item 9: the composite GitHub Action at the repository root.

The metadata validates against tests/schemas/github-action.schema.json, and its shell steps
run here as a runner would run them: ``${{ ... }}`` expressions substituted, ``env:`` set,
``$GITHUB_OUTPUT`` a file, against a copy of examples/ in a temporary directory.  The install
step runs with a ``python`` that records its arguments (installing would need the network).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "github-action.schema.json").read_text())


def test_metadata_validates_against_the_action_schema():
    import jsonschema
    jsonschema.validate(ACTION, SCHEMA)


def test_the_schema_rejects_broken_metadata():
    import jsonschema
    broken = json.loads(json.dumps(ACTION))
    broken["runs"]["steps"][1].pop("shell")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**ACTION, "inputs": {"paths": {"default": "."}}}, SCHEMA)


def test_inputs_are_the_documented_ones():
    assert {"paths", "format", "fail-on", "config", "args"} <= set(ACTION["inputs"])
    expressions = re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", (ROOT / "action.yml").read_text())
    assert set(expressions) <= set(ACTION["inputs"])            # no step reads an undeclared input


def _expand(value: str, inputs: dict, action_path: str) -> str:
    def sub(m):
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr == "github.action_path":
            return action_path
        raise AssertionError(f"unexpected expression {expr}")
    return re.sub(r"\$\{\{(.*?)\}\}", sub, value)


def _run_steps(tmp_path, **given) -> tuple[dict, dict, list[str]]:
    """Run every ``run:`` step; returns (step outputs, exit codes by step, the install call)."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", work / "examples")
    inputs = {k: v.get("default", "") for k, v in ACTION["inputs"].items()}
    inputs.update(given)
    shim = tmp_path / "bin"
    shim.mkdir()
    calls = tmp_path / "python-calls"
    (shim / "python").write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
    (shim / "python").chmod(0o755)
    outputs, codes = {}, {}
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        out_file = tmp_path / f"out-{len(codes)}"
        out_file.write_text("")
        env = dict(os.environ, GITHUB_OUTPUT=str(out_file), NO_COLOR="1")
        env["PATH"] = os.pathsep.join([str(shim), str(os.path.dirname(sys.executable)), env.get("PATH", "")])
        env.update({k: _expand(str(v), inputs, str(ROOT)) for k, v in (step.get("env") or {}).items()})
        script = _expand(step["run"], inputs, str(ROOT))
        assert step["shell"] == "bash"
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
        codes[step.get("id", step.get("name"))] = (proc.returncode, proc.stdout, proc.stderr)
        for line in out_file.read_text().splitlines():
            k, _, v = line.partition("=")
            outputs[k] = v
    return outputs, codes, calls.read_text().splitlines() if calls.exists() else []


def test_install_step_installs_the_action_s_own_ref(tmp_path):
    _, _, calls = _run_steps(tmp_path, paths="examples/shop")
    assert calls == [f"-m pip install --disable-pip-version-check --quiet {ROOT}"]


def test_github_annotations_and_exit_code(tmp_path):
    outputs, codes, _ = _run_steps(tmp_path, paths="examples/shop")
    code, stdout, stderr = codes["lint"]
    assert code == 1, stderr
    assert outputs["exit-code"] == "1"
    assert stdout.startswith("::error file=examples/shop/cart.yaml,line=25,col=9")


def test_sarif_file_for_upload_sarif(tmp_path):
    outputs, codes, _ = _run_steps(tmp_path, paths="examples/shop examples/auth", format="sarif", **{"fail-on": "never"})
    assert codes["lint"][0] == 0, codes["lint"]
    sarif = json.loads((tmp_path / "repo" / outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def test_both_config_and_extra_args(tmp_path):
    outputs, codes, _ = _run_steps(tmp_path, paths="examples", format="both", args="--select NPL204")
    code, stdout, _ = codes["lint"]
    assert code == 0                                            # NPL204 is a warning; fail-on error
    assert stdout.startswith("::warning file=examples/auth/oauth2-proxy.yaml") and "NPL201" not in stdout
    assert (tmp_path / "repo" / "netpol-lint.sarif").is_file()
    again = tmp_path / "again"
    again.mkdir()
    (again / "cfg.yaml").write_text("select: [NPL204]\n")
    _, codes, _ = _run_steps(again, paths="examples", config=str(again / "cfg.yaml"), **{"fail-on": "warning"})
    assert codes["lint"][0] == 1 and "NPL201" not in codes["lint"][1]


def test_a_wrong_format_is_an_error(tmp_path):
    outputs, codes, _ = _run_steps(tmp_path, format="xml")
    assert codes["lint"][0] == 2 and "format must be github, sarif or both" in codes["lint"][1]
