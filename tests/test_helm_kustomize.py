"""Rendered input: ``helm template … | netpol-lint -`` and ``--kustomize`` with the real kubectl.

helm is not installed here, so the Helm stream is a checked-in rendering of a realistic chart
(``tests/data/helm/shop-rendered.yaml``: ``# Source:`` headers, a template that renders two
documents, a chart test hook).  kustomize tests run the real ``kubectl kustomize``.
"""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, finding_lines, run_cli

HELM = ROOT / "tests" / "data" / "helm"
STREAM = (HELM / "shop-rendered.yaml").read_text()
KUST = ROOT / "tests" / "data" / "kustomize"
SELECT = ("--select", "NPL102,NPL103")
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def _json(proc) -> dict:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


# -- Helm ------------------------------------------------------------------------------------
def test_helm_stream_findings_report_the_source_template_and_its_rendered_line():
    rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=STREAM, cwd=HELM))
    # lines count from the `# Source:` comment heading each rendered document
    assert finding_lines(rep) == [
        "shop/templates/deployment.yaml:11:5 NPL102 Deployment default/shop-storefront",
        "shop/templates/worker.yaml:18:54 NPL103 Deployment default/shop-worker",
    ]
    # the second document of worker.yaml has its own header; its NPL103 is suppressed by the
    # `# netpol-lint: disable=NPL103` comment that the template carried into the stream
    assert rep["summary"]["suppressed"] == 1
    assert [f["fixable"] for f in rep["findings"]] == [False, False]     # --fix cannot edit a template


def test_helm_text_output_names_the_templates():
    proc = run_cli("-", *SELECT, "--quiet", stdin=STREAM, cwd=HELM)
    assert proc.returncode == 1
    assert [ln.split(" ", 2)[:2] for ln in proc.stdout.splitlines()] == [
        ["shop/templates/deployment.yaml:11:5:", "NPL102"],
        ["shop/templates/worker.yaml:18:54:", "NPL103"],
    ]


def test_helm_line_is_the_line_of_the_rendered_template_output():
    """Line N is line N of what `helm template --show-only templates/worker.yaml` prints after the header."""
    rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=STREAM, cwd=HELM))
    f = next(x for x in rep["findings"] if x["rule"] == "NPL103")
    header = STREAM.splitlines().index("# Source: shop/templates/worker.yaml")
    rendered = STREAM.splitlines()[header + 1:]
    assert rendered[f["line"] - 1].strip() == 'networking.kyma-project.io/to-egressgateway: "true"'
    assert rendered[f["line"] - 1][f["column"] - 1:] == '"true"'


def test_helm_related_locations_and_sarif_use_template_paths():
    sarif = _json(run_cli("-", *SELECT, "--format", "sarif", stdin=STREAM, cwd=HELM))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert uris == ["shop/templates/deployment.yaml", "shop/templates/worker.yaml"]


def test_helm_junit_testcases_are_named_after_templates():
    proc = run_cli("-", *SELECT, "--format", "junit", stdin=STREAM, cwd=HELM)
    cases = [(c.get("classname"), c.get("name")) for c in ET.fromstring(proc.stdout).iter("testcase")]
    assert cases == [
        ("shop/templates/serviceaccount.yaml", "ServiceAccount default/shop-storefront"),
        ("shop/templates/service.yaml", "Service default/shop-storefront"),
        ("shop/templates/deployment.yaml", "Deployment default/shop-storefront"),
        ("shop/templates/worker.yaml", "Deployment default/shop-worker"),
        ("shop/templates/worker.yaml", "Deployment default/shop-worker-batch"),
        ("shop/templates/apirule.yaml", "APIRule default/shop-storefront"),
        ("shop/templates/tests/test-connection.yaml", "Pod default/shop-storefront-test-connection"),
    ]


def test_rendered_stream_saved_to_a_file_keeps_its_own_path_and_lines():
    # a checked-in rendering is a real file: positions in it are exact, so they are kept
    rep = _json(run_cli("shop-rendered.yaml", *SELECT, "--format", "json", cwd=HELM))
    assert finding_lines(rep) == [
        "shop-rendered.yaml:47:5 NPL102 Deployment default/shop-storefront",
        "shop-rendered.yaml:94:54 NPL103 Deployment default/shop-worker",
    ]


