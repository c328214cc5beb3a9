"""``netpol-lint lsp`` without the lsp extra: one line naming the extra, exit 2 (issue 19)."""
from __future__ import annotations

import subprocess
import sys

HIDE = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
        "from netpol_lint.cli import main; sys.exit(main(['lsp']))")


def test_missing_extra_is_one_clear_line_and_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-c", HIDE], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["netpol-lint: error: the language server needs pygls and lsprotocol: "
                                     "install netpol-lint[lsp] (pip install 'netpol-lint[lsp]')"]


def test_listed_as_a_subcommand():
    r = subprocess.run([sys.executable, "-m", "netpol_lint", "--help"], capture_output=True, text=True, timeout=60)
    assert "lsp" in r.stdout


# -- the server's workspace lints like the CLI (no LSP client needed) ---------------------------

def _cli_findings(root) -> list[tuple]:
    import json
    r = subprocess.run([sys.executable, "-m", "netpol_lint", "lint", ".", "--format", "json"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    return sorted((f["file"], f["line"], f["column"], f["rule"], f["message"]) for f in json.loads(r.stdout)["findings"])


def _ws_findings(ws) -> list[tuple]:
    return sorted((f.location.file, f.location.line, f.location.column, f.rule, f.message)
                  for fs in ws.findings.values() for f in fs)


def test_workspace_findings_equal_the_cli_before_and_after_edits(tmp_path, monkeypatch):
    """Loaded, then edited buffers (resources of unchanged files reused across runs): always
    exactly the findings of ``netpol-lint lint .`` on a tree holding the same text."""
    import shutil
    from pathlib import Path

    from netpol_lint.lsp.state import Workspace

    root = tmp_path / "ws"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", root, ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.chdir(root)
    ws = Workspace(str(root))
    first = ws.load()
    assert _ws_findings(ws) == _cli_findings(root)
    assert first.changed == sorted(ws.findings)

    policies = root / "shop/network-policies.yaml"
    original = policies.read_text()
    edited = "\n---\n".join(d for d in original.split("\n---\n") if "name: default-deny" not in d
                            and "name: allow-within-namespace" not in d)
    ws.set_buffer("shop/network-policies.yaml", edited, 2)
    run = ws.lint()
    policies.write_text(edited)
    assert _ws_findings(ws) == _cli_findings(root)
    assert "shop/orders.yaml" in run.changed and "shop/network-policies.yaml" in run.changed   # edited: always
    assert [f.rule for f in ws.findings["shop/orders.yaml"]] == ["NPL110"]      # NPL201 gone

    ws.set_buffer("shop/network-policies.yaml", original, 3)
    ws.lint()
    policies.write_text(original)
    assert _ws_findings(ws) == _cli_findings(root)

    ws.set_buffer("shop/cart.yaml", "kind: [\n", 4)                     # half-typed: NPL001, rest linted
    run = ws.lint()
    assert [f.rule for f in ws.findings["shop/cart.yaml"]] == ["NPL001"]
    # its Service is gone with it: the APIRule routing to it (another file) now says so
    assert run.changed == ["shop/cart.yaml", "shop/storefront.yaml"]
    assert [f.rule for f in ws.findings["shop/storefront.yaml"]] == ["NPL109"]


UNITS = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "units"


def test_workspace_places_resources_like_the_cli_units_and_kustomizations(tmp_path, monkeypatch):
    """Deployment units, a kustomization's namespace and name prefix, its patch (not a
    resource of its own): the server's model is the CLI's, also after the kustomization is
    edited so that the patch file becomes a resource (its mark is not kept across runs)."""
    import shutil

    from netpol_lint.lsp.state import Workspace

    for name in ("kustomized", "routes-only", "samples"):
        root = tmp_path / name
        shutil.copytree(UNITS / name, root)
        monkeypatch.chdir(root)
        ws = Workspace(str(root))
        ws.load()
        assert _ws_findings(ws) == _cli_findings(root), name
    kustomization = tmp_path / "kustomized" / "kustomization.yaml"
    monkeypatch.chdir(kustomization.parent)
    ws = Workspace(str(kustomization.parent))
    ws.load()
    assert ws.session.model.placement.patches == {"replicas-patch.yaml"}
    assert "replicas-patch.yaml" in {f.path for f in ws.session.skipped}
    unpatched = kustomization.read_text().split("patches:")[0]
    ws.set_buffer("kustomization.yaml", unpatched, 2)
    ws.lint()
    kustomization.write_text(unpatched)
    assert "replicas-patch.yaml" not in {f.path for f in ws.session.skipped}
    assert _ws_findings(ws) == _cli_findings(kustomization.parent)
