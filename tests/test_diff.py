"""``netpol-lint diff``: connections and findings between two states of a repository.

Scenarios under ``tests/data/diff/<scenario>/{before,after}`` (a shop namespace with a
storefront behind an APIRule and an order service; the Istio CR in ``kyma/``):

* ``deny-by-default`` — a deny-all ingress policy plus an app allowance, but none for the
  ingress gateway: every inbound connection of the namespace goes, NPL201 appears;
* ``label-removed`` — the storefront's from-ingressgateway label is dropped: the gateway
  keeps only DNS to it, NPL101 appears;
* ``target-port`` — container and Service targetPort move to 8081, the allow policy stays on
  8080: no connection changes (policies see pods, not Services), NPL201 appears;
* ``flag-flipped`` — ``networkPoliciesEnabled`` false → true with an unlabelled APIRule
  backend: the module's policies change the Istio components' connections, NPL101 appears
  and NPL402 goes.

``diff --base`` is run on real temporary git repositories built from the same states.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "diff"
IGW, ISTIOD, CNI, CM = ("istio-system/istio-ingressgateway", "istio-system/istiod", "istio-system/istio-cni-node",
                        "kyma-system/istio-controller-manager")
EXT = "ip:0.0.0.0-255.255.255.255"
DNS, VPN = "kube-system/coredns", "kube-system/vpn-shoot"      # the platform's endpoints (Gardener)
ALL, NONE = "All Connections", "No Connections"


def diff_json(*args: str, cwd=DATA) -> tuple[int, dict]:
    proc = run_cli("diff", *args, "--format", "json", cwd=cwd)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def scenario(name: str, *args: str) -> tuple[int, dict]:
    return diff_json(f"{name}/before", f"{name}/after", *args)


def conns(doc: dict) -> list[tuple]:
    return [(kind, c["from"], c["to"], c["before"], c["after"])
            for kind in ("added", "removed", "changed") for c in doc["connections"][kind]]


def findings(doc: dict) -> list[tuple]:
    out = []
    for kind in ("introduced", "fixed"):
        for f in doc["findings"][kind]:
            r = f["resource"]
            out.append((kind, f["rule"], f"{f['file']}:{f['line']}:{f['column']}", f"{r['kind']} {r['namespace']}/{r['name']}"))
    return out


# -- the four scenarios ------------------------------------------------------------------------
def test_deny_by_default_added():
    code, doc = scenario("deny-by-default")
    assert code == 1
    assert conns(doc) == [
        ("removed", CNI, "shop/frontend", "TCP 53,443,UDP 53", NONE),
        ("removed", CNI, "shop/orders", "TCP 53,443,UDP 53", NONE),
        ("removed", IGW, "shop/frontend", ALL, NONE),
        ("removed", IGW, "shop/orders", "TCP 53,UDP 53", NONE),
        ("removed", ISTIOD, "shop/frontend", "TCP 53,80,443,UDP 53", NONE),
        ("removed", ISTIOD, "shop/orders", "TCP 53,80,443,UDP 53", NONE),
        ("removed", DNS, "shop/frontend", ALL, NONE),
        ("removed", DNS, "shop/orders", ALL, NONE),
        ("removed", VPN, "shop/frontend", ALL, NONE),
        ("removed", VPN, "shop/orders", ALL, NONE),
        ("removed", CM, "shop/frontend", "TCP 53,443,UDP 53", NONE),
        ("removed", CM, "shop/orders", "TCP 53,443,UDP 53", NONE),
        ("removed", "shop/orders", "shop/frontend", ALL, NONE),
        ("removed", EXT, "shop/frontend", ALL, NONE),
        ("removed", EXT, "shop/orders", ALL, NONE),
        ("changed", "shop/frontend", "shop/orders", ALL, "TCP 9090"),
    ]
    assert findings(doc) == [("introduced", "NPL201", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]
    changed = doc["connections"]["changed"][0]
    assert changed["after_policies"] == ["shop/orders-from-frontend"]
    assert changed["lost"].startswith("SCTP 1-65535,TCP 1-9089,9091-65535")


def test_label_removed():
    code, doc = scenario("label-removed")
    assert code == 1
    assert conns(doc) == [("changed", IGW, "shop/frontend", ALL, "TCP 53,UDP 53")]
    assert findings(doc) == [("introduced", "NPL101", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]


def test_service_target_port_changed():
    code, doc = scenario("target-port")
    assert code == 1
    assert conns(doc) == []
    assert findings(doc) == [("introduced", "NPL201", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]
    assert "admits istio-ingressgateway on TCP 8081" in doc["findings"]["introduced"][0]["message"]


FLIP_CHANGES = [
    ("removed", CNI, IGW, ALL, NONE),
    ("removed", CNI, ISTIOD, ALL, NONE),
    ("removed", ISTIOD, IGW, ALL, NONE),
    ("removed", CM, IGW, ALL, NONE),
    ("removed", CM, ISTIOD, ALL, NONE),
    ("changed", CNI, DNS, ALL, "TCP 53,443,UDP 53"),
    ("changed", CNI, VPN, ALL, "TCP 53,443,UDP 53"),
    ("changed", CNI, CM, ALL, "TCP 53,443,UDP 53"),
    ("changed", CNI, "shop/frontend", ALL, "TCP 53,443,UDP 53"),
    ("changed", CNI, "shop/orders", ALL, "TCP 53,443,UDP 53"),
    ("changed", CNI, EXT, ALL, "TCP 53,443,UDP 53"),
    ("changed", IGW, CNI, ALL, "TCP 53,UDP 53"),
    ("changed", IGW, ISTIOD, ALL, "TCP 15012"),
    ("changed", IGW, DNS, ALL, "TCP 53,UDP 53"),
    ("changed", IGW, VPN, ALL, "TCP 53,UDP 53"),
    ("changed", IGW, CM, ALL, "TCP 53,UDP 53"),
    ("changed", IGW, "shop/orders", ALL, "TCP 53,UDP 53"),
    ("changed", IGW, EXT, ALL, "TCP 53,UDP 53"),
    ("changed", ISTIOD, CNI, ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, DNS, ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, VPN, ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, CM, ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, "shop/frontend", ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, "shop/orders", ALL, "TCP 53,80,443,UDP 53"),
    ("changed", ISTIOD, EXT, ALL, "TCP 53,80,443,UDP 53"),
    ("changed", DNS, IGW, ALL, "TCP 8080,8443"),
    ("changed", DNS, ISTIOD, ALL, "TCP 15017"),
    ("changed", VPN, IGW, ALL, "TCP 8080,8443"),
    ("changed", VPN, ISTIOD, ALL, "TCP 15017"),
    ("changed", CM, CNI, ALL, "TCP 53,443,UDP 53"),
    ("changed", CM, DNS, ALL, "TCP 53,443,UDP 53"),
    ("changed", CM, VPN, ALL, "TCP 53,443,UDP 53"),
    ("changed", CM, "shop/frontend", ALL, "TCP 53,443,UDP 53"),
    ("changed", CM, "shop/orders", ALL, "TCP 53,443,UDP 53"),
    ("changed", CM, EXT, ALL, "TCP 53,443,UDP 53"),
    ("changed", "shop/frontend", IGW, ALL, "TCP 8080,8443"),
    ("changed", "shop/frontend", ISTIOD, ALL, "TCP 15012,15017"),
    ("changed", "shop/orders", IGW, ALL, "TCP 8080,8443"),
    ("changed", "shop/orders", ISTIOD, ALL, "TCP 15012,15017"),
    ("changed", EXT, IGW, ALL, "TCP 8080,8443"),
    ("changed", EXT, ISTIOD, ALL, "TCP 15017"),
]


def test_istio_cr_flag_flipped():
    code, doc = scenario("flag-flipped")
    assert code == 1
    assert conns(doc) == FLIP_CHANGES
    assert findings(doc) == [
        ("introduced", "NPL101", "apps/shop/orders.yaml:14:9", "Deployment shop/orders"),
        ("fixed", "NPL402", "kyma/istio.yaml:7:27", "Istio kyma-system/default"),
    ]
    assert (doc["base"]["network_policies_enabled"], doc["head"]["network_policies_enabled"]) == (False, True)
    # the storefront is labelled: its route survives the flip, so the gateway keeps it
    assert not any(c[1] == IGW and c[2] == "shop/frontend" for c in conns(doc))


def test_flag_flip_diff_equals_the_impact_of_the_flag():
    """Same engine, same folding: diffing a flip is the impact of the flip."""
    proc = run_cli("impact", "flag-flipped/after", "--format", "json", cwd=DATA)
    doc = json.loads(proc.stdout)
    impact = sorted((e["connection"]["from"], e["connection"]["to"], e["before"], e["after"])
                    for g in doc["groups"] for e in g["entries"] if e["connection"])
    assert impact == sorted(c[1:] for c in FLIP_CHANGES)


# -- exact text and markdown (the README examples) ---------------------------------------------
def test_text_output_is_exact():
    proc = run_cli("diff", "label-removed/before", "label-removed/after", cwd=DATA)
    assert proc.returncode == 1
    assert proc.stdout == (
        "netpol-lint diff: label-removed/before -> label-removed/after\n"
        "module network policies: enabled in both states\n"
        "\n"
        "Connections added: none\n"
        "Connections removed: none\n"
        "Connections changed (1):\n"
        "  istio-system/istio-ingressgateway => shop/frontend : All Connections -> TCP 53,UDP 53\n"
        "Findings introduced (1):\n"
        "  apps/shop/frontend.yaml:15:9: NPL101 [error] [*] Deployment shop/frontend is the "
        "backend of APIRule shop/frontend (Service shop/frontend port 80) but its pod template lacks "
        "networking.kyma-project.io/from-ingressgateway: allowed; the module's egress policy "
        "istio-system/kyma-project.io--istio-ingressgateway-egress drops that traffic\n"
        "Findings fixed: none\n"
        "\n"
        "0 connections added, 0 removed, 1 changed; 1 finding introduced, 0 fixed.\n")


def test_markdown_has_summary_table_first_and_details_folded():
    proc = run_cli("diff", "deny-by-default/before", "deny-by-default/after", "--format", "markdown", cwd=DATA)
    assert proc.returncode == 1
    assert proc.stdout == (DATA / "deny-by-default.expected.md").read_text()
    lines = proc.stdout.splitlines()
    assert lines[2:10] == ["| change | count |", "|---|---:|", "| connections added | 0 |",
                           "| connections removed | 15 |", "| connections changed | 1 |",
                           "| findings introduced | 1 |", "| findings fixed | 0 |", ""]
    assert proc.stdout.count("<details>") == 3 and proc.stdout.count("</details>") == 3
    # a finding's detail (NPL201's ready-to-apply policy) keeps its indentation in a fence
    item = lines.index(next(line for line in lines if line.startswith("- `apps/shop/frontend.yaml:15:9` **NPL201**")))
    assert lines[item + 1:item + 3] == ["  ```", "  apiVersion: networking.k8s.io/v1"]


def test_identical_states_are_empty_and_exit_0():
    code, doc = diff_json("label-removed/before", "deny-by-default/before")
    assert code == 0
    assert conns(doc) == [] and findings(doc) == []


# -- exit codes --------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, code", [
    ("deny-by-default", ["--fail-on", "never"], 0),
    ("deny-by-default", ["--fail-on", "never", "--fail-on-removed"], 1),
    ("label-removed", ["--fail-on", "never", "--fail-on-removed"], 1),     # changed, lost ports
    ("target-port", ["--fail-on", "never", "--fail-on-removed"], 0),       # no connection changed
    ("flag-flipped", ["--fail-on", "never"], 0),
    ("flag-flipped", ["--ignore", "NPL101"], 0),                           # only an info finding fixed
])
def test_exit_codes(name, args, code):
    assert scenario(name, *args)[0] == code


def test_fixed_findings_alone_exit_0():
    code, doc = diff_json("label-removed/after", "label-removed/before")
    assert code == 0
    assert findings(doc) == [("fixed", "NPL101", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]
    assert conns(doc) == [("changed", IGW, "shop/frontend", "TCP 53,UDP 53", ALL)]


def test_usage_errors_exit_2():
    one = run_cli("diff", "label-removed/before", cwd=DATA)
    assert one.returncode == 2
    assert "exactly two paths" in one.stderr
    missing = run_cli("diff", "label-removed/before", "nope", cwd=DATA)
    assert (missing.returncode, missing.stderr.strip()) == (2, "netpol-lint: error: path not found: nope")
    bad_rule = run_cli("diff", "a", "b", "--select", "NPL999", cwd=DATA)
    assert bad_rule.returncode == 2 and "unknown rule 'NPL999'" in bad_rule.stderr


def test_output_is_deterministic():
    a = run_cli("diff", "flag-flipped/before", "flag-flipped/after", "--format", "json", cwd=DATA)
    b = run_cli("diff", "flag-flipped/before", "flag-flipped/after", "--format", "json", cwd=DATA)
    assert a.stdout == b.stdout


# -- external ranges cut differently in the two states -----------------------------------------
EGRESS_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: orders-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: orders}}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
      ports: [{protocol: TCP, port: 5432}]
"""