def test_documents_before_any_source_comment_stay_on_stdin():
    stream = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: raw\nspec:\n  template:\n"
              "    metadata:\n      labels:\n        networking.kyma-project.io/istio-metrics: 'yes'\n---\n") + STREAM
    rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=stream, cwd=HELM))
    assert finding_lines(rep)[0] == "-:9:51 NPL103 Deployment default/raw"
    assert finding_lines(rep)[1:] == ["shop/templates/deployment.yaml:11:5 NPL102 Deployment default/shop-storefront",
                                      "shop/templates/worker.yaml:18:54 NPL103 Deployment default/shop-worker"]


def test_per_file_ignores_apply_to_template_paths(tmp_path):
    (tmp_path / ".netpol-lint.yaml").write_text('per_file_ignores:\n  "shop/templates/worker.yaml": [NPL103]\n')
    rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=STREAM, cwd=tmp_path))
    assert finding_lines(rep) == ["shop/templates/deployment.yaml:11:5 NPL102 Deployment default/shop-storefront"]
    assert rep["summary"]["suppressed"] == 2


# -- kustomize -------------------------------------------------------------------------------
@needs_kubectl
def test_kustomize_findings_map_back_to_the_base_files():
    rep = _json(run_cli("overlays/prod", "--kustomize", *SELECT, "--format", "json", cwd=KUST))
    # names and namespaces are the rendered ones (namePrefix, namespace), positions the source's
    assert finding_lines(rep) == [
        "base/storefront.yaml:6:5 NPL102 Deployment shop-prod/prod-storefront",
        "base/worker.yaml:13:54 NPL103 Deployment shop-prod/prod-worker",
    ]
    assert rep["summary"]["resources"] == 4
    assert [f["fixable"] for f in rep["findings"]] == [False, False]


@needs_kubectl
def test_kustomize_refuses_fix():
    proc = run_cli("overlays/prod", "--kustomize", "--fix", cwd=KUST)
    assert proc.returncode == 2 and "--fix edits files, not kustomize output" in proc.stderr


@needs_kubectl
def test_kustomize_junit_and_sarif_name_the_origin_files():
    proc = run_cli("overlays/prod", "--kustomize", *SELECT, "--format", "junit", cwd=KUST)
    cases = [(c.get("classname"), c.get("name")) for c in ET.fromstring(proc.stdout).iter("testcase")]
    assert sorted(cases) == [
        ("base/storefront.yaml", "Deployment shop-prod/prod-storefront"),
        ("base/storefront.yaml", "Service shop-prod/prod-storefront"),
        ("base/worker.yaml", "Deployment shop-prod/prod-worker"),
        ("overlays/prod/namespace.yaml", "Namespace shop-prod"),
    ]


@needs_kubectl
def test_without_kustomize_the_overlay_directory_is_read_as_plain_files():
    rep = _json(run_cli("overlays/prod", *SELECT, "--format", "json", cwd=KUST))
    assert finding_lines(rep) == [] and rep["summary"]["resources"] < 4


@needs_kubectl
def test_kustomize_comment_suppression_and_changed_only_follow_the_origin(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(KUST, work)
    worker = work / "base" / "worker.yaml"
    worker.write_text(worker.read_text().replace(
        '        networking.kyma-project.io/to-egressgateway: "true"\n',
        '        # netpol-lint: disable=NPL103\n        networking.kyma-project.io/to-egressgateway: "true"\n'))
    rep = _json(run_cli("overlays/prod", "--kustomize", *SELECT, "--format", "json", cwd=work))
    assert finding_lines(rep) == ["base/storefront.yaml:6:5 NPL102 Deployment shop-prod/prod-storefront"]
    assert rep["summary"]["suppressed"] == 1
    rep = _json(run_cli("overlays/prod", "--kustomize", *SELECT, "--format", "json",
                        "--changed-only", "base/worker.yaml", cwd=KUST))
    assert finding_lines(rep) == ["base/worker.yaml:13:54 NPL103 Deployment shop-prod/prod-worker"]


@needs_kubectl
def test_piped_kustomize_output_with_origin_annotations_maps_from_the_current_directory():
    import subprocess

    rendered = subprocess.run(["kubectl", "kustomize", "overlays/staging"], cwd=KUST, capture_output=True,
                              text=True, check=True).stdout
    assert "config.kubernetes.io/origin" in rendered        # this overlay sets buildMetadata itself
    rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=rendered, cwd=KUST / "overlays" / "staging"))
    files = [ln.split(":", 1)[0] for ln in finding_lines(rep)]
    assert files == ["../../base/storefront.yaml", "../../base/worker.yaml"]    # relative to the current directory


