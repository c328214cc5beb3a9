"""``netpol-lint lsp`` without the lsp extra: one line naming the extra, exit 2 (issue 19)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

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
    r = run_cli("lint", ".", "--format", "json", cwd=root)
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


# -- the start: the first message is read before pygls runs (lsp/start.py) ---------------------

def _frame(msg: dict) -> bytes:
    import json
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_first_message_is_read_and_replayed_byte_for_byte():
    import io

    from netpol_lint.lsp.start import Replay, read_message

    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": "file:///w"}}
    second = _frame({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stream = io.BufferedReader(io.BytesIO(_frame(init) + second))
    raw, msg = read_message(stream)
    assert msg == init and raw == _frame(init)
    replay = Replay(raw, stream)
    got = b""
    while line := replay.readline():          # how pygls reads: header lines, then the body
        got += line
        if line == b"\r\n":
            got += replay.read(len(_frame(init)) - len(got))
            break
    assert got == _frame(init)
    assert replay.read(len(second)) == second and replay.read(1) == b""


@pytest.mark.parametrize("data", [b"", b"Content-Length: 5\r\n", b"X-Other: 1\r\n\r\n{}",
                                  b"Content-Length: 4\r\n\r\nnull", b"Content-Length: 9\r\n\r\n{\"a\": 1",
                                  b"Content-Length: x\r\n\r\n{}"])
def test_a_first_message_that_is_not_a_json_object_is_only_handed_on(data):
    import io

    from netpol_lint.lsp.start import Replay, read_message

    stream = io.BufferedReader(io.BytesIO(data))
    raw, msg = read_message(stream)
    assert msg is None
    assert Replay(raw, stream).read() == data             # pygls sees the input as it came


def test_the_root_of_initialize_as_pygls_reads_it(tmp_path):
    from netpol_lint.lsp.start import initialize_root

    def init(**params):
        return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}

    a, b = (tmp_path / "a").as_uri(), (tmp_path / "b").as_uri()
    assert initialize_root(init(workspaceFolders=[{"uri": a, "name": "a"}], rootUri=b)) == str(tmp_path / "a")
    assert initialize_root(init(rootUri=b, rootPath="/elsewhere")) == str(tmp_path / "b")
    assert initialize_root(init(rootPath="/elsewhere")) == "/elsewhere"
    assert initialize_root({"jsonrpc": "2.0", "method": "initialized", "params": {}}) is None
    assert initialize_root(init(workspaceFolders="nonsense", rootUri=5)) is not None      # the cwd


def _lsp_session(root, messages, until, timeout=120):
    """Run the server in ``root``'s parent, send ``messages``; the messages it sent until one
    ``until`` accepts (then shutdown and exit)."""
    import json
    proc = subprocess.Popen([sys.executable, "-m", "netpol_lint", "lsp"], cwd=root.parent, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for m in messages:
            proc.stdin.write(_frame(m))
        proc.stdin.flush()
        got = []
        while True:
            length = None
            while (line := proc.stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert line, f"the server exited: {proc.stderr.read().decode()}"
            msg = json.loads(proc.stdout.read(length))
            got.append(msg)
            if "id" in msg and "method" in msg:
                proc.stdin.write(_frame({"jsonrpc": "2.0", "id": msg["id"], "result": None}))
                proc.stdin.flush()
            if until(msg):
                break
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}))
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.close()
        assert proc.wait(timeout=timeout) == 0
        return got
    finally:
        if proc.poll() is None:
            proc.kill()


def _initialize(root) -> list[dict]:
    return [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}}]


@pytest.mark.slow      # a server process end to end (test_lsp.py is the fast run's): CI runs it
def test_a_bad_config_read_at_start_is_shown_at_initialized_and_nothing_is_linted(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("README.md"))
    (root / ".netpol-lint.yaml").write_text("exclude: 5\n")
    got = _lsp_session(root, _initialize(root), lambda m: m.get("method") == "window/showMessage")
    assert got[0]["id"] == 1 and "capabilities" in got[0]["result"]          # answered first
    shown = got[-1]["params"]
    assert shown["type"] == 1 and shown["message"].startswith("netpol-lint: ") and "exclude" in shown["message"]
    assert not [m for m in got if m.get("method") == "textDocument/publishDiagnostics"]


@pytest.mark.slow      # a server process end to end (test_lsp.py is the fast run's): CI runs it
def test_the_workspace_initialize_names_is_linted_not_the_working_directory(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("README.md"))
    (tmp_path / "stray.yaml").write_text("kind: [\n")                  # in the cwd, not the workspace
    got = _lsp_session(root, _initialize(root), lambda m: m.get("method") == "window/logMessage"
                       and "diagnostics published" in m["params"]["message"])
    uris = {m["params"]["uri"] for m in got if m.get("method") == "textDocument/publishDiagnostics"}
    assert (root / "shop" / "orders.yaml").as_uri() in uris
    assert all(u.startswith(root.as_uri() + "/") for u in uris)