def test_external_ranges_are_compared_on_common_cuts_and_merged(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DATA / "label-removed" / "before", old)
    shutil.copytree(DATA / "label-removed" / "before", new)
    (new / "apps" / "shop" / "orders-egress.yaml").write_text(EGRESS_POLICY)
    code, doc = diff_json("old", "new", "--no-istio", cwd=tmp_path)
    assert conns(doc) == [
        ("removed", "shop/orders", "shop/frontend", ALL, NONE),
        ("removed", "shop/orders", "ip:0.0.0.0-9.255.255.255", ALL, NONE),
        ("removed", "shop/orders", "ip:10.1.0.0-10.1.255.255", ALL, NONE),
        ("removed", "shop/orders", "ip:11.0.0.0-255.255.255.255", ALL, NONE),
        ("changed", "shop/orders", "ip:10.0.0.0-10.0.255.255", ALL, "TCP 5432"),
        ("changed", "shop/orders", "ip:10.2.0.0-10.255.255.255", ALL, "TCP 5432"),
    ]


def test_port_difference():
    from netpol_lint.analysis.conndiff import port_difference
    from netpol_lint.analysis.portsets import ALL as ALL_PORTS
    from netpol_lint.analysis.portsets import EMPTY, PortSet

    a = PortSet({"TCP": [(1, 100), (200, 300)], "UDP": [(53, 53)]})
    b = PortSet({"TCP": [(50, 60), (90, 250)], "SCTP": [(1, 5)]})
    assert port_difference(a, b).to_text() == "TCP 1-49,61-89,251-300,UDP 53"
    assert port_difference(a, a) == EMPTY
    assert port_difference(a, EMPTY) == a
    assert port_difference(ALL_PORTS, PortSet.of("TCP", 80)).to_text() == "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"


