"""Plain reading of kustomizations: patches' label/annotation changes reach the objects they
patch (load/kustomization.py, model/patching.py), without --kustomize and without kubectl."""
from __future__ import annotations

from conftest import lint_json

LABEL = "networking.kyma-project.io/from-ingressgateway"

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web%s}
    spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
"""
SVC = """apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
"""
APIRULE = """apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: web}
spec:
  hosts: [web]
  gateway: kyma-system/kyma-gateway
  service: {name: web, port: 80}
  rules: [{path: /*, methods: [GET], noAuth: true}]
"""
SMP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      labels: {%s}
"""


def _tree(tmp_path, overlay: str, files: dict[str, str] | None = None, labelled: bool = False,
          overlays: dict[str, str] | None = None):
    base = tmp_path / "base"
    base.mkdir()
    (base / "deploy.yaml").write_text(DEPLOY % (f", {LABEL}: allowed" if labelled else ""))
    (base / "svc.yaml").write_text(SVC)
    (base / "apirule.yaml").write_text(APIRULE)
    (base / "kustomization.yaml").write_text("resources: [deploy.yaml, svc.yaml, apirule.yaml]\n")
    for name, text in (overlays or {"prod": overlay}).items():
        d = tmp_path / "overlays" / name
        d.mkdir(parents=True)
        (d / "kustomization.yaml").write_text(text)
        for fname, content in (files or {}).items():
            (d / fname).write_text(content)


def _findings(tmp_path):
    _, report = lint_json(".", cwd=tmp_path)
    return [(f["rule"], f["file"], f["line"], f["column"], f["message"]) for f in report["findings"]]


def _npl101(ref="prod/web"):
    return [("NPL101", "base/deploy.yaml", 8, 15,
             f"Deployment {ref} is the backend of APIRule {ref} (Service {ref} port 80) but its pod template lacks "
             f"{LABEL}: allowed; the module's egress policy "
             "istio-system/kyma-project.io--istio-ingressgateway-egress drops that traffic")]


OVERLAY = "namespace: prod\nresources: [../../base]\n"


def test_without_the_patch_npl101_fires(tmp_path):
    _tree(tmp_path, OVERLAY, {"labels.yaml": SMP % f"{LABEL}: allowed"})
    assert _findings(tmp_path) == _npl101()


def test_strategic_merge_patch_file_adds_the_label(tmp_path):
    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % f"{LABEL}: allowed"})
    assert _findings(tmp_path) == []


def test_patches_strategic_merge_and_inline_patches(tmp_path):
    _tree(tmp_path, OVERLAY + "patchesStrategicMerge: [labels.yaml]\n", {"labels.yaml": SMP % f"{LABEL}: allowed"})
    assert _findings(tmp_path) == []


def test_inline_patch(tmp_path):
    inline = "\n".join("    " + ln for ln in (SMP % f"{LABEL}: allowed").splitlines())
    _tree(tmp_path, OVERLAY + "patches:\n- patch: |\n" + inline + "\n")
    assert _findings(tmp_path) == []


def test_strategic_merge_null_removes_the_label(tmp_path):
    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % f"{LABEL}: null"},
          labelled=True)
    assert _findings(tmp_path) == _npl101()


def test_json6902_add_with_escaped_path(tmp_path):
    ops = ("- op: add\n  path: /spec/template/metadata/labels/networking.kyma-project.io~1from-ingressgateway\n"
           "  value: allowed\n")
    _tree(tmp_path, OVERLAY + "patches:\n- path: ops.yaml\n  target: {kind: Deployment, name: web}\n",
          {"ops.yaml": ops})
    assert _findings(tmp_path) == []


def test_json6902_remove_makes_npl101_fire(tmp_path):
    ops = "- op: remove\n  path: /spec/template/metadata/labels/networking.kyma-project.io~1from-ingressgateway\n"
    _tree(tmp_path, OVERLAY + "patchesJson6902:\n- path: ops.yaml\n  target: {group: apps, version: v1, "
          "kind: Deployment, name: web}\n", {"ops.yaml": ops}, labelled=True)
    assert _findings(tmp_path) == _npl101()


def test_json6902_replace_of_the_whole_labels_mapping(tmp_path):
    ops = ("- op: replace\n  path: /spec/template/metadata/labels\n"
           f"  value: {{app: web, {LABEL}: allowed}}\n")
    _tree(tmp_path, OVERLAY + "patches:\n- path: ops.yaml\n  target: {kind: Deployment, name: web}\n",
          {"ops.yaml": ops})
    assert _findings(tmp_path) == []


def test_patch_of_another_object_or_a_label_selector_target_changes_nothing(tmp_path):
    other = (SMP % f"{LABEL}: allowed").replace("name: web", "name: api")
    ops = ("- op: add\n  path: /spec/template/metadata/labels/networking.kyma-project.io~1from-ingressgateway\n"
           "  value: allowed\n")
    _tree(tmp_path, OVERLAY + "patches:\n- path: other.yaml\n- path: ops.yaml\n  target: {labelSelector: app=web}\n",
          {"other.yaml": other, "ops.yaml": ops})
    assert _findings(tmp_path) == _npl101()


def test_patch_names_the_object_before_the_overlays_prefix(tmp_path):
    _tree(tmp_path, OVERLAY + "namePrefix: p-\npatches:\n- path: labels.yaml\n",
          {"labels.yaml": SMP % f"{LABEL}: allowed"})
    # no NPL101 on p-web; the APIRule's service name is not a field kustomize renames
    assert _findings(tmp_path) == [("NPL109", "base/apirule.yaml", 7, 19, "APIRule prod/p-web routes to Service "
                                    "prod/web, which is not in the input although other Services of namespace "
                                    "prod are")]


def test_base_shared_by_overlays_that_disagree_is_read_unpatched(tmp_path):
    patched = "resources: [../../base]\npatches:\n- path: labels.yaml\n"
    _tree(tmp_path, "", {"labels.yaml": SMP % f"{LABEL}: allowed"},
          overlays={"dev": patched, "prod": "resources: [../../base]\n"})
    assert _findings(tmp_path) == _npl101("default/web")


def test_base_shared_by_overlays_that_agree_is_patched(tmp_path):
    patched = "resources: [../../base]\npatches:\n- path: labels.yaml\n"
    _tree(tmp_path, "", {"labels.yaml": SMP % f"{LABEL}: allowed"}, overlays={"dev": patched, "prod": patched})
    assert _findings(tmp_path) == []


def test_a_components_patch_changes_the_objects_of_the_kustomization_listing_it(tmp_path):
    _tree(tmp_path, OVERLAY + "components: [../../ingress]\n")
    comp = tmp_path / "ingress"
    comp.mkdir()
    (comp / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                            "patches:\n- path: labels.yaml\n")
    (comp / "labels.yaml").write_text(SMP % f"{LABEL}: allowed")
    assert _findings(tmp_path) == []


def test_language_server_reuse_rebuilds_a_file_whose_patches_changed(tmp_path):
    from netpol_lint.config import from_mapping
    from netpol_lint.load.loader import Limits
    from netpol_lint.load.reader import read
    from netpol_lint.model.index import Model
    from netpol_lint.model.units import Placement

    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % f"{LABEL}: allowed"})
    files = read([str(tmp_path)], Limits(), 1)
    config = from_mapping({}, "x")

    def web(model):
        return next(w for w in model.workloads if w.name == "web")

    reuse: dict = {}
    first = web(Model.build(files, placement=Placement.build(files, config), reuse=reuse))
    assert first.pod_labels[LABEL] == "allowed"
    assert web(Model.build(files, placement=Placement.build(files, config), reuse=reuse)) is first
    unpatched = Placement.build(files, config)
    unpatched.edits = {}
    assert LABEL not in web(Model.build(files, placement=unpatched, reuse=reuse)).pod_labels


def test_a_label_the_patch_sets_is_not_fixed_in_the_base_and_the_finding_names_the_patch(tmp_path):
    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % f"{LABEL}: 'yes'"})
    _, report = lint_json(".", cwd=tmp_path)
    [f] = report["findings"]
    assert (f["rule"], f["file"], f["line"], f["column"], f["fixable"]) == ("NPL103", "base/deploy.yaml", 8, 15, False)
    assert {"file": "overlays/prod/labels.yaml", "line": 1, "column": 1,
            "message": "the kustomization patch that changes these labels"} in f["related"]


def test_a_label_the_patch_removes_is_not_fixed_in_the_base(tmp_path):
    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % f"{LABEL}: null"},
          labelled=True)
    _, report = lint_json(".", cwd=tmp_path)
    assert [(f["rule"], f["fixable"]) for f in report["findings"]] == [("NPL101", False)]


def test_a_patch_of_other_labels_keeps_the_fix(tmp_path):
    _tree(tmp_path, OVERLAY + "patches:\n- path: labels.yaml\n", {"labels.yaml": SMP % "tier: web"})
    _, report = lint_json(".", cwd=tmp_path)
    assert [(f["rule"], f["fixable"], f["related"][-1]["message"]) for f in report["findings"]] == [
        ("NPL101", True, "Service prod/web selects the backend pods")]