def test_kustomize_without_kubectl_is_a_clear_exit_2(tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    proc = run_cli("overlays/prod", "--kustomize", cwd=KUST, env={"PATH": str(empty_bin)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (
        "netpol-lint: error: --kustomize needs kubectl on PATH (it runs 'kubectl kustomize DIR'); install kubectl "
        "or pipe the rendered output instead: kustomize build DIR | netpol-lint -")


@needs_kubectl
def test_kustomization_that_does_not_build_is_exit_2_with_kubectls_reason(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    proc = run_cli(".", "--kustomize", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("netpol-lint: error: kubectl kustomize . failed: ")
    assert "deployment.yaml" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_origin_annotations_are_not_followed_outside_manifests(tmp_path):
    """An annotation in the input must not make the linter read arbitrary files."""
    (tmp_path / "notes.txt").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
           "    networking.kyma-project.io/from-ingressgateway: allowed\n  annotations:\n"
           "    config.kubernetes.io/origin: |\n      path: {path}\nspec:\n  template:\n    metadata:\n"
           "      labels: {{app: web}}\n")
    for path in ("/etc/hosts", "notes.txt", "https://example.com/x.yaml", "missing.yaml"):
        rep = _json(run_cli("-", *SELECT, "--format", "json", stdin=doc.format(path=path), cwd=tmp_path))
        assert finding_lines(rep) == ["-:6:5 NPL102 Deployment default/web"], path


# -- --kustomize on a directory that holds kustomizations below it ----------------------------
BOTH_OVERLAYS = [
    "base/storefront.yaml:6:5 NPL102 Deployment shop-prod/prod-storefront",
    "base/storefront.yaml:6:5 NPL102 Deployment shop-staging/storefront",
    "base/worker.yaml:13:54 NPL103 Deployment shop-prod/prod-worker",
    "base/worker.yaml:13:54 NPL103 Deployment shop-staging/worker",
]


@needs_kubectl
def test_kustomize_on_a_directory_renders_each_root_kustomization_below_it():
    rep = _json(run_cli(".", "--kustomize", *SELECT, "--format", "json", cwd=KUST))
    assert finding_lines(rep) == BOTH_OVERLAYS
    both = _json(run_cli("overlays/prod", "overlays/staging", "--kustomize", *SELECT, "--format", "json", cwd=KUST))
    assert finding_lines(both) == BOTH_OVERLAYS and both["summary"] == rep["summary"]


def test_nested_roots_and_the_files_seen_through_them_without_kubectl(tmp_path):
    from netpol_lint.load.kustomize import nested_roots
    from netpol_lint.load.loader import Limits
    from netpol_lint.load.reader import read

    repo = tmp_path / "repo"
    shutil.copytree(KUST, repo / "kust")
    (repo / "kust" / "overlays" / "prod" / "notes.yaml").write_text("a: 1\n")        # under a root, not listed
    (repo / "plain.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    files = read([str(repo)], Limits(), 1)
    roots, seen = nested_roots(files)
    assert roots == [str(repo / "kust" / "overlays" / "prod"), str(repo / "kust" / "overlays" / "staging")]
    shown = {f.path for f in files}
    assert sorted(shown - seen) == [p for p in shown if p.endswith("plain.yaml")]


FAKE_KUBECTL = """#!/bin/sh
# 'kubectl kustomize DIR': prints DIR/rendered.yaml, through netpol-lint's wrapper kustomization too
dir="$2"
rel=$(sed -n 's/^  - //p' "$dir/kustomization.yaml")
case "$rel" in "") cat "$dir/rendered.yaml" ;; /*) cat "$rel/rendered.yaml" ;; *) cat "$dir/$rel/rendered.yaml" ;; esac
"""


def _bad_label(name: str, namespace: str = "") -> str:
    """A Deployment whose pod template has an NPL103 label value."""
    ns = f", namespace: {namespace}" if namespace else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}{ns}}}\n"
            "spec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata:\n"
            "      labels: {app: x, networking.kyma-project.io/from-ingressgateway: 'yes'}\n"
            "    spec: {containers: [{name: c, image: x}]}\n")


def test_kustomize_on_a_directory_with_a_fake_kubectl_renders_roots_and_lints_the_rest_plainly(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    repo = tmp_path / "repo"
    for name in ("dev", "prod"):
        d = repo / "overlays" / name
        d.mkdir(parents=True)
        (d / "kustomization.yaml").write_text("resources: [../../base]\n")
        (d / "rendered.yaml").write_text(_bad_label("web", name))
    (repo / "base").mkdir()
    (repo / "base" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    (repo / "base" / "web.yaml").write_text(_bad_label("web"))
    (repo / "extra.yaml").write_text(_bad_label("extra"))
    rep = _json(run_cli(".", "--kustomize", "--select", "NPL103", "--format", "json", cwd=repo,
                        env={"PATH": f"{bin_dir}:/usr/bin:/bin"}))
    # the renderings (the fake's carry no origin annotations: findings stay on the rendering)
    # and the file no kustomization lists; base/web.yaml only through the overlays
    assert finding_lines(rep) == [
        "extra.yaml:8:72 NPL103 Deployment default/extra",
        "overlays/dev/kustomization.yaml:8:72 NPL103 Deployment dev/web",
        "overlays/prod/kustomization.yaml:8:72 NPL103 Deployment prod/web",
    ]


RECORDING_KUBECTL = """#!/bin/sh
# records that it ran: netpol-lint must not start kubectl on a kustomization that would download
echo "$@" >> "$(dirname "$0")/ran"
exit 1
"""


def _kubectl(tmp_path, script: str = RECORDING_KUBECTL):
    """A directory holding a fake ``kubectl`` running ``script``, for PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(script)
    (bin_dir / "kubectl").chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("entry", [
    "https://github.com/org/repo//deploy?ref=v1.0.0",
    "github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v1.0.6",
    "git@github.com:org/repo.git",
    "https://raw.githubusercontent.com/org/repo/main/deploy.yaml",
])
def test_a_remote_resource_is_never_downloaded_exit_2_naming_it(tmp_path, entry):
    bin_dir = _kubectl(tmp_path)
    repo = tmp_path / "repo"
    (repo / "overlays" / "prod").mkdir(parents=True)
    (repo / "base").mkdir()
    # the remote entry sits in the base, one kustomization below the overlay given as PATH
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text("resources: [../../base]\n")
    (repo / "base" / "kustomization.yaml").write_text(f"resources:\n  - web.yaml\n  - {entry}\n")
    (repo / "base" / "web.yaml").write_text(_bad_label("web"))
    why = (f"base/kustomization.yaml: {entry!r} is remote: 'kubectl kustomize overlays/prod' would download "
           "it and netpol-lint never touches the network; render it yourself and pipe it in (kubectl kustomize "
           "overlays/prod | netpol-lint -) or --exclude the directory")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    # given as PATH: the run stops, one line
    proc = run_cli("overlays/prod", "--kustomize", cwd=repo, env=env)
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr == f"netpol-lint: error: {why}\n"
    # found inside a directory PATH: an input problem of that kustomization, the rest linted
    rep = _json(run_cli(".", "--kustomize", "--select", "NPL001,NPL103", "--format", "json", cwd=repo, env=env))
    assert [(f["file"], f["line"], f["rule"], f["message"]) for f in rep["findings"]][1] == (
        "overlays/prod/kustomization.yaml", 1, "NPL001", f"{why}; the files it lists are linted plainly")
    assert finding_lines(rep)[0] == "base/web.yaml:8:72 NPL103 Deployment default/web"
    assert len(rep["findings"]) == 2
    assert not (bin_dir / "ran").exists()


def test_an_entry_that_looks_remote_but_exists_on_disk_is_rendered(tmp_path):
    bin_dir = _kubectl(tmp_path, FAKE_KUBECTL)
    repo = tmp_path / "repo"
    (repo / "example.com" / "base").mkdir(parents=True)
    (repo / "kustomization.yaml").write_text("resources: [example.com/base]\n")
    (repo / "example.com" / "base" / "kustomization.yaml").write_text("resources: []\n")
    (repo / "rendered.yaml").write_text(_bad_label("web"))
    rep = _json(run_cli(".", "--kustomize", "--select", "NPL103", "--format", "json", cwd=repo,
                        env={"PATH": f"{bin_dir}:/usr/bin:/bin"}))
    assert finding_lines(rep) == ["kustomization.yaml:8:72 NPL103 Deployment default/web"]


def test_a_found_kustomization_that_does_not_build_is_npl001_and_the_rest_is_linted(tmp_path):
    bin_dir = _kubectl(tmp_path)                 # kubectl fails on everything
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    (repo / "app" / "web.yaml").write_text(_bad_label("web"))
    (repo / "extra.yaml").write_text(_bad_label("extra"))
    proc = run_cli(".", "--kustomize", "--select", "NPL001,NPL103", cwd=repo, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("app/kustomization.yaml:1:1: NPL001 [error] kubectl kustomize app failed: ")
    assert lines[0].endswith("; the files it lists are linted plainly")
    assert [ln.split(" ")[0] for ln in lines[1:3]] == ["app/web.yaml:8:72:", "extra.yaml:8:72:"]
    assert (bin_dir / "ran").exists()