# -- diff --base on real git repositories ------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=str(repo.parent))
    proc = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           "-c", "init.defaultBranch=main", *args], cwd=repo, env=env,
                          capture_output=True, text=True, check=True)
    return proc.stdout


def make_repo(tmp_path: Path, name: str) -> Path:
    """A repository whose HEAD is ``name/before`` and whose working tree is ``name/after``."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA / name / "before", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "before")
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(DATA / name / "after", repo, dirs_exist_ok=True)
    return repo


def snapshot(root: Path) -> dict:
    """Every file under root (the .git directory included) with its bytes and mtime."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            st = p.lstat()
            data = os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
            out[str(p.relative_to(root))] = (st.st_mtime_ns, hashlib.sha256(data).hexdigest())
    return out


@pytest.mark.parametrize("name", ["deny-by-default", "label-removed", "target-port", "flag-flipped"])
def test_base_ref_equals_directory_diff_and_touches_nothing(tmp_path, name):
    repo = make_repo(tmp_path, name)
    before = snapshot(repo)
    code, doc = diff_json("--base", "HEAD", cwd=repo)
    assert snapshot(repo) == before                      # no checkout, no index refresh, no lock files
    dir_code, dir_doc = scenario(name)
    assert (code, conns(doc), findings(doc)) == (dir_code, conns(dir_doc), findings(dir_doc))
    head = git(repo, "rev-parse", "HEAD").strip()
    assert doc["base"] == {"label": f"HEAD ({head[:12]})", "ref": "HEAD", "commit": head,
                           "network_policies_enabled": dir_doc["base"]["network_policies_enabled"],
                           "network_policies_source": "istio-cr"}
    assert doc["head"]["label"] == "working tree"


