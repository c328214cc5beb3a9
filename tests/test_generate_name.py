"""Resources without metadata.name: one display (``PREFIX*`` for generateName, ``(unnamed)``)
in every format, and generateName twins are distinct objects (no NPL004)."""
from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

from conftest import run_cli

STS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  {meta}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata:
      labels: {{app: {app}, networking.kyma-project.io/from-ingressgateway: "true"}}
    spec:
      containers: [{{name: c, image: x}}]
"""


def _write(tmp_path, *metas):
    docs = [STS.format(meta=m, app=f"a{i}") for i, m in enumerate(metas)]
    (tmp_path / "m.yaml").write_text("---\n".join(docs))


def test_generate_name_is_shown_with_a_star_everywhere(tmp_path):
    _write(tmp_path, "generateName: web-", "generateName: web-", "labels: {x: y}")
    text = run_cli("m.yaml", "--quiet", cwd=tmp_path).stdout.splitlines()
    assert text == [
        "m.yaml:9:73: NPL103 [error] [*] label networking.kyma-project.io/from-ingressgateway has value 'true'; "
        "the module's policies only match the exact value 'allowed' (StatefulSet default/web-*)",
        "m.yaml:21:73: NPL103 [error] [*] label networking.kyma-project.io/from-ingressgateway has value 'true'; "
        "the module's policies only match the exact value 'allowed' (StatefulSet default/web-*)",
        "m.yaml:33:73: NPL103 [error] [*] label networking.kyma-project.io/from-ingressgateway has value 'true'; "
        "the module's policies only match the exact value 'allowed' (StatefulSet default/(unnamed))",
    ]
    report = json.loads(run_cli("m.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert [f["resource"]["name"] for f in report["findings"]] == ["web-*", "web-*", "(unnamed)"]
    assert [f["rule"] for f in report["findings"]] == ["NPL103"] * 3     # no NPL004 for the twins
    sarif = json.loads(run_cli("m.yaml", "--format", "sarif", cwd=tmp_path).stdout)
    assert [r["properties"]["resource"]["name"] for r in sarif["runs"][0]["results"]] == \
        ["web-*", "web-*", "(unnamed)"]
    github = run_cli("m.yaml", "--format", "github", cwd=tmp_path).stdout
    assert github.count("(StatefulSet default/web-*)") == 2
    junit = ET.fromstring(run_cli("m.yaml", "--format", "junit", cwd=tmp_path).stdout)
    cases = [(c.get("name"), [f.text.split(":")[1] for f in c.findall("failure")]) for c in junit.iter("testcase")]
    assert cases == [("StatefulSet default/web-*", ["9"]), ("StatefulSet default/web-*", ["21"]),
                     ("StatefulSet default/(unnamed)", ["33"])]
    reach = run_cli("reach", "m.yaml", "--from", "default/web-*", "--to", "istio-system/istiod",
                    "--port", "15012", "--format", "json", cwd=tmp_path)
    assert json.loads(reach.stdout)["from"] == "default/web-*"


def test_named_twins_are_still_duplicates(tmp_path):
    _write(tmp_path, "name: web", "name: web")
    report = json.loads(run_cli("m.yaml", "--format", "json", "--select", "NPL004", cwd=tmp_path).stdout)
    assert [(f["rule"], f["line"], f["message"]) for f in report["findings"]] == [
        ("NPL004", 16, "StatefulSet/default/web is also defined at m.yaml:4")]
