"""Issue 16 item 8: the small things a new user trips over, one test each."""
from __future__ import annotations

import re
import textwrap

from conftest import ROOT, run_cli
from netpol_lint.analysis.ipblocks import readable_ranges

MANIFEST = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: web}, ports: [{port: 80}]}
    """)


def test_help_has_no_restructuredtext_markup():
    for args in ([], ["reach"], ["connectivity"], ["diff"], ["impact"], ["lint"]):
        out = run_cli(*args, "--help").stdout
        assert "``" not in out and "**" not in out, args


def test_rules_table_is_aligned_for_every_id_length(tmp_path):
    rules = tmp_path / "extra"
    rules.mkdir()
    (rules / "long.yaml").write_text(textwrap.dedent("""\
        id: LONGID1234
        name: a-long-id
        severity: info
        summary: Checks for nothing much.
        rationale: An id longer than NPL123.
        bad_example: "a: 1"
        good_example: "a: 2"
        fix: Nothing.
        match: {kinds: [Service]}
        select: "metadata.labels.never"
        message: "never"
        """))
    out = run_cli("rules", "--rules", str(rules), cwd=tmp_path).stdout.splitlines()
    assert any(line.startswith("LONGID1234") for line in out)
    columns = {line.index(line.split()[1]) for line in out}
    assert len(columns) == 1, out          # every name starts in the same column


def test_plurals_agree():
    from netpol_lint.commands.impact import _connections
    assert _connections(1, "break") == "connection breaks" and _connections(2, "break") == "connections break"
    assert _connections(0, "change") == "connections change"
    out = run_cli("lint", "examples/shop", "--color", "never", cwd=ROOT).stdout
    assert re.search(r"Found \d+ findings \(\d+ errors, \d+ warnings, 0 info\)", out), out
    one = run_cli("lint", "examples/shop", "--select", "NPL109", "--color", "never", cwd=ROOT).stdout
    assert "Found 1 finding (0 errors, 1 warning, 0 info)" in one, one


def test_one_see_per_message():
    proc = run_cli("explain", "NPL999")
    assert proc.returncode == 2
    assert proc.stderr.count("(see ") == 1, proc.stderr
    proc = run_cli("lint", "--format", "nope")
    assert proc.stderr.count("(see ") == 1, proc.stderr


def test_address_ranges_print_as_cidrs_in_text():
    assert readable_ranges("a => ip:0.0.0.0-255.255.255.255 : TCP 80") == "a => 0.0.0.0/0 : TCP 80"
    assert readable_ranges("ip:10.0.0.0-10.0.255.255, ip:1.2.3.4-1.2.3.9") == "10.0.0.0/16, 1.2.3.4/30,1.2.3.8/31"
    assert readable_ranges("ip:0.0.0.1-255.255.255.254") == "ip:0.0.0.1-255.255.255.254"   # too many blocks
    out = run_cli("impact", "shop", cwd=ROOT / "tests" / "data" / "impact").stdout
    assert "0.0.0.0/0" in out and "ip:0.0.0.0-" not in out


def test_rule_numbers_are_list_indexes_in_reach_and_diff_managed():
    reach = run_cli("reach", "examples/", "--from", "istio-system/istio-ingressgateway", "--to", "shop/orders",
                    "--port", "3000", cwd=ROOT).stdout
    managed = run_cli("diff-managed", "tests/fixtures/npl302/bad", cwd=ROOT).stdout
    assert re.search(r"\bingress\[0\]|\begress\[0\]", reach)
    assert "ingress[1]: peer pods networking.kyma-project.io/metrics-scraping=allowed" in managed
    assert not re.search(r"\b(ingress|egress) rule \d", managed)


def test_a_directory_named_like_a_subcommand_can_be_linted(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "svc.yaml").write_text(MANIFEST)
    proc = run_cli("lint", "rules", "--format", "json", cwd=tmp_path)
    assert '"resources": 1' in proc.stdout, proc.stderr
    proc = run_cli("rules", cwd=tmp_path)
    assert proc.stdout.startswith("NPL001")                      # still the subcommand...
    assert "run 'netpol-lint lint rules'" in proc.stderr         # ...with a hint


def test_misspelt_config_key_suggests_the_right_one(tmp_path):
    (tmp_path / ".netpol-lint.yaml").write_text("fail-on: warning\n")
    (tmp_path / "svc.yaml").write_text(MANIFEST)
    proc = run_cli("lint", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown key 'fail-on'; did you mean 'fail_on'?" in proc.stderr


def test_npl001_names_tab_indentation(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n")
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'x}\n")
    out = run_cli("lint", ".", "--quiet", "--color", "never", cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith("a.yaml:4:1: NPL001") and out[0].endswith("indented with a tab, and YAML indents "
                                                                       "with spaces only")
    assert "tab" not in out[1]


def test_reach_and_connectivity_help_list_only_their_options():
    for cmd in ("reach", "connectivity"):
        out = run_cli(cmd, "--help").stdout
        assert "--rules" not in out and "--trust-config" not in out, cmd
        assert "--config" in out and "--exclude" in out
    assert "--rules" in run_cli("lint", "--help").stdout


def test_kustomization_patches_are_not_called_unreadable_paths(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [svc.yaml]\npatches:\n- path: patch.yaml\n")
    (tmp_path / "svc.yaml").write_text(MANIFEST)
    (tmp_path / "patch.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                                         "spec: {ports: [{port: 81}]}\n")
    err = run_cli(".", cwd=tmp_path).stderr
    assert err == ("netpol-lint: note: skipped 1 kustomization patch file (changes to other objects, not "
                   "resources); --verbose lists them\n")