def test_base_paths_are_relative_to_the_repo_root_from_a_subdirectory(tmp_path):
    repo = make_repo(tmp_path, "label-removed")
    code, doc = diff_json("--base", "HEAD", "shop", "../kyma", cwd=repo / "apps")
    assert code == 1
    assert findings(doc) == [("introduced", "NPL101", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]
    # limited to the shop directory, the Istio CR is out of view: policies are assumed enabled in both
    code, doc = diff_json("--base", "HEAD", "shop", cwd=repo / "apps")
    assert doc["base"]["network_policies_source"] == doc["head"]["network_policies_source"] == "assumed"


def test_base_with_files_added_and_deleted(tmp_path):
    repo = make_repo(tmp_path, "label-removed")
    (repo / "apps" / "shop" / "orders.yaml").unlink()            # deleted in the working tree
    code, doc = diff_json("--base", "HEAD", "apps/shop/orders.yaml", "apps/shop/frontend.yaml", cwd=repo)
    assert ("removed", "shop/orders", "shop/frontend", ALL, NONE) in conns(doc)
    assert not any(c[0] == "added" for c in conns(doc))
    shutil.rmtree(repo / "apps")                                 # a directory only the base has
    code, doc = diff_json("--base", "HEAD", "apps", cwd=repo)
    assert doc["summary"]["connections_added"] == 0 and doc["summary"]["connections_removed"] > 0
    gone = run_cli("diff", "--base", "HEAD", "nowhere", cwd=repo)
    assert gone.returncode == 2
    assert gone.stderr.strip() == "netpol-lint: error: path not found in the working tree or at HEAD: nowhere"


def test_base_errors_exit_2(tmp_path):
    repo = make_repo(tmp_path, "label-removed")
    bad = run_cli("diff", "--base", "no-such-branch", cwd=repo)
    assert (bad.returncode, bad.stderr.strip()) == (
        2, f"netpol-lint: error: unknown revision 'no-such-branch' (not a commit in {repo})")
    dash = run_cli("diff", "--base=--output=x", cwd=repo)
    assert dash.returncode == 2 and "bad revision" in dash.stderr
    outside = run_cli("diff", "--base", "HEAD", str(tmp_path), cwd=repo)
    assert outside.returncode == 2 and "outside the git repository" in outside.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    not_repo = run_cli("diff", "--base", "HEAD", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert not_repo.returncode == 2 and "not a git repository" in not_repo.stderr


def test_base_runs_no_filters_hooks_or_fsmonitor_from_the_repository(tmp_path):
    repo = make_repo(tmp_path, "label-removed")
    marker = tmp_path / "executed"
    (repo / ".gitattributes").write_text("*.yaml filter=evil diff=evil\n")
    git(repo, "config", "filter.evil.smudge", f"sh -c 'touch {marker}; cat'")
    git(repo, "config", "filter.evil.clean", f"sh -c 'touch {marker}; cat'")
    git(repo, "config", "diff.evil.textconv", f"sh -c 'touch {marker}; cat'")
    git(repo, "config", "core.fsmonitor", f"sh -c 'touch {marker}'")
    hooks = repo / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    code, doc = diff_json("--base", "HEAD", cwd=repo)
    assert not marker.exists()
    assert findings(doc) == [("introduced", "NPL101", "apps/shop/frontend.yaml:15:9", "Deployment shop/frontend")]


def test_base_follows_symlinks_inside_the_tree_only(tmp_path):
    from netpol_lint.load import gitsource

    repo = tmp_path / "repo"
    shutil.copytree(DATA / "label-removed" / "before", repo)
    (repo / "linked").mkdir()
    os.symlink("../apps/shop/orders.yaml", repo / "linked" / "orders.yaml")
    os.symlink("../../outside.yaml", repo / "linked" / "escape.yaml")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    skip = "symbolic link that is broken or leaves the directory it was found in; not followed"
    files = {f.path: f for f in gitsource.load_revision(str(repo), "HEAD", ["."])}
    assert [d.data["kind"] for d in files["linked/orders.yaml"].documents] == ["Deployment", "Service"]
    assert files["linked/escape.yaml"].skipped == skip
    # walking only linked/, the link to apps/ leaves the walked directory: skipped, as discover does
    files = {f.path: f for f in gitsource.load_revision(str(repo), "HEAD", ["linked"])}
    assert (files["linked/orders.yaml"].skipped, files["linked/escape.yaml"].skipped) == (skip, skip)
    named = gitsource.load_revision(str(repo), "HEAD", ["linked/orders.yaml"])
    assert [d.data["kind"] for d in named[0].documents] == ["Deployment", "Service"]
    # and the working-tree side agrees: no spurious difference
    for spec in (".", "linked"):
        code, doc = diff_json("--base", "HEAD", spec, cwd=repo)
        assert (code, conns(doc), findings(doc)) == (0, [], [])


def test_base_selection_mirrors_directory_discovery(tmp_path):
    from netpol_lint.load import gitsource

    repo = tmp_path / "repo"
    shutil.copytree(DATA / "label-removed" / "before", repo)
    (repo / ".hidden").mkdir()
    (repo / ".hidden" / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (repo / "apps" / "notes.txt").write_text("not a manifest\n")
    (repo / "charts").mkdir()
    (repo / "charts" / "c.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tree")
    paths = [f.path for f in gitsource.load_revision(str(repo), "HEAD", ["."], ["charts/**"])]
    assert paths == ["apps/shop/frontend.yaml", "apps/shop/namespace.yaml", "apps/shop/orders.yaml",
                     "kyma/istio.yaml"]
    named = [f.path for f in gitsource.load_revision(str(repo), "HEAD", ["apps/notes.txt", ".hidden"])]
    assert named == [".hidden/x.yaml", "apps/notes.txt"]
    working, _ = __import__("netpol_lint.load.loader", fromlist=["discover"]).discover(
        [str(repo)], ["charts/**"], cwd=str(repo))
    assert [os.path.relpath(p, repo) for p in working] == paths


def test_docs_show_the_real_outputs():
    """docs/impact.md quotes the outputs these tests assert; keep them in step."""
    doc = (ROOT / "docs" / "impact.md").read_text()
    impact_data = ROOT / "tests" / "data" / "impact"
    for expected in (impact_data / "shop.expected.txt", impact_data / "shop.expected.md",
                     DATA / "deny-by-default.expected.md"):
        assert expected.read_text().rstrip() in doc, expected.name
    text = run_cli("diff", "label-removed/before", "label-removed/after", cwd=DATA).stdout
    assert text.rstrip() in doc
